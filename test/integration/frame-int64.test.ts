/**
 * int64 is exact everywhere (issue 10, item 1): filters against bigint and number literals and
 * between two int64 columns, min/max/sum, sorts and setIndex, and arithmetic, checked against
 * DuckDB on random rows drawn from the edges (2^53 ± 1, 2^60 + k, 2^63 - 1, -2^63) with nulls
 * and empty partitions, on the sync scheduler and on a thread cluster. Values are compared as
 * exact bigints (the shared helpers compare numbers, which would hide the bug).
 */
import assert from "node:assert/strict";
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
const P60 = 2n ** 60n;
const MAX = 2n ** 63n - 1n;
const MIN = -(2n ** 63n);

/** Values at the edges where float64 loses int64 precision. */
const EDGES = [
  0n,
  1n,
  -1n,
  P53 - 1n,
  P53,
  P53 + 1n,
  -P53 - 1n,
  P60,
  P60 + 1n,
  P60 + 2n,
  -P60 - 1n,
  MAX,
  MAX - 1n,
  MIN,
  MIN + 1n,
];

/** Values whose sums, differences and doubles stay inside int64 (|v| <= 2^61). */
const SMALL = EDGES.filter((v) => v <= 2n ** 61n && v >= -(2n ** 61n));

interface Row extends Record<string, unknown> {
  k: string | null;
  x: bigint | null;
  y: bigint | null;
  s: bigint | null;
}

const SCHEMA: Schema = [
  { name: "k", type: "utf8", nullable: true },
  { name: "x", type: "int64", nullable: true },
  { name: "y", type: "int64", nullable: true },
  { name: "s", type: "int64", nullable: true },
];
const COLUMNS = ["k VARCHAR", "x BIGINT", "y BIGINT", "s BIGINT"];

const rowArb: fc.Arbitrary<Row> = fc.record({
  k: fc.option(fc.constantFrom("a", "b", ""), { freq: 6 }),
  x: fc.option(fc.constantFrom(...EDGES), { freq: 6 }),
  y: fc.option(fc.constantFrom(...EDGES), { freq: 6 }),
  s: fc.option(fc.constantFrom(...SMALL), { freq: 6 }),
});
const tableArb = fc.record({
  rows: fc.array(rowArb, { maxLength: 30 }),
  nparts: fc.integer({ min: 1, max: 4 }),
});

/** Rows as canonical strings (bigints exact, keys sorted), sorted unless `ordered`. */
function canon(rows: readonly Record<string, unknown>[], ordered = false): string[] {
  const out = rows.map((r) =>
    JSON.stringify(
      Object.keys(r)
        .sort()
        .map((k) => [k, typeof r[k] === "bigint" ? `${r[k]}n` : r[k]]),
    ),
  );
  return ordered ? out : out.sort();
}

type Op = "eq" | "ne" | "lt" | "le" | "gt" | "ge";
const SQL_OP: Record<Op, string> = { eq: "=", ne: "<>", lt: "<", le: "<=", gt: ">", ge: ">=" };
const opArb = fc.constantFrom<Op>("eq", "ne", "lt", "le", "gt", "ge");
/** Literals: every edge as a bigint, and whole numbers that are exact as float64. */
const litArb: fc.Arbitrary<bigint | number> = fc.oneof(
  fc.constantFrom(...EDGES),
  fc.constantFrom(0, -1, 2 ** 53, 2 ** 60, -(2 ** 63), 2.5, -0.5, 2 ** 64),
);

