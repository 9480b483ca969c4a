/**
 * Random cases for barn/array's property tests: shapes (empty dimensions included), values
 * per dtype (NaN among floats), irregular chunkings, and the check of a result against the
 * plain-JS reference (array-ref.ts).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import * as ba from "../../src/array.js";
import { CTOR, type Ref, sameValues, size, store } from "./array-ref.js";

export type DType = ba.DType;
export const DTYPES: DType[] = [
  "float64",
  "float32",
  "int32",
  "int16",
  "int8",
  "uint8",
  "uint16",
  "uint32",
  "int64",
  "bool",
];
export const FLOATS = [-2.5, -1, 0, 0.5, 1.5, 2, 3.25, Number.NaN];

export const isFloat = (d: DType) => d === "float64" || d === "float32";

/** Lengths that add up to n, from a list of wishes. */
export function cut(n: number, wishes: readonly number[]): number[] {
  if (n === 0) return [0];
  const out: number[] = [];
  let sum = 0;
  for (const w of [...wishes, n]) {
    if (sum >= n) break;
    const l = Math.min(w, n - sum);
    out.push(l);
    sum += l;
  }
  return out;
}

export const shapeArb = fc.array(fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constant(0)), {
  maxLength: 3,
});

export function valuesArb(dtype: DType, n: number): fc.Arbitrary<(number | bigint)[]> {
  const el: fc.Arbitrary<number | bigint> = isFloat(dtype)
    ? fc.constantFrom(...FLOATS)
    : dtype === "bool"
      ? fc.integer({ min: 0, max: 1 })
      : dtype === "int64"
        ? fc.integer({ min: -6, max: 6 }).map(BigInt)
        : dtype.startsWith("u")
          ? fc.integer({ min: 0, max: 12 })
          : fc.integer({ min: -6, max: 6 });
  return fc.array(el, { minLength: n, maxLength: n }).map((v) => store(v, dtype));
}

export interface Case {
  ref: Ref;
  chunks: number[][];
}

export function caseArb(
  dtypes: readonly DType[] = DTYPES,
  shape?: fc.Arbitrary<number[]>,
): fc.Arbitrary<Case> {
  return fc.tuple(fc.constantFrom(...dtypes), shape ?? shapeArb).chain(([dtype, s]) =>
    fc
      .record({
        values: valuesArb(dtype, size(s)),
        wishes: fc.array(fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 4 }), {
          minLength: s.length,
          maxLength: s.length,
        }),
      })
      .map(({ values, wishes }) => ({
        ref: { data: values, shape: s, dtype },
        chunks: s.map((n, d) => cut(n, wishes[d]!)),
      })),
  );
}

export function toArray(c: Case): ba.Array {
  const typed = new CTOR[c.ref.dtype](c.ref.data.length);
  c.ref.data.forEach((v, i) => {
    typed[i] = v;
  });
  return ba.fromArray(typed as unknown as Float64Array, c.ref.shape, {
    chunks: c.chunks,
    ...(c.ref.dtype === "bool" ? { dtype: "bool" as const } : {}),
  }) as ba.Array;
}

/** A shape that broadcasts against `s`: leading dimensions dropped, some set to 1. */
export function broadcastShapeArb(s: readonly number[]): fc.Arbitrary<number[]> {
  return fc
    .tuple(
      fc.integer({ min: 0, max: s.length }),
      fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }),
    )
    .map(([drop, ones]) => s.slice(drop).map((n, i) => (ones[i + drop] ? 1 : n)));
}

export async function check(got: ba.NDArray, want: Ref, what: string): Promise<void> {
  assert.deepEqual([...got.shape], want.shape, `${what}: shape`);
  const tol = got.dtype === "float32" || want.dtype === "float32" ? 1e-5 : 1e-9;
  const err = sameValues(got.data as ArrayLike<number | bigint>, want.data, tol);
  assert.equal(err, undefined, `${what}: ${err}`);
}
