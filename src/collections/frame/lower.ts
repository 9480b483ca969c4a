/**
 * Lowering: an (optimised) plan becomes task graph nodes, one key per output partition. Each
 * node kind has a small function; shuffles (hash and range) are the task-based kind: every
 * input partition splits into N pieces, and output j concatenates piece j of every input.
 */

import { data, type GraphNode, type Key, ref, task } from "../../graph/spec.js";
import type { AggSpec } from "../../kernels/aggregate.js";
import { shipFunction } from "../../shipping/ship.js";
import { frameOps as ops } from "./ops.js";
import type { Plan, RowOp, SourceNode } from "./plan.js";
import type { ScanStep } from "./scan-aggregate.js";
import { readerOf } from "./sources.js";
import { lowerWindow } from "./window-exec.js";

/** The graph being built and the names given so far. */
export interface LowerContext {
  readonly graph: Map<Key, GraphNode>;
  readonly prefix: string;
  counter: number;
  /** A plan node lowered once, even when reached twice (self-joins, concat of the same frame). */
  readonly memo: Map<Plan, readonly Key[]>;
}

/** A fresh context; `prefix` makes keys unique per lowering. */
export function newContext(prefix: string): LowerContext {
  return { graph: new Map(), prefix, counter: 0, memo: new Map() };
}

function name(ctx: LowerContext, kind: string): string {
  return `${kind}-${ctx.prefix}-${(ctx.counter++).toString(36)}`;
}

function add(ctx: LowerContext, key: Key, node: GraphNode): Key {
  ctx.graph.set(key, node);
  return key;
}

/** The keys of `plan`'s partitions, adding the nodes that compute them to `ctx.graph`. */
export function lower(plan: Plan, ctx: LowerContext): readonly Key[] {
  const hit = ctx.memo.get(plan);
  if (hit !== undefined) return hit;
  const keys = lowerNode(plan, ctx);
  ctx.memo.set(plan, keys);
  return keys;
}

function rowOp(plan: Plan): RowOp {
  switch (plan.kind) {
    case "filter":
      return { op: "filter", predicate: plan.predicate };
    case "project":
      return { op: "project", columns: plan.columns };
    case "withColumns":
      return { op: "with", exprs: plan.exprs };
    case "rename":
      return { op: "rename", mapping: plan.mapping };
    default:
      throw new Error(`not a row-wise node: ${plan.kind}`);
  }
}

function lowerNode(plan: Plan, ctx: LowerContext): readonly Key[] {
  switch (plan.kind) {
    case "source":
      return lowerSource(plan, ctx);
    case "filter":
    case "project":
    case "withColumns":
    case "rename":
      return blockwise(lower(plan.input, ctx), [rowOp(plan)], ctx);
    case "blockwise":
      return blockwise(lower(plan.input, ctx), plan.ops, ctx);
    case "groupAgg":
      return lowerGroupAgg(plan, ctx);
    case "join":
      return lowerJoin(plan, ctx);
    case "sort":
      return lowerSort(plan, ctx);
    case "dropDuplicates": {
      const { subset, keep } = plan;
      const local = each(lower(plan.input, ctx), "dedupe", ctx, (k) =>
        task(ops.dedupe, ref(k), subset, keep),
      );
      if (local.length === 1) return local;
      // The shuffle keeps the rows' order (pieces are appended in partition order), so "last"
      // is still the last after it.
      return each(shuffle(local, subset, [], local.length, ctx), "dedupe", ctx, (k) =>
        task(ops.dedupe, ref(k), subset, keep),
      );
    }
    case "repartition":
      return lowerRepartition(lower(plan.input, ctx), plan.npartitions, ctx);
    case "concat":
      return plan.inputs.flatMap((p) => lower(p, ctx));
    case "mapPartitions": {
      const shipped = shipFunction(plan.fn);
      const schema = plan.input.schema;
      return each(lower(plan.input, ctx), shipped.name, ctx, (k) =>
        task(ops.applyUser, shipped, plan.arrow, schema, ref(k)),
      );
    }
    case "sample": {
      const { size, seed } = plan;
      const input = lower(plan.input, ctx);
      if ("frac" in size) {
        return input.map((k, part) =>
          add(ctx, name(ctx, "sample"), task(ops.samplePart, ref(k), size.frac, seed, part)),
        );
      }
      const parts = input.map((k, part) =>
        add(ctx, name(ctx, "sample"), task(ops.sampleCandidates, ref(k), size.n, seed, part)),
      );
      return [add(ctx, name(ctx, "sample"), task(ops.sampleTake, parts.map(ref), size.n))];
    }
    case "head": {
      const n = plan.n;
      const parts = each(lower(plan.input, ctx), "limit", ctx, (k) => task(ops.limit, ref(k), n));
      if (parts.length === 1) return parts;
      return [add(ctx, name(ctx, "head"), task(ops.limitAll, parts.map(ref), n))];
    }
    case "window":
      return lowerWindow(plan, ctx);
    default:
      return plan satisfies never;
  }
}

