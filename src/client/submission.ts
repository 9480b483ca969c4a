/**
 * Turning user calls and graphs into TaskSubmissions for the scheduler: functions are shipped
 * (checked once per function object), Futures inside arguments become TaskRefs, arguments are
 * encoded so refs survive the trip to a worker, and keys are named.
 */
import { BarnError, ErrorCodes } from "../errors.js";
import { encodeArgs } from "../graph/refs.js";
import { describeType } from "../graph/shape.js";
import { TaskRef } from "../graph/spec.js";
import { uncopyablePart } from "../protocol/copyable.js";
import type { CallSpec } from "../protocol/run-spec.js";
import { type ShippedFn, shipFunction } from "../shipping/ship.js";
import { Future } from "./future.js";

export { submission } from "../protocol/submission.js";

/** Functions a client has shipped, and the new ones since the last submission. */
export class FunctionTable {
  readonly local = new Map<string, Function>();
  #fresh: ShippedFn[] = [];

  ship(fn: Function): ShippedFn {
    if (typeof fn !== "function") {
      throw new BarnError(
        ErrorCodes.GRAPH_NOT_A_FUNCTION,
        `expected a function to run as a task; got ${describeType(fn)}. Pass a function: client.submit((x) => ..., x)`,
      );
    }
    const s = shipFunction(fn);
    if (!this.local.has(s.id)) {
      this.local.set(s.id, fn);
      this.#fresh.push(s);
    }
    return s;
  }

  /** Definitions shipped since the last call. */
  takeFresh(): ShippedFn[] {
    const f = this.#fresh;
    this.#fresh = [];
    return f;
  }
}

/**
 * Replace every handle inside `args` (top level, plain arrays, plain objects) for which `toRef`
 * returns a TaskRef. Returns the same array when there is none (the common case costs typeof
 * checks and no allocation).
 */
export function replaceHandles(
  args: readonly unknown[],
  toRef: (v: object) => TaskRef | undefined,
  depth = 0,
): readonly unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (typeof a !== "object" || a === null) continue;
    const r = convert(a, toRef, depth + 1);
    if (r !== a) {
      out ??= args.slice();
      out[i] = r;
    }
  }
  return out ?? args;
}

/**
 * Nesting past this depth is taken for a cycle (which no worker could receive anyway): the call
 * fails with ARG_NOT_SERIALIZABLE instead of overflowing the stack.
 */
const MAX_DEPTH = 1000;

function convert(v: object, toRef: (v: object) => TaskRef | undefined, depth: number): unknown {
  if (depth > MAX_DEPTH) throw argError(`a circular reference (or nesting over ${MAX_DEPTH} deep)`);
  const ref = toRef(v);
  if (ref !== undefined) return ref;
  if (Array.isArray(v)) return replaceHandles(v, toRef, depth);
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[k];
    if (typeof x !== "object" || x === null) continue;
    const r = convert(x, toRef, depth + 1);
    if (r !== x) {
      out ??= { ...(v as Record<string, unknown>) };
      out[k] = r;
    }
  }
  return out ?? v;
}

/** Replace the Futures inside `args` by TaskRefs, calling `onFuture` for each. */
export function futuresToRefs(
  args: readonly unknown[],
  onFuture: (f: Future) => void,
): readonly unknown[] {
  return replaceHandles(args, (v) => {
    if (!(v instanceof Future)) return undefined;
    onFuture(v);
    return new TaskRef(v.key);
  });
}

/**
 * The run payload of a call: function id and encoded arguments.
 * @throws BarnError ARG_NOT_SERIALIZABLE when an argument cannot be copied to a worker.
 */
export function callSpec(fnId: string, args: readonly unknown[], hasRefs: boolean): CallSpec {
  const problem = uncopyablePart(args);
  if (problem !== undefined) throw argError(problem);
  if (!hasRefs) return { f: fnId, a: args };
  const enc = encodeArgs(args);
  return enc.refs === undefined ? { f: fnId, a: enc.args } : { f: fnId, a: enc.args, r: enc.refs };
}

/**
 * The error for task arguments or scattered data that cannot reach a worker. Every scheduler
 * refuses them, the sync one included, so a script that runs inline runs on a cluster too.
 */
export function argError(problem: string, what = "a task's arguments"): BarnError {
  return new BarnError(
    ErrorCodes.ARG_NOT_SERIALIZABLE,
    `${what} hold ${problem}, which cannot be copied to a worker; pass data (functions run as tasks: client.submit(fn, x), or call a tasks() function inside the task)`,
  );
}

/**
 * Checks the columns of a map (each item is a task's argument), the first `n` items of each.
 * @throws BarnError ARG_NOT_SERIALIZABLE naming the iterable and the item.
 */
export function checkCopyable(columns: readonly (readonly unknown[])[], n: number): void {
  for (const [j, c] of columns.entries()) {
    const problem = uncopyablePart(c.length === n ? c : c.slice(0, n));
    if (problem !== undefined)
      throw argError(problem, `map's iterable ${j} (its items are the tasks' arguments)`);
  }
}

/** True when no element is (or holds) a Future: typeof checks for the usual primitives. */
export function holdsNoFuture(column: readonly unknown[]): boolean {
  for (const v of column) {
    if (typeof v === "object" && v !== null && futuresToRefs([v], () => {})[0] !== v) return false;
  }
  return true;
}
