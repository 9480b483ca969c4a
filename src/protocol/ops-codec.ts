/**
 * The compute-tasks of one scheduler step for one worker, packed by columns for postMessage.
 * Structured clone pays per object: one object per task, per dependency, per holder list and
 * per ref (and a copy of the function id string in each) made the clone the scheduler
 * thread's largest cost on graphs of tiny tasks. Here a batch is a handful of strings and
 * typed arrays: keys joined into one string, function indexes, priorities and run ids, and
 * dependencies, their holders and the argument slots they fill as flat index columns. Only
 * unusual shapes (refs nested inside arguments, resources) go in sparse lists.
 */
import { BarnError, ErrorCodes } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { Resources, WorkerId } from "./ids.js";
import type { RefSlot, RunSpec } from "./run-spec.js";

/** Length of every priority tuple: [-userPriority, generation, order]. */
const PRIORITY_LENGTH = 3;

/**
 * Keys travel joined by NUL into one string: one string to clone instead of one per task. Keys
 * never contain NUL (the client refuses such keys at submit time).
 */
/**
 * What a worker needs to run one task: the payload of the scheduler's compute-task instruction
 * (scheduler/protocol.ts extends it with the worker and the stimulus).
 */
export interface ComputeOp {
  readonly key: Key;
  readonly run: unknown;
  /**
   * Where every input can be fetched from, and its size in bytes when the scheduler knows it
   * (0 or absent: not known yet). Sizes bound the worker's fetch batches.
   */
  readonly deps: readonly {
    readonly key: Key;
    readonly holders: readonly WorkerId[];
    readonly nbytes?: number;
  }[];
  /** Lower runs first on the worker: [-userPriority, generation, order]. */
  readonly priority: readonly number[];
  readonly resources?: Resources | undefined;
  /** Identifies this attempt; echoed in task-finished / task-erred (unique per scheduler). */
  readonly runId: number;
}

export const KEY_SEPARATOR = "\u0000";

export function joinKeys(keys: readonly Key[]): string {
  return keys.join(KEY_SEPARATOR);
}

export function splitKeys(joined: string): Key[] {
  return joined.length === 0 ? [] : joined.split(KEY_SEPARATOR);
}

export interface PackedCompute {
  readonly n: number;
  readonly keys: string;
  /** True when every task is a call with exactly one argument: `args[i]` is that argument. */
  readonly single: boolean;
  /** Function ids used in this batch; `fn[i]` indexes it, or is -1 when `args[i]` is a RunSpec. */
  readonly fnIds: string[];
  readonly fn: Int32Array;
  /**
   * CallSpec arguments (`a`) by task, or the whole RunSpec for data, alias and fused tasks.
   * Undefined when every argument is a ref slot: then `argc[i]` nulls.
   */
  readonly args: unknown[];
  readonly argc: Int32Array;
  /** Dependencies per task, their keys (joined), holders per dependency and holder indexes. */
  readonly depCount: Int32Array;
  readonly depKeys: string;
  readonly holderCount: Int32Array;
  readonly holders: Int32Array;
  /** Size in bytes of each dependency (0: unknown). */
  readonly depBytes: Float64Array;
  readonly workerIds: WorkerId[];
  /** Top-level ref slots per task: the argument position and which of its dependencies. */
  readonly refCount: Int32Array;
  readonly refArg: Int32Array;
  readonly refDep: Int32Array;
  /** Tasks whose refs are not all top-level arguments: their refs as they are. */
  readonly nestedRefs: [number, readonly RefSlot[]][];
  readonly resources: [number, Resources][];
  readonly priority: Float64Array;
  readonly runId: Float64Array;
}

/** Growable int column. */
class Ints {
  a: number[] = [];
  push(v: number): void {
    this.a.push(v);
  }
  done(): Int32Array {
    return Int32Array.from(this.a);
  }
}