/** One task per input key, made by `make`. */
function each(
  inputs: readonly Key[],
  kind: string,
  ctx: LowerContext,
  make: (k: Key, i: number) => GraphNode,
): Key[] {
  const base = name(ctx, kind);
  return inputs.map((k, i) => add(ctx, `${base}-${i}`, make(k, i)));
}

function blockwise(inputs: readonly Key[], rowOps: readonly RowOp[], ctx: LowerContext): Key[] {
  return each(inputs, "blockwise", ctx, (k) => task(ops.pipeline, ref(k), rowOps));
}

function lowerSource(plan: SourceNode, ctx: LowerContext): Key[] {
  const columns = plan.columns ?? null;
  const base = name(ctx, plan.reader === "memory" ? "from-records" : `read-${plan.reader}`);
  return plan.parts.map((part, i) => {
    if (plan.reader === "memory") {
      const d = add(ctx, `${base}-data-${i}`, data(part));
      return add(ctx, `${base}-${i}`, task(ops.readMemory, ref(d), columns));
    }
    if (plan.reader === "persisted") {
      return add(ctx, `${base}-${i}`, task(ops.readMemory, ref(part as Key), columns));
    }
    return add(
      ctx,
      `${base}-${i}`,
      task(readerOf(plan.reader).read, part, columns, plan.filters ?? []),
    );
  });
}

/** Map side and reduce side of a hash shuffle of `inputs` into `n` partitions by `keys`. */
function shuffle(
  inputs: readonly Key[],
  keys: readonly string[],
  asFloat: readonly boolean[],
  n: number,
  ctx: LowerContext,
): Key[] {
  const splits = each(inputs, "hash-split", ctx, (k) =>
    task(ops.hashSplit, ref(k), keys, n, asFloat),
  );
  const base = name(ctx, "shuffle");
  const refs = splits.map(ref);
  return Array.from({ length: n }, (_, j) =>
    add(ctx, `${base}-${j}`, task(ops.pickConcat, refs, j)),
  );
}

/** Keys reduced `every` at a time until at most `every` remain. */
function treeCombine(
  level: Key[],
  aggs: readonly AggSpec[],
  every: number,
  ctx: LowerContext,
): Key[] {
  while (level.length > every) {
    const base = name(ctx, "agg-combine");
    const next: Key[] = [];
    for (let i = 0; i < level.length; i += every) {
      next.push(
        add(
          ctx,
          `${base}-${next.length}`,
          task(ops.aggCombine, level.slice(i, i + every).map(ref), aggs),
        ),
      );
    }
    level = next;
  }
  return level;
}

/** The row-wise steps a plan node is, or undefined when it is not row-wise. */
function rowOpsOf(plan: Plan): readonly RowOp[] | undefined {
  if (plan.kind === "blockwise") return plan.ops;
  if (
    plan.kind === "filter" ||
    plan.kind === "project" ||
    plan.kind === "withColumns" ||
    plan.kind === "rename"
  )
    return [rowOp(plan)];
  return undefined;
}

