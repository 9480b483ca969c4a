/**
 * barn/frame end to end: compute() gives apache-arrow Tables with the right types, head()
 * computes only the partitions it needs, persist() keeps partitions on the cluster,
 * mapPartitions ships inline and module functions (Batch and arrow forms), describe() matches
 * plain JS, fromArrow round-trips; and on a real local cluster of worker threads the same
 * queries give the same answers as the sync scheduler.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as A from "apache-arrow";
import * as bf from "../../src/frame.js";
import { Client } from "../../src/index.js";
import { fixtureOps } from "../unit/frame/fixtures/reader.js";
import { assertSameOrderedRows, assertSameRows } from "../unit/frame/helpers.js";

const N = 3000;
const rows = Array.from({ length: N }, (_, i) => ({
  id: i,
  key: `k${(i * 7) % 101}`,
  cat: ["x", "y", "z"][i % 3]!,
  v: i % 11 === 0 ? null : ((i * 37) % 1000) / 10,
  at: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000),
}));
const dim = Array.from({ length: 101 }, (_, k) => ({ key: `k${k}`, region: `r${k % 4}` }));

/** The queries both schedulers run. */
function queries() {
  const df = bf.fromRecords(rows, { npartitions: 5 });
  const d = bf.fromRecords(dim, { npartitions: 2 });
  return {
    groupby: df
      .groupby("key")
      .agg({ v: ["mean", "sum", "std"], id: "nunique" }, { splitOut: 3, splitEvery: 2 }),
    filterCount: df
      .filter(df.col("v").gt(50))
      .groupby("cat")
      .agg({ n: ["id", "size"] }),
    joinSum: df
      .merge(d, { on: "key", broadcast: false, npartitions: 3 })
      .groupby("region")
      .agg({ v: "sum" }),
    sorted: df.sortValues(["cat", "v"], { ascending: [false, true] }).select("cat", "v"),
    dedup: df.dropDuplicates(["cat"]).select("cat", "id"),
    dates: df
      .filter(df.col("at").ge(new Date(Date.UTC(2024, 1, 1))))
      .withColumns({ m: df.col("at").dt.month(), wd: df.col("at").dt.weekday() })
      .groupby("m")
      .agg({ wd: "max", id: "count" }),
  };
}

