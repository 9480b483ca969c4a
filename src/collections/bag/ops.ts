/**
 * The bag's task functions, declared with `tasks()` so they ship to workers by module reference.
 * They take and return plain data (arrays of elements, partials), so results cross threads and
 * processes unchanged. Lowering (lower.ts) refers to these only.
 */
import { BarnError } from "../../errors.js";
import type { Batch } from "../../kernels/batch.js";
import { tasks } from "../../shipping/modules.js";
import type { ShippedFn } from "../../shipping/ship.js";
import { batchToRecords } from "../frame/records.js";
import { combine, finish, resolveAgg } from "./aggs.js";
import { BagErrorCodes } from "./errors.js";
import type { AggSpec, SourcePart, Step } from "./plan.js";
import { openSink, type SinkSpec } from "./sinks.js";
import { countBadJsonLines, elementError, type Flow, feedSource } from "./source.js";
import { chain, resolveFn, resolveSteps, StepFailure } from "./steps.js";

/** One partition: read the source, run the fused steps, and fill the sink. */
async function run(
  source: SourcePart,
  steps: readonly Step[],
  sink: SinkSpec,
  partition: number,
): Promise<unknown> {
  const fns = await resolveSteps(steps);
  const aggFns = sink.kind === "agg" ? await resolveAgg(sink.spec) : [];
  const flow: Flow = { done: false };
  const out = await openSink(sink, flow, partition, aggFns);
  const add = callsUser(sink) ? guarded(out.add, describeSink(sink)) : out.add;
  await feedSource(source, chain(steps, fns, add), flow, partition);
  return out.result();
}

/** Whether the sink calls user functions per element (keys, binops). */
function callsUser(sink: SinkSpec): boolean {
  return sink.kind === "split" || (sink.kind === "agg" && aggFnsOf(sink.spec));
}

function aggFnsOf(spec: AggSpec): boolean {
  return (
    spec.agg === "fold" ||
    spec.agg === "foldby" ||
    ((spec.agg === "topk" || spec.agg === "distinct") && spec.key !== undefined)
  );
}

function describeSink(sink: SinkSpec): string {
  if (sink.kind === "split") return `groupby(${sink.key.name})`;
  if (sink.kind === "agg") return `${sink.spec.agg}()`;
  return sink.kind;
}

/** The sink, with a user function's error marked as that step's (for the element's index). */
function guarded(add: (x: unknown) => void, step: string): (x: unknown) => void {
  return (x) => {
    try {
      add(x);
    } catch (e) {
      throw new StepFailure(step, e);
    }
  };
}

/** One level of an aggregation's tree. */
async function combineAgg(spec: AggSpec, parts: readonly unknown[]): Promise<unknown> {
  return combine(spec, await resolveAgg(spec), parts);
}

/** The last level: the aggregation's result. */
async function finishAgg(spec: AggSpec, parts: readonly unknown[]): Promise<unknown> {
  return finish(spec, await resolveAgg(spec), parts);
}

/** A user's mapPartitions function over one partition's elements. */
async function mapPartition(
  fn: ShippedFn,
  items: unknown[],
  partition: number,
): Promise<unknown[]> {
  const f = await resolveFn(fn);
  let out: unknown;
  try {
    out = await f(items);
  } catch (e) {
    throw elementError(
      new StepFailure(`mapPartitions(${fn.name})`, e),
      partition,
      0,
      " (the whole partition)",
    );
  }
  if (Array.isArray(out)) return out;
  if (out != null && typeof (out as Iterable<unknown>)[Symbol.iterator] === "function") {
    return [...(out as Iterable<unknown>)];
  }
  throw new BarnError(
    BagErrorCodes.BAD_PARTITION,
    `mapPartitions(${fn.name}) returned ${out === null ? "null" : typeof out} for partition ${partition}, not an array. Fix: return an array (or another iterable) of elements`,
  );
}

/** Bucket `j` of every map-side split, grouped by key: [key, elements][] (groupby). */
function groupPick(pieces: readonly (readonly unknown[][])[], j: number): [unknown, unknown[]][] {
  const groups = new Map<unknown, unknown[]>();
  for (const p of pieces) {
    for (const x of p[j]!) {
      const k = (x as { k: unknown }).k;
      const g = groups.get(k);
      if (g === undefined) groups.set(k, [(x as { v: unknown }).v]);
      else g.push((x as { v: unknown }).v);
    }
  }
  return [...groups];
}

/** Partitions appended into one. */
function concatParts(parts: readonly unknown[][]): unknown[] {
  return parts.flat(1);
}

/** A partition cut into `k` pieces of about equal length. */
function splitPart(items: readonly unknown[], k: number): unknown[][] {
  return Array.from({ length: k }, (_, i) =>
    items.slice(Math.floor((i * items.length) / k), Math.floor(((i + 1) * items.length) / k)),
  );
}

/** Piece `j` of a split. */
function pick(pieces: readonly unknown[][], j: number): unknown[] {
  return pieces[j]!;
}

/** Partitions of zipped bags, element by element, as tuples. */
function zipParts(parts: readonly unknown[][], partition: number): unknown[][] {
  const n = parts[0]!.length;
  if (parts.some((p) => p.length !== n)) {
    throw new BarnError(
      BagErrorCodes.LENGTH_MISMATCH,
      `zip: partition ${partition} holds ${parts.map((p) => p.length).join(" vs ")} elements. Fix: zip bags partitioned alike (made from the same source by element-wise steps), or repartition them`,
    );
  }
  return Array.from({ length: n }, (_, i) => parts.map((p) => p[i]));
}

/** Every pair of one partition of each side. */
function productPart(left: readonly unknown[], right: readonly unknown[]): unknown[][] {
  const out: unknown[][] = [];
  for (const a of left) for (const b of right) out.push([a, b]);
  return out;
}

/**
 * The running accumulation over one partition, continuing from the previous partition's last
 * value (`prev` is [] for the first partition). Returns [elements, [last]].
 */
async function accumulatePart(
  items: readonly unknown[],
  prev: readonly unknown[],
  binop: ShippedFn,
  initial: { value: unknown } | undefined,
  first: boolean,
): Promise<[unknown[], unknown[]]> {
  const f = await resolveFn(binop);
  const out: unknown[] = [];
  let has = prev.length > 0;
  let acc = prev[0];
  if (first && initial !== undefined) {
    acc = initial.value;
    has = true;
    out.push(acc);
  }
  for (const x of items) {
    acc = has ? f(acc, x) : x;
    has = true;
    out.push(acc);
  }
  return [out, has ? [acc] : []];
}

/** The first `n` elements of partitions taken in order. */
function takeFirst(parts: readonly unknown[][], n: number): unknown[] {
  return parts.flat(1).slice(0, n);
}

/** A frame partition as records (fromFrame). */
function batchRecords(batch: Batch): Record<string, unknown>[] {
  return batchToRecords(batch);
}

/** The malformed lines of a JSON-lines part (countBadLines). */
function jsonBadLines(source: SourcePart): Promise<number> {
  return source.kind === "jsonl" ? countBadJsonLines(source.part) : Promise.resolve(0);
}

/** The bag's task functions, shipped to workers by reference. */
export const bagOps = tasks(import.meta.url, {
  run,
  combineAgg,
  finishAgg,
  mapPartition,
  groupPick,
  concatParts,
  splitPart,
  pick,
  zipParts,
  productPart,
  accumulatePart,
  takeFirst,
  batchRecords,
  jsonBadLines,
});