/**
 * A source under row-wise steps and broadcast joins (inner or left, with the right side
 * broadcast), whose reader reads and aggregates in one task: the source and the steps from it
 * up to `plan`. The joins' right sides are lowered here.
 */
function scanUnder(
  plan: Plan,
  ctx: LowerContext,
): { source: SourceNode; aggregate: Function; steps: ScanStep[] } | undefined {
  const levels: (readonly RowOp[] | (Plan & { kind: "join" }))[] = [];
  let node = plan;
  for (;;) {
    const rows = rowOpsOf(node);
    if (rows !== undefined && "input" in node) {
      levels.push(rows);
      node = node.input;
    } else if (
      node.kind === "join" &&
      node.strategy === "broadcast-right" &&
      (node.how === "inner" || node.how === "left")
    ) {
      levels.push(node);
      node = node.left;
    } else break;
  }
  if (node.kind !== "source" || node.reader === "memory" || node.reader === "persisted")
    return undefined;
  const aggregate = readerOf(node.reader).aggregate;
  if (aggregate === undefined) return undefined;
  const steps: ScanStep[] = [];
  for (const level of levels.reverse()) {
    if (Array.isArray(level)) {
      steps.push(...(level as readonly RowOp[]));
      continue;
    }
    const join = level as Plan & { kind: "join" };
    const right = lower(join.right, ctx);
    const all =
      right.length === 1
        ? right[0]!
        : add(ctx, name(ctx, "broadcast"), task(ops.concatAll, right.map(ref)));
    const { leftOn, rightOn, how, suffix } = join;
    // The graph resolves the reference to the right side's batch before the task runs.
    const step = { op: "join", right: ref(all), leftOn, rightOn, how, suffix };
    steps.push(step as unknown as ScanStep);
  }
  return { source: node, aggregate, steps };
}

function lowerGroupAgg(plan: Plan & { kind: "groupAgg" }, ctx: LowerContext): Key[] {
  const { keys, aggs, splitEvery, splitOut } = plan;
  // Row-wise steps right before the aggregation run in its task, so a trailing filter gathers
  // only the columns the aggregation reads.
  const rows = rowOpsOf(plan.input);
  const below = rows !== undefined && "input" in plan.input ? plan.input.input : plan.input;
  let partials: Key[];
  const scan = scanUnder(plan.input, ctx);
  if (scan !== undefined) {
    // The reader reads, runs the steps (row-wise steps, broadcast joins) and aggregates each
    // part in one task, so it may recycle what it read.
    const { source, aggregate, steps } = scan;
    const base = name(ctx, "agg-partial");
    partials = source.parts.map((part, i) =>
      add(
        ctx,
        `${base}-${i}`,
        task(aggregate, part, source.columns ?? null, source.filters ?? [], steps, keys, aggs),
      ),
    );
  } else if (rows !== undefined && below !== plan.input) {
    partials = each(lower(below, ctx), "agg-partial", ctx, (k) =>
      task(ops.aggPartialRows, ref(k), rows, keys, aggs),
    );
  } else {
    partials = each(lower(plan.input, ctx), "agg-partial", ctx, (k) =>
      task(ops.aggPartial, ref(k), keys, aggs),
    );
  }
  if (splitOut <= 1) {
    const top = treeCombine(partials, aggs, splitEvery, ctx);
    return [add(ctx, name(ctx, "agg-finalize"), task(ops.aggFinalize, top.map(ref), aggs))];
  }
  const splits = each(partials, "agg-split", ctx, (k) => task(ops.aggSplit, ref(k), splitOut));
  const out: Key[] = [];
  for (let j = 0; j < splitOut; j++) {
    const base = name(ctx, `agg-pick${j}`);
    const first: Key[] = [];
    for (let i = 0; i < splits.length; i += splitEvery) {
      const chunk = splits.slice(i, i + splitEvery).map(ref);
      first.push(add(ctx, `${base}-${first.length}`, task(ops.aggCombinePick, chunk, j, aggs)));
    }
    const top = treeCombine(first, aggs, splitEvery, ctx);
    out.push(add(ctx, name(ctx, "agg-finalize"), task(ops.aggFinalize, top.map(ref), aggs)));
  }
  return out;
}

