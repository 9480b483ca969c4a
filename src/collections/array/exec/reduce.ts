/**
 * Reductions on the worker. Each chunk folds into a partial (plain typed arrays shaped like the
 * chunk with the reduced axes at length 1), partials combine in a tree, and `finish` gives the
 * result. Float sums are compensated (Neumaier's variant of Kahan's), so summing 4e8 values
 * loses no more than a few ulps; integer sums accumulate exactly in int64 as NumPy's do;
 * var/std are two passes per chunk (mean, then squared deviations) combined by Chan's formula.
 * argmin/argmax keep the smallest position among ties, so the loop order does not matter.
 */
import { BarnError, ErrorCodes } from "../../../errors.js";
import { type AnyTypedArray, alloc, type DType, isFloat } from "../dtype.js";
import { type AggName, aggDType, isMoment, type ReduceSpec } from "../reduce-spec.js";
import { sizeOf, stridesOf } from "../shape.js";
import { allocShared, exprCode, type MapSpec, needsTiles, operandStrides } from "./block.js";
import { kernel, LANES, type RowFold } from "./loops.js";

/** A partial: the agg's accumulators, each of the partial's size. */
export type Partial = readonly AnyTypedArray[];

const NEUMAIER =
  "const s = a[p]; const t = s + v; c[p] += (s >= 0 ? s : -s) >= (v >= 0 ? v : -v) ? (s - t) + v : (v - t) + s; a[p] = t;";

interface Plan {
  readonly init: (n: number) => AnyTypedArray[];
  readonly setup: string;
  readonly body: string;
  /** The same fold with the innermost run summed in a local first (when that axis is reduced). */
  readonly row?: RowFold;
  /** Counts are not kept per element: every slot counts the chunk's reduced elements. */
  readonly countAfter?: boolean;
}

const FLUSH = NEUMAIER.replace(/\bv\b/g, "r");

/**
 * A compensated sum whose innermost runs are summed plainly in blocks of 64 first (NumPy's
 * blocked pairwise idea), in LANES (4) accumulators that take turns, so the adds do not wait
 * on each other: a block's sum stays in registers, and only blocks meet the compensated slot,
 * so accuracy stays within a few ulps of the blocks' own rounding.
 */
function rowSum(guard: string): RowFold {
  return {
    init: "let r0 = 0, r1 = 0, r2 = 0, r3 = 0; let k = 0;",
    body: `${guard}r# += v;`,
    turn: `if (++k === ${64 / LANES}) { const r = (r0 + r1) + (r2 + r3); ${FLUSH} r0 = 0; r1 = 0; r2 = 0; r3 = 0; k = 0; }`,
    flush: `{ const r = (r0 + r1) + (r2 + r3); ${FLUSH} }`,
  };
}

function fill(a: AnyTypedArray, v: number | bigint): AnyTypedArray {
  (a as { fill(x: unknown): unknown }).fill(v);
  return a;
}

const F64 = (n: number) => alloc("float64", n);
const I64 = (n: number) => alloc("int64", n);

