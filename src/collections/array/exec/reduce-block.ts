/**
 * One chunk's partial of a reduction (the task's fold; reduce.ts holds the passes, combines
 * and finishes it calls). A chunk reduced along its first axis can go slab by slab, with its
 * random or other inline operands generated a slab at a time into cache.
 */
import type { AnyTypedArray, DType } from "../dtype.js";
import { isFloat } from "../dtype.js";
import { type AggName, isMoment, type ReduceSpec } from "../reduce-spec.js";
import { sizeOf } from "../shape.js";
import type { MapSpec } from "./block.js";
import { type InlineChunk, isInline, materialize } from "./readers.js";
import {
  addComp,
  type ChunkPlace,
  combineSlot,
  firstPass,
  type Partial,
  partialLayout,
  reduceRows,
} from "./reduce.js";

/**
 * Rows of a slab when the chunk is reduced slab by slab along its first axis (0: in one go).
 * Two cases, both needing axis 0 reduced so that every slab's partial has the chunk's slots:
 * - the innermost axis is kept (column sums, `x.mean({ axis: 0 })`): each slot is summed
 *   plainly over at most 64 elements of a slab and slabs meet compensated, which costs far
 *   less than a compensated add per element and keeps the accuracy of 64-element blocks;
 * - var/std over rows: both passes run over a slab of about 256 KiB per operand, so the second
 *   reads from cache, and slabs merge by Chan's formula.
 */
function slabRows(
  spec: ReduceSpec,
  t: DType,
  shape: readonly number[],
  Q: readonly number[],
): number {
  const ndim = shape.length;
  if (ndim < 2 || !spec.axes.includes(0) || sizeOf(shape) === 0) return 0;
  const rowLen = sizeOf(shape) / shape[0]!;
  if (Q[ndim - 1] !== 0) {
    if (!PLAIN_IN_SLABS.has(spec.agg) || !isFloat(t)) return 0;
    const perSlot = spec.axes.reduce((acc, d) => (d === 0 ? acc : acc * shape[d]!), 1);
    return perSlot > 64 ? 0 : Math.floor(64 / perSlot);
  }
  if (!isMoment(spec.agg) || !/var|std/.test(spec.agg)) return 0;
  return Math.max(1, Math.floor(32768 / rowLen));
}

/**
 * The reductions whose slots are summed plainly within a slab; the same go by tiles when x and
 * x.T are paired (reduce-pair.ts).
 */
export const PLAIN_IN_SLABS = new Set<AggName>([
  "sum",
  "nansum",
  "mean",
  "nanmean",
  "var",
  "nanvar",
  "std",
  "nanstd",
]);

/**
 * One chunk's partial of the reduction of `map`'s values. `inputs` are chunks or inline chunks
 * (readers.ts): when the chunk goes slab by slab, an inline operand whose rows follow the
 * chunk's first axis is generated one slab at a time into a small warm buffer, so a random
 * chunk is never written out whole and read back from memory.
 */
export function reduceBlock(
  map: MapSpec,
  spec: ReduceSpec,
  inputs: readonly unknown[],
  inShapes: readonly (readonly number[])[],
  shape: readonly number[],
  place: ChunkPlace,
): Partial {
  const { Q } = partialLayout(shape, spec.axes);
  const slab = slabRows(spec, map.expr.t, shape, Q);
  const zero = inputs.map(() => 0);
  if (slab === 0 || slab >= shape[0]!) {
    const m = materialize(inputs);
    try {
      return reduceRows(map, spec, m.arrays, inShapes, zero, shape, place, 0, shape[0] ?? 1, false);
    } finally {
      m.done();
    }
  }
  const plain = Q[shape.length - 1] !== 0;
  // For each operand, its dimension that runs along the chunk's first axis (-1: none).
  const along = map.dims.map((d, k) => {
    const j = d.indexOf(0);
    return j >= 0 && inShapes[k]![j]! > 1 ? j : -1;
  });
  const bySlab = inputs.map((x, k) => isInline(x) && along[k]! >= 0);
  const fixed = materialize(inputs.map((x, k) => (bySlab[k] ? null : x)));
  let acc: AnyTypedArray[] | undefined;
  // The accumulators of the second slab on are reused (fresh ones cost more than the fold).
  let reuse: AnyTypedArray[] | undefined;
  try {
    for (let r0 = 0; r0 < shape[0]!; r0 += slab) {
      const rows = Math.min(slab, shape[0]! - r0);
      const shapes = inShapes.map((sh, k) =>
        bySlab[k] ? sh.map((n, j) => (j === along[k] ? rows : n)) : sh,
      );
      const m = materialize(
        inputs.map((x, k) =>
          bySlab[k] ? slabOf(x as InlineChunk, along[k]!, r0, rows) : fixed.arrays[k],
        ),
      );
      try {
        const first = inputs.map((_, k) => (bySlab[k] ? 0 : r0));
        const part = reduceRows(
          map,
          spec,
          m.arrays,
          shapes,
          first,
          shape,
          place,
          r0,
          rows,
          plain,
          acc === undefined
            ? undefined
            : (reuse ??= firstPass(spec.agg, map.expr.t).init(acc[0]!.length)),
        );
        if (acc === undefined) acc = [...part];
        else if (part.length === 2 || (part.length === 3 && !/var|std/.test(spec.agg)))
          mergeSums(acc, part);
        else for (let i = 0; i < acc[0]!.length; i++) combineSlot(spec.agg, acc, part, i);
      } finally {
        m.done();
      }
    }
  } finally {
    fixed.done();
  }
  return acc!;
}

/** Compensated sums (and counts, when there are three arrays) of `part` added into `acc`. */
function mergeSums(acc: AnyTypedArray[], part: Partial): void {
  const a = acc[0] as Float64Array;
  const c = acc[1] as Float64Array;
  const pa = part[0] as Float64Array;
  const pc = part[1] as Float64Array;
  for (let i = 0; i < a.length; i++) addComp(a, c, i, pa[i]!, pc[i]!);
  if (acc.length === 3) {
    const m = acc[2] as Float64Array;
    const pm = part[2] as Float64Array;
    for (let i = 0; i < m.length; i++) m[i] = m[i]! + pm[i]!;
  }
}

/** Rows [r0, r0 + rows) along dimension `j` of an inline chunk, as an inline chunk. */
function slabOf(x: InlineChunk, j: number, r0: number, rows: number): InlineChunk {
  const info = x.info;
  return {
    inline: x.inline,
    info: {
      ...info,
      shape: info.shape.map((n, d) => (d === j ? rows : n)),
      start: info.start.map((s, d) => (d === j ? s + r0 : s)),
    },
  };
}
