/**
 * barn/array's later operations against the plain-JS reference (array-ref.ts), on the sync
 * scheduler and a thread cluster: tensordot over random axes, lazy boolean masks (select),
 * exact integer sums, products and running sums past 2^53 with NumPy's int64 wraparound, and
 * frames as arrays (fromFrame). The process cluster runs them in array-oracle.test.ts.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import * as ba from "../../src/array.js";
import * as bf from "../../src/frame.js";
import { Client } from "../../src/index.js";
import { caseArb, check, cut, type DType, isFloat, toArray } from "./array-cases.js";
import { at, indices, type Ref, size, store } from "./array-ref.js";

/** The reference tensordot: a's free axes, then b's; sums over the paired axes. */
export function refTensordot(a: Ref, b: Ref, ca: number[], cb: number[], dtype: DType): Ref {
  const freeA = a.shape.map((_, d) => d).filter((d) => !ca.includes(d));
  const freeB = b.shape.map((_, d) => d).filter((d) => !cb.includes(d));
  const shape = [...freeA.map((d) => a.shape[d]!), ...freeB.map((d) => b.shape[d]!)];
  const inner = ca.map((d) => a.shape[d]!);
  const big = dtype === "int64";
  const data = indices(shape).map((idx) => {
    let s: number | bigint = big ? 0n : 0;
    for (const k of size(inner) === 0 ? [] : indices(inner)) {
      const ia = new Array<number>(a.shape.length);
      const ib = new Array<number>(b.shape.length);
      freeA.forEach((d, i) => {
        ia[d] = idx[i]!;
      });
      freeB.forEach((d, i) => {
        ib[d] = idx[freeA.length + i]!;
      });
      ca.forEach((d, i) => {
        ia[d] = k[i]!;
        ib[cb[i]!] = k[i]!;
      });
      const x = at(a, ia);
      const y = at(b, ib);
      s = big ? (s as bigint) + BigInt(x) * BigInt(y) : (s as number) + Number(x) * Number(y);
    }
    return s;
  });
  return { data: store(data, dtype), shape, dtype };
}

const INT_RANGES: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int16: [-(2 ** 15), 2 ** 15 - 1],
  uint8: [0, 255],
};