/** What the first pass keeps and does per element, by agg and the value's dtype. */
export function firstPass(agg: AggName, t: DType): Plan {
  const big = t === "int64";
  const float = isFloat(t);
  const nan = agg.startsWith("nan") && float ? "if (v === v) " : "";
  switch (agg) {
    case "sum":
    case "nansum":
      // Integers below int64 take the compensated float path too: a float64 running sum of
      // integers rounds past 2^53, but Neumaier's two accumulators hold the sum exactly (the
      // error of each addition is an exact integer), and finishFirst adds them as bigints.
      if (!big)
        return {
          init: (n) => [F64(n), F64(n)],
          setup: "const a = A[0], c = A[1];",
          body: `${nan}{ ${NEUMAIER} }`,
          row: rowSum(nan),
        };
      return { init: (n) => [I64(n)], setup: "const a = A[0];", body: "a[p] += v;" };
    case "prod":
    case "nanprod":
      if (float)
        return {
          init: (n) => [fill(F64(n), 1)],
          setup: "const a = A[0];",
          body: `${nan}a[p] *= v;`,
        };
      return {
        init: (n) => [fill(I64(n), 1n)],
        setup: "const a = A[0];",
        body: big ? "a[p] *= v;" : "a[p] *= BigInt(v);",
      };
    case "min":
    case "max": {
      const lt = agg === "min" ? "<" : ">";
      if (big)
        return {
          init: (n) => [fill(I64(n), agg === "min" ? 2n ** 63n - 1n : -(2n ** 63n))],
          setup: "const a = A[0];",
          body: `if (v ${lt} a[p]) a[p] = v;`,
        };
      return {
        init: (n) => [fill(F64(n), agg === "min" ? Infinity : -Infinity)],
        setup: "const a = A[0];",
        body: `if (v ${lt} a[p] || v !== v) a[p] = v;`,
      };
    }
    case "nanmin":
    case "nanmax": {
      const lt = agg === "nanmin" ? "<" : ">";
      if (big) return firstPass(agg === "nanmin" ? "min" : "max", t);
      return {
        init: (n) => [fill(F64(n), Number.NaN)],
        setup: "const a = A[0];",
        body: `{ const cur = a[p]; if (v ${lt} cur || (cur !== cur && v === v)) a[p] = v; }`,
      };
    }
    case "mean":
    case "nanmean":
    case "var":
    case "nanvar":
    case "std":
    case "nanstd": {
      const init = (n: number) => [F64(n), F64(n), F64(n)];
      const setup = "const a = A[0], c = A[1], m = A[2];";
      if (agg.startsWith("nan"))
        return { init, setup, body: `if (v === v) { ${NEUMAIER} m[p] += 1; }` };
      // Every slot counts the same number of elements: set once after the loop.
      return { init, setup, body: `{ ${NEUMAIER} }`, row: rowSum(""), countAfter: true };
    }
    case "nanargmin":
    case "nanargmax": {
      // NaN skipped: a slot that sees only NaN keeps position -1 (finish refuses it).
      if (!float) return firstPass(agg === "nanargmin" ? "argmin" : "argmax", t);
      const lt = agg === "nanargmin" ? "<" : ">";
      return {
        init: (n) => [F64(n), fill(F64(n), -1)],
        setup: "const a = A[0], b = A[1];",
        body: `if (v === v) { const cur = a[p]; if (b[p] < 0 || v ${lt} cur || (v === cur && pos < b[p])) { a[p] = v; b[p] = pos; } }`,
      };
    }
    case "argmin":
    case "argmax": {
      const lt = agg === "argmin" ? "<" : ">";
      const nanFirst = float ? " || (v !== v && (cur === cur || pos < b[p]))" : "";
      const val = big ? I64 : F64;
      return {
        init: (n) => [val(n), fill(F64(n), -1)],
        setup: "const a = A[0], b = A[1];",
        body: `{ const cur = a[p]; if (b[p] < 0 || v ${lt} cur || (v === cur && pos < b[p])${nanFirst}) { a[p] = v; b[p] = pos; } }`,
      };
    }
    case "any":
      return {
        init: (n) => [alloc("bool", n)],
        setup: "const a = A[0];",
        body: "if (v != 0) a[p] = 1;",
      };
    case "all":
      return {
        init: (n) => [fill(alloc("bool", n), 1)],
        setup: "const a = A[0];",
        body: "if (v == 0) a[p] = 0;",
      };
    default:
      return agg satisfies never;
  }
}

/** Where a chunk sits: its start in the whole array and the whole array's shape. */
export interface ChunkPlace {
  readonly start: readonly number[];
  readonly arrayShape: readonly number[];
}

