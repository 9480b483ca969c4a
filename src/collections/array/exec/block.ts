/**
 * One chunk of an element-wise expression (ops.ts `mapBlock`) and the strides each operand is
 * read with. Chunks are plain typed arrays in C order; their shapes travel beside them.
 */
import { type AnyTypedArray, alloc, type DType } from "../dtype.js";
import { constsOf, type Expr, exprKey } from "../expr.js";
import { sizeOf, stridesOf } from "../shape.js";
import { genExpr } from "./codegen.js";
import { kernel } from "./loops.js";

/** How a map task reads its operands: for each, which output dimension each of its dims runs along. */
export interface MapSpec {
  readonly expr: Expr;
  readonly dims: readonly (readonly number[])[];
}

/** Buffers of 64 KiB and more are allocated shared, so moving them to another thread is free. */
const SHARE_AT = 64 * 1024;

export function allocShared(dtype: DType, n: number): AnyTypedArray {
  const a = alloc(dtype, 0);
  const bytes = n * a.BYTES_PER_ELEMENT;
  if (bytes < SHARE_AT) return alloc(dtype, n);
  const Ctor = a.constructor as new (b: SharedArrayBuffer) => AnyTypedArray;
  return new Ctor(new SharedArrayBuffer(bytes));
}

/** Operand strides per output dimension, flattened [operand][dim]; 0 where it broadcasts. */
export function operandStrides(
  dims: readonly (readonly number[])[],
  inShapes: readonly (readonly number[])[],
  ndim: number,
): number[] {
  const S = new Array<number>(dims.length * ndim).fill(0);
  dims.forEach((map, k) => {
    const shape = inShapes[k]!;
    const st = stridesOf(shape);
    map.forEach((outDim, j) => {
      // -1: a dimension of length 1 the output drops (squeeze).
      if (outDim >= 0) S[k * ndim + outDim] = shape[j] === 1 ? 0 : st[j]!;
    });
  });
  return S;
}

/** Whether some operand walks the innermost output dimension with a stride other than 0 or 1. */
export function needsTiles(S: readonly number[], nin: number, ndim: number): boolean {
  if (ndim < 2) return false;
  for (let k = 0; k < nin; k++) {
    const s = S[k * ndim + ndim - 1]!;
    if (s !== 0 && s !== 1) return true;
  }
  return false;
}

export interface ExprCode {
  readonly src: string;
  readonly key: string;
  readonly consts: readonly unknown[];
}

const codeCache = new Map<string, string>();

/** The expression's source (cached by its key) and its constants. */
export function exprCode(expr: Expr): ExprCode {
  const key = exprKey(expr);
  let src = codeCache.get(key);
  if (src === undefined) {
    src = genExpr(expr, { n: 0 });
    codeCache.set(key, src);
  }
  return { src, key, consts: constsOf(expr) };
}

/** The chunk of the expression's values, shape `outShape`. */
export function mapBlock(
  spec: MapSpec,
  inputs: readonly AnyTypedArray[],
  inShapes: readonly (readonly number[])[],
  outShape: readonly number[],
): AnyTypedArray {
  const ndim = outShape.length;
  const out = allocShared(spec.expr.t, sizeOf(outShape));
  if (out.length === 0) return out;
  const S = operandStrides(spec.dims, inShapes, ndim);
  const code = exprCode(spec.expr);
  const k = kernel(
    inputs.length,
    ndim,
    code.consts.length,
    code.src,
    "const out = A[0];",
    "out[p] = v;",
    needsTiles(S, inputs.length, ndim),
  );
  k(inputs, S, outShape, stridesOf(outShape), code.consts, [out], [], 0);
  return out;
}