function lowerJoin(plan: Plan & { kind: "join" }, ctx: LowerContext): Key[] {
  const { leftOn, rightOn, how, suffix } = plan;
  const left = lower(plan.left, ctx);
  const right = lower(plan.right, ctx);
  const joinTask = (l: Key, r: Key) => task(ops.join, ref(l), ref(r), leftOn, rightOn, how, suffix);
  if (plan.strategy === "broadcast-right") {
    const all =
      right.length === 1
        ? right[0]!
        : add(ctx, name(ctx, "broadcast"), task(ops.concatAll, right.map(ref)));
    return each(left, "join", ctx, (l) => joinTask(l, all));
  }
  if (plan.strategy === "broadcast-left") {
    const all =
      left.length === 1
        ? left[0]!
        : add(ctx, name(ctx, "broadcast"), task(ops.concatAll, left.map(ref)));
    return each(right, "join", ctx, (r) => joinTask(all, r));
  }
  const typeOf = (p: Plan, c: string) => p.schema.find((f) => f.name === c)!.type;
  const isInt = (t: string) => t !== "float64" && t !== "utf8" && t !== "dict";
  const asFloat = leftOn.map((l, k) => {
    const a = typeOf(plan.left, l);
    const b = typeOf(plan.right, rightOn[k]!);
    return a !== b && (isInt(a) || isInt(b));
  });
  const n = plan.npartitions;
  const ls = shuffle(left, leftOn, asFloat, n, ctx);
  const rs = shuffle(right, rightOn, asFloat, n, ctx);
  return ls.map((l, j) => add(ctx, `${name(ctx, "join")}-${j}`, joinTask(l, rs[j]!)));
}

function lowerSort(plan: Plan & { kind: "sort" }, ctx: LowerContext): Key[] {
  const { by, ascending, nullsFirst } = plan;
  const inputs = lower(plan.input, ctx);
  if (inputs.length === 1)
    return each(inputs, "sort", ctx, (k) => task(ops.sortPart, ref(k), by, ascending, nullsFirst));
  const n = inputs.length;
  const samples = each(inputs, "sort-sample", ctx, (k) => task(ops.sampleKeys, ref(k), by, 64));
  const bounds = add(
    ctx,
    name(ctx, "sort-bounds"),
    task(ops.boundaries, samples.map(ref), by, ascending, n, nullsFirst),
  );
  const splits = each(inputs, "range-split", ctx, (k) =>
    task(ops.rangeSplit, ref(k), ref(bounds), by, ascending, n, nullsFirst),
  );
  const base = name(ctx, "sort");
  return Array.from({ length: n }, (_, j) => {
    const joined = add(ctx, `${base}-gather-${j}`, task(ops.pickConcat, splits.map(ref), j));
    return add(ctx, `${base}-${j}`, task(ops.sortPart, ref(joined), by, ascending, nullsFirst));
  });
}

function lowerRepartition(inputs: readonly Key[], n: number, ctx: LowerContext): Key[] {
  const m = inputs.length;
  const base = name(ctx, "repartition");
  if (n <= m) {
    return Array.from({ length: n }, (_, j) => {
      const group = inputs.slice(Math.floor((j * m) / n), Math.floor(((j + 1) * m) / n));
      return add(ctx, `${base}-${j}`, task(ops.concatAll, group.map(ref)));
    });
  }
  const out: Key[] = [];
  inputs.forEach((k, i) => {
    const pieces = Math.floor(((i + 1) * n) / m) - Math.floor((i * n) / m);
    const split = add(ctx, `${base}-split-${i}`, task(ops.splitRows, ref(k), pieces));
    for (let p = 0; p < pieces; p++) {
      out.push(add(ctx, `${base}-${out.length}`, task(ops.pickConcat, [ref(split)], p)));
    }
  });
  return out;
}