function allSingle(ops: readonly ComputeOp[]): boolean {
  for (const op of ops) {
    const run = op.run as RunSpec;
    if (!("f" in run) || run.a.length !== 1 || run.r !== undefined) return false;
  }
  return true;
}

export function packCompute(ops: readonly ComputeOp[]): PackedCompute {
  const n = ops.length;
  const single = allSingle(ops);
  const keys = new Array<Key>(n);
  const fnIds: string[] = [];
  const fn = new Int32Array(n);
  const args = new Array<unknown>(n);
  const argc = new Int32Array(n);
  const depCount = new Int32Array(n);
  const depKeys: Key[] = [];
  const holderCount = new Ints();
  const holders = new Ints();
  const depBytes: number[] = [];
  const workerIds: WorkerId[] = [];
  const workerIndex = new Map<WorkerId, number>();
  const refCount = new Int32Array(n);
  const refArg = new Ints();
  const refDep = new Ints();
  const nestedRefs: [number, readonly RefSlot[]][] = [];
  const resources: [number, Resources][] = [];
  const priority = new Float64Array(n * PRIORITY_LENGTH);
  const runId = new Float64Array(n);
  let lastId = "";
  let lastIndex = -1;
  for (let i = 0; i < n; i++) {
    const op = ops[i]!;
    keys[i] = op.key;
    depCount[i] = op.deps.length;
    for (const d of op.deps) {
      depKeys.push(d.key);
      depBytes.push(d.nbytes ?? 0);
      holderCount.push(d.holders.length);
      for (const w of d.holders) {
        let wi = workerIndex.get(w);
        if (wi === undefined) workerIndex.set(w, (wi = workerIds.push(w) - 1));
        holders.push(wi);
      }
    }
    const run = op.run as RunSpec;
    if ("f" in run) {
      if (run.f !== lastId) {
        lastId = run.f;
        lastIndex = fnIds.indexOf(lastId);
        if (lastIndex < 0) lastIndex = fnIds.push(lastId) - 1;
      }
      fn[i] = lastIndex;
      if (single) args[i] = run.a[0];
      else packCall(i, run.a, run.r, op, { args, argc, refCount, refArg, refDep, nestedRefs });
    } else {
      fn[i] = -1;
      args[i] = run;
    }
    if (op.resources !== undefined) resources.push([i, op.resources]);
    const p = op.priority;
    if (p.length !== PRIORITY_LENGTH) {
      throw new BarnError(
        ErrorCodes.INTERNAL,
        `priority of ${op.key} has ${p.length} entries, not 3`,
      );
    }
    priority[i * 3] = p[0]!;
    priority[i * 3 + 1] = p[1]!;
    priority[i * 3 + 2] = p[2]!;
    runId[i] = op.runId;
  }
  return {
    n,
    keys: joinKeys(keys),
    single,
    fnIds,
    fn,
    args,
    argc,
    depCount,
    depKeys: joinKeys(depKeys),
    holderCount: holderCount.done(),
    holders: holders.done(),
    depBytes: Float64Array.from(depBytes),
    workerIds,
    refCount,
    refArg: refArg.done(),
    refDep: refDep.done(),
    nestedRefs,
    resources,
    priority,
    runId,
  };
}

interface CallColumns {
  readonly args: unknown[];
  readonly argc: Int32Array;
  readonly refCount: Int32Array;
  readonly refArg: Ints;
  readonly refDep: Ints;
  readonly nestedRefs: [number, readonly RefSlot[]][];
}

