/**
 * Issue 10's pivotTable and melt against DuckDB's PIVOT and UNPIVOT INCLUDE NULLS on random
 * tables with nulls, empty strings, empty partitions and int64 beyond 2^53, on the sync
 * scheduler and a thread cluster.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import fc from "fast-check";
import * as bf from "../../src/frame.js";
import { Client } from "../../src/index.js";
import type { Schema } from "../../src/kernels/batch.js";
import { duck, load, query } from "../unit/frame/helpers.js";

const P53 = 2n ** 53n;
const EDGES = [0n, -1n, 7n, P53, P53 + 1n, 2n ** 60n + 1n, -(2n ** 62n)];

interface Row extends Record<string, unknown> {
  k: string | null;
  c: string | null;
  x: bigint | null;
  i: number | null;
  f: number | null;
}
const SCHEMA: Schema = [
  { name: "k", type: "utf8", nullable: true },
  { name: "c", type: "utf8", nullable: true },
  { name: "x", type: "int64", nullable: true },
  { name: "i", type: "int32", nullable: true },
  { name: "f", type: "float64", nullable: true },
];
const COLUMNS = ["k VARCHAR", "c VARCHAR", "x BIGINT", "i INTEGER", "f DOUBLE"];

const tableArb = fc.record({
  rows: fc.array(
    fc.record({
      k: fc.option(fc.constantFrom("a", "b", ""), { freq: 5 }),
      c: fc.option(fc.constantFrom("p", "q", "", "other"), { freq: 5 }),
      x: fc.option(fc.constantFrom(...EDGES), { freq: 5 }),
      i: fc.option(fc.integer({ min: -3, max: 3 }), { freq: 5 }),
      f: fc.option(
        fc.integer({ min: -20, max: 20 }).map((v) => v / 4),
        { freq: 5 },
      ),
    }),
    { maxLength: 30 },
  ),
  nparts: fc.integer({ min: 1, max: 4 }),
});

function cell(v: unknown): string {
  if (typeof v === "bigint") return v > P53 || v < -P53 ? `${v}n` : Number(v).toPrecision(12);
  // Below 1e-12 is 0: two correct roundings of a zero result (DuckDB interpolates as
  // lo * (1 - d) + hi * d, barn as lo + (hi - lo) * d) may leave -5.6e-17 and 0.
  if (typeof v === "number") return (Math.abs(v) < 1e-12 ? 0 : v).toPrecision(12);
  return JSON.stringify(v);
}
const canon = (rows: readonly Record<string, unknown>[], cols: readonly string[]) =>
  rows.map((r) => cols.map((c) => `${c}=${cell(r[c])}`).join(" ")).sort();

function suite(name: string, connect: () => Promise<Client>, runs: number) {
  describe(`pivotTable and melt against DuckDB (${name})`, () => {
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

    test("pivotTable is PIVOT ... ON c IN (...) USING fn(v) GROUP BY k", {
      timeout: 120_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(
          tableArb,
          fc.constantFrom<[bf.AggFn, string]>(
            ["sum", "sum"],
            ["mean", "avg"],
            ["min", "min"],
            ["max", "max"],
            ["count", "count"],
            ["median", "median"],
          ),
          fc.constantFrom("x", "i", "f"),
          async (t, [fn, sqlFn], values) => {
            await load(db, "t", COLUMNS, t.rows as Row[]);
            const got = await frame(t.rows as Row[], t.nparts)
              .pivotTable({
                index: "k",
                columns: "c",
                values,
                aggfunc: fn,
                columnValues: ["p", "q", ""],
              })
              .toRecords({ client });
            // PIVOT names an empty-string column oddly, so the cells are spelled out with FILTER.
            const want = await query(
              db,
              `SELECT k, ${["p", "q", ""].map((v) => `${sqlFn}(${values}) FILTER (WHERE c = '${v}') AS "c_${v}"`).join(", ")} FROM t GROUP BY k`,
            );
            const renamed = got.map((r) => ({ k: r.k, c_p: r.p, c_q: r.q, c_: r[""] }));
            const cols = ["k", "c_p", "c_q", "c_"];
            assert.deepEqual(canon(renamed, cols), canon(want, cols));
            if (t.rows.length > 0 && fn === "sum") {
              const pivot = await query(
                db,
                `PIVOT t ON c IN ('p', 'q') USING sum(${values}) GROUP BY k`,
              );
              const two = await frame(t.rows as Row[], t.nparts)
                .pivotTable({
                  index: ["k"],
                  columns: "c",
                  values,
                  aggfunc: "sum",
                  columnValues: ["p", "q"],
                })
                .toRecords({ client });
              assert.deepEqual(canon(two, ["k", "p", "q"]), canon(pivot, ["k", "p", "q"]));
            }
          },
        ),
        { numRuns: runs },
      );
    });

    test("melt is UNPIVOT INCLUDE NULLS", { timeout: 120_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(
          tableArb,
          fc.constantFrom(["x", "i"], ["f"], ["k", "c"]),
          async (t, vars) => {
            await load(db, "t", COLUMNS, t.rows as Row[]);
            const ids = vars[0] === "k" ? ["i"] : ["k"];
            const got = await frame(t.rows as Row[], t.nparts)
              .melt({ idVars: ids, valueVars: vars, varName: "name", valueName: "val" })
              .toRecords({ client });
            await db.run(
              `CREATE OR REPLACE VIEW u AS SELECT ${[...ids, ...vars].join(", ")} FROM t`,
            );
            const want = await query(
              db,
              `SELECT * FROM u UNPIVOT INCLUDE NULLS (val FOR name IN (${vars.join(", ")}))`,
            );
            const cols = [...ids, "name", "val"];
            assert.deepEqual(canon(got, cols), canon(want, cols));
            // The values keep int64 exactly when every value column is an integer column.
            if (vars[0] === "x") {
              assert.equal(
                (
                  await frame(t.rows as Row[], t.nparts).melt({ idVars: "k", valueVars: vars })
                    .schema
                ).find((f) => f.name === "value")!.type,
                "int64",
              );
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

test("bad pivotTable and melt options are refused when built", () => {
  const df = bf.fromRecords([{ k: "a", c: "x", v: 1, s: "t" }]);
  const bad: (() => unknown)[] = [
    () => df.pivotTable({ index: "k", columns: "c", values: "v" } as never),
    () => df.pivotTable({ index: "k", columns: "c", values: "v", columnValues: [] }),
    () => df.pivotTable({ index: "k", columns: "c", values: "v", columnValues: [null] as never }),
    () =>
      df.pivotTable({
        index: "k",
        columns: "c",
        values: "v",
        columnValues: ["x"],
        aggfunc: "avg" as never,
      }),
    () => df.pivotTable({ index: [], columns: "c", values: "v", columnValues: ["x"] }),
    () => df.pivotTable({ index: "k", columns: "c", values: "v", columnValues: ["x", "x"] }),
    () => df.pivotTable({ index: "k", columns: "c", values: "v", columnValues: ["k"] }),
    () =>
      df.pivotTable({
        index: "k",
        columns: "c",
        values: "v",
        columnValues: ["x"],
        agg: "sum",
      } as never),
    () => df.melt({ idVars: "k", varName: "k" }),
    () => df.melt({ idVars: ["k", "c", "v", "s"] }),
    () => df.melt({ id: "k" } as never),
    () => df.melt({ idVars: "k", varName: "a", valueName: "a" }),
  ];
  for (const f of bad) {
    assert.throws(f, (e: Error & { code?: string }) => e.code === "BARN_INVALID_OPTION", String(f));
  }
  assert.throws(
    () => df.melt({ valueVars: ["v", "s"] }),
    (e: Error & { code?: string }) => e.code === "BARN_FRAME_TYPE_MISMATCH",
  );
  assert.throws(
    () =>
      df.pivotTable({ index: "k", columns: "c", values: "s", columnValues: ["x"], aggfunc: "sum" }),
    (e: Error & { code?: string }) => e.code === "BARN_FRAME_TYPE_MISMATCH",
  );
  assert.throws(
    () => df.pivotTable({ index: "kk", columns: "c", values: "v", columnValues: ["x"] }),
    (e: Error & { code?: string }) => e.code === "BARN_UNKNOWN_COLUMN",
  );
});
