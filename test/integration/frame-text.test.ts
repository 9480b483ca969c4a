/**
 * Issue 10's str.splitPart (DuckDB's split_part) and cast to utf8 from every type, against
 * DuckDB on random tables with nulls, empty strings, dict columns, empty partitions and int64
 * beyond 2^53, on the sync scheduler and a thread cluster. float64 text is checked against
 * JavaScript's String(number) (the documented form; DuckDB prints 100.0 where JS prints 100).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import fc from "fast-check";
import * as bf from "../../src/frame.js";
import { Client } from "../../src/index.js";
import type { Batch, Column } from "../../src/kernels/batch.js";
import { dictEncode } from "../../src/kernels/dictionary.js";
import { utf8Column } from "../../src/kernels/strings.js";
import { duck, load, query } from "../unit/frame/helpers.js";

const P53 = 2n ** 53n;
const EDGES = [0n, -1n, P53, P53 + 1n, 2n ** 60n + 1n, 2n ** 63n - 1n, -(2n ** 63n)];
const STRINGS = ["", ",", "a,b", "a,,b,", ",x", "é,😀,é", "a||b||", "||", "no sep"];

const rowArb = fc.record({
  s: fc.option(fc.constantFrom(...STRINGS), { freq: 5 }),
  x: fc.option(fc.constantFrom(...EDGES), { freq: 5 }),
  i: fc.option(fc.integer({ min: -1000, max: 1000 }), { freq: 5 }),
  f: fc.option(
    fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer().map((v) => v / 8),
    ),
    { freq: 5 },
  ),
  b: fc.option(fc.boolean(), { freq: 5 }),
  d: fc.option(fc.integer({ min: 0, max: 50_000 }), { freq: 5 }),
  t: fc.option(fc.integer({ min: 0, max: 4_000_000_000_000 }), { freq: 5 }),
});
type TRow = typeof rowArb extends fc.Arbitrary<infer R> ? R : never;
const tableArb = fc.record({
  rows: fc.array(rowArb, { maxLength: 30 }),
  nparts: fc.integer({ min: 1, max: 4 }),
  dict: fc.boolean(),
});

function column(type: Column["type"], vals: readonly unknown[]): Column {
  const n = vals.length;
  const valid = new Uint8Array((n + 7) >> 3);
  vals.forEach((v, i) => {
    if (v !== null) valid[i >> 3]! |= 1 << (i & 7);
  });
  const pick = (v: unknown, zero: unknown) => (v === null ? zero : v);
  const data =
    type === "int64"
      ? BigInt64Array.from(vals, (v) => pick(v, 0n) as bigint)
      : type === "float64" || type === "timestamp"
        ? Float64Array.from(vals, (v) => pick(v, 0) as number)
        : type === "bool"
          ? Uint8Array.from(vals, (v) => (v === true ? 1 : 0))
          : Int32Array.from(vals, (v) => pick(v, 0) as number);
  return { type, length: n, data, valid };
}

/** The table as a frame: s utf8 or dict, and a column of every other type. */
function frameOf(rows: readonly TRow[], nparts: number, dict: boolean) {
  const batches: Batch[] = [];
  for (let p = 0; p < nparts; p++) {
    const part = rows.slice(
      Math.floor((p * rows.length) / nparts),
      Math.floor(((p + 1) * rows.length) / nparts),
    );
    const s = utf8Column(part.map((r) => r.s));
    batches.push({
      names: ["r", "s", "x", "i", "f", "b", "d", "t"],
      columns: [
        column(
          "int32",
          part.map((_, j) => Math.floor((p * rows.length) / nparts) + j),
        ),
        dict ? dictEncode(s) : s,
        column(
          "int64",
          part.map((r) => r.x),
        ),
        column(
          "int32",
          part.map((r) => r.i),
        ),
        column(
          "float64",
          part.map((r) => r.f),
        ),
        column(
          "bool",
          part.map((r) => r.b),
        ),
        column(
          "date",
          part.map((r) => r.d),
        ),
        column(
          "timestamp",
          part.map((r) => r.t),
        ),
      ],
      length: part.length,
    });
  }
  return bf.fromBatches(batches, [
    { name: "r", type: "int32", nullable: false },
    { name: "s", type: dict ? "dict" : "utf8", nullable: true },
    { name: "x", type: "int64", nullable: true },
    { name: "i", type: "int32", nullable: true },
    { name: "f", type: "float64", nullable: true },
    { name: "b", type: "bool", nullable: true },
    { name: "d", type: "date", nullable: true },
    { name: "t", type: "timestamp", nullable: true },
  ]);
}

