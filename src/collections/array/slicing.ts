/**
 * Indexing: slices with Python's rules (negative indices, negative steps, clamping), integer
 * indices (the dimension is dropped), integer arrays and boolean masks along one axis. A
 * slice's grid follows the input's: each output chunk is what one input chunk contributes, so
 * every output chunk reads exactly one input chunk.
 */
import { BarnError, OptionError } from "../../errors.js";
import { offsets, regular } from "./chunks.js";
import { ArrayErrorCodes } from "./errors.js";
import type { ArrayPlan, DimSlice } from "./plan.js";
import { fmt, normAxis } from "./shape.js";
import { MapBuilder } from "./view.js";

/** One dimension's index: an integer, a slice ("1:10:2", "::-1", ":", or an object), or null (all). */
export type IndexItem =
  | number
  | string
  | null
  | {
      readonly start?: number | null;
      readonly stop?: number | null;
      readonly step?: number | null;
    };

function parseSlice(s: string): { start: number | null; stop: number | null; step: number | null } {
  const parts = s.split(":");
  if (parts.length < 2 || parts.length > 3)
    throw new OptionError(
      `slice: ${JSON.stringify(s)} is not a slice like "1:10", "::2" or "::-1"`,
    );
  const num = (x: string | undefined) => {
    if (x === undefined || x.trim() === "") return null;
    const n = Number(x);
    if (!Number.isInteger(n))
      throw new OptionError(`slice: ${JSON.stringify(s)}: ${JSON.stringify(x)} is not an integer`);
    return n;
  };
  return { start: num(parts[0]), stop: num(parts[1]), step: num(parts[2]) };
}

/** Python's slice.indices(n): start, step and length. */
export function normSlice(
  start: number | null,
  stop: number | null,
  step: number | null,
  n: number,
): DimSlice {
  const st = step ?? 1;
  if (st === 0 || !Number.isInteger(st))
    throw new BarnError(
      ArrayErrorCodes.INDEX,
      `slice: step must be a non-zero integer, got ${String(step)}`,
    );
  let a: number;
  let b: number;
  if (st > 0) {
    a = start === null ? 0 : start < 0 ? Math.max(0, start + n) : Math.min(start, n);
    b = stop === null ? n : stop < 0 ? Math.max(0, stop + n) : Math.min(stop, n);
  } else {
    a = start === null ? n - 1 : start < 0 ? Math.max(-1, start + n) : Math.min(start, n - 1);
    b = stop === null ? -1 : stop < 0 ? Math.max(-1, stop + n) : Math.min(stop, n - 1);
  }
  const length = Math.max(0, Math.ceil((b - a) / st));
  return { start: length === 0 ? 0 : a, step: st, length };
}

/** The output grid along a dimension: what each input chunk contributes, in output order. */
export function sliceChunks(lens: readonly number[], s: DimSlice): number[] {
  if (s.length === 0) return [0];
  const off = offsets(lens);
  const out: number[] = [];
  const order = s.step > 0 ? lens.map((_, c) => c) : lens.map((_, c) => lens.length - 1 - c);
  for (const c of order) {
    const a = off[c]!;
    const b = off[c + 1]!;
    let i0: number;
    let i1: number;
    if (s.step > 0) {
      i0 = Math.ceil((a - s.start) / s.step);
      i1 = Math.ceil((b - s.start) / s.step);
    } else {
      i0 = Math.floor((s.start - b) / -s.step) + 1;
      i1 = Math.floor((s.start - a) / -s.step) + 1;
    }
    const cnt = Math.min(s.length, i1) - Math.max(0, i0);
    if (cnt > 0) out.push(cnt);
  }
  return out;
}

/** x[items...]: missing trailing items take whole dimensions. */
export function slicePlan(plan: ArrayPlan, items: readonly IndexItem[]): ArrayPlan {
  const nd = plan.shape.length;
  if (items.length > nd) {
    throw new BarnError(
      ArrayErrorCodes.INDEX,
      `slice: ${items.length} indices for an array of shape ${fmt(plan.shape)}`,
    );
  }
  const slices: DimSlice[] = [];
  const drop: number[] = [];
  plan.shape.forEach((n, d) => {
    const it = items[d];
    if (typeof it === "number") {
      if (!Number.isInteger(it) || it < -n || it >= n) {
        throw new BarnError(
          ArrayErrorCodes.INDEX,
          `slice: index ${it} is out of range for dimension ${d} of shape ${fmt(plan.shape)}`,
        );
      }
      slices.push({ start: it < 0 ? it + n : it, step: 1, length: 1 });
      drop.push(d);
    } else if (it === undefined || it === null) slices.push({ start: 0, step: 1, length: n });
    else {
      const o = typeof it === "string" ? parseSlice(it) : it;
      slices.push(normSlice(o.start ?? null, o.stop ?? null, o.step ?? null, n));
    }
  });
  const whole = slices.every((s, d) => s.start === 0 && s.step === 1 && s.length === plan.shape[d]);
  const sliced: ArrayPlan = whole
    ? plan
    : {
        kind: "slice",
        input: plan,
        slices,
        shape: slices.map((s) => s.length),
        chunks: slices.map((s, d) => sliceChunks(plan.chunks[d]!, s)),
        dtype: plan.dtype,
      };
  return drop.length === 0 ? sliced : dropDims(sliced, drop);
}

/** The array without the given length-1 dimensions (a view: one map task per chunk). */
export function dropDims(plan: ArrayPlan, drop: readonly number[]): ArrayPlan {
  const keep = plan.shape.map((_, d) => d).filter((d) => !drop.includes(d));
  const dims = plan.shape.map((_, d) => (drop.includes(d) ? -1 : keep.indexOf(d)));
  const b = new MapBuilder();
  const leaf = b.leaf(plan, dims);
  return b.build(
    leaf,
    keep.map((d) => plan.shape[d]!),
    keep.map((d) => plan.chunks[d]!),
  );
}

/** Elements `index` along `axis` (negative indices count from the end). */
export function takePlan(plan: ArrayPlan, index: readonly number[], axisArg: number): ArrayPlan {
  const axis = normAxis("take", axisArg, plan.shape.length);
  const n = plan.shape[axis]!;
  const idx = index.map((i) => {
    if (!Number.isInteger(i) || i < -n || i >= n) {
      throw new BarnError(
        ArrayErrorCodes.INDEX,
        `take: index ${i} is out of range for axis ${axis} of shape ${fmt(plan.shape)}`,
      );
    }
    return i < 0 ? i + n : i;
  });
  const per = Math.max(1, plan.chunks[axis]![0] ?? 1);
  const chunks = plan.chunks.map((c, d) => (d === axis ? regular(idx.length, per) : [...c]));
  const shape = plan.shape.map((s, d) => (d === axis ? idx.length : s));
  return { kind: "take", input: plan, axis, index: idx, shape, chunks, dtype: plan.dtype };
}

/** Elements where `mask` is true along `axis` (a mask in memory, as long as the axis). */
export function compressPlan(
  plan: ArrayPlan,
  mask: ArrayLike<unknown>,
  axisArg: number,
): ArrayPlan {
  const axis = normAxis("compress", axisArg, plan.shape.length);
  if (mask.length !== plan.shape[axis]) {
    throw new BarnError(
      ArrayErrorCodes.INDEX,
      `compress: a mask of ${mask.length} for axis ${axis} of shape ${fmt(plan.shape)}; it must be as long as the axis`,
    );
  }
  const index: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) index.push(i);
  return takePlan(plan, index, axis);
}
