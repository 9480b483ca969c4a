/**
 * Lowering a bag's plan to a task graph. Element-wise steps are never tasks of their own: a
 * partition stays "pending" (a source and the steps over it) until something needs its
 * elements as an array, and then one `run` task reads, runs the steps and fills the sink. So
 * `readJsonLines -> filter -> pluck -> frequencies` is one task per file block (read, parse,
 * filter, pluck and count) and a small tree of combines.
 */
import { data, type GraphNode, ref, task } from "../../graph/spec.js";
import { bagOps } from "./ops.js";
import type { AggSpec, BagPlan, SourcePart, Step } from "./plan.js";
import type { SinkSpec } from "./sinks.js";

/** The graph under construction. */
export interface LowerContext {
  readonly graph: Map<string, GraphNode>;
  readonly prefix: string;
  count: number;
}

export function newContext(prefix: string): LowerContext {
  return { graph: new Map(), prefix, count: 0 };
}

/** A partition not yet made into a task: its source and the fused steps over it. */
export interface Pending {
  readonly source: SourcePart;
  readonly steps: readonly Step[];
}

function add(ctx: LowerContext, name: string, node: GraphNode): string {
  const key = `bag-${name}-${ctx.prefix}-${(ctx.count++).toString(36)}`;
  ctx.graph.set(key, node);
  return key;
}

/** The partitions of `plan`, left pending where they are a source plus element-wise steps. */
export function lowerPending(plan: BagPlan, ctx: LowerContext): Pending[] {
  switch (plan.kind) {
    case "source":
      return plan.parts.map((source) => ({ source, steps: [] }));
    case "steps": {
      const steps = plan.steps.map((s) => shareJoinList(s, ctx));
      return lowerPending(plan.input, ctx).map((p) => ({
        source: p.source,
        steps: [...p.steps, ...steps],
      }));
    }
    default:
      return lowerKeys(plan, ctx).map((k) => ({
        source: { kind: "items", items: ref(k) },
        steps: [],
      }));
  }
}

/** A join's list as one data node every partition's task refers to, not a copy in each. */
function shareJoinList(step: Step, ctx: LowerContext): Step {
  if (step.op !== "join") return step;
  const key = add(ctx, "join-list", data(step.other));
  return { ...step, other: ref(key) as unknown as readonly unknown[] };
}

/** One task per pending partition that runs it into `sink`. */
export function sinkTasks(
  pending: readonly Pending[],
  sink: (i: number) => SinkSpec,
  name: string,
  ctx: LowerContext,
  offset = 0,
): string[] {
  return pending.map((p, i) =>
    add(ctx, name, task(bagOps.run, p.source, p.steps, sink(i + offset), i + offset)),
  );
}

/** The key of one partition's elements as an array, making a task only where one is needed. */
function materialize(pending: readonly Pending[], ctx: LowerContext): string[] {
  return pending.map((p, i) => {
    if (p.steps.length === 0 && p.source.kind === "items") {
      const items = p.source.items as { key?: unknown };
      if (typeof items?.key === "string" && ctx.graph.has(items.key)) return items.key;
    }
    return add(ctx, "part", task(bagOps.run, p.source, p.steps, { kind: "collect" }, i));
  });
}