/** Strides of the partial (0 along reduced axes) and its shape. */
export function partialLayout(
  shape: readonly number[],
  axes: readonly number[],
): { pshape: number[]; Q: number[] } {
  const pshape = shape.map((n, d) => (axes.includes(d) ? 1 : n));
  const st = stridesOf(pshape);
  return { pshape, Q: st.map((s, d) => (axes.includes(d) ? 0 : s)) };
}

/** argmin/argmax's position: along the one reduced axis, or the flat index over all axes. */
function positions(spec: ReduceSpec, place: ChunkPlace): { G: number[]; G0: number } {
  const nd = place.arrayShape.length;
  const all = spec.axes.length === nd;
  const gst = stridesOf(place.arrayShape);
  const G = place.start.map((_, d) => (all ? gst[d]! : spec.axes.includes(d) ? 1 : 0));
  const G0 = place.start.reduce((acc, s, d) => acc + s * G[d]!, 0);
  return { G, G0 };
}

/**
 * The partial of rows [r0, r0 + rows) along the chunk's first axis (all of it for a 0-d
 * chunk). Operand k's data for those rows starts at its row `firstRow[k]` along that axis (r0
 * for a whole chunk, 0 for one made a slab at a time). `plain`: sum each slot without
 * compensation (the caller keeps slabs short). `into`: zero-filled float64 accumulators to
 * reuse (sum, mean and var families only, whose first pass starts from zeros).
 */
export function reduceRows(
  map: MapSpec,
  spec: ReduceSpec,
  inputs: readonly AnyTypedArray[],
  inShapes: readonly (readonly number[])[],
  firstRow: readonly number[],
  chunkShape: readonly number[],
  place: ChunkPlace,
  r0: number,
  rows: number,
  plain: boolean,
  into?: AnyTypedArray[],
): Partial {
  const ndim = chunkShape.length;
  const shape = ndim === 0 ? chunkShape : [rows, ...chunkShape.slice(1)];
  const { pshape, Q } = partialLayout(shape, spec.axes);
  const n = sizeOf(pshape);
  const t = map.expr.t;
  const first = firstPass(spec.agg, t);
  let acc: AnyTypedArray[];
  if (into === undefined) acc = first.init(n);
  else {
    for (const x of into) (x as Float64Array).fill(0);
    acc = into;
  }
  if (sizeOf(shape) === 0) return finishFirst(spec.agg, acc, t);
  const S = operandStrides(map.dims, inShapes, ndim);
  const B = inputs.map((_, k) => (ndim === 0 ? 0 : firstRow[k]! * S[k * ndim]!));
  const code = exprCode(map.expr);
  const tiled = needsTiles(S, inputs.length, ndim);
  const pos = positions(spec, place);
  const G = pos.G;
  const G0 = pos.G0 + (ndim === 0 ? 0 : r0 * G[0]!);
  const rowMode = ndim > 0 && Q[ndim - 1] === 0 && shape[ndim - 1]! > 1 ? first.row : undefined;
  kernel(
    inputs.length,
    ndim,
    code.consts.length,
    code.src,
    first.setup,
    plain ? first.body.replace(NEUMAIER, "a[p] += v;") : first.body,
    tiled,
    rowMode,
  )(inputs, S, shape, Q, code.consts, acc, G, G0, B, 0);
  if (first.countAfter === true) (acc[2] as Float64Array).fill(sizeOf(shape) / n);
  if (spec.agg === "var" || spec.agg === "std" || spec.agg === "nanvar" || spec.agg === "nanstd") {
    const mean = F64(n);
    for (let i = 0; i < n; i++)
      mean[i] =
        (acc[0]![i]! as number) / (acc[2]![i]! as number) +
        (acc[1]![i]! as number) / (acc[2]![i]! as number);
    const m2 = F64(n);
    const guard = spec.agg.startsWith("nan") ? "if (v === v) " : "";
    kernel(
      inputs.length,
      ndim,
      code.consts.length,
      code.src,
      "const mu = A[0], s2 = A[1];",
      `${guard}{ const d = v - mu[p]; s2[p] += d * d; }`,
      tiled,
      rowMode === undefined
        ? undefined
        : {
            init: "let r0 = 0, r1 = 0, r2 = 0, r3 = 0; const mp = mu[p];",
            body: `${guard}{ const d = v - mp; r# += d * d; }`,
            flush: "s2[p] += (r0 + r1) + (r2 + r3);",
          },
    )(inputs, S, shape, Q, code.consts, [mean, m2], G, G0, B, 0);
    return [acc[2]!, mean, m2];
  }
  return finishFirst(spec.agg, acc, t);
}

