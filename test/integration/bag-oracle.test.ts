/**
 * barn/bag against plain JavaScript arrays: random arrays cut into random partition counts
 * (empty partitions included: more partitions than elements), every operation computed by the
 * bag and by the same code on the array, on the sync scheduler and a thread cluster (and a few
 * on worker processes). Functions are inline (no captured variables), so they ship as source.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import * as bb from "../../src/bag.js";
import { Client } from "../../src/index.js";

const arrArb = fc.record({
  xs: fc.array(fc.integer({ min: -6, max: 6 }), { maxLength: 25 }),
  nparts: fc.integer({ min: 1, max: 7 }),
});

const sum = (a: readonly number[]) => a.reduce((s, x) => s + x, 0);
function close(a: number, b: number): boolean {
  return (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
}

/** The k largest by key, largest first, ties in array order (a stable sort). */
function topk<T>(xs: readonly T[], k: number, key: (x: T) => number): T[] {
  return xs
    .map((x, i) => ({ x, i }))
    .sort((a, b) => key(b.x) - key(a.x) || a.i - b.i)
    .slice(0, k)
    .map((e) => e.x);
}

function frequencies<T>(xs: readonly T[]): [T, number][] {
  const m = new Map<T, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m];
}

function groupby<T, K>(xs: readonly T[], key: (x: T) => K): [K, T[]][] {
  const m = new Map<K, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return [...m];
}

function accumulate(xs: readonly number[], initial?: number): number[] {
  const out: number[] = initial === undefined ? [] : [initial];
  let acc = initial;
  for (const x of xs) {
    acc = acc === undefined ? x : acc + x;
    out.push(acc);
  }
  return out;
}

const byKey = <K, V>(pairs: [K, V][]) =>
  [...pairs].sort((a, b) => String(a[0]).localeCompare(String(b[0])));