function suite(name: string, connect: () => Promise<Client>, runs: number) {
  describe(`array operations against plain JS (${name})`, () => {
    let client: Client;
    before(async () => {
      client = await connect();
    });
    after(async () => {
      await client.close();
    });

    test("tensordot over random axes, shapes (empty ones included) and chunkings", {
      timeout: 120_000,
    }, async () => {
      const dims = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 });
      await fc.assert(
        fc.asyncProperty(
          fc
            .tuple(
              dims,
              dims,
              fc.integer({ min: 0, max: 2 }),
              fc.constantFrom("float64", "int32", "int64"),
            )
            .chain(([fa, fb, n, dtype]) => {
              const inner = fa.slice(0, Math.min(n, fa.length));
              const sa = [...fa.slice(inner.length), ...inner];
              const sb = [...inner, ...fb];
              return fc.record({
                a: caseArb([dtype as DType], fc.constant(sa)),
                b: caseArb([dtype as DType], fc.constant(sb)),
                n: fc.constant(inner.length),
                pairs: fc.boolean(),
              });
            }),
          async ({ a, b, n, pairs }) => {
            const x = toArray(a);
            const y = toArray(b);
            const na = a.ref.shape.length;
            const ca = Array.from({ length: n }, (_, i) => na - n + i);
            const cb = Array.from({ length: n }, (_, i) => i);
            const got = pairs
              ? ba.tensordot(x, y, [ca.map((d) => d - na), cb])
              : ba.tensordot(x, y, n);
            const want = refTensordot(a.ref, b.ref, ca, cb, got.dtype);
            await check(await got.compute({ client }), want, `tensordot axes=${n}`);
            // dot: a's last axis against b's second-to-last (or only) one, when they fit.
            const nb = b.ref.shape.length;
            const db = nb >= 2 ? nb - 2 : nb - 1;
            if (na >= 1 && nb >= 1 && a.ref.shape[na - 1] === b.ref.shape[db]) {
              const d = x.dot(y);
              const dw = refTensordot(a.ref, b.ref, [na - 1], [db], d.dtype);
              await check(await d.compute({ client }), dw, "dot");
            }
          },
        ),
        { numRuns: runs },
      );
    });

    test("select: lazy bool masks of all or the leading dimensions, any chunking, in C order", {
      timeout: 120_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(
          caseArb(
            undefined,
            fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }),
          ).chain((c) =>
            fc.integer({ min: 1, max: c.ref.shape.length }).chain((k) =>
              fc.record({
                c: fc.constant(c),
                k: fc.constant(k),
                mask: fc.array(fc.boolean(), {
                  minLength: size(c.ref.shape.slice(0, k)),
                  maxLength: size(c.ref.shape.slice(0, k)),
                }),
                wishes: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }),
              }),
            ),
          ),
          async ({ c, k, mask, wishes }) => {
            const x = toArray(c);
            const mshape = c.ref.shape.slice(0, k);
            const m = ba.fromArray(Uint8Array.from(mask, Number), mshape, {
              dtype: "bool",
              chunks: mshape.map((n) => cut(n, wishes)),
            });
            const y = await x.select(m, { client });
            const rest = c.ref.shape.slice(k);
            const row = size(rest);
            const data = c.ref.data.filter((_, i) => mask[Math.floor(i / row)]);
            const shape = [mask.filter(Boolean).length, ...rest];
            assert.deepEqual(y.shape, shape);
            await check(
              await y.compute({ client }),
              { data, shape, dtype: c.ref.dtype },
              `select k=${k}`,
            );
            // A mask computed from the array itself, then work on the selection.
            if (isFloat(c.ref.dtype)) {
              const pos = await x.select(x.gt(0), { client });
              const keep = c.ref.data.filter((v) => (v as number) > 0);
              await check(
                await pos.mul(2).compute({ client }),
                {
                  data: keep.map((v) => (v as number) * 2),
                  shape: [keep.length],
                  dtype: c.ref.dtype,
                },
                "select(x > 0) * 2",
              );
            }
          },
        ),
        { numRuns: runs },
      );
    });

    test("integer sums, products and running sums are exact, wrapping in int64 as NumPy's", {
      timeout: 120_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("int32", "uint32", "int16", "uint8", "int64").chain((dtype) =>
            fc.record({
              dtype: fc.constant(dtype),
              values: fc.array(
                dtype === "int64"
                  ? fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
                  : (fc.integer({
                      min: INT_RANGES[dtype]![0],
                      max: INT_RANGES[dtype]![1],
                    }) as fc.Arbitrary<number | bigint>),
                { maxLength: 60 },
              ),
              wishes: fc.array(fc.integer({ min: 1, max: 20 }), { maxLength: 4 }),
            }),
          ),
          async ({ dtype, values, wishes }) => {
            const n = values.length;
            const typed = new (
              {
                int32: Int32Array,
                uint32: Uint32Array,
                int16: Int16Array,
                uint8: Uint8Array,
                int64: BigInt64Array,
              } as const
            )[dtype as "int32"](n);
            values.forEach((v, i) => {
              (typed as unknown as (number | bigint)[])[i] = v;
            });
            const x = ba.fromArray(typed, [n], { chunks: [cut(n, wishes)] });
            const wrap = (v: bigint) => BigInt.asIntN(64, v);
            const big = values.map((v) => BigInt(v));
            assert.equal(await x.sum().compute({ client }), wrap(big.reduce((a, b) => a + b, 0n)));
            assert.equal(await x.prod().compute({ client }), wrap(big.reduce((a, b) => a * b, 1n)));
            let run = 0n;
            const cs = big.map((v) => {
              run += v;
              return wrap(run);
            });
            assert.deepEqual([...(await x.cumsum().compute({ client })).data], cs);
          },
        ),
        { numRuns: runs },
      );
    });

    test("fromFrame: numeric columns as arrays, nulls as NaN in floats, filtered partitions", {
      timeout: 120_000,
    }, async () => {
      const rowArb = fc.record({
        i: fc.integer({ min: -1000, max: 1000 }),
        f: fc.option(fc.double({ min: -10, max: 10, noNaN: true }), { nil: null }),
      });
      await fc.assert(
        fc.asyncProperty(
          fc.array(rowArb, { minLength: 1, maxLength: 30 }),
          fc.integer({ min: 1, max: 5 }),
          fc.integer({ min: -1000, max: 1000 }),
          async (rows, npartitions, cut0) => {
            const df = bf.fromRecords(rows, {
              npartitions: Math.min(npartitions, rows.length),
              schema: [
                { name: "i", type: "int32", nullable: false },
                { name: "f", type: "float64", nullable: true },
              ],
            });
            const o = { client };
            const both = await ba.fromFrame(df, ["i", "f"], o);
            assert.equal(both.dtype, "float64");
            const want = rows.flatMap((r) => [r.i, r.f ?? Number.NaN]);
            await check(
              await both.compute(o),
              { data: want, shape: [rows.length, 2], dtype: "float64" },
              "fromFrame",
            );
            const kept = rows.filter((r) => r.i > cut0);
            const one = await ba.fromFrame(df.filter(df.col("i").gt(cut0)), "i", o);
            assert.equal(one.dtype, "int32");
            await check(
              await one.compute(o),
              { data: kept.map((r) => r.i), shape: [kept.length], dtype: "int32" },
              "fromFrame after filter",
            );
            assert.equal(
              await one.sum().compute(o),
              kept.reduce((a, r) => a + BigInt(r.i), 0n),
            );
          },
        ),
        { numRuns: Math.ceil(runs / 2) },
      );
    });
  });
}

suite("sync", () => Client.connect({ scheduler: "sync", setAsDefault: false }), 40);
suite("threads", () => Client.connect({ setAsDefault: false }), 8);