/** One key per partition of `plan`, each holding that partition's elements as an array. */
export function lowerKeys(plan: BagPlan, ctx: LowerContext): string[] {
  switch (plan.kind) {
    case "source":
    case "steps":
      return materialize(lowerPending(plan, ctx), ctx);
    case "persisted":
      return [...plan.keys];
    case "graph":
      for (const [k, node] of plan.graph) ctx.graph.set(k, node as GraphNode);
      if (plan.as === "items") return [...plan.keys];
      return plan.keys.map((k) => add(ctx, "from-frame", task(bagOps.batchRecords, ref(k))));
    case "mapPartitions":
      return lowerKeys(plan.input, ctx).map((k, i) =>
        add(ctx, plan.fn.name, task(bagOps.mapPartition, plan.fn, ref(k), i)),
      );
    case "aggregate":
      return [lowerAggregate(lowerPending(plan.input, ctx), plan.spec, plan.splitEvery, ctx)];
    case "groupby":
      return lowerGroupby(plan, ctx);
    case "repartition":
      return lowerRepartition(lowerKeys(plan.input, ctx), plan.npartitions, ctx);
    case "zip": {
      const inputs = plan.inputs.map((p) => lowerKeys(p, ctx));
      return inputs[0]!.map((_, i) =>
        add(
          ctx,
          "zip",
          task(
            bagOps.zipParts,
            inputs.map((keys) => ref(keys[i]!)),
            i,
          ),
        ),
      );
    }
    case "product": {
      const left = lowerKeys(plan.left, ctx);
      const right = lowerKeys(plan.right, ctx);
      return left.flatMap((l) =>
        right.map((r) => add(ctx, "product", task(bagOps.productPart, ref(l), ref(r)))),
      );
    }
    case "accumulate":
      return lowerAccumulate(plan, ctx);
    case "concat":
      return plan.inputs.flatMap((p) => lowerKeys(p, ctx));
    default:
      return plan satisfies never;
  }
}

/** Partials per partition (with the steps fused in), then a tree of combines, `splitEvery` wide. */
export function lowerAggregate(
  pending: readonly Pending[],
  spec: AggSpec,
  splitEvery: number,
  ctx: LowerContext,
): string {
  let level = sinkTasks(pending, () => ({ kind: "agg", spec }), spec.agg, ctx);
  while (level.length > splitEvery) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += splitEvery) {
      const group = level.slice(i, i + splitEvery).map(ref);
      next.push(add(ctx, `${spec.agg}-combine`, task(bagOps.combineAgg, spec, group)));
    }
    level = next;
  }
  return add(ctx, `${spec.agg}-finish`, task(bagOps.finishAgg, spec, level.map(ref)));
}

function lowerGroupby(plan: BagPlan & { kind: "groupby" }, ctx: LowerContext): string[] {
  const n = plan.npartitions;
  const split = sinkTasks(
    lowerPending(plan.input, ctx),
    () => ({ kind: "split", key: plan.key, n }),
    "groupby-split",
    ctx,
  );
  return Array.from({ length: n }, (_, j) =>
    add(ctx, "groupby", task(bagOps.groupPick, split.map(ref), j)),
  );
}

/** Fewer partitions: neighbours appended. More: each input cut into about equal pieces. */
function lowerRepartition(keys: readonly string[], n: number, ctx: LowerContext): string[] {
  const m = keys.length;
  if (n === m) return [...keys];
  if (n < m) {
    return Array.from({ length: n }, (_, j) => {
      const group = keys.slice(Math.floor((j * m) / n), Math.floor(((j + 1) * m) / n));
      return add(ctx, "repartition", task(bagOps.concatParts, group.map(ref)));
    });
  }
  return keys.flatMap((k, i) => {
    const pieces = Math.floor(((i + 1) * n) / m) - Math.floor((i * n) / m);
    const split = add(ctx, "repartition-split", task(bagOps.splitPart, ref(k), pieces));
    return Array.from({ length: pieces }, (_, j) =>
      add(ctx, "repartition", task(bagOps.pick, ref(split), j)),
    );
  });
}

/** Partition i continues from partition i - 1's last value: a chain, as the operation is. */
function lowerAccumulate(plan: BagPlan & { kind: "accumulate" }, ctx: LowerContext): string[] {
  const keys = lowerKeys(plan.input, ctx);
  let prev: string | undefined;
  return keys.map((k, i) => {
    const both = add(
      ctx,
      "accumulate",
      task(
        bagOps.accumulatePart,
        ref(k),
        prev === undefined ? [] : ref(prev),
        plan.binop,
        plan.initial,
        i === 0,
      ),
    );
    prev = add(ctx, "accumulate-last", task(bagOps.pick, ref(both), 1));
    return add(ctx, "accumulate-part", task(bagOps.pick, ref(both), 0));
  });
}
