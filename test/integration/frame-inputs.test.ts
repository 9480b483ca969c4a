/**
 * Inputs the readers used to get wrong (issue 10, items 2-6), against DuckDB where it has an
 * answer, on the sync scheduler and a thread cluster: a quoted `""` in CSV is the empty string
 * (as a value, a group key, a join key, in sorts and in nunique) while an unquoted empty field
 * is null; files with no rows (Parquet of 0 rows, including barn's own toParquet of an empty
 * result; a CSV header alone; 0-byte CSV and JSON lines files) read as empty frames; CSV files
 * whose headers differ in order are matched by name, and a missing or extra column is an
 * error naming the file; impossible dates and timestamps are parse errors naming file, line
 * and column; and bad options get the right code and message.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import fc from "fast-check";
import * as bf from "../../src/frame.js";
import { Client } from "../../src/index.js";
import { assertSameOrderedRows, assertSameRows, duck, query } from "../unit/frame/helpers.js";

const root = join(tmpdir(), `barn-inputs-${process.pid}`);
let fileNo = 0;
function file(name: string, text: string | Uint8Array): string {
  const dir = join(root, String(fileNo++));
  mkdirSync(dir, { recursive: true });
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** A string cell of the random CSV: null, the empty string, or a value (some needing quotes). */
const cellArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 3, arbitrary: fc.constant("") },
  { weight: 5, arbitrary: fc.constantFrom("a", "b", "a,b", 'q"t', "zz") },
);

/** RFC 4180 text for a cell: null unquoted and empty; every string quoted (so `""` is ""). */
function csvCell(v: string | null): string {
  return v === null ? "" : `"${v.replaceAll('"', '""')}"`;
}

const codeOf = (code: string) => (e: Error & { code?: string }) => {
  assert.equal(e.code, code, e.message);
  return true;
};

