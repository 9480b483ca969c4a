/**
 * Issue 10's quantile, median and window verbs against DuckDB on random tables with nulls,
 * empty strings, empty partitions and int64 beyond 2^53, on the sync scheduler and a thread
 * cluster: grouped and whole-frame median/quantile (quantile_cont), and window() over the whole
 * frame and per group (sum/max/min OVER ROWS UNBOUNDED PRECEDING, row_number, lag/lead,
 * rank/dense_rank, avg/sum OVER ROWS n PRECEDING). An int64 running or rolling sum that leaves
 * int64 in DuckDB (which widens to int128) must be a BARN_FRAME_OVERFLOW here.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import fc from "fast-check";
import * as bf from "../../src/frame.js";
import { Client } from "../../src/index.js";
import type { Schema } from "../../src/kernels/batch.js";
import { duck, load, query } from "../unit/frame/helpers.js";

const P53 = 2n ** 53n;
const EDGES = [0n, -1n, 5n, P53, P53 + 1n, 2n ** 60n + 1n, 2n ** 63n - 1n, -(2n ** 63n)];
const MIN64 = -(2n ** 63n);
const MAX64 = 2n ** 63n - 1n;

interface Row extends Record<string, unknown> {
  r: number;
  k: string | null;
  x: bigint | null;
  i: number | null;
  f: number | null;
}
const SCHEMA: Schema = [
  { name: "r", type: "int32", nullable: false },
  { name: "k", type: "utf8", nullable: true },
  { name: "x", type: "int64", nullable: true },
  { name: "i", type: "int32", nullable: true },
  { name: "f", type: "float64", nullable: true },
];
const COLUMNS = ["r INTEGER", "k VARCHAR", "x BIGINT", "i INTEGER", "f DOUBLE"];

const tableArb = fc
  .record({
    cells: fc.array(
      fc.record({
        k: fc.option(fc.constantFrom("a", "b", "", "zz"), { freq: 5 }),
        x: fc.option(fc.constantFrom(...EDGES), { freq: 5 }),
        i: fc.option(fc.integer({ min: -3, max: 3 }), { freq: 5 }),
        f: fc.option(
          fc.integer({ min: -40, max: 40 }).map((v) => v / 4),
          { freq: 5 },
        ),
      }),
      { maxLength: 30 },
    ),
    nparts: fc.integer({ min: 1, max: 4 }),
  })
  .map(({ cells, nparts }) => ({
    // Row numbers in shuffled order, so the order key is not the input order.
    rows: cells.map((c, r): Row => ({ r: (r * 7919) % 1_000_003, ...c })),
    nparts,
  }));

/** A value as a comparable string: int64 beyond 2^53 exact, other numbers to 12 digits. */
function cell(v: unknown): string {
  if (typeof v === "bigint") {
    return v > P53 || v < -P53 ? `${v}n` : Number(v).toPrecision(12);
  }
  // Below 1e-12 is 0: two correct roundings of a zero result (DuckDB interpolates as
  // lo * (1 - d) + hi * d, barn as lo + (hi - lo) * d) may leave -5.6e-17 and 0.
  if (typeof v === "number") return (Math.abs(v) < 1e-12 ? 0 : v).toPrecision(12);
  return JSON.stringify(v);
}

function canon(rows: readonly Record<string, unknown>[], cols: readonly string[], ordered = false) {
  const out = rows.map((row) => cols.map((c) => `${c}=${cell(row[c])}`).join(" "));
  return ordered ? out : out.sort();
}

/** Whether a DuckDB result column holds a value outside int64 (where barn must refuse). */
const leavesInt64 = (rows: readonly Record<string, unknown>[], cols: readonly string[]) =>
  rows.some((r) =>
    cols.some(
      (c) => typeof r[c] === "bigint" && ((r[c] as bigint) < MIN64 || (r[c] as bigint) > MAX64),
    ),
  );

const isOverflow = (e: Error & { code?: string }) => e.code === "BARN_FRAME_OVERFLOW";