function suite(name: string, connect: () => Promise<Client>, runs: number) {
  describe(`bag against plain arrays (${name})`, () => {
    let client: Client;
    before(async () => {
      client = await connect();
    });
    after(async () => {
      await client.close();
    });

    test("element-wise steps, fused, and mapPartitions", { timeout: 120_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(arrArb, async ({ xs, nparts }) => {
          const b = bb.fromSequence(xs, { npartitions: nparts });
          assert.equal(b.npartitions, nparts);
          const o = { client };
          const recs = xs.map((x, i) => ({
            x,
            i,
            tags: Array.from({ length: Math.abs(x) % 3 }, () => x),
          }));
          const r = bb.fromSequence(recs, { npartitions: nparts });
          const [mapped, chained, flat, plucked, pluckDefault, flattened, parts, pluckMany] =
            await Promise.all([
              b.map((x) => x * 2).compute(o),
              b
                .map((x) => x + 1)
                .filter((x) => x % 2 === 0)
                .map((x) => ({ v: x }))
                .pluck("v")
                .compute(o),
              b.flatMap((x) => (x > 0 ? [x, -x] : [])).compute(o),
              r.pluck("x").compute(o),
              r
                .map((e) => (e.x > 0 ? e : { i: e.i }))
                .pluck("x" as never, null)
                .compute(o),
              r.pluck("tags").flatten().compute(o),
              b.mapPartitions((items) => [items.length]).compute(o),
              r.pluck(["i", "x"]).compute(o),
            ]);
          assert.deepEqual(
            mapped,
            xs.map((x) => x * 2),
          );
          assert.deepEqual(
            chained,
            xs.map((x) => x + 1).filter((x) => x % 2 === 0),
          );
          assert.deepEqual(
            flat,
            xs.flatMap((x) => (x > 0 ? [x, -x] : [])),
          );
          assert.deepEqual(plucked, xs);
          assert.deepEqual(
            pluckDefault,
            xs.map((x) => (x > 0 ? x : null)),
          );
          assert.deepEqual(
            flattened,
            recs.flatMap((e) => e.tags),
          );
          assert.equal(parts.length, nparts);
          assert.equal(sum(parts), xs.length);
          assert.deepEqual(
            pluckMany,
            recs.map((e) => [e.i, e.x]),
          );
        }),
        { numRuns: runs },
      );
    });

    test("aggregations to one value", { timeout: 120_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(
          arrArb,
          fc.integer({ min: 2, max: 4 }),
          async ({ xs, nparts }, splitEvery) => {
            const b = bb.fromSequence(xs, { npartitions: nparts });
            const o = { client };
            const s = { splitEvery };
            const [count, total, mean, variance, std1, any, all, red, fold, foldInit] =
              await Promise.all([
                b.count(s).compute(o),
                b.sum(s).compute(o),
                b.mean(s).compute(o),
                b.var(s).compute(o),
                b.std({ ddof: 1, splitEvery }).compute(o),
                b.any().compute(o),
                b
                  .filter((x) => x !== 0)
                  .all()
                  .compute(o),
                b
                  .reduction(
                    (items) => items.length,
                    (ns) => ns.reduce((a, c) => a + c, 0),
                    s,
                  )
                  .compute(o),
                xs.length === 0 ? undefined : b.fold((a, x) => Math.max(a, x), s).compute(o),
                b.fold((a: number, x) => a + x, { initial: 0, splitEvery }).compute(o),
              ]);
            const n = xs.length;
            const m = sum(xs) / n;
            const v = sum(xs.map((x) => (x - m) ** 2));
            assert.equal(count, n);
            assert.equal(total, sum(xs));
            assert.ok(close(mean, m), `mean ${mean} vs ${m}`);
            assert.ok(close(variance, n === 0 ? Number.NaN : v / n), `var ${variance}`);
            assert.ok(close(std1, n <= 1 ? Number.NaN : Math.sqrt(v / (n - 1))), `std ${std1}`);
            assert.equal(
              any,
              xs.some((x) => x !== 0),
            );
            assert.equal(all, true);
            assert.equal(red, n);
            if (n > 0) assert.equal(fold, Math.max(...xs));
            assert.equal(foldInit, sum(xs));
            if (n > 0) {
              assert.equal(await b.min(s).compute(o), Math.min(...xs));
              assert.equal(await b.max(s).compute(o), Math.max(...xs));
            } else {
              await assert.rejects(b.min().compute(o), { code: "BARN_BAG_EMPTY" });
            }
          },
        ),
        { numRuns: runs },
      );
    });

    test("frequencies, topk, distinct, foldby, groupby", { timeout: 120_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(
          arrArb,
          fc.integer({ min: 0, max: 5 }),
          fc.integer({ min: 1, max: 4 }),
          async ({ xs, nparts }, k, groups) => {
            const b = bb.fromSequence(xs, { npartitions: nparts });
            const o = { client };
            const [
              freq,
              freqSorted,
              top,
              topKey,
              topPairs,
              distinct,
              distinctKey,
              folded,
              grouped,
            ] = await Promise.all([
              b.frequencies({ splitEvery: 2 }).compute(o),
              b.frequencies({ sort: true }).compute(o),
              b.topk(k).compute(o),
              b.topk(k, (x) => -x).compute(o),
              b.frequencies().topk(k, 1).compute(o),
              b.distinct().compute(o),
              b.distinct((x) => Math.abs(x)).compute(o),
              b
                .foldby<number, number>(
                  (x) => Math.abs(x) % 3,
                  (acc, x) => acc + x,
                  {
                    initial: 0,
                    combine: (a, c) => a + c,
                  },
                )
                .compute(o),
              b.groupby<number>((x) => Math.abs(x) % 3, { npartitions: groups }).compute(o),
            ]);
            const f = frequencies(xs);
            assert.deepEqual(freq, f);
            assert.deepEqual(
              freqSorted.map((p) => p[1]),
              [...f].sort((a, c) => c[1] - a[1]).map((p) => p[1]),
            );
            assert.deepEqual(
              top,
              topk(xs, k, (x) => x),
            );
            assert.deepEqual(
              topKey,
              topk(xs, k, (x) => -x),
            );
            assert.deepEqual(
              topPairs,
              topk(f, k, (p) => p[1]),
            );
            assert.deepEqual(distinct, [...new Set(xs)]);
            assert.deepEqual(
              distinctKey,
              groupby(xs, (x) => Math.abs(x)).map(([, g]) => g[0]),
            );
            assert.deepEqual(
              byKey(folded),
              byKey(groupby(xs, (x) => Math.abs(x) % 3).map(([key, g]) => [key, sum(g)])),
            );
            assert.deepEqual(byKey(grouped), byKey(groupby(xs, (x) => Math.abs(x) % 3)));
          },
        ),
        { numRuns: runs },
      );
    });

    test("repartition, zip, product, join, accumulate, concat, take", {
      timeout: 120_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(
          arrArb,
          fc.integer({ min: 1, max: 9 }),
          fc.integer({ min: 0, max: 30 }),
          async ({ xs, nparts }, n2, k) => {
            const b = bb.fromSequence(xs, { npartitions: nparts });
            const small = bb.fromSequence([1, 2], { npartitions: 2 });
            const other = [
              { k: 1, name: "one" },
              { k: 2, name: "two" },
              { k: 1, name: "uno" },
            ];
            const o = { client };
            const re = b.repartition(n2);
            assert.equal(re.npartitions, n2);
            const [reparted, zipped, prod, joined, acc, accInit, cat, taken] = await Promise.all([
              re.compute(o),
              b.zip(b.map((x) => x * 10)).compute(o),
              b.product(small).compute(o),
              b.join(other, (x) => x, "k").compute(o),
              b.accumulate((a, x) => a + x).compute(o),
              b.accumulate((a: number, x) => a + x, { initial: 100 }).compute(o),
              bb.concat([b, small]).compute(o),
              b.take(k, o),
            ]);
            assert.deepEqual(reparted, xs);
            assert.deepEqual(
              zipped,
              xs.map((x) => [x, x * 10]),
            );
            assert.deepEqual([...prod].sort(), xs.flatMap((x) => [1, 2].map((y) => [x, y])).sort());
            assert.deepEqual(
              joined,
              xs.flatMap((x) => other.filter((e) => e.k === x).map((e) => [e, x])),
            );
            assert.deepEqual(acc, accumulate(xs));
            assert.deepEqual(accInit, accumulate(xs, 100));
            assert.deepEqual(cat, [...xs, 1, 2]);
            assert.deepEqual(taken, xs.slice(0, k));
          },
        ),
        { numRuns: runs },
      );
    });
  });
}