function suite(name: string, connect: () => Promise<Client>, runs: number) {
  describe(`reader inputs (${name})`, () => {
    let client: Client;
    let db: DuckDBConnection;
    before(async () => {
      client = await connect();
      db = await duck();
    });
    after(async () => {
      await client.close();
    });

    test('CSV: a quoted "" is the empty string, an unquoted empty field is null (values, keys, joins, sorts, nunique)', {
      timeout: 120_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(cellArb, cellArb), { minLength: 1, maxLength: 25 }),
          fc.constantFrom(16, 1 << 20),
          async (cells, blocksize) => {
            const text = `id,s,k\n${cells.map(([s, k], i) => `${i},${csvCell(s)},${csvCell(k)}`).join("\n")}\n`;
            const p = file("t.csv", text);
            const types = "columns = {'id': 'INTEGER', 's': 'VARCHAR', 'k': 'VARCHAR'}";
            const src = `read_csv('${p}', header = true, ${types}, allow_quoted_nulls = false)`;
            const schema = { id: "int32", s: "utf8", k: "utf8" } as const;
            const df = bf.readCsv(p, { schema, blocksize });
            assertSameRows(await df.toRecords({ client }), await query(db, `SELECT * FROM ${src}`));
            const groups = await df
              .groupby("s")
              .agg({ n: ["id", "size"], u: ["k", "nunique"] })
              .toRecords({ client });
            const wantGroups = await query(
              db,
              `SELECT s, count(*) n, count(DISTINCT k) u FROM ${src} GROUP BY s`,
            );
            assertSameRows(groups, wantGroups, "groupby s");
            const sorted = await df.sortValues(["s", "id"]).select("s", "id").toRecords({ client });
            const wantSorted = await query(
              db,
              `SELECT s, id FROM ${src} ORDER BY s NULLS LAST, id`,
            );
            assertSameOrderedRows(sorted, wantSorted, "sort by s");
            const joined = await df
              .select("id", "s")
              .merge(df.select("s", "k"), { on: "s" })
              .toRecords({ client });
            const wantJoined = await query(
              db,
              `SELECT a.id, a.s, b.k FROM ${src} a JOIN ${src} b ON a.s = b.s`,
            );
            assertSameRows(joined, wantJoined, "join on s");
            // The old behaviour, on request: quoted nulls are null too (DuckDB's default).
            const old = await bf
              .readCsv(p, { schema, blocksize, quotedStringsCanBeNull: true })
              .toRecords({ client });
            const wantOld = await query(
              db,
              `SELECT * FROM read_csv('${p}', header = true, ${types}, allow_quoted_nulls = true)`,
            );
            assertSameRows(old, wantOld, "quotedStringsCanBeNull");
          },
        ),
        { numRuns: runs },
      );
      const p = file("q.csv", 'id,s\n1,""\n2,\n');
      assert.deepEqual(await bf.readCsv(p).toRecords({ client }), [
        { id: 1, s: "" },
        { id: 2, s: null },
      ]);
    });

    test("files with no rows read as empty frames with their schema, in every reader", {
      timeout: 60_000,
    }, async () => {
      // Parquet: what toParquet writes for an empty result.
      const dir = join(root, `empty-pq-${fileNo++}`);
      await bf
        .fromRecords([{ a: 1, s: "x", b: 2n ** 60n }])
        .filter(bf.col("a").gt(5))
        .toParquet(dir, { client });
      const pq = bf.readParquet(dir);
      assert.deepEqual(
        pq.schema.map((f) => [f.name, f.type]),
        [
          ["a", "int32"],
          ["s", "utf8"],
          ["b", "int64"],
        ],
      );
      assert.deepEqual(await pq.toRecords({ client }), []);
      const duckPq = await query(db, `SELECT * FROM read_parquet('${dir}/*.parquet')`);
      assert.deepEqual(duckPq, []);
      assert.deepEqual(
        await pq.groupby("s").agg({ a: "sum" }).toRecords({ client }),
        await query(db, `SELECT s, sum(a) a FROM read_parquet('${dir}/*.parquet') GROUP BY s`),
      );
      // CSV: a header alone; DuckDB reads it as 0 rows of VARCHAR columns.
      const hdr = file("h.csv", "id,s\n");
      const csv = bf.readCsv(hdr);
      assert.deepEqual(
        csv.schema.map((f) => [f.name, f.type]),
        [
          ["id", "utf8"],
          ["s", "utf8"],
        ],
      );
      assert.deepEqual(await csv.toRecords({ client }), []);
      assert.deepEqual(await query(db, `SELECT * FROM read_csv('${hdr}')`), []);
      // A 0-byte CSV: no rows and no columns (DuckDB: 0 rows); next to a file with rows, it
      // adds none (as DuckDB).
      const zero = file("z.csv", "");
      assert.deepEqual(bf.readCsv(zero).schema, []);
      assert.deepEqual(await bf.readCsv(zero).toRecords({ client }), []);
      assert.deepEqual(
        (await bf.readCsv(zero, { schema: { id: "int64" } }).toRecords({ client })).length,
        0,
      );
      const one = file("o.csv", "id,s\n1,a\n");
      assertSameRows(
        await bf.readCsv([zero, one, hdr]).toRecords({ client }),
        await query(db, `SELECT * FROM read_csv(['${one}', '${zero}'])`),
      );
      // JSON lines: a 0-byte file, alone and before a file with lines.
      const zj = file("z.jsonl", "");
      assert.deepEqual(await bf.readJson(zj).toRecords({ client }), []);
      assert.deepEqual(await query(db, `SELECT * FROM read_json('${zj}')`), []);
      const oj = file("o.jsonl", '{"id": 1, "s": "a"}\n');
      const both = bf.readJson([zj, oj]);
      assert.deepEqual(
        both.schema.map((f) => f.name),
        ["id", "s"],
      );
      assert.deepEqual(await both.toRecords({ client }), [{ id: 1, s: "a" }]);
    });

    test("CSV files whose headers differ in order are matched by name; a missing column is an error naming the file", {
      timeout: 60_000,
    }, async () => {
      const a = file("a.csv", "id,s,x\n1,a,1.5\n2,b,2.5\n");
      const b = file("b.csv", "s,x,id\nc,3.5,3\nd,4.5,4\n");
      const got = await bf.readCsv([a, b]).toRecords({ client });
      const want = await query(
        db,
        `SELECT * FROM read_csv(['${a}', '${b}'], union_by_name = true)`,
      );
      assertSameRows(got, want);
      // Small parts: every part of b.csv knows its own header.
      assertSameRows(await bf.readCsv([a, b], { blocksize: 8 }).toRecords({ client }), want);
      const c = file("c.csv", "id,s\n5,e\n");
      assert.throws(
        () => bf.readCsv([a, c]),
        (e: Error & { code?: string }) =>
          e.code === "BARN_FRAME_SCHEMA_MISMATCH" &&
          e.message.includes(c) &&
          /lacks "x"/.test(e.message),
      );
      const d = file("d.csv", "id,s,x,y\n6,f,1,2\n");
      assert.throws(
        () => bf.readCsv([a, d]),
        (e: Error & { code?: string }) =>
          e.code === "BARN_FRAME_SCHEMA_MISMATCH" && e.message.includes(d) && /"y"/.test(e.message),
      );
      // Naming the columns every file has makes it explicit.
      const some = await bf.readCsv([a, c, d], { columns: ["s", "id"] }).toRecords({ client });
      assertSameRows(
        some,
        await query(
          db,
          `SELECT s, id FROM read_csv(['${a}', '${c}', '${d}'], union_by_name = true)`,
        ),
      );
    });

    test("impossible dates and timestamps are parse errors naming file, line and column", {
      timeout: 60_000,
    }, async () => {
      const cases: [string, "date" | "timestamp"][] = [
        ["2020-02-30", "date"],
        ["2021-02-29", "date"],
        ["2020-04-31", "date"],
        ["2020-13-01", "date"],
        ["2021-02-29T00:00:00", "timestamp"],
        ["2020-13-01T00:00:00", "timestamp"],
        ["2020-01-01T25:00:00", "timestamp"],
        ["2020-06-31 10:00:00", "timestamp"],
      ];
      for (const [text, type] of cases) {
        for (const quoted of [false, true]) {
          const v = quoted ? `"${text}"` : text;
          const p = file("d.csv", `id,d\n1,2020-02-29\n2,${v}\n`);
          await assert.rejects(
            bf.readCsv(p, { schema: { d: type } }).toRecords({ client }),
            (e: Error & { code?: string }) =>
              e.code === "BARN_CSV_PARSE" &&
              e.message.includes(`${p}:3`) &&
              e.message.includes('column "d"'),
            `${text} as ${type}`,
          );
          await assert.rejects(query(db, `SELECT '${text}'::${type.toUpperCase()}`));
          const kept = await bf
            .readCsv(p, { schema: { d: type }, onBadLines: "skip" })
            .toRecords({ client });
          assert.deepEqual(
            kept.map((r) => r.id),
            [1],
          );
        }
        const j = file("d.jsonl", `{"id": 1, "d": "2020-02-29"}\n{"id": 2, "d": "${text}"}\n`);
        await assert.rejects(
          bf.readJson(j, { schema: { d: type } }).toRecords({ client }),
          (e: Error & { code?: string }) =>
            e.code === "BARN_JSON_PARSE" && e.message.includes(`${j}:2`),
        );
      }
      const leap = file("l.csv", "d\n2020-02-29\n2000-02-29\n");
      assert.equal(
        (await bf.readCsv(leap, { schema: { d: "date" } }).toRecords({ client })).length,
        2,
      );
    });
  });
}

