/**
 * The compute-tasks of one scheduler step for one worker, packed by columns for postMessage.
 * Structured clone pays per object: one object per task (and a copy of the function id string
 * in each) made the clone the scheduler thread's largest cost on maps of tiny tasks. Here a
 * batch is a handful of arrays: keys, arguments, and typed arrays for function indexes,
 * priorities and run ids; dependencies, refs and resources go in sparse lists since most tasks
 * of a map have none.
 */
import { BarnError, ErrorCodes } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { ComputeTask, Resources, WorkerId } from "../scheduler/protocol.js";
import type { RefSlot, RunSpec } from "./run-spec.js";

/** Length of every priority tuple: [-userPriority, generation, order]. */
const PRIORITY_LENGTH = 3;

/**
 * Keys travel joined by NUL into one string: one string to clone instead of one per task. Keys
 * never contain NUL (the client refuses such keys at submit time).
 */
export const KEY_SEPARATOR = "\u0000";

export function joinKeys(keys: readonly Key[]): string {
  return keys.join(KEY_SEPARATOR);
}

export function splitKeys(joined: string): Key[] {
  return joined.length === 0 ? [] : joined.split(KEY_SEPARATOR);
}

export interface PackedCompute {
  readonly keys: string;
  readonly n: number;
  /** True when every task is a call with exactly one argument: `args[i]` is that argument. */
  readonly single: boolean;
  /** Function ids used in this batch; `fn[i]` indexes it, or is -1 when `args[i]` is a RunSpec. */
  readonly fnIds: string[];
  readonly fn: Int32Array;
  /** CallSpec arguments (`a`) by task, or the whole RunSpec for data, alias and fused tasks. */
  readonly args: unknown[];
  readonly refs: [number, readonly RefSlot[]][];
  readonly deps: [number, readonly (readonly [Key, readonly WorkerId[]])[]][];
  readonly resources: [number, Resources][];
  readonly priority: Float64Array;
  readonly runId: Float64Array;
}

export function packCompute(ops: readonly ComputeTask[]): PackedCompute {
  const n = ops.length;
  const keys = new Array<Key>(n);
  let single = true;
  for (const op of ops) {
    const run = op.run as RunSpec;
    if (!("f" in run) || run.a.length !== 1) {
      single = false;
      break;
    }
  }
  const out: PackedCompute = {
    keys: "",
    n,
    single,
    fnIds: [],
    fn: new Int32Array(n),
    args: new Array(n),
    refs: [],
    deps: [],
    resources: [],
    priority: new Float64Array(n * PRIORITY_LENGTH),
    runId: new Float64Array(n),
  };
  let lastId = "";
  let lastIndex = -1;
  for (let i = 0; i < n; i++) {
    const op = ops[i]!;
    keys[i] = op.key;
    const run = op.run as RunSpec;
    if ("f" in run) {
      if (run.f !== lastId) {
        lastId = run.f;
        lastIndex = out.fnIds.indexOf(lastId);
        if (lastIndex < 0) lastIndex = out.fnIds.push(lastId) - 1;
      }
      out.fn[i] = lastIndex;
      out.args[i] = single ? run.a[0] : run.a;
      if (run.r !== undefined) out.refs.push([i, run.r]);
    } else {
      out.fn[i] = -1;
      out.args[i] = run;
    }
    if (op.deps.length > 0) out.deps.push([i, op.deps.map((d) => [d.key, d.holders] as const)]);
    if (op.resources !== undefined) out.resources.push([i, op.resources]);
    const p = op.priority;
    if (p.length !== PRIORITY_LENGTH) {
      throw new BarnError(
        ErrorCodes.INTERNAL,
        `priority of ${op.key} has ${p.length} entries, not 3`,
      );
    }
    out.priority[i * 3] = p[0]!;
    out.priority[i * 3 + 1] = p[1]!;
    out.priority[i * 3 + 2] = p[2]!;
    out.runId[i] = op.runId;
  }
  return { ...out, keys: joinKeys(keys) };
}

/** The buffers a packed batch can hand over instead of copying. */
export function packedTransfer(p: PackedCompute): ArrayBuffer[] {
  return [p.fn.buffer, p.priority.buffer, p.runId.buffer] as ArrayBuffer[];
}

/** One task of a packed batch, as the worker's state machine takes it. */
export interface UnpackedTask {
  readonly key: Key;
  readonly run: RunSpec;
  readonly deps: readonly { readonly key: Key; readonly holders: readonly WorkerId[] }[];
  readonly priority: readonly number[];
  readonly resources: Resources | undefined;
  readonly runId: number;
}

const NO_DEPS: UnpackedTask["deps"] = Object.freeze([]);

export function unpackCompute(p: PackedCompute, each: (t: UnpackedTask) => void): void {
  const keys = splitKeys(p.keys);
  if (keys.length !== p.n) {
    throw new BarnError(ErrorCodes.INTERNAL, `packed batch has ${keys.length} keys, not ${p.n}`);
  }
  let r = 0;
  let d = 0;
  let s = 0;
  for (let i = 0; i < p.n; i++) {
    const fi = p.fn[i]!;
    let run: RunSpec;
    if (fi < 0) run = p.args[i] as RunSpec;
    else {
      const refs = p.refs[r]?.[0] === i ? p.refs[r++]![1] : undefined;
      const a = p.single ? [p.args[i]] : (p.args[i] as unknown[]);
      run = { f: p.fnIds[fi]!, a, r: refs };
    }
    const deps =
      p.deps[d]?.[0] === i ? p.deps[d++]![1].map(([key, holders]) => ({ key, holders })) : NO_DEPS;
    const resources = p.resources[s]?.[0] === i ? p.resources[s++]![1] : undefined;
    const q = p.priority;
    each({
      key: keys[i]!,
      run,
      deps,
      priority: [q[i * 3]!, q[i * 3 + 1]!, q[i * 3 + 2]!],
      resources,
      runId: p.runId[i]!,
    });
  }
}
