/**
 * barn/array's matmul against a plain-JS reference: stacks of matrices whose batch axes
 * broadcast, 1-D operands as NumPy promotes them, empty axes, mixed dtypes with NumPy's result
 * dtype, integer sums that wrap as NumPy's (int32 @ int32 is int32, int64 wraps modulo 2^64,
 * bool is "any of and"), on the sync scheduler and a thread cluster; shape errors.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import * as ba from "../../src/array.js";
import { Client } from "../../src/index.js";
import { type Case, caseArb, check, type DType, isFloat, toArray } from "./array-cases.js";
import { at, broadcast, indices, type Ref, size, store } from "./array-ref.js";

/** NumPy's result dtypes of the pairs the tests draw. */
const PAIRS: [DType, DType, DType][] = [
  ["float64", "float64", "float64"],
  ["float32", "float32", "float32"],
  ["int32", "int32", "int32"],
  ["int64", "int64", "int64"],
  ["int8", "uint8", "int16"],
  ["uint32", "int32", "int64"],
  ["int16", "float32", "float32"],
  ["int32", "float32", "float64"],
  ["bool", "bool", "bool"],
  ["uint8", "uint8", "uint8"],
  ["bool", "int8", "int8"],
];

/** The obvious matmul: promote 1-D operands, broadcast the batch, sum exactly, store as dtype. */
export function refMatmul(a: Ref, b: Ref, dtype: DType): Ref {
  const sa = a.shape.length === 1 ? [1, ...a.shape] : a.shape;
  const sb = b.shape.length === 1 ? [...b.shape, 1] : b.shape;
  const A: Ref = { ...a, shape: sa };
  const B: Ref = { ...b, shape: sb };
  const batch = broadcast(sa.slice(0, -2), sb.slice(0, -2));
  const [n, k] = sa.slice(-2) as [number, number];
  const p = sb[sb.length - 1]!;
  const full = [...batch, n, p];
  const pick = (s: number[], bi: number[]) =>
    bi.slice(bi.length - (s.length - 2)).map((i, d) => (s[d] === 1 ? 0 : i));
  const data = indices(full).map((idx) => {
    const bi = idx.slice(0, -2);
    const [i, j] = idx.slice(-2) as [number, number];
    let s: number | bigint = isFloat(dtype) ? 0 : 0n;
    let any = false;
    for (let q = 0; q < k; q++) {
      const x = at(A, [...pick(sa, bi), i, q]);
      const y = at(B, [...pick(sb, bi), q, j]);
      if (dtype === "bool") any ||= Number(x) !== 0 && Number(y) !== 0;
      else if (isFloat(dtype)) s = (s as number) + Number(x) * Number(y);
      else s = (s as bigint) + BigInt(x) * BigInt(y);
    }
    if (dtype === "bool") return any ? 1 : 0;
    if (typeof s === "bigint")
      return dtype === "int64" ? BigInt.asIntN(64, s) : Number(BigInt.asUintN(32, s));
    return s;
  });
  let shape = full;
  if (a.shape.length === 1) shape = shape.filter((_, d) => d !== full.length - 2);
  if (b.shape.length === 1)
    shape = shape.filter(
      (_, d) => d !== (a.shape.length === 1 ? shape.length - 1 : full.length - 1),
    );
  return { data: store(data, dtype), shape, dtype };
}

const dim = fc.integer({ min: 0, max: 3 });

/** Shapes of a and b that fit: batches that broadcast (axes dropped or set to 1), or 1-D. */
const shapesArb = fc
  .record({
    batch: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
    nkp: fc.tuple(dim, dim, dim),
    forms: fc.tuple(
      fc.constantFrom("full", "ones", "drop", "vec"),
      fc.constantFrom("full", "ones", "drop", "vec"),
    ),
  })
  .map(({ batch, nkp: [n, k, p], forms: [fa, fb] }) => {
    const of = (form: string, mat: number[], vec: number[]) =>
      form === "vec"
        ? vec
        : form === "drop"
          ? mat
          : form === "ones"
            ? [...batch.map(() => 1), ...mat]
            : [...batch, ...mat];
    return { sa: of(fa, [n, k], [k]), sb: of(fb, [k, p], [k]) };
  });

