/**
 * How a task travels to the worker that runs it: the `run` payload of a compute-task, opaque to
 * the scheduler. It holds only plain data (no functions, no class instances) so it survives
 * structured clone between threads and, later, msgpack on the wire.
 */
import type { Key } from "../graph/spec.js";

/** Path of a TaskRef inside the arguments, and the key it stands for. */
export type RefSlot = readonly [path: readonly (string | number)[], key: Key];

/** Call the function with id `f` (a ShippedFn id) on `a`, after filling `r`'s slots. */
export interface CallSpec {
  readonly f: string;
  readonly a: readonly unknown[];
  readonly r?: readonly RefSlot[] | undefined;
}

/** The value of a literal data node. */
export interface DataSpec {
  readonly d: unknown;
}

/** The value of another key (an alias). */
export interface AliasSpec {
  readonly alias: Key;
}

/** A fused linear chain: run the steps in order; the last one's value is the result. */
export interface FusedSpec {
  readonly steps: readonly (readonly [Key, CallSpec])[];
}

export type RunSpec = CallSpec | DataSpec | AliasSpec | FusedSpec;
