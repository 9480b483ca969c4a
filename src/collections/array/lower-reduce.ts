/**
 * Lowering a reduction: one partial task per chunk of its input (a map's expression folded into
 * it), grouped by output chunk and combined `splitEvery` at a time. When the expression reads
 * one square-gridded X as X and X.T, blocks (i, j) and (j, i) share one partial task
 * (exec/reduce-pair.ts) and combine tasks pick their half of it.
 */
import { data, ref, task } from "../../graph/spec.js";
import { chunkIndices, chunkShape, sameChunks } from "./chunks.js";
import type { MapSpec } from "./exec/block.js";
import { pairable } from "./exec/reduce-pair.js";
import type { Expr } from "./expr.js";
import { add, asMap, chunkRef, infoOf, type LowerContext, operandInputs } from "./lower.js";
import { arrayOps } from "./ops.js";
import type { ArrayPlan, Operand } from "./plan.js";
import { isMoment } from "./reduce-spec.js";

let pairing = true;

/** Turns the pairing of blocks (i, j) and (j, i) off or on (tests and benches compare both). */
export function usePairing(on: boolean): void {
  pairing = on;
}

/**
 * The array X when a reduction's expression reads one 2-d X both as X and as X.T and nothing
 * else, over a square grid whose two dimensions are cut alike, and the reduction goes by tiles
 * (exec/reduce-pair.ts): then blocks (i, j) and (j, i) read the same two chunks of X and are
 * made by one task.
 */
function pairedSource(
  plan: ArrayPlan & { kind: "reduce" },
  operands: readonly Operand[],
  expr: Expr,
): ArrayPlan | undefined {
  if (!pairing || plan.input.shape.length !== 2 || !pairable(plan.spec, expr.t)) return undefined;
  const x = operands[0]?.plan;
  if (x === undefined || x.shape.length !== 2 || x.shape[0] !== x.shape[1]) return undefined;
  const [rows, cols] = x.chunks as [readonly number[], readonly number[]];
  if (rows.length !== cols.length || rows.some((n, i) => n === 0 || n !== cols[i]))
    return undefined;
  if (!sameChunks(plan.input.chunks, x.chunks)) return undefined;
  let straight = false;
  let swapped = false;
  for (const op of operands) {
    if (op.plan !== x) return undefined;
    const d = op.dims.join(",");
    if (d === "0,1") straight = true;
    else if (d === "1,0") swapped = true;
    else return undefined;
  }
  return straight && swapped ? x : undefined;
}

/** A partial of one output group: a partial task's key, or a pair task's key and which half. */
interface PartRef {
  readonly key: string;
  readonly pick: number;
}

/** A combine or finish task's inputs: refs, plus which half of each when some are pairs. */
function partArgs(parts: readonly PartRef[]): unknown[] {
  const refs = parts.map((p) => ref(p.key));
  return parts.some((p) => p.pick >= 0) ? [refs, parts.map((p) => p.pick)] : [refs];
}

/**
 * Block idx's part when blocks pair up: a diagonal block's own task, or its half (`pick`) of the
 * task shared with its mirror block, made once (`pairs`: the key of each pair's task by "lo,hi").
 */
function pairPart(
  plan: ArrayPlan & { kind: "reduce" },
  x: ArrayPlan,
  shared: string,
  idx: readonly number[],
  pairs: Map<string, string>,
  ctx: LowerContext,
): PartRef {
  const [i, j] = idx as [number, number];
  const lo = Math.min(i, j);
  const hi = Math.max(i, j);
  const name = `${lo},${hi}`;
  let key = pairs.get(name);
  if (key === undefined) {
    const blocks =
      i === j
        ? [[i, i]]
        : [
            [lo, hi],
            [hi, lo],
          ];
    key = add(
      ctx,
      i === j ? `${plan.spec.agg}-partial` : `${plan.spec.agg}-partial-pair`,
      task(
        arrayOps.pairPartial,
        ref(shared),
        plan.spec,
        blocks.map((c) => chunkRef(x, c, ctx)),
        [...chunkShape(x.chunks, [lo, hi])],
      ),
    );
    pairs.set(name, key);
  }
  return { key, pick: i <= j ? 0 : 1 };
}

export function lowerReduce(plan: ArrayPlan & { kind: "reduce" }, ctx: LowerContext): string[] {
  const input = plan.input;
  const m = asMap(input);
  const expr: Expr =
    isMoment(plan.spec.agg) && m.expr.t === "int64"
      ? { e: "un", op: "cast", x: m.expr, t: "float64" }
      : m.expr;
  const spec: MapSpec = { expr, dims: m.operands.map((o) => o.dims) };
  const shared = add(ctx, "reduce-spec", data(spec));
  const axes = plan.spec.axes;
  const x = pairedSource(plan, m.operands, expr);
  const pairs = new Map<string, string>();
  /** Block idx's partial: its own task, or its half of the task shared with its mirror block. */
  const partOf = (idx: readonly number[]): PartRef => {
    if (x !== undefined) return pairPart(plan, x, shared, idx, pairs, ctx);
    const { refs, shapes } = operandInputs(m.operands, idx, ctx);
    const info = infoOf(input, idx);
    const key = add(
      ctx,
      `${plan.spec.agg}-partial`,
      task(arrayOps.partial, ref(shared), plan.spec, refs, shapes, info.shape, {
        start: info.start,
        arrayShape: input.shape,
      }),
    );
    return { key, pick: -1 };
  };
  // Partials grouped by the output chunk they belong to.
  const groups = new Map<string, PartRef[]>();
  for (const idx of chunkIndices(input.chunks)) {
    const part = partOf(idx);
    const out = idx.map((i, d) => (axes.includes(d) ? 0 : i)).join(",");
    const g = groups.get(out);
    if (g === undefined) groups.set(out, [part]);
    else g.push(part);
  }
  const outKeys: string[] = [];
  for (const level0 of groups.values()) {
    let level = level0;
    while (level.length > plan.splitEvery) {
      const next: PartRef[] = [];
      for (let i = 0; i < level.length; i += plan.splitEvery) {
        const args = partArgs(level.slice(i, i + plan.splitEvery));
        next.push({
          key: add(
            ctx,
            `${plan.spec.agg}-combine`,
            task(arrayOps.combinePartials, plan.spec, ...args),
          ),
          pick: -1,
        });
      }
      level = next;
    }
    outKeys.push(
      add(ctx, plan.spec.agg, task(arrayOps.finishReduce, plan.spec, ...partArgs(level))),
    );
  }
  return outKeys;
}
