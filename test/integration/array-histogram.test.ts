/**
 * barn/array's histogram against a plain-JS reference: equal bins over a given range or over
 * the data's min and max (found lazily, NaN ignored, NumPy's widening of an empty range),
 * explicit edges, density and weights, over random shapes, chunkings and dtypes, on the sync
 * scheduler and (the same cases, fewer runs) a thread cluster.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import * as ba from "../../src/array.js";
import { Client } from "../../src/index.js";
import { type Case, caseArb, check, toArray } from "./array-cases.js";
import type { Ref } from "./array-ref.js";

/** NumPy's equal edges (linspace's arithmetic), an empty range widened by 0.5 each side. */
function refEdges(lo0: number, hi0: number, bins: number): number[] {
  const [lo, hi] = lo0 === hi0 ? [lo0 - 0.5, hi0 + 0.5] : [lo0, hi0];
  const step = (hi - lo) / bins;
  return Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : i * step + lo));
}

/** The obvious histogram: each value's bin by a linear scan of the edges. */
function refCounts(values: readonly number[], edges: readonly number[], weights?: number[]) {
  const out = new Array<number>(edges.length - 1).fill(0);
  values.forEach((v, k) => {
    const last = edges.length - 2;
    for (let i = 0; i <= last; i++) {
      if (edges[i]! <= v && (v < edges[i + 1]! || (i === last && v === edges[i + 1]!))) {
        out[i]! += weights === undefined ? 1 : weights[k]!;
        break;
      }
    }
  });
  return out;
}

const nums = (r: Ref) => r.data.map(Number);

function refRange(c: Case): [number, number] {
  const v = nums(c.ref).filter((x) => !Number.isNaN(x));
  if (c.ref.data.length === 0) return [0, 1];
  return [Math.min(...v), Math.max(...v)];
}

const ref1 = (data: number[], dtype: ba.DType): Ref => ({ data, shape: [data.length], dtype });

function suite(name: string, connect: () => Promise<Client>, runs: number) {
  describe(`array histogram against plain JS (${name})`, () => {
    let client: Client;
    before(async () => {
      client = await connect();
    });
    after(async () => {
      await client.close();
    });
    const o = () => ({ client });
    const notAllNaN = (c: Case) =>
      c.ref.data.length === 0 || nums(c.ref).some((x) => !Number.isNaN(x));

    test("equal bins over the data's range (found lazily) or a given one", {
      timeout: 120_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(
          caseArb().filter(notAllNaN),
          fc.integer({ min: 1, max: 5 }),
          fc.boolean(),
          async (c, bins, given) => {
            const x = toArray(c);
            const range: [number, number] = given ? [-1, 2] : refRange(c);
            const h = given ? ba.histogram(x, { bins, range }) : ba.histogram(x, { bins });
            const want = refEdges(range[0], range[1], bins);
            const edges =
              h.edges instanceof Float64Array ? h.edges : (await h.edges.compute(o())).data;
            assert.deepEqual([...edges], want);
            const counts = refCounts(nums(c.ref), want).map(BigInt);
            await check(await h.counts.compute(o()), ref1(counts as never, "int64"), "counts");
          },
        ),
        { numRuns: runs },
      );
    });

    test("explicit edges, density and weights", { timeout: 120_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(
          caseArb(["float64", "int32", "int64", "uint8", "bool"]),
          fc.array(fc.constantFrom(-2, -1, 0, 0.5, 1, 3), { minLength: 2, maxLength: 5 }),
          fc.constantFrom("float64", "float32", "int32"),
          async (c, raw, wdtype) => {
            const edges = raw.sort((a, b) => a - b);
            const x = toArray(c);
            const h = ba.histogram(x, { bins: edges });
            assert.deepEqual([...h.edges], edges);
            const counts = refCounts(nums(c.ref), edges);
            await check(
              await h.counts.compute(o()),
              ref1(counts.map(BigInt) as never, "int64"),
              "counts",
            );
            const total = counts.reduce((a, b) => a + b, 0);
            const dens = counts.map((n, i) => n / (edges[i + 1]! - edges[i]!) / total);
            const d = ba.histogram(x, { bins: edges, density: true });
            assert.equal(d.counts.dtype, "float64");
            await check(await d.counts.compute(o()), ref1(dens, "float64"), "density");
            const w = x
              .astype("float64")
              .mul(0.5)
              .add(1)
              .astype(wdtype as "float64");
            const wv = nums(c.ref).map((v) => {
              const f = v * 0.5 + 1;
              return wdtype === "int32" ? Math.trunc(f) : wdtype === "float32" ? Math.fround(f) : f;
            });
            const hw = ba.histogram(x, { bins: edges, weights: w });
            const sums = refCounts(nums(c.ref), edges, wv);
            const wt = wdtype === "int32" ? "int64" : wdtype;
            assert.equal(hw.counts.dtype, wt);
            await check(
              await hw.counts.compute(o()),
              ref1(wt === "int64" ? (sums.map(BigInt) as never) : sums, wt as ba.DType),
              "weights",
            );
          },
        ),
        { numRuns: runs },
      );
    });
  });
}

suite("sync", () => Client.connect({ scheduler: "sync", setAsDefault: false }), 60);
suite("threads", () => Client.connect({ setAsDefault: false }), 6);

describe("array histogram edge cases", () => {
  const o = { scheduler: "sync" } as const;
  test("one distinct value, no values, int64, NaN-only and bad options", {
    timeout: 60_000,
  }, async () => {
    const one = ba.histogram(ba.full([3], 2n), { bins: 2 });
    assert.deepEqual([...(await one.edges.compute(o)).data], [1.5, 2, 2.5]);
    assert.deepEqual([...(await one.counts.compute(o)).data], [0n, 3n]);
    const none = ba.histogram(ba.zeros([0, 3]), { bins: 2 });
    assert.deepEqual([...(await none.edges.compute(o)).data], [0, 0.5, 1]);
    assert.deepEqual([...(await none.counts.compute(o)).data], [0n, 0n]);
    // NumPy's equal given range widens too.
    assert.deepEqual(
      [...ba.histogram(ba.zeros([1]), { bins: 1, range: [3, 3] }).edges],
      [2.5, 3.5],
    );
    const nan = ba.histogram(ba.full([2], Number.NaN), { bins: 2 });
    await assert.rejects(nan.counts.compute(o), {
      code: "BARN_INVALID_OPTION",
      message: /not finite.*Fix: pass range/,
    });
    const inf = ba.histogram(ba.fromArray(new Float64Array([1, Infinity])));
    await assert.rejects(inf.counts.compute(o), { code: "BARN_INVALID_OPTION" });
    const x = ba.ones([4]);
    assert.throws(() => ba.histogram(x, { bins: 0 }), { code: "BARN_INVALID_OPTION" });
    assert.throws(() => ba.histogram(x, { bins: [1, 0] }), { code: "BARN_INVALID_OPTION" });
    assert.throws(() => ba.histogram(x, { bins: [1] }), { code: "BARN_INVALID_OPTION" });
    assert.throws(() => ba.histogram(x, { range: [2, 1] }), { code: "BARN_INVALID_OPTION" });
    assert.throws(() => ba.histogram(x, { weights: ba.ones([3]) }), {
      code: "BARN_ARRAY_SHAPE",
      message: /\[3\].*\[4\]/,
    });
  });
});