/** A call's arguments and refs: top-level refs become index pairs, others stay as they are. */
function packCall(
  i: number,
  a: readonly unknown[],
  refs: readonly RefSlot[] | undefined,
  op: ComputeOp,
  c: CallColumns,
): void {
  if (refs === undefined || refs.length === 0) {
    c.args[i] = a;
    return;
  }
  const topLevel = refs.every(([path, key]) => path.length === 1 && depIndex(op, key) >= 0);
  if (!topLevel) {
    c.args[i] = a;
    c.nestedRefs.push([i, refs]);
    return;
  }
  for (const [path, key] of refs) {
    c.refArg.push(path[0] as number);
    c.refDep.push(depIndex(op, key));
  }
  c.refCount[i] = refs.length;
  // Arguments that are all ref slots (all null) need not travel: their count is enough.
  if (refs.length === a.length && a.every((x) => x === null)) c.argc[i] = a.length;
  else c.args[i] = a;
}

function depIndex(op: ComputeOp, key: Key): number {
  const deps = op.deps;
  for (let j = 0; j < deps.length; j++) if (deps[j]!.key === key) return j;
  return -1;
}

/** The buffers a packed batch can hand over instead of copying. */
export function packedTransfer(p: PackedCompute): ArrayBuffer[] {
  return [
    p.fn,
    p.argc,
    p.depCount,
    p.holderCount,
    p.holders,
    p.depBytes,
    p.refCount,
    p.refArg,
    p.refDep,
    p.priority,
    p.runId,
  ].map((t) => t.buffer as ArrayBuffer);
}

/** One task of a packed batch, as the worker's state machine takes it. */
export interface UnpackedTask {
  readonly key: Key;
  readonly run: RunSpec;
  readonly deps: readonly {
    readonly key: Key;
    readonly holders: readonly WorkerId[];
    readonly nbytes?: number;
  }[];
  readonly priority: readonly number[];
  readonly resources: Resources | undefined;
  readonly runId: number;
}

const NO_DEPS: UnpackedTask["deps"] = Object.freeze([]);

export function unpackCompute(p: PackedCompute, each: (t: UnpackedTask) => void): void {
  const keys = splitKeys(p.keys);
  const depKeys = splitKeys(p.depKeys);
  if (keys.length !== p.n) {
    throw new BarnError(ErrorCodes.INTERNAL, `packed batch has ${keys.length} keys, not ${p.n}`);
  }
  let dk = 0; // next dependency (index into depKeys / holderCount)
  let h = 0; // next holder
  let rf = 0; // next top-level ref
  let nr = 0; // next nested-refs entry
  let rs = 0; // next resources entry
  for (let i = 0; i < p.n; i++) {
    const firstDep = dk;
    let deps: UnpackedTask["deps"] = NO_DEPS;
    if (p.depCount[i]! > 0) {
      const list: { key: Key; holders: WorkerId[]; nbytes?: number }[] = [];
      for (let j = 0; j < p.depCount[i]!; j++, dk++) {
        const hs: WorkerId[] = [];
        for (let k = 0; k < p.holderCount[dk]!; k++) hs.push(p.workerIds[p.holders[h++]!]!);
        const nbytes = p.depBytes[dk]!;
        list.push(
          nbytes > 0
            ? { key: depKeys[dk]!, holders: hs, nbytes }
            : { key: depKeys[dk]!, holders: hs },
        );
      }
      deps = list;
    }
    let run: RunSpec;
    const fi = p.fn[i]!;
    if (fi < 0) run = p.args[i] as RunSpec;
    else if (p.single) run = { f: p.fnIds[fi]!, a: [p.args[i]] };
    else {
      const a = (p.args[i] as unknown[] | undefined) ?? new Array(p.argc[i]!).fill(null);
      let refs: RefSlot[] | undefined;
      for (let j = 0; j < p.refCount[i]!; j++, rf++) {
        (refs ??= []).push([[p.refArg[rf]!], depKeys[firstDep + p.refDep[rf]!]!]);
      }
      if (p.nestedRefs[nr]?.[0] === i) refs = [...p.nestedRefs[nr++]![1]];
      run = { f: p.fnIds[fi]!, a, r: refs };
    }
    const resources = p.resources[rs]?.[0] === i ? p.resources[rs++]![1] : undefined;
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