suite("sync", () => Client.connect({ scheduler: "sync", setAsDefault: false }), 40);
suite("threads", () => Client.connect({ setAsDefault: false }), 15);

describe("bag on worker processes", () => {
  test("a pipeline, aggregations and a shuffle agree with arrays", {
    timeout: 180_000,
  }, async () => {
    const client = await Client.connect({ processes: true, setAsDefault: false });
    try {
      const xs = Array.from({ length: 200 }, (_, i) => (i * 7919) % 23);
      const b = bb.fromSequence(xs, { npartitions: 5 });
      const o = { client };
      const [mapped, freq, top, grouped, mean, folded] = await Promise.all([
        b
          .map((x) => x * 2)
          .filter((x) => x > 10)
          .compute(o),
        b.frequencies().compute(o),
        b.topk(3).compute(o),
        b.groupby<number>((x) => x % 4, { npartitions: 3 }).compute(o),
        b.mean().compute(o),
        b.fold((a: number, x) => a + x, { initial: 0 }).compute(o),
      ]);
      assert.deepEqual(
        mapped,
        xs.map((x) => x * 2).filter((x) => x > 10),
      );
      assert.deepEqual(freq, frequencies(xs));
      assert.deepEqual(
        top,
        topk(xs, 3, (x) => x),
      );
      assert.deepEqual(byKey(grouped), byKey(groupby(xs, (x) => x % 4)));
      assert.ok(close(mean, sum(xs) / xs.length));
      assert.equal(folded, sum(xs));
    } finally {
      await client.close();
    }
  });
});