function suite(name: string, connect: () => Promise<Client>, runs: number) {
  describe(`quantile and window against DuckDB (${name})`, () => {
    let client: Client;
    let db: DuckDBConnection;
    before(async () => {
      client = await connect();
      db = await duck();
    });
    after(async () => {
      await client.close();
    });
    const frame = (rows: Row[], n: number) =>
      bf.fromRecords<Row>(rows, { npartitions: n, schema: SCHEMA });

    test("grouped median and quantile are quantile_cont", { timeout: 120_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(
          tableArb,
          fc.constantFrom(0, 0.1, 0.25, 0.5, 0.9, 1),
          fc.constantFrom(1, 2),
          async (t, q, splitOut) => {
            await load(db, "t", COLUMNS, t.rows);
            const got = await frame(t.rows, t.nparts)
              .groupby("k")
              .agg(
                {
                  x: "median",
                  qx: ["x", "quantile", q],
                  qi: ["i", "quantile", q],
                  f: ["quantile", q],
                },
                { splitOut },
              )
              .toRecords({ client });
            const want = await query(
              db,
              `SELECT k, median(x) AS x, quantile_cont(x, ${q}) AS qx, quantile_cont(i, ${q}) AS qi, quantile_cont(f, ${q}) AS f FROM t GROUP BY k`,
            );
            const cols = ["k", "x", "qx", "qi", "f"];
            assert.deepEqual(canon(got, cols), canon(want, cols));
          },
        ),
        { numRuns: runs },
      );
    });

    test("median and quantile over Parquet, where the read, a filter and the partial aggregation are one task", {
      timeout: 120_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(tableArb, fc.constantFrom(0.2, 0.5, 0.75), async (t, q) => {
          await load(db, "t", COLUMNS, t.rows);
          const dir = await mkdtemp(join(tmpdir(), "barn-quantile-"));
          try {
            await frame(t.rows, t.nparts).toParquet(dir, { client, rowGroupSize: 4 });
            const got = await bf
              .readParquet(dir)
              .filter(bf.col("i").ne(0))
              .groupby("k")
              .agg({ x: "median", f: ["quantile", q] })
              .toRecords({ client });
            const want = await query(
              db,
              `SELECT k, median(x) AS x, quantile_cont(f, ${q}) AS f FROM t WHERE i <> 0 GROUP BY k`,
            );
            assert.deepEqual(canon(got, ["k", "x", "f"]), canon(want, ["k", "x", "f"]));
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        }),
        { numRuns: Math.ceil(runs / 3) },
      );
    });

    test("whole-frame median, quantile and agg", { timeout: 120_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(tableArb, fc.constantFrom(0, 0.3, 0.5, 1), async (t, q) => {
          await load(db, "t", COLUMNS, t.rows);
          const df = frame(t.rows, t.nparts);
          const med = await df.median(["x", "i", "f"]).toRecords({ client });
          const wantMed = await query(
            db,
            "SELECT median(x) AS x, median(i) AS i, median(f) AS f FROM t",
          );
          assert.deepEqual(canon(med, ["x", "i", "f"]), canon(wantMed, ["x", "i", "f"]));
          // Default columns: every numeric one.
          const all = await df.quantile(q).toRecords({ client });
          const wantAll = await query(
            db,
            `SELECT ${["r", "x", "i", "f"].map((c) => `quantile_cont(${c}, ${q}) AS ${c}`).join(", ")} FROM t`,
          );
          assert.deepEqual(canon(all, ["r", "x", "i", "f"]), canon(wantAll, ["r", "x", "i", "f"]));
          const agg = await df.agg({ n: ["x", "count"], m: ["i", "median"] }).toRecords({ client });
          const wantAgg = await query(db, "SELECT count(x) AS n, median(i) AS m FROM t");
          assert.deepEqual(canon(agg, ["n", "m"]), canon(wantAgg, ["n", "m"]));
        }),
        { numRuns: runs },
      );
    });

    test("running functions, row numbers, shift and rolling over the whole frame", {
      timeout: 180_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(
          tableArb,
          fc.boolean(),
          fc.integer({ min: -3, max: 3 }),
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 1, max: 4 }),
          async (t, ascending, periods, window, minP) => {
            await load(db, "t", COLUMNS, t.rows);
            const minPeriods = Math.min(minP, window);
            const dir = ascending ? "ASC" : "DESC";
            const w = `(ORDER BY r ${dir} ROWS UNBOUNDED PRECEDING)`;
            const roll = `(ORDER BY r ${dir} ROWS ${window - 1} PRECEDING)`;
            const shift =
              periods >= 0
                ? `lag(v, ${periods}) OVER (ORDER BY r ${dir})`
                : `lead(v, ${-periods}) OVER (ORDER BY r ${dir})`;
            const want = await query(
              db,
              `SELECT r,
                CASE WHEN x IS NULL THEN NULL ELSE sum(x) OVER ${w} END AS csx,
                CASE WHEN f IS NULL THEN NULL ELSE sum(f) OVER ${w} END AS csf,
                CASE WHEN x IS NULL THEN NULL ELSE max(x) OVER ${w} END AS mx,
                CASE WHEN i IS NULL THEN NULL ELSE min(i) OVER ${w} END AS mi,
                row_number() OVER (ORDER BY r ${dir}) - 1 AS n,
                ${shift.replace("v", "x")} AS sx,
                ${shift.replace("v", "k")} AS sk,
                CASE WHEN count(f) OVER ${roll} >= ${minPeriods} THEN avg(f) OVER ${roll} END AS af,
                CASE WHEN count(x) OVER ${roll} >= ${minPeriods} THEN avg(x) OVER ${roll} END AS ax,
                CASE WHEN count(x) OVER ${roll} >= ${minPeriods} THEN sum(x) OVER ${roll} END AS rx
               FROM t ORDER BY r ${dir}`,
            );
            const df = frame(t.rows, t.nparts).window(
              {
                csx: { fn: "cumsum", column: "x" },
                csf: { fn: "cumsum", column: "f" },
                mx: { fn: "cummax", column: "x" },
                mi: { fn: "cummin", column: "i" },
                n: { fn: "cumcount" },
                sx: { fn: "shift", column: "x", periods },
                sk: { fn: "shift", column: "k", periods },
                af: { fn: "rollingMean", column: "f", window, minPeriods },
                ax: { fn: "rollingMean", column: "x", window, minPeriods },
                rx: { fn: "rollingSum", column: "x", window, minPeriods },
              },
              { orderBy: "r", ascending },
            );
            const cols = ["r", "csx", "csf", "mx", "mi", "n", "sx", "sk", "af", "ax", "rx"];
            if (leavesInt64(want, ["csx", "rx"])) {
              await assert.rejects(df.toRecords({ client }), isOverflow);
              return;
            }
            const got = await df.toRecords({ client });
            assert.deepEqual(canon(got, cols, true), canon(want, cols, true));
          },
        ),
        { numRuns: runs },
      );
    });

    test("per-group windows (groupby().window and partitionBy) and ranks", {
      timeout: 180_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(
          tableArb,
          fc.boolean(),
          fc.integer({ min: -2, max: 2 }),
          fc.integer({ min: 1, max: 3 }),
          async (t, ascending, periods, window) => {
            await load(db, "t", COLUMNS, t.rows);
            const dir = ascending ? "ASC" : "DESC";
            const w = `(PARTITION BY k ORDER BY r ${dir} ROWS UNBOUNDED PRECEDING)`;
            const roll = `(PARTITION BY k ORDER BY r ${dir} ROWS ${window - 1} PRECEDING)`;
            const over = `(PARTITION BY k ORDER BY r ${dir})`;
            const shift =
              periods >= 0
                ? `lag(x, ${periods}) OVER ${over}`
                : `lead(x, ${-periods}) OVER ${over}`;
            const want = await query(
              db,
              `SELECT r, k,
                CASE WHEN x IS NULL THEN NULL ELSE sum(x) OVER ${w} END AS csx,
                CASE WHEN f IS NULL THEN NULL ELSE max(f) OVER ${w} END AS mf,
                row_number() OVER ${over} - 1 AS n,
                ${shift} AS sx,
                CASE WHEN count(i) OVER ${roll} >= ${window} THEN sum(i) OVER ${roll} END AS ri
               FROM t`,
            );
            const df = frame(t.rows, t.nparts)
              .groupby("k")
              .window(
                {
                  csx: { fn: "cumsum", column: "x" },
                  mf: { fn: "cummax", column: "f" },
                  n: { fn: "cumcount" },
                  sx: { fn: "shift", column: "x", periods },
                  ri: { fn: "rollingSum", column: "i", window },
                },
                { orderBy: "r", ascending },
              );
            const cols = ["r", "k", "csx", "mf", "n", "sx", "ri"];
            if (leavesInt64(want, ["csx"])) {
              await assert.rejects(df.toRecords({ client }), isOverflow);
            } else {
              const got = await df.toRecords({ client });
              assert.deepEqual(canon(got, cols), canon(want, cols));
              // Rows come out grouped by k, in order within each group.
              const ks = got.map((g) => g.k);
              for (let j = 1; j < got.length; j++) {
                if (ks[j] === ks[j - 1]) {
                  const a = got[j - 1]!.r as number;
                  const b = got[j]!.r as number;
                  assert.ok(ascending ? a < b : a > b, `order within ${ks[j]}`);
                }
              }
            }
            // Ranks of an order key with ties and nulls (peers share a rank; nulls are peers,
            // last), per group and over the whole frame.
            for (const partitionBy of [["k"], []] as const) {
              const part = partitionBy.length > 0 ? "PARTITION BY k" : "";
              const peers = partitionBy.length > 0 ? "PARTITION BY k, i" : "PARTITION BY i";
              const wantRank = await query(
                db,
                `SELECT r, rank() OVER (${part} ORDER BY i ${dir} NULLS LAST) AS mn,
                  dense_rank() OVER (${part} ORDER BY i ${dir} NULLS LAST) AS dn,
                  rank() OVER (${part} ORDER BY i ${dir} NULLS LAST) + count(*) OVER (${peers}) - 1 AS mx,
                  rank() OVER (${part} ORDER BY i ${dir} NULLS LAST) + (count(*) OVER (${peers}) - 1) / 2 AS av
                 FROM t`,
              );
              const ranked = await frame(t.rows, t.nparts)
                .window(
                  {
                    mn: { fn: "rank", method: "min" },
                    dn: { fn: "rank", method: "dense" },
                    mx: { fn: "rank", method: "max" },
                    av: { fn: "rank" },
                    fi: { fn: "rank", method: "first" },
                  },
                  { orderBy: "i", partitionBy, ascending },
                )
                .toRecords({ client });
              const rc = ["r", "mn", "dn", "mx", "av"];
              assert.deepEqual(canon(ranked, rc), canon(wantRank, rc));
              // "first": the peers of a rank take min..max, each once, in row order.
              const byKey = new Map<string, number[]>();
              for (const row of ranked) {
                const key = `${row.mn}|${partitionBy.length > 0 ? row.k : ""}`;
                byKey.set(key, [...(byKey.get(key) ?? []), row.fi as number]);
              }
              for (const [key, firsts] of byKey) {
                const lo = Number(key.split("|")[0]);
                assert.deepEqual(
                  firsts,
                  firsts.map((_, j) => lo + j),
                  `first ranks of ${key}`,
                );
              }
            }
          },
        ),
        { numRuns: runs },
      );
    });
  });
}