/**
 * Integer sums (a float sum and its exact compensation) become int64: the two added as
 * bigints, wrapped to 64 bits as NumPy's int64 accumulator wraps.
 */
function finishFirst(agg: AggName, acc: AnyTypedArray[], t: DType): Partial {
  if ((agg === "sum" || agg === "nansum") && !isFloat(t) && acc[0] instanceof Float64Array) {
    const a = acc[0];
    const c = acc[1] as Float64Array;
    const out = I64(a.length);
    for (let i = 0; i < out.length; i++) out[i] = BigInt.asIntN(64, BigInt(a[i]!) + BigInt(c[i]!));
    return [out];
  }
  if (isMoment(agg) && !(agg.includes("var") || agg.includes("std"))) return acc;
  if (agg.includes("var") || agg.includes("std")) {
    // An empty chunk: count 0, mean 0, m2 0.
    return [acc[2]!, F64(acc[2]!.length), F64(acc[2]!.length)];
  }
  return acc;
}

/** Two-sum of floats, for combining compensated partial sums. */
export function addComp(a: Float64Array, c: Float64Array, i: number, v: number, vc: number): void {
  const s = a[i]!;
  const t = s + v;
  c[i] = c[i]! + vc + (Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s);
  a[i] = t;
}

function isNaNv(x: number | bigint): boolean {
  return typeof x === "number" && Number.isNaN(x);
}

/** Partials of the same slots combined into one. */
export function combine(spec: ReduceSpec, parts: readonly Partial[]): Partial {
  const agg = spec.agg;
  const out = parts[0]!.map((a) => a.slice()) as AnyTypedArray[];
  const n = out[0]!.length;
  for (let k = 1; k < parts.length; k++) {
    const q = parts[k]!;
    for (let i = 0; i < n; i++) combineSlot(agg, out, q, i);
  }
  return out;
}