function suite(name: string, connect: () => Promise<Client>, runs: number) {
  describe(`array matmul against plain JS (${name})`, () => {
    let client: Client;
    before(async () => {
      client = await connect();
    });
    after(async () => {
      await client.close();
    });
    const o = () => ({ client });

    test("stacks of matrices, 1-D operands, empty axes, mixed dtypes", {
      timeout: 120_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.tuple(shapesArb, fc.constantFrom(...PAIRS)).chain(([{ sa, sb }, [da, db, dout]]) =>
            fc.record({
              a: caseArb([da], fc.constant(sa)),
              b: caseArb([db], fc.constant(sb)),
              dout: fc.constant(dout),
            }),
          ),
          async ({ a, b, dout }: { a: Case; b: Case; dout: DType }) => {
            const got = toArray(a).matmul(toArray(b));
            assert.equal(got.dtype, dout, `dtype of ${a.ref.dtype} @ ${b.ref.dtype}`);
            const want = refMatmul(a.ref, b.ref, dout);
            await check(await got.compute(o()), want, `[${a.ref.shape}] @ [${b.ref.shape}]`);
          },
        ),
        { numRuns: runs },
      );
    });

    test("integer sums wrap as NumPy's (int32, uint8, int64 past 2^63), dot and tensordot too", {
      timeout: 120_000,
    }, async () => {
      const big = (dtype: DType, lo: number, hi: number, shape: number[]) =>
        fc
          .array(fc.integer({ min: lo, max: hi }), {
            minLength: size(shape),
            maxLength: size(shape),
          })
          .map(
            (v): Case => ({
              ref: {
                data: store(dtype === "int64" ? v.map((x) => BigInt(x) * 2n ** 31n) : v, dtype),
                shape,
                dtype,
              },
              chunks: shape.map((n) =>
                [Math.ceil(n / 2), n - Math.ceil(n / 2)].filter((c) => c > 0),
              ),
            }),
          );
      await fc.assert(
        fc.asyncProperty(
          fc
            .constantFrom<[DType, number, number]>(
              ["int32", -(2 ** 31), 2 ** 31 - 1],
              ["uint8", 0, 255],
              ["int64", -(2 ** 31), 2 ** 31],
            )
            .chain(([d, lo, hi]) =>
              fc.record({ a: big(d, lo, hi, [2, 3, 4]), b: big(d, lo, hi, [4, 2]) }),
            ),
          async ({ a, b }) => {
            const x = toArray(a);
            const y = toArray(b);
            const want = refMatmul(a.ref, b.ref, a.ref.dtype);
            await check(await x.matmul(y).compute(o()), want, "matmul");
            await check(await x.dot(y).compute(o()), want, "dot");
            await check(await ba.tensordot(x, y, 1).compute(o()), want, "tensordot");
          },
        ),
        { numRuns: Math.ceil(runs / 4) },
      );
    });
  });
}

suite("sync", () => Client.connect({ scheduler: "sync", setAsDefault: false }), 80);
suite("threads", () => Client.connect({ setAsDefault: false }), 8);

describe("array matmul errors", () => {
  test("shapes that do not fit name both shapes", { timeout: 30_000 }, () => {
    const cases: [number[], number[], RegExp][] = [
      [[2, 3], [4, 2], /\[2, 3\] and \[4, 2\].*inner dimensions differ \(3 and 4\)/],
      [[2, 3, 4], [3, 4, 2], /\[2, 3, 4\] and \[3, 4, 2\].*batch axes \[2\] and \[3\]/],
      [[3], [2], /\[3\] and \[2\]/],
      [[], [2], /0-d operand/],
    ];
    for (const [sa, sb, msg] of cases)
      assert.throws(() => ba.zeros(sa).matmul(ba.zeros(sb)), {
        code: "BARN_ARRAY_SHAPE",
        message: msg,
      });
  });
});