function suite(name: string, connect: () => Promise<Client>, runs: number) {
  describe(`int64 is exact (${name})`, () => {
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
      bf.fromRecords(rows, { npartitions: n, schema: SCHEMA });

    test("filter against bigint and number literals, and between columns", {
      timeout: 120_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(tableArb, opArb, litArb, fc.boolean(), async (t, op, lit, flip) => {
          await load(db, "t", COLUMNS, t.rows);
          const pred = flip ? bf.lit(lit)[op](bf.col("x")) : bf.col("x")[op](lit);
          // A whole number in SQL as its exact digits (2 ** 60 prints as 1152921504606847000).
          const l =
            typeof lit === "number" && Number.isInteger(lit) ? BigInt(lit).toString() : `${lit}`;
          const sqlPred = flip ? `${l} ${SQL_OP[op]} x` : `x ${SQL_OP[op]} ${l}`;
          const got = await frame(t.rows, t.nparts).filter(pred).toRecords({ client });
          const want = await query(db, `SELECT * FROM t WHERE ${sqlPred}`);
          assert.deepEqual(canon(got), canon(want), sqlPred);
          // The same comparison as a column (not a filter's selection).
          const cols = await frame(t.rows, t.nparts)
            .withColumns({ c: bf.col("x")[op](bf.col("y")) })
            .select("x", "y", "c")
            .toRecords({ client });
          const wantCols = await query(db, `SELECT x, y, x ${SQL_OP[op]} y AS c FROM t`);
          assert.deepEqual(canon(cols), canon(wantCols), `x ${op} y`);
        }),
        { numRuns: runs },
      );
    });

    test("min, max and an exact sum per group and overall", { timeout: 120_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(tableArb, async (t) => {
          await load(db, "t", COLUMNS, t.rows);
          const got = await frame(t.rows, t.nparts)
            .groupby("k")
            .agg({ lo: ["x", "min"], hi: ["x", "max"], total: ["s", "sum"], ymax: ["y", "max"] })
            .toRecords({ client });
          const want = await query(
            db,
            "SELECT k, min(x) lo, max(x) hi, sum(s)::BIGINT total, max(y) ymax FROM t GROUP BY k",
          );
          assert.deepEqual(canon(got), canon(want));
        }),
        { numRuns: runs },
      );
    });

    test("sortValues and setIndex order int64 exactly, in both directions", {
      timeout: 120_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(tableArb, fc.boolean(), async (t, asc) => {
          await load(db, "t", COLUMNS, t.rows);
          const got = await frame(t.rows, t.nparts)
            .sortValues("x", { ascending: asc })
            .select("x")
            .toRecords({ client });
          const want = await query(
            db,
            `SELECT x FROM t ORDER BY x ${asc ? "ASC" : "DESC"} NULLS LAST`,
          );
          assert.deepEqual(canon(got, true), canon(want, true));
          const idx = await frame(t.rows, t.nparts).setIndex("y").select("y").toRecords({ client });
          const wantIdx = await query(db, "SELECT y FROM t ORDER BY y NULLS LAST");
          assert.deepEqual(canon(idx, true), canon(wantIdx, true));
        }),
        { numRuns: runs },
      );
    });

    test("arithmetic: int64 with integers stays int64 and exact; with floats is float64", {
      timeout: 120_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(tableArb, async (t) => {
          await load(db, "t", COLUMNS, t.rows);
          const df = frame(t.rows, t.nparts).withColumns({
            a: bf.col("s").add(bf.col("s")),
            b: bf.col("s").sub(1n),
            c: bf.col("s").mul(2),
            d: bf.lit(1).add(bf.col("s")),
            e: bf.col("s").mul(bf.col("s").sub(bf.col("s"))),
          });
          const types = Object.fromEntries(df.schema.map((f) => [f.name, f.type]));
          assert.deepEqual([types.a, types.b, types.c, types.d, types.e], Array(5).fill("int64"));
          const got = await df.select("s", "a", "b", "c", "d", "e").toRecords({ client });
          const want = await query(
            db,
            "SELECT s, s + s a, s - 1 b, s * 2 c, 1 + s d, s * (s - s) e FROM t",
          );
          assert.deepEqual(canon(got), canon(want));
          const f = frame(t.rows, t.nparts).withColumns({ h: bf.col("s").mul(0.5) });
          assert.equal(f.schema.find((x) => x.name === "h")!.type, "float64");
        }),
        { numRuns: runs },
      );
    });

    test("filters pushed into a Parquet read prune row groups exactly at the int64 edges", {
      timeout: 120_000,
    }, async () => {
      const sorted = [...EDGES].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const rows: Row[] = sorted.map((x) => ({ k: "a", x, y: x, s: null }));
      const dir = join(tmpdir(), `barn-int64-${process.pid}-${name.replace(/\W/g, "")}`);
      // Two rows per row group: statistics separate values that float64 would merge.
      await frame(rows, 1).toParquet(dir, { client, rowGroupSize: 2 });
      const src = `read_parquet('${dir}/*.parquet')`;
      for (const lit of EDGES) {
        for (const op of ["eq", "ne", "lt", "le", "gt", "ge"] as const) {
          const got = await bf
            .readParquet(dir)
            .filter(bf.col("x")[op](lit))
            .select("x")
            .toRecords({ client });
          const want = await query(db, `SELECT x FROM ${src} WHERE x ${SQL_OP[op]} ${lit}`);
          assert.deepEqual(canon(got), canon(want), `x ${op} ${lit}`);
        }
      }
    });

    test("an int64 result outside the range is BARN_FRAME_OVERFLOW, not a wrap", {
      timeout: 60_000,
    }, async () => {
      const rows: Row[] = [
        { k: "a", x: MAX, y: 1n, s: MAX },
        { k: "a", x: 1n, y: MIN, s: 1n },
      ];
      await assert.rejects(
        frame(rows, 2)
          .groupby("k")
          .agg({ t: ["s", "sum"] })
          .toRecords({ client }),
        (e: Error & { code?: string }) => e.code === "BARN_FRAME_OVERFLOW",
      );
      await assert.rejects(
        frame(rows, 1)
          .withColumns({ z: bf.col("x").add(1n) })
          .toRecords({ client }),
        (e: Error & { code?: string }) => e.code === "BARN_FRAME_OVERFLOW",
      );
      await assert.rejects(
        frame(rows, 1)
          .withColumns({ z: bf.col("y").mul(-1) })
          .toRecords({ client }),
        (e: Error & { code?: string }) => e.code === "BARN_FRAME_OVERFLOW",
      );
      // A sum that passes 2^63 on the way but ends inside is exact.
      const back: Row[] = [
        { k: "a", x: null, y: null, s: MAX },
        { k: "a", x: null, y: null, s: 10n },
        { k: "a", x: null, y: null, s: -20n },
      ];
      const got = await frame(back, 1)
        .groupby("k")
        .agg({ t: ["s", "sum"] })
        .toRecords({ client });
      assert.deepEqual(got, [{ k: "a", t: MAX - 10n }]);
    });
  });
}

suite("sync scheduler", () => Client.connect({ scheduler: "sync", setAsDefault: false }), 30);
suite(
  "thread cluster",
  () => Client.connect({ workers: 2, threadsPerWorker: 1, setAsDefault: false }),
  8,
);
