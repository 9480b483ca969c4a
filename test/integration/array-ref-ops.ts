/**
 * The plain-JS reference of barn/array's element-wise binary operations and reductions, for
 * the property tests (array-oracle.test.ts): NumPy's results written element by element.
 */
import { type DType, isFloat } from "./array-cases.js";
import { type Ref, reduce } from "./array-ref.js";

export const BINARY = [
  "add",
  "sub",
  "mul",
  "div",
  "maximum",
  "minimum",
  "lt",
  "le",
  "gt",
  "ge",
  "eq",
  "ne",
] as const;

export function num(x: number | bigint): number {
  return typeof x === "bigint" ? Number(x) : x;
}

export function refBinary(
  op: (typeof BINARY)[number],
  x: number | bigint,
  y: number | bigint,
  big: boolean,
): number | bigint {
  if (big && op !== "div") {
    const a = BigInt(x);
    const b = BigInt(y);
    switch (op) {
      case "add":
        return a + b;
      case "sub":
        return a - b;
      case "mul":
        return a * b;
      case "maximum":
        return a > b ? a : b;
      case "minimum":
        return a < b ? a : b;
      case "lt":
        return a < b ? 1 : 0;
      case "le":
        return a <= b ? 1 : 0;
      case "gt":
        return a > b ? 1 : 0;
      case "ge":
        return a >= b ? 1 : 0;
      case "eq":
        return a === b ? 1 : 0;
      case "ne":
        return a !== b ? 1 : 0;
    }
  }
  const a = num(x);
  const b = num(y);
  switch (op) {
    case "add":
      return a + b;
    case "sub":
      return a - b;
    case "mul":
      return a * b;
    case "div":
      return a / b;
    case "maximum":
      return Number.isNaN(a) || Number.isNaN(b) ? Number.NaN : Math.max(a, b);
    case "minimum":
      return Number.isNaN(a) || Number.isNaN(b) ? Number.NaN : Math.min(a, b);
    case "lt":
      return a < b ? 1 : 0;
    case "le":
      return a <= b ? 1 : 0;
    case "gt":
      return a > b ? 1 : 0;
    case "ge":
      return a >= b ? 1 : 0;
    case "eq":
      return a === b ? 1 : 0;
    case "ne":
      return a !== b ? 1 : 0;
  }
  return 0;
}

/** The reference's signal that nanargmin/nanargmax met an all-NaN slice (NumPy raises). */
export class AllNaN extends Error {}

/** The reference of one reduction. */
export function refReduce(agg: string, r: Ref, axes: number[], dtype: DType): Ref {
  const nums = (xs: (number | bigint)[]) => xs.map(num);
  const moments = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return { m, v: xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length };
  };
  const noNan = (xs: number[]) => xs.filter((x) => !Number.isNaN(x));
  return reduce(r, axes, dtype, (xs, pos) => {
    const f = nums(xs);
    switch (agg) {
      case "sum":
        return isFloat(r.dtype)
          ? f.reduce((a, b) => a + b, 0)
          : xs.reduce((a: bigint, b) => a + BigInt(b), 0n);
      case "nansum":
        return noNan(f).reduce((a, b) => a + b, 0);
      case "prod":
      case "nanprod":
        if (!isFloat(r.dtype)) return xs.reduce((a: bigint, b) => a * BigInt(b), 1n);
        return (agg === "prod" ? f : noNan(f)).reduce((a, b) => a * b, 1);
      case "nanmin":
        return noNan(f).length === 0 ? Number.NaN : Math.min(...noNan(f));
      case "nanvar":
        return moments(noNan(f)).v;
      case "nanstd":
        return Math.sqrt(moments(noNan(f)).v);
      case "nanargmin":
      case "nanargmax": {
        let best = -1;
        for (let i = 0; i < f.length; i++) {
          if (Number.isNaN(f[i]!)) continue;
          if (best < 0 || (agg === "nanargmin" ? f[i]! < f[best]! : f[i]! > f[best]!)) best = i;
        }
        if (best < 0) throw new AllNaN();
        return BigInt(pos[best]!);
      }
      case "min":
        return f.some(Number.isNaN) ? Number.NaN : Math.min(...f);
      case "max":
        return f.some(Number.isNaN) ? Number.NaN : Math.max(...f);
      case "nanmax":
        return noNan(f).length === 0 ? Number.NaN : Math.max(...noNan(f));
      case "mean":
        return moments(f).m;
      case "nanmean":
        return moments(noNan(f)).m;
      case "var":
        return moments(f).v;
      case "std":
        return Math.sqrt(moments(f).v);
      case "argmax": {
        let best = 0;
        for (let i = 1; i < f.length; i++) {
          if (Number.isNaN(f[best]!)) break;
          if (Number.isNaN(f[i]!) || f[i]! > f[best]!) best = i;
        }
        return BigInt(pos[best]!);
      }
      case "argmin": {
        let best = 0;
        for (let i = 1; i < f.length; i++) {
          if (Number.isNaN(f[best]!)) break;
          if (Number.isNaN(f[i]!) || f[i]! < f[best]!) best = i;
        }
        return BigInt(pos[best]!);
      }
      case "any":
        return f.some((x) => x !== 0) ? 1 : 0;
      case "all":
        return f.every((x) => x !== 0) ? 1 : 0;
      default:
        throw new Error(agg);
    }
  });
}

export const AGGS = [
  "sum",
  "nansum",
  "prod",
  "nanprod",
  "min",
  "max",
  "nanmin",
  "nanmax",
  "mean",
  "nanmean",
  "var",
  "nanvar",
  "std",
  "nanstd",
  "argmin",
  "argmax",
  "nanargmin",
  "nanargmax",
  "any",
  "all",
] as const;