export function combineSlot(agg: AggName, o: AnyTypedArray[], q: Partial, i: number): void {
  switch (agg) {
    case "sum":
    case "nansum":
      if (o.length === 2)
        addComp(
          o[0] as Float64Array,
          o[1] as Float64Array,
          i,
          q[0]![i] as number,
          q[1]![i] as number,
        );
      else (o[0] as BigInt64Array)[i] = (o[0] as BigInt64Array)[i]! + (q[0] as BigInt64Array)[i]!;
      return;
    case "prod":
    case "nanprod":
      if (o[0] instanceof BigInt64Array) o[0][i] = o[0][i]! * (q[0] as BigInt64Array)[i]!;
      else (o[0] as Float64Array)[i] = (o[0]![i] as number) * (q[0]![i] as number);
      return;
    case "min":
    case "max":
    case "nanmin":
    case "nanmax": {
      const a = o[0] as { [i: number]: number | bigint };
      const v = q[0]![i] as number | bigint;
      const cur = a[i]!;
      const better = agg.endsWith("min") ? v < cur : v > cur;
      const nanRule = agg.startsWith("nan") ? isNaNv(cur) && !isNaNv(v) : isNaNv(v);
      if (better || nanRule) a[i] = v;
      return;
    }
    case "mean":
    case "nanmean":
      addComp(
        o[0] as Float64Array,
        o[1] as Float64Array,
        i,
        q[0]![i] as number,
        q[1]![i] as number,
      );
      (o[2] as Float64Array)[i] = (o[2]![i] as number) + (q[2]![i] as number);
      return;
    case "var":
    case "nanvar":
    case "std":
    case "nanstd": {
      const na = o[0]![i] as number;
      const nb = q[0]![i] as number;
      if (nb === 0) return;
      if (na === 0) {
        for (let k = 0; k < 3; k++) (o[k] as Float64Array)[i] = q[k]![i] as number;
        return;
      }
      const n = na + nb;
      const ma = o[1]![i] as number;
      const mb = q[1]![i] as number;
      const d = mb - ma;
      (o[0] as Float64Array)[i] = n;
      (o[1] as Float64Array)[i] = ma + (d * nb) / n;
      (o[2] as Float64Array)[i] =
        (o[2]![i] as number) + (q[2]![i] as number) + (d * d * na * nb) / n;
      return;
    }
    case "argmin":
    case "argmax":
    case "nanargmin":
    case "nanargmax": {
      const pb = q[1]![i] as number;
      if (pb < 0) return;
      const pa = o[1]![i] as number;
      const va = o[0]![i] as number | bigint;
      const vb = q[0]![i] as number | bigint;
      const lt = agg.endsWith("argmin") ? vb < va : vb > va;
      const nan = isNaNv(vb) && (!isNaNv(va) || pb < pa);
      const aNan = isNaNv(va);
      if (pa < 0 || (!aNan && (lt || (vb === va && pb < pa))) || nan) {
        (o[0] as { [i: number]: number | bigint })[i] = vb;
        (o[1] as Float64Array)[i] = pb;
      }
      return;
    }
    case "any":
      if (q[0]![i]) (o[0] as Uint8Array)[i] = 1;
      return;
    case "all":
      if (!q[0]![i]) (o[0] as Uint8Array)[i] = 0;
      return;
    default:
      agg satisfies never;
  }
}

/** The reduction's values from the last partial, as the result dtype. */
export function finish(spec: ReduceSpec, part: Partial, ddof: number): AnyTypedArray {
  const agg = spec.agg;
  const dt = aggDType(agg, spec.dtype);
  const n = part[0]!.length;
  const out = allocShared(dt, n);
  const o = out as { [i: number]: number | bigint };
  for (let i = 0; i < n; i++) {
    switch (agg) {
      case "sum":
      case "nansum": {
        if (part.length === 2) {
          const s = part[0]![i] as number;
          o[i] = Number.isFinite(s) ? s + (part[1]![i] as number) : s;
        } else o[i] = part[0]![i]!;
        break;
      }
      case "mean":
      case "nanmean": {
        const s = part[0]![i] as number;
        o[i] = (Number.isFinite(s) ? s + (part[1]![i] as number) : s) / (part[2]![i] as number);
        break;
      }
      case "var":
      case "nanvar":
      case "std":
      case "nanstd": {
        const cnt = part[0]![i] as number;
        const v = (part[2]![i] as number) / Math.max(0, cnt - ddof);
        const r = cnt - ddof <= 0 ? Number.NaN : v;
        o[i] = agg.includes("std") ? Math.sqrt(r) : r;
        break;
      }
      case "argmin":
      case "argmax":
        o[i] = BigInt(part[1]![i] as number);
        break;
      case "nanargmin":
      case "nanargmax": {
        const at = part[1]![i] as number;
        if (at < 0) {
          throw new BarnError(
            ErrorCodes.ARRAY_SHAPE,
            `${agg}: an all-NaN slice has no position (NumPy refuses it too). Fix: fill the NaN first (where(x.isnan(), fill, x)), or use ${agg.slice(3)}, which gives the first NaN`,
          );
        }
        o[i] = BigInt(at);
        break;
      }
      default:
        o[i] = part[0]![i]!;
    }
  }
  return out;
}

/** Count of a chunk's reduced elements: unused, kept for callers that need it. */
export function reducedCount(shape: readonly number[], axes: readonly number[]): number {
  return axes.reduce((acc, d) => acc * shape[d]!, 1);
}
