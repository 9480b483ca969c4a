/**
 * An element-wise expression as JavaScript source: one expression per element, monomorphic in
 * its dtypes, no allocation. Integer results wrap at every node as NumPy's do (int32 products
 * through Math.imul, so they stay exact); float32 results round at every node (Math.fround);
 * int64 runs on bigint. Helpers used twice per element (max, isnan, ...) are small functions in
 * `H`, which the JIT inlines.
 */
import type { DType } from "../dtype.js";
import { promote } from "../dtype.js";
import { binaryDType, type Expr, isComparison } from "../expr.js";

/** Integer results wrapped to the dtype's range (and floats rounded to float32). */
export function wrap(code: string, t: DType): string {
  switch (t) {
    case "float64":
      return code;
    case "float32":
      return `Math.fround(${code})`;
    case "int32":
      return `(${code} | 0)`;
    case "int16":
      return `((${code} << 16) >> 16)`;
    case "int8":
      return `((${code} << 24) >> 24)`;
    case "uint32":
      return `(${code} >>> 0)`;
    case "uint16":
      return `(${code} & 65535)`;
    case "uint8":
      return `(${code} & 255)`;
    case "bool":
      return `(${code} != 0 ? 1 : 0)`;
    case "int64":
      return `BigInt.asIntN(64, ${code})`;
    default:
      return t satisfies never;
  }
}

/** A value of dtype `from` as dtype `to` (NumPy's astype, truncating floats to integers). */
export function cast(code: string, from: DType, to: DType): string {
  if (from === to) return code;
  if (to === "int64")
    return from === "float64" || from === "float32" ? `H.f2l(${code})` : `BigInt(${code})`;
  const n = from === "int64" ? `Number(${code})` : code;
  if (to === "float64") return n;
  if (to === "bool") return `(${code} != 0 ? 1 : 0)`;
  if ((from === "float64" || from === "float32" || from === "int64") && to !== "float32") {
    return wrap(`H.trunc(${n})`, to);
  }
  return wrap(n, to);
}

/** Source of the expression's value, with operands read as `in{i}[o{i}]` and constants `k{j}`. */
export function genExpr(e: Expr, consts: { n: number }): string {
  switch (e.e) {
    case "in":
      return `in${e.i}[o${e.i}]`;
    case "const":
      return `k${consts.n++}`;
    case "un":
      return genUnary(e, consts);
    case "bin":
      return genBinary(e, consts);
    case "where": {
      const c = genExpr(e.c, consts);
      const a = cast(genExpr(e.a, consts), e.a.t, e.t);
      const b = cast(genExpr(e.b, consts), e.b.t, e.t);
      return `(${c} != 0 ? ${a} : ${b})`;
    }
    default:
      return e satisfies never;
  }
}

function isF(t: DType): boolean {
  return t === "float64" || t === "float32";
}

function genUnary(e: Expr & { e: "un" }, consts: { n: number }): string {
  const x = genExpr(e.x, consts);
  const from = e.x.t;
  const t = e.t;
  switch (e.op) {
    case "cast":
      return cast(x, from, t);
    case "neg":
      return t === "int64" ? `BigInt.asIntN(64, -${x})` : wrap(`(-${x})`, t);
    case "abs":
      return t === "int64" ? `H.labs(${x})` : wrap(`Math.abs(${x})`, t);
    case "sqrt":
    case "exp":
    case "log":
    case "sin":
    case "cos":
      return wrap(`Math.${e.op}(${cast(x, from, "float64")})`, t);
    case "floor":
    case "ceil":
      return isF(t) ? wrap(`Math.${e.op}(${x})`, t) : x;
    case "round":
      return isF(t) ? wrap(`H.rint(${x})`, t) : x;
    case "isnan":
      return isF(from) ? `H.isnan(${x})` : "0";
    case "not":
      return `(${x} == 0 ? 1 : 0)`;
    default:
      return e.op satisfies never;
  }
}