suite("sync scheduler", () => Client.connect({ scheduler: "sync", setAsDefault: false }), 20);
suite(
  "thread cluster",
  () => Client.connect({ workers: 2, threadsPerWorker: 1, setAsDefault: false }),
  6,
);

describe("bad options get the right code and message", () => {
  test('an unknown schema type ("string") blames the option and lists the types', () => {
    const p = file("s.csv", "id,s\n1,ann\n");
    for (const make of [
      () => bf.readCsv(p, { schema: { s: "string" as never } }),
      () => bf.readJson(file("s.jsonl", '{"s": "ann"}\n'), { schema: { s: "string" as never } }),
      () =>
        bf.fromRecords([{ s: "ann" }], {
          schema: [{ name: "s", type: "string" as never, nullable: true }],
        }),
    ]) {
      assert.throws(make, (e: Error & { code?: string }) => {
        assert.equal(e.code, "BARN_INVALID_OPTION");
        assert.match(e.message, /schema/);
        assert.match(e.message, /"string"/);
        assert.match(e.message, /utf8/);
        assert.doesNotMatch(e.message, /ann/);
        return true;
      });
    }
  });

  test("a truncated Parquet file is BARN_IO_CORRUPT; a file that is not Parquet is BARN_IO_UNSUPPORTED", {
    timeout: 60_000,
  }, async () => {
    const dir = join(root, `trunc-${fileNo++}`);
    await bf
      .fromRecords(Array.from({ length: 500 }, (_, i) => ({ a: i, s: `x${i}` })))
      .toParquet(dir, { scheduler: "sync" });
    const bytes = readFileSync(join(dir, "part-00000.parquet"));
    for (const cut of [bytes.length >> 1, bytes.length - 3]) {
      const p = file("t.parquet", bytes.subarray(0, cut));
      assert.throws(() => bf.readParquet(p), codeOf("BARN_IO_CORRUPT"));
    }
    assert.throws(
      () => bf.readParquet(file("n.parquet", "not parquet at all")),
      codeOf("BARN_IO_UNSUPPORTED"),
    );
  });

  test("unknown option keys are rejected naming the closest key, in every reader, writer and verb", {
    timeout: 60_000,
  }, async () => {
    const csv = file("k.csv", "id,s\n1,a\n");
    const df = bf.fromRecords([{ id: 1, s: "a" }]);
    const near = (key: string) => (e: Error & { code?: string }) => {
      assert.equal(e.code, "BARN_INVALID_OPTION");
      assert.match(e.message, new RegExp(`did you mean "${key}"`));
      return true;
    };
    const bad = <T>(o: Record<string, unknown>) => o as T;
    assert.throws(() => bf.readCsv(csv, bad({ onBadLine: "skip" })), near("onBadLines"));
    assert.throws(() => bf.readJson(csv, bad({ onBadLine: "skip" })), near("onBadLines"));
    assert.throws(() => bf.readParquet(csv, bad({ column: ["a"] })), near("columns"));
    assert.throws(() => bf.fromRecords([], bad({ npartition: 2 })), near("npartitions"));
    assert.throws(() => df.sortValues("id", bad({ ascendng: false })), near("ascending"));
    assert.throws(() => df.merge(df, bad<{ on: "id" }>({ on: "id", hows: "left" })), near("how"));
    assert.throws(() => df.groupby("s").agg({ id: "sum" }, bad({ splitout: 2 })), near("splitOut"));
    await assert.rejects(df.toRecords(bad({ schedular: "sync" })), near("scheduler"));
    await assert.rejects(df.compute(bad({ clients: undefined })), near("client"));
    await assert.rejects(df.toParquet(join(root, "w1"), bad({ codex: "SNAPPY" })), near("codec"));
    await assert.rejects(df.toCsv(join(root, "w2"), bad({ delimeter: ";" })), near("delimiter"));
    await assert.rejects(df.toJson(join(root, "w3"), bad({ gzipp: true })), near("gzip"));
  });

  test('groupby("nmae") is rejected at the verb', () => {
    const df = bf.fromRecords([{ name: "a", v: 1 }]);
    assert.throws(() => df.groupby("nmae" as never), codeOf("BARN_UNKNOWN_COLUMN"));
  });
});