describe("barn/frame API (sync scheduler)", () => {
  let client: Client;
  before(async () => {
    client = await Client.connect({ scheduler: "sync" });
  });
  after(async () => {
    await client.close();
  });

  test("compute() returns an arrow Table with typed columns", async () => {
    const t = await bf.fromRecords(rows.slice(0, 4), { npartitions: 2 }).compute({ client });
    assert.ok(t instanceof A.Table);
    assert.equal(t.numRows, 4);
    assert.deepEqual(
      t.schema.fields.map((f) => String(f.type)),
      ["Int32", "Utf8", "Utf8", "Float64", "Timestamp<MILLISECOND>"],
    );
    assert.equal(t.getChild("v")!.get(0), null);
    assert.equal(t.getChild("at")!.get(1), rows[1]!.at.getTime());
  });

  test("head(n) computes only the partitions it needs", async () => {
    // Partition 2 (rows 2..3) would fail: head(2) must never compute it.
    const df = bf
      .fromRecords([{ a: 1 }, { a: 2 }, { a: -1 }, { a: 4 }], { npartitions: 2 })
      .mapPartitions((b: bf.Batch) => {
        if ((b.columns[0]!.data as Int32Array).includes(-1))
          throw new Error("partition 2 computed");
        return b;
      });
    const t = await df.head(2, { client });
    assert.deepEqual(
      t.toArray().map((r) => r.toJSON()),
      [{ a: 1 }, { a: 2 }],
    );
    await assert.rejects(df.compute({ client }), /partition 2 computed/);
    const lazy = await bf.fromRecords(rows, { npartitions: 4 }).limit(7).toRecords({ client });
    assert.deepEqual(
      lazy.map((r) => r.id),
      [0, 1, 2, 3, 4, 5, 6],
    );
  });

  test("persist() keeps the partitions on the cluster and reads them from there", async () => {
    const df = bf.fromRecords(rows, { npartitions: 3 }).filter(bf.col("id").lt(100));
    const p = await df.persist({ client });
    assert.match(p.explain(), /source persisted +partitions=3/);
    assert.equal(p.npartitions, 3);
    assertSameRows(
      await p.select("id").toRecords({ client }),
      rows.slice(0, 100).map(({ id }) => ({ id })),
    );
  });

  test("a hash join of an int32 key with a float64 key shuffles both sides alike", async () => {
    const left = bf.fromRecords(
      Array.from({ length: 40 }, (_, i) => ({ k: i % 10, a: i })),
      { npartitions: 4 },
    );
    const right = bf.fromRecords(
      Array.from({ length: 10 }, (_, i) => ({ k: i + 0.5 * (i % 2), b: i })),
      { npartitions: 3 },
    );
    assert.equal(right.schema[0]!.type, "float64");
    const j = left.merge(right, { on: "k", broadcast: false, npartitions: 3 });
    assert.match(j.explain(), /strategy=hash +partitions=3/);
    const got = await j.toRecords({ client });
    const want = Array.from({ length: 40 }, (_, i) => i)
      .filter((i) => (i % 10) % 2 === 0)
      .map((i) => ({ k: i % 10, a: i, b: i % 10 }));
    assertSameRows(got, want);
  });

  test("setIndex then persist knows the divisions", async () => {
    const df = bf.fromRecords(rows, { npartitions: 4 }).setIndex("v");
    assert.equal(df.divisions, undefined);
    const p = await df.persist({ client });
    assert.equal(p.index, "v");
    const divs = p.divisions as (number | null)[];
    assert.equal(divs.length, 5);
    const all = (await p.toRecords({ client })).map((r) => r.v);
    assert.equal(divs[0], all[0]);
    assert.equal(divs[4], null, "nulls sort last, so the last division is null");
    for (let k = 1; k < 4; k++) assert.ok((divs[k - 1] as number) <= (divs[k] as number));
  });

  test("mapPartitions with a module function, an inline one and an arrow one", async () => {
    const df = bf.fromRecords(
      [
        { x: 1.5, s: "a" },
        { x: 2, s: "b" },
      ],
      { npartitions: 2 },
    );
    const doubled = await df.mapPartitions(fixtureOps.doubleX).toRecords({ client });
    assert.deepEqual(doubled, [
      { x: 3, s: "a" },
      { x: 4, s: "b" },
    ]);
    const viaArrow = df.mapPartitions((t: A.Table) => t.select(["s"]), { arrow: true });
    assert.deepEqual(viaArrow.columns, ["s"]);
    assert.deepEqual(await viaArrow.toRecords({ client }), [{ s: "a" }, { s: "b" }]);
    const bad = df.mapPartitions(((b: bf.Batch) => (b.length > 0 ? 42 : b)) as never);
    await assert.rejects(bad.compute({ client }), /returned number instead of a Batch/);
  });

  test("describe() matches plain JS", async () => {
    const t = await bf.fromRecords(rows, { npartitions: 4 }).select("id", "v").describe({ client });
    const stat = Object.fromEntries(t.toArray().map((r) => [r.statistic, r.toJSON()]));
    const vs = rows.map((r) => r.v).filter((v): v is number => v !== null);
    const mean = vs.reduce((s, v) => s + v, 0) / vs.length;
    assert.equal(stat.count!.v, vs.length);
    assert.ok(Math.abs(stat.mean!.v - mean) < 1e-9);
    assert.ok(
      Math.abs(
        stat.std!.v - Math.sqrt(vs.reduce((s, v) => s + (v - mean) ** 2, 0) / (vs.length - 1)),
      ) < 1e-9,
    );
    assert.equal(stat.min!.v, Math.min(...vs));
    assert.equal(stat.max!.id, N - 1);
  });

  test("fromArrow and compute round-trip every supported type", async () => {
    const t = new A.Table({
      i: A.makeVector(Int32Array.from([1, 2, 3])),
      f: A.makeVector(Float64Array.from([0.5, Number.NaN, -1])),
      b: A.vectorFromArray([true, null, false], new A.Bool()),
      s: A.vectorFromArray(["a", null, "ccc"], new A.Utf8()),
      d: A.vectorFromArray(["x", "y", "x"], new A.Dictionary(new A.Utf8(), new A.Int32())),
      big: A.vectorFromArray([1n, null, 3n], new A.Int64()),
    });
    const back = await bf.fromArrow(t, { npartitions: 2 }).compute({ client });
    assert.deepEqual(
      back.toArray().map((r) => r.toJSON()),
      t.toArray().map((r) => r.toJSON()),
    );
  });
});

describe("barn/frame on a local cluster of worker threads", () => {
  let threads: Client;
  let sync: Client;
  before(async () => {
    threads = await Client.connect({ workers: 2, threadsPerWorker: 1, setAsDefault: false });
    sync = await Client.connect({ scheduler: "sync", setAsDefault: false });
  });
  after(async () => {
    await threads.close();
    await sync.close();
  });

  test("the same queries give the same answers as the sync scheduler", {
    timeout: 60_000,
  }, async () => {
    const q = queries();
    for (const [name, df] of Object.entries(q)) {
      const a = await df.toRecords({ client: threads });
      const b = await df.toRecords({ client: sync });
      if (name === "sorted") assertSameOrderedRows(a, b, name);
      else assertSameRows(a, b, name);
      assert.ok(a.length > 0, name);
    }
    const joined = await q.joinSum.toRecords({ client: threads });
    const want = new Map<string, number>();
    for (const r of rows)
      if (r.v !== null)
        want.set(
          `r${Number(r.key.slice(1)) % 4}`,
          (want.get(`r${Number(r.key.slice(1)) % 4}`) ?? 0) + r.v,
        );
    assertSameRows(
      joined,
      [...want].map(([region, v]) => ({ region, v })),
    );
  });

  test("persist and mapPartitions on worker threads", { timeout: 60_000 }, async () => {
    const p = await bf
      .fromRecords(rows, { npartitions: 4 })
      .select("id", "v")
      .persist({ client: threads });
    const out2 = await p
      .withColumns({ x: bf.col("v") })
      .mapPartitions(fixtureOps.doubleX)
      .filter(bf.col("id").le(2))
      .toRecords({ client: threads });
    assert.deepEqual(out2, [
      { id: 0, v: null, x: null },
      { id: 1, v: 3.7, x: 7.4 },
      { id: 2, v: 7.4, x: 14.8 },
    ]);
  });
});
