/**
 * Random tables and random queries through barn/frame (sync scheduler) against DuckDB holding
 * the same rows: filter, withColumns, groupby-agg, join (every how, broadcast and hash), sort,
 * dropDuplicates and valueCounts. Tables have nulls, skewed string keys, dates and empty
 * partitions.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import fc from "fast-check";
import * as bf from "../../src/frame.js";
import { Client } from "../../src/index.js";
import {
  assertSameOrderedRows,
  assertSameRows,
  duck,
  keyArb,
  load,
  query,
  T_COLUMNS,
  T_SCHEMA,
  type TRow,
  tableArb,
} from "../unit/frame/helpers.js";

type Pred = { expr: bf.Expr<"i" | "f" | "s" | "d">; sql: string };

const leafArb: fc.Arbitrary<Pred> = fc.oneof(
  fc
    .integer({ min: -20, max: 20 })
    .map((q) => q / 4)
    .map((c) => ({ expr: bf.col("f").gt(c), sql: `f > ${c}` })),
  fc
    .integer({ min: -20, max: 20 })
    .map((q) => q / 4)
    .map((c) => ({ expr: bf.col("f").le(c), sql: `f <= ${c}` })),
  fc.integer({ min: -5, max: 5 }).map((c) => ({ expr: bf.col("i").le(c), sql: `i <= ${c}` })),
  // Every operator against a literal, and the literal on the left (a filter selects these rows
  // without a bool column: filterCompare).
  fc
    .tuple(
      fc.constantFrom("eq", "ne", "lt", "ge") as fc.Arbitrary<"eq" | "ne" | "lt" | "ge">,
      fc.integer({ min: -5, max: 5 }),
    )
    .map(([op, c]) => ({
      expr: bf.col("i")[op](c),
      sql: `i ${{ eq: "=", ne: "<>", lt: "<", ge: ">=" }[op]} ${c}`,
    })),
  fc
    .integer({ min: -20, max: 20 })
    .map((q) => q / 4)
    .map((c) => ({ expr: bf.lit(c).lt(bf.col("f")), sql: `${c} < f` })),
  fc.constantFrom("a", "b", "zz").map((c) => ({ expr: bf.col("s").eq(c), sql: `s = '${c}'` })),
  fc
    .constantFrom("d", "")
    .map((p) => ({ expr: bf.col("s").str.startsWith(p), sql: `starts_with(s, '${p}')` })),
  fc.constant({ expr: bf.col("f").isNull(), sql: "f IS NULL" }),
  fc.constant({ expr: bf.col("i").ne(bf.col("f")), sql: "i <> f" }),
);

const predArb: fc.Arbitrary<Pred> = fc.letrec<{ p: Pred }>((tie) => ({
  p: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafArb,
    fc
      .tuple(tie("p"), tie("p"))
      .map(([a, b]) => ({ expr: a.expr.and(b.expr), sql: `(${a.sql} AND ${b.sql})` })),
    fc
      .tuple(tie("p"), tie("p"))
      .map(([a, b]) => ({ expr: a.expr.or(b.expr), sql: `(${a.sql} OR ${b.sql})` })),
    tie("p").map((a) => ({ expr: a.expr.not(), sql: `(NOT ${a.sql})` })),
  ),
})).p;

const RUNS = { numRuns: 25 };

describe("barn/frame against DuckDB", () => {
  let client: Client;
  let db: DuckDBConnection;
  before(async () => {
    client = await Client.connect({ scheduler: "sync" });
    db = await duck();
  });
  after(async () => {
    await client.close();
  });

  const frame = (rows: TRow[], nparts: number) =>
    bf.fromRecords(rows, { npartitions: nparts, schema: T_SCHEMA });

  test("filter with Kleene logic, then withColumns and select", { timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(tableArb, predArb, async ({ rows, nparts }, pred) => {
        await load(db, "t", T_COLUMNS, rows);
        const got = await frame(rows, nparts)
          .filter(pred.expr)
          .withColumns({
            z: bf.col("f").mul(2).add(bf.col("i")),
            n: bf.col("s").str.length(),
            u: bf.col("s").str.upper(),
          })
          .select("i", "s", "z", "n", "u")
          .toRecords({ client });
        const want = await query(
          db,
          `SELECT i, s, f * 2 + i AS z, length(s) AS n, upper(s) AS u FROM t WHERE ${pred.sql}`,
        );
        assertSameRows(got, want, pred.sql);
      }),
      RUNS,
    );
  });

  test("withColumns and filter right before groupby-agg (run in the aggregation's task)", {
    timeout: 60_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(tableArb, predArb, fc.boolean(), async ({ rows, nparts }, pred, derive) => {
        await load(db, "t", T_COLUMNS, rows);
        let df = frame(rows, nparts).untyped();
        if (derive) df = df.withColumns({ g: bf.col("f").mul(2) }).untyped();
        const got = await df
          .filter(pred.expr)
          .groupby("s")
          .agg({
            f: ["sum", "mean", "count", "min"],
            i: ["nunique", "max"],
            n: [derive ? "g" : "f", "size"],
            m: ["d", "size"],
          })
          .toRecords({ client });
        const want = await query(
          db,
          `SELECT s, sum(f) f_sum, avg(f) f_mean, count(f) f_count, min(f) f_min,
             count(DISTINCT i) i_nunique, max(i) i_max, count(*) n, count(*) m
           FROM t WHERE ${pred.sql} GROUP BY s`,
        );
        assertSameRows(got, want, pred.sql);
      }),
      RUNS,
    );
  });

  test("groupby-agg with every function, one or two keys, tree reduction and split-out", {
    timeout: 60_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        tableArb,
        fc.boolean(),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 2, max: 3 }),
        async ({ rows, nparts }, twoKeys, splitOut, splitEvery) => {
          await load(db, "t", T_COLUMNS, rows);
          const keys = twoKeys ? (["s", "i"] as const) : (["s"] as const);
          const got = await frame(rows, nparts)
            .groupby([...keys])
            .agg(
              {
                f: ["sum", "mean", "count", "std", "var", "min", "max"],
                i: ["nunique", "min", "max"],
                n: ["f", "size"],
              },
              { splitOut, splitEvery },
            )
            .toRecords({ client });
          const want = await query(
            db,
            `SELECT ${keys.join(", ")}, sum(f) f_sum, avg(f) f_mean, count(f) f_count, stddev_samp(f) f_std,
               var_samp(f) f_var, min(f) f_min, max(f) f_max, count(DISTINCT i) i_nunique, min(i) i_min,
               max(i) i_max, count(*) n FROM t GROUP BY ${keys.join(", ")}`,
          );
          assertSameRows(got, want);
        },
      ),
      RUNS,
    );
  });

  test("first and last are the first and last non-null value in row order", {
    timeout: 30_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(tableArb, async ({ rows, nparts }) => {
        const got = await frame(rows, nparts)
          .groupby("s")
          .agg({ f: ["first", "last"] })
          .toRecords({ client });
        const want = new Map<
          string | null,
          { s: string | null; f_first: number | null; f_last: number | null }
        >();
        for (const r of rows) {
          const g = want.get(r.s) ?? { s: r.s, f_first: null, f_last: null };
          if (r.f !== null) {
            g.f_first ??= r.f;
            g.f_last = r.f;
          }
          want.set(r.s, g);
        }
        assertSameRows(got, [...want.values()]);
      }),
      RUNS,
    );
  });

  const dimArb = fc.array(
    fc.record({ s: keyArb, w: fc.option(fc.integer({ min: 0, max: 9 }), { freq: 4 }) }),
    { maxLength: 8 },
  );

  test("merge: inner, left, right, outer, broadcast and hash shuffle", {
    timeout: 60_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        tableArb,
        dimArb,
        fc.constantFrom("inner", "left", "right", "outer") as fc.Arbitrary<
          "inner" | "left" | "right" | "outer"
        >,
        fc.boolean(),
        fc.integer({ min: 1, max: 3 }),
        async ({ rows, nparts }, dim, how, broadcast, dimParts) => {
          await load(db, "t", T_COLUMNS, rows);
          await load(db, "r", ["s VARCHAR", "w INTEGER"], dim);
          const right = bf.fromRecords(dim, {
            npartitions: dimParts,
            schema: [
              { name: "s", type: "utf8", nullable: true },
              { name: "w", type: "int32", nullable: true },
            ],
          });
          const got = await frame(rows, nparts)
            .merge(right, { on: "s", how, broadcast })
            .select("i", "f", "s", "w")
            .toRecords({ client });
          const sqlHow = { inner: "INNER", left: "LEFT", right: "RIGHT", outer: "FULL OUTER" }[how];
          const want = await query(
            db,
            `SELECT t.i, t.f, coalesce(t.s, r.s) AS s, r.w FROM t ${sqlHow} JOIN r ON t.s = r.s`,
          );
          assertSameRows(got, want, `${how} broadcast=${broadcast}`);
        },
      ),
      RUNS,
    );
  });

  test("sortValues on two keys, nulls last, across partitions", { timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(tableArb, fc.boolean(), fc.boolean(), async ({ rows, nparts }, a1, a2) => {
        await load(db, "t", T_COLUMNS, rows);
        const got = await frame(rows, nparts)
          .sortValues(["s", "f"], { ascending: [a1, a2] })
          .select("s", "f")
          .toRecords({ client });
        const dir = (a: boolean) => (a ? "ASC" : "DESC");
        const want = await query(
          db,
          `SELECT s, f FROM t ORDER BY s ${dir(a1)} NULLS LAST, f ${dir(a2)} NULLS LAST`,
        );
        assertSameOrderedRows(got, want);
      }),
      RUNS,
    );
  });

  test("dropDuplicates keeps the first row of each subset value; valueCounts counts", {
    timeout: 60_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(tableArb, async ({ rows, nparts }) => {
        await load(db, "t", T_COLUMNS, rows);
        const df = frame(rows, nparts);
        const got = await df.dropDuplicates(["s", "i"]).select("s", "i", "f").toRecords({ client });
        const seen = new Map<string, TRow>();
        for (const r of rows) {
          const k = JSON.stringify([r.s, r.i]);
          if (!seen.has(k)) seen.set(k, r);
        }
        assertSameRows(
          got,
          [...seen.values()].map(({ s, i, f }) => ({ s, i, f })),
        );
        const counts = await df.valueCounts("s").toRecords({ client });
        const want = await query(db, "SELECT s, count(*) AS count FROM t GROUP BY s");
        assertSameRows(counts, want);
        for (let k = 1; k < counts.length; k++) {
          assert.ok(
            (counts[k - 1]!.count as number) >= (counts[k]!.count as number),
            "most frequent first",
          );
        }
      }),
      RUNS,
    );
  });
});