const COLUMNS = [
  "r INTEGER",
  "s VARCHAR",
  "x BIGINT",
  "i INTEGER",
  "b BOOLEAN",
  "d INTEGER",
  "t BIGINT",
];

function suite(name: string, connect: () => Promise<Client>, runs: number) {
  describe(`splitPart and cast to utf8 against DuckDB (${name})`, () => {
    let client: Client;
    let db: DuckDBConnection;
    before(async () => {
      client = await connect();
      db = await duck();
    });
    after(async () => {
      await client.close();
    });

    test("str.splitPart is split_part; cast(utf8) is CAST AS VARCHAR", {
      timeout: 120_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(
          tableArb,
          fc.constantFrom(",", "||", "", "é"),
          fc.integer({ min: -4, max: 4 }),
          async (t, sep, index) => {
            const rows = t.rows.map((r, i) => ({ ...r, r: i }));
            await load(db, "t", COLUMNS, rows);
            const got = await frameOf(t.rows, t.nparts, t.dict)
              .withColumns({
                part: bf.col("s").str.splitPart(sep, index),
                xs: bf.col("x").cast("utf8"),
                is: bf.col("i").cast("utf8"),
                fs: bf.col("f").cast("utf8"),
                bs: bf.col("b").cast("utf8"),
                ds: bf.col("d").cast("utf8"),
                ts: bf.col("t").cast("utf8"),
                ss: bf.col("s").cast("utf8"),
              })
              .toRecords({ client });
            const want = await query(
              db,
              `SELECT r, split_part(s, '${sep}', ${index}) AS part, CAST(x AS VARCHAR) AS xs,
                 CAST(i AS VARCHAR) AS "is", CAST(b AS VARCHAR) AS bs,
                 CAST(DATE '1970-01-01' + d AS VARCHAR) AS ds,
                 CAST(epoch_ms(t) AS VARCHAR) AS ts, s AS ss FROM t ORDER BY r`,
            );
            assert.equal(got.length, want.length);
            got.forEach((g, j) => {
              const w = want[j]!;
              for (const c of ["part", "xs", "is", "bs", "ds", "ts", "ss"]) {
                assert.equal(
                  g[c],
                  w[c],
                  `row ${j} ${c}: ${JSON.stringify(rows[j], (_, v) => (typeof v === "bigint" ? `${v}n` : v))}`,
                );
              }
              const f = rows[j]!.f;
              assert.equal(g.fs, f === null ? null : String(f));
              // The text of a float reads back to the same number.
              if (f !== null) assert.equal(Number(g.fs), f);
            });
          },
        ),
        { numRuns: runs },
      );
    });
  });
}

suite("sync scheduler", () => Client.connect({ scheduler: "sync", setAsDefault: false }), 30);
suite(
  "thread cluster",
  () => Client.connect({ workers: 2, threadsPerWorker: 1, setAsDefault: false }),
  8,
);

test("splitPart arguments are checked when built", () => {
  for (const bad of [
    () => bf.col("s").str.splitPart(1 as never, 1),
    () => bf.col("s").str.splitPart(",", 1.5),
  ]) {
    assert.throws(bad, (e: Error & { code?: string }) => e.code === "BARN_INVALID_OPTION");
  }
  assert.equal(bf.col("s").str.splitPart(",", -1).toString(), 's.str.splitPart(",", -1)');
  assert.throws(
    () => bf.fromRecords([{ a: 1 }]).withColumns({ p: bf.col("a").str.splitPart(",", 1) }),
    (e: Error & { code?: string }) => e.code === "BARN_FRAME_TYPE_MISMATCH",
  );
});