suite("sync scheduler", () => Client.connect({ scheduler: "sync", setAsDefault: false }), 25);
suite(
  "thread cluster",
  () => Client.connect({ workers: 2, threadsPerWorker: 1, setAsDefault: false }),
  6,
);

test("bad quantile and window arguments are refused when the query is built", () => {
  const df = bf.fromRecords([{ a: 1, s: "x" }]);
  const bad: (() => unknown)[] = [
    () => df.groupby("s").agg({ a: ["quantile", 1.5] }),
    () => df.groupby("s").agg({ a: "quantile" }),
    () => df.groupby("s").agg({ q: { column: "a", fn: "quantile" } }),
    () => df.quantile(-0.1),
    () => df.window({ c: { fn: "cumsum", column: "a" } }, {} as never),
    () => df.window({ c: { fn: "cumsum", column: "a" } }, { orderBy: "a", order: 1 } as never),
    () => df.window({ c: { fn: "nope" } as never }, { orderBy: "a" }),
    () => df.window({ c: { fn: "shift", column: "a", periods: 0.5 } }, { orderBy: "a" }),
    () => df.window({ c: { fn: "rollingMean", column: "a", window: 0 } }, { orderBy: "a" }),
    () =>
      df.window(
        { c: { fn: "rollingMean", column: "a", window: 2, minPeriods: 3 } },
        { orderBy: "a" },
      ),
    () => df.window({ c: { fn: "rank", method: "dense2" as never } }, { orderBy: "a" }),
    () => df.window({ c: { fn: "rank", column: "a" } as never }, { orderBy: "a" }),
    () => df.window({ a: { fn: "cumcount" } }, { orderBy: "a" }),
    () =>
      df
        .groupby("s")
        .window({ c: { fn: "cumcount" } }, { orderBy: "a", partitionBy: "s" } as never),
  ];
  for (const f of bad) {
    assert.throws(f, (e: Error & { code?: string }) => e.code === "BARN_INVALID_OPTION", String(f));
  }
  assert.throws(
    () => df.window({ c: { fn: "cumsum", column: "s" } }, { orderBy: "a" }),
    (e: Error & { code?: string }) => e.code === "BARN_FRAME_TYPE_MISMATCH",
  );
  assert.throws(
    () => df.window({ c: { fn: "cumsum", column: "a" } }, { orderBy: "b" }),
    (e: Error & { code?: string }) => e.code === "BARN_UNKNOWN_COLUMN",
  );
  assert.throws(
    () => df.median(["s" as never]).explain(),
    (e: Error & { code?: string }) => e.code === "BARN_FRAME_TYPE_MISMATCH",
  );
});

test("a window computes only the outputs the query reads, and reads only their columns", {
  timeout: 30_000,
}, async () => {
  const df = bf.fromRecords([
    { t: 2, x: 1n, y: 5, z: "a" },
    { t: 1, x: 2n, y: 6, z: "b" },
  ]);
  const w = df
    .window(
      { cs: { fn: "cumsum", column: "x" }, ys: { fn: "shift", column: "y" } },
      { orderBy: "t" },
    )
    .select("cs");
  const plan = w.explain();
  assert.match(plan, /window orderBy \[t\] cumsum\(x\) as cs {2}/);
  assert.match(plan, /source memory .*columns=\[t, x\]|columns=\[x, t\]/);
  assert.deepEqual(await w.toRecords({ scheduler: "sync" }), [{ cs: 2n }, { cs: 3n }]);
});