function genBinary(e: Expr & { e: "bin" }, consts: { n: number }): string {
  const ct = isComparison(e.op)
    ? promote(e.a.t, e.b.t)
    : e.op === "and" || e.op === "or"
      ? "bool"
      : binaryDType(e.op, e.a.t, e.b.t);
  const a = cast(genExpr(e.a, consts), e.a.t, ct);
  const b = cast(genExpr(e.b, consts), e.b.t, ct);
  const big = ct === "int64";
  switch (e.op) {
    case "add":
      return ct === "bool" ? `(${a} | ${b})` : wrap(`(${a} + ${b})`, ct);
    case "sub":
      return wrap(`(${a} - ${b})`, ct);
    case "mul":
      if (ct === "bool") return `(${a} & ${b})`;
      if (ct === "int32") return `Math.imul(${a}, ${b})`;
      if (ct === "uint32") return `(Math.imul(${a}, ${b}) >>> 0)`;
      return wrap(`(${a} * ${b})`, ct);
    case "div":
      return wrap(`(${a} / ${b})`, ct);
    case "pow":
      if (isF(ct)) return wrap(`Math.pow(${a}, ${b})`, ct);
      return big ? `H.lpow(${a}, ${b})` : wrap(`H.ipow(${a}, ${b})`, ct);
    case "maximum":
      return isF(ct) ? `H.fmax(${a}, ${b})` : `H.max(${a}, ${b})`;
    case "minimum":
      return isF(ct) ? `H.fmin(${a}, ${b})` : `H.min(${a}, ${b})`;
    case "lt":
      return `(${a} < ${b} ? 1 : 0)`;
    case "le":
      return `(${a} <= ${b} ? 1 : 0)`;
    case "gt":
      return `(${a} > ${b} ? 1 : 0)`;
    case "ge":
      return `(${a} >= ${b} ? 1 : 0)`;
    case "eq":
      return `(${a} === ${b} ? 1 : 0)`;
    case "ne":
      return `(${a} !== ${b} ? 1 : 0)`;
    case "and":
      return `(${a} & ${b})`;
    case "or":
      return `(${a} | ${b})`;
    default:
      return e.op satisfies never;
  }
}

/** The helpers generated code calls. */
export const H = {
  trunc: (x: number): number => (Number.isFinite(x) ? Math.trunc(x) : 0),
  f2l: (x: number): bigint =>
    !Number.isFinite(x) ? -(2n ** 63n) : BigInt.asIntN(64, BigInt(Math.trunc(x))),
  labs: (x: bigint): bigint => BigInt.asIntN(64, x < 0n ? -x : x),
  isnan: (x: number): number => (Number.isNaN(x) ? 1 : 0),
  /** Math.max and Math.min give NaN when either side is NaN, as NumPy's maximum does. */
  fmax: Math.max,
  fmin: Math.min,
  max: <T>(a: T, b: T): T => (a > b ? a : b),
  min: <T>(a: T, b: T): T => (a < b ? a : b),
  /** NumPy rounds halves to even. */
  rint: (x: number): number => {
    const r = Math.round(x);
    return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
  /** Integer power by squaring, products through Math.imul (exact mod 2^32, so mod 2^8, 2^16). */
  ipow: (a: number, b: number): number => {
    if (b < 0) return a === 1 ? 1 : a === -1 ? (b % 2 === 0 ? 1 : -1) : 0;
    let r = 1;
    let base = a;
    let e = b;
    while (e > 0) {
      if (e & 1) r = Math.imul(r, base);
      base = Math.imul(base, base);
      e = Math.floor(e / 2);
    }
    return r;
  },
  lpow: (a: bigint, b: bigint): bigint => {
    if (b < 0n) return a === 1n ? 1n : a === -1n ? (b % 2n === 0n ? 1n : -1n) : 0n;
    let r = 1n;
    let base = a;
    let e = b;
    while (e > 0n) {
      if (e & 1n) r = BigInt.asIntN(64, r * base);
      base = BigInt.asIntN(64, base * base);
      e >>= 1n;
    }
    return r;
  },
};
