import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { compressors } from "hyparquet-compressors";
import type { BarnError } from "../../../src/errors.js";
import { batchFromRecords } from "../../../src/io/arrow.js";
import { columnCells } from "../../../src/io/columns.js";
import { openRanges } from "../../../src/io/files.js";
import {
  type ParquetPlan,
  planParquet,
  planParquetSync,
  readParquetPart,
  writeParquet,
} from "../../../src/io/parquet.js";
import { chunkTarget, decodeChunk, targetColumn } from "../../../src/io/parquet-chunks.js";
import { readFooter, readFooterSync } from "../../../src/io/parquet-footer.js";
import { readFastColumn } from "../../../src/io/parquet-read.js";
import { batchArb, cellsOf, duckColumns, tempDir, typesOf } from "./helpers.js";

/** Every part of `plan`, read by Barn, holds the values DuckDB reads from the same file. */
async function assertReadsAsDuckDB(path: string, plan: ParquetPlan, label: string) {
  const batches = await Promise.all(plan.parts.map((p) => readParquetPart(p)));
  const want = await duckColumns(
    `read_parquet('${path}')`,
    Object.fromEntries(plan.schema.map((f) => [f.name, f.type])),
  );
  for (const [j, f] of plan.schema.entries()) {
    const got = batches.flatMap((b) => columnCells(b.columns[j]!));
    assert.deepEqual(got, want[f.name], `${f.name} (${f.type})${label}`);
  }
}

test("parquet round trip: random batches of every type come back equal, and DuckDB reads the same", {
  timeout: 60_000,
}, async () => {
  const dir = tempDir();
  let k = 0;
  await fc.assert(
    fc.asyncProperty(batchArb(), async (batch) => {
      const path = join(dir, `r${k++}.parquet`);
      await writeParquet(batch, path, { rowGroupSize: 7 });
      const plan = await planParquet(path);
      assert.deepEqual(
        plan.schema.map((f) => f.name),
        batch.names,
      );
      const parts = await Promise.all(plan.parts.map((p) => readParquetPart(p)));
      const got: Record<string, unknown[]> = {};
      for (const name of batch.names)
        got[name] = parts.flatMap((b) => columnCells(b.columns[b.names.indexOf(name)]!));
      const want = cellsOf(batch);
      assert.deepEqual(got, want);
      const duck = await duckColumns(`read_parquet('${path}')`, typesOf(batch));
      for (const name of batch.names) {
        assert.deepEqual(duck[name] ?? [], want[name], `DuckDB disagrees on ${name}`);
      }
    }),
    { numRuns: 25 },
  );
});

test("planParquet makes one part per row group (or group of row groups) and projects columns", async () => {
  const path = join(tempDir(), "p.parquet");
  const records = Array.from({ length: 100 }, (_, i) => ({ a: i, b: `s${i % 7}` }));
  await writeParquet(batchFromRecords(records), path, { rowGroupSize: 10 });
  const one = await planParquet(path);
  assert.equal(one.parts.length, 10);
  const three = await planParquet(path, { rowGroupsPerPartition: 3, columns: ["b"] });
  assert.deepEqual(
    three.parts.map((p) => [p.rowStart, p.rowEnd]),
    [
      [0, 30],
      [30, 60],
      [60, 90],
      [90, 100],
    ],
  );
  const b = await readParquetPart(three.parts[1]!);
  assert.deepEqual(b.names, ["b"]);
  assert.deepEqual(
    columnCells(b.columns[0]!),
    records.slice(30, 60).map((r) => r.b),
  );
});

test("a file rewritten in place is read anew (the parsed footer is kept per file version)", async () => {
  const path = join(tempDir(), "again.parquet");
  const write = async (values: number[]) => {
    await writeParquet(batchFromRecords(values.map((a) => ({ a }))), path);
    return readParquetPart((await planParquet(path)).parts[0]!);
  };
  assert.deepEqual(columnCells((await write([1, 2, 3])).columns[0]!), [1, 2, 3]);
  // same size, new values; then a different size
  assert.deepEqual(columnCells((await write([7, 8, 9])).columns[0]!), [7, 8, 9]);
  assert.deepEqual(columnCells((await write([4, 5, 6, 7, 8])).columns[0]!), [4, 5, 6, 7, 8]);
});

test("pruning by statistics skips row groups and never drops a matching row", {
  timeout: 60_000,
}, async () => {
  const dir = tempDir();
  const path = join(dir, "s.parquet");
  const n = 200;
  const records = Array.from({ length: n }, (_, i) => ({
    x: i,
    s: `k${String(Math.floor(i / 20)).padStart(3, "0")}`,
    m: i % 3 === 0 ? null : i * 0.5,
  }));
  await writeParquet(batchFromRecords(records), path, { rowGroupSize: 20 });
  const ops = ["eq", "ne", "lt", "le", "gt", "ge", "isNull", "notNull"] as const;
  const holds = (v: unknown, op: (typeof ops)[number], c: number | string): boolean => {
    if (op === "isNull") return v === null;
    if (op === "notNull") return v !== null;
    if (v === null) return false;
    const x = v as number | string;
    return op === "eq"
      ? x === c
      : op === "ne"
        ? x !== c
        : op === "lt"
          ? x < c
          : op === "le"
            ? x <= c
            : op === "gt"
              ? x > c
              : x >= c;
  };
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom("x", "s", "m"),
      fc.constantFrom(...ops),
      fc.integer({ min: -5, max: n + 5 }),
      async (column, op, raw) => {
        const value =
          column === "s"
            ? `k${String(Math.floor(raw / 20)).padStart(3, "0")}`
            : column === "m"
              ? raw * 0.5
              : raw;
        const plan = await planParquet(path, { filters: [{ column, op, value }] });
        const kept = new Set(
          plan.parts.flatMap((p) =>
            Array.from({ length: p.rowEnd - p.rowStart }, (_, i) => p.rowStart + i),
          ),
        );
        records.forEach((r, i) => {
          if (holds(r[column as keyof typeof r], op, value))
            assert.ok(kept.has(i), `row ${i} matches ${column} ${op} ${value} but was pruned`);
        });
      },
    ),
    { numRuns: 150 },
  );
  const eq = await planParquet(path, { filters: [{ column: "x", op: "eq", value: 45 }] });
  assert.equal(eq.parts.length, 1);
  assert.equal(eq.prunedRowGroups, 9);
  const range = await planParquet(path, {
    filters: [
      { column: "x", op: "ge", value: 150 },
      { column: "s", op: "lt", value: "k009" },
    ],
  });
  assert.deepEqual(
    range.parts.map((p) => p.rowStart),
    [140, 160],
  );
});

test("unknown columns in columns or filters fail at planning, naming the column and the columns there are", async () => {
  const path = join(tempDir(), "u.parquet");
  await writeParquet(batchFromRecords([{ a: 1, b: "x" }]), path);
  await assert.rejects(
    planParquet(path, { columns: ["a", "nope"] }),
    (e: Error & { code?: string }) =>
      e.code === "BARN_UNKNOWN_COLUMN" && /"nope".*a, b/.test(e.message),
  );
  await assert.rejects(
    planParquet(path, { filters: [{ column: "zz", op: "eq", value: 1 }] }),
    /unknown column "zz" in filters/,
  );
});

test("a column chunk that is dictionary-encoded reads as dict", async () => {
  const path = join(tempDir(), "d.parquet");
  await writeParquet(
    batchFromRecords(Array.from({ length: 1000 }, (_, i) => ({ k: `key-${i % 5}` }))),
    path,
  );
  const plan = await planParquet(path);
  assert.equal(plan.schema[0]!.type, "dict");
  const b = await readParquetPart(plan.parts[0]!);
  assert.equal(b.columns[0]!.type, "dict");
  assert.equal(b.columns[0]!.dictionary!.length, 5);
});

test("reads Parquet written by DuckDB (its encodings and types) to the values DuckDB reads", {
  timeout: 30_000,
}, async () => {
  const path = join(tempDir(), "duck.parquet");
  const types = {
    i: "int32",
    l: "int64",
    d: "float64",
    s: "utf8",
    k: "dict",
    b: "bool",
    day: "date",
    t: "timestamp",
  } as const;
  const select = `SELECT (r * 7 - 300)::INTEGER AS i, (r * 1234567891)::BIGINT AS l, CASE WHEN r % 5 = 0 THEN NULL ELSE r / 7 END::DOUBLE AS d,
    CASE WHEN r % 4 = 0 THEN NULL ELSE 'str' || r END AS s, 'k' || (r % 3) AS k, r % 2 = 0 AS b,
    (DATE '2000-01-01' + (r * 11)::INTEGER) AS day, (TIMESTAMP '2020-01-01' + INTERVAL (r * 997) SECOND) AS t FROM range(3000) tbl(r)`;
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const conn = await (await DuckDBInstance.create(":memory:")).connect();
  await conn.run(`COPY (${select}) TO '${path}' (FORMAT parquet, ROW_GROUP_SIZE 1000)`);
  const plan = await planParquet(path);
  assert.ok(plan.parts.length >= 2, "DuckDB wrote several row groups");
  for (const f of plan.schema) {
    const want = types[f.name as keyof typeof types];
    if (want === "utf8" || want === "dict")
      assert.ok(f.type === "utf8" || f.type === "dict", f.name);
    else assert.equal(f.type, want, f.name);
  }
  await assertReadsAsDuckDB(path, plan, "");
});

test("the typed-array fast path reads what hyparquet's general reader reads (random batches, codecs, row groups per part)", {
  timeout: 60_000,
}, async () => {
  const dir = tempDir();
  let k = 0;
  await fc.assert(
    fc.asyncProperty(
      batchArb(40),
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 3 }),
      fc.constantFrom("SNAPPY", "UNCOMPRESSED") as fc.Arbitrary<"SNAPPY" | "UNCOMPRESSED">,
      async (batch, rowGroupSize, per, codec) => {
        const path = join(dir, `f${k++}.parquet`);
        await writeParquet(batch, path, { rowGroupSize, codec });
        const plan = await planParquet(path, { rowGroupsPerPartition: per });
        const fast = await Promise.all(plan.parts.map((p) => readParquetPart(p)));
        const general = await Promise.all(
          plan.parts.map((p) => readParquetPart(p, undefined, { general: true })),
        );
        for (const [j, f] of plan.schema.entries()) {
          const a = fast.flatMap((b) => columnCells(b.columns[j]!));
          const b = general.flatMap((b) => columnCells(b.columns[j]!));
          assert.deepEqual(a, b, f.name);
          for (const part of fast) assert.equal(part.columns[j]!.type, f.type, f.name);
        }
        assert.deepEqual(
          Object.fromEntries(
            plan.schema.map((f, j) => [f.name, fast.flatMap((b) => columnCells(b.columns[j]!))]),
          ),
          cellsOf(batch),
        );
      },
    ),
    { numRuns: 40 },
  );
});

test("a part over several row groups merges their string dictionaries into one", async () => {
  const path = join(tempDir(), "dicts.parquet");
  // Each row group of 100 rows holds its own 4 strings, two of them shared with the next group.
  const rows = Array.from({ length: 300 }, (_, i) => ({
    k: `s${Math.floor(i / 100) * 2 + (i % 4)}`,
  }));
  await writeParquet(batchFromRecords(rows), path, { rowGroupSize: 100 });
  const plan = await planParquet(path, { rowGroupsPerPartition: 3 });
  assert.equal(plan.parts.length, 1);
  const b = await readParquetPart(plan.parts[0]!);
  const col = b.columns[0]!;
  assert.equal(col.type, "dict");
  assert.deepEqual(
    columnCells(col),
    rows.map((r) => r.k),
  );
  const distinct = new Set(rows.map((r) => r.k)).size;
  assert.equal(col.dictionary!.length, distinct, "one entry per distinct string");
});

for (const options of [
  "PARQUET_VERSION V2",
  "COMPRESSION zstd",
  "COMPRESSION gzip",
  "COMPRESSION uncompressed",
]) {
  test(`reads DuckDB's Parquet (${options}; nulls, dictionary-encoded numbers and strings, several row groups per part) as DuckDB does`, {
    timeout: 30_000,
  }, async () => {
    const path = join(tempDir(), "duck-v.parquet");
    const select = `SELECT CASE WHEN r % 7 = 0 THEN NULL ELSE (r % 13)::INTEGER END AS small,
      CASE WHEN r % 11 = 0 THEN NULL ELSE r * 1.5 END::DOUBLE AS d,
      (r % 5)::BIGINT * 1000000007 AS l,
      CASE WHEN r % 9 = 0 THEN NULL ELSE 'k' || (r % 17) END AS k,
      CASE WHEN r % 3 = 0 THEN NULL ELSE r % 2 = 0 END AS b,
      CASE WHEN r % 6 = 0 THEN NULL ELSE TIMESTAMP '2021-03-01' + INTERVAL (r * 61) SECOND END AS t,
      (DATE '1999-12-31' + (r % 400)::INTEGER) AS day,
      r::FLOAT / 4 AS f FROM range(5000) tbl(r)`;
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const conn = await (await DuckDBInstance.create(":memory:")).connect();
    await conn.run(
      `COPY (${select}) TO '${path}' (FORMAT parquet, ROW_GROUP_SIZE 1024, ${options})`,
    );
    for (const per of [1, 3]) {
      const plan = await planParquet(path, { rowGroupsPerPartition: per });
      await assertReadsAsDuckDB(path, plan, `, ${per} row groups per part`);
    }
    // Every one of these columns takes the typed-array path (none falls back to hyparquet's).
    const plan = await planParquet(path, { rowGroupsPerPartition: 3 });
    const footer = await readFooter(path);
    const p = plan.parts[0]!;
    const file = await openRanges(path);
    for (const f of plan.schema) {
      const col = await readFastColumn(file, footer, p.rowGroups, f, p.rowEnd - p.rowStart);
      assert.ok(col !== undefined, `${f.name} (${f.type}) took the fast path`);
    }
    await file.close();
  });
}

test("a damaged column chunk fails with BARN_IO_CORRUPT naming the file and column", async () => {
  const path = join(tempDir(), "damaged.parquet");
  const rows = Array.from({ length: 5000 }, (_, i) => ({ a: i * 1.5, k: `k${i % 7}` }));
  await writeParquet(batchFromRecords(rows), path);
  const plan = await planParquet(path);
  const bytes = readFileSync(path);
  for (let i = 200; i < 2000; i++) bytes[i] = (i * 31) & 255;
  writeFileSync(path, bytes);
  await assert.rejects(
    readParquetPart(plan.parts[0]!),
    (e: BarnError) =>
      e.code === "BARN_IO_CORRUPT" && e.message.includes(path) && e.message.includes('"a"'),
  );
});

test("a chunk whose dictionary falls back to plain pages reads as one dict column (and as utf8)", {
  timeout: 30_000,
}, async () => {
  // No writer here falls back mid-chunk on demand, so the chunk is put together from two
  // DuckDB chunks of the same column: a dictionary page and its data pages, then plain pages.
  const dir = tempDir();
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const conn = await (await DuckDBInstance.create(":memory:")).connect();
  const low = `SELECT CASE WHEN r % 7 = 0 THEN NULL ELSE 'k' || (r % 5) END AS s FROM range(3000) t(r)`;
  const high = `SELECT CASE WHEN r % 9 = 0 THEN NULL WHEN r % 4 = 0 THEN 'k' || (r % 5) ELSE 'u' || r END AS s FROM range(4000) t(r)`;
  const a = join(dir, "dict.parquet");
  const b = join(dir, "plain.parquet");
  await conn.run(`COPY (${low}) TO '${a}' (FORMAT parquet, COMPRESSION snappy)`);
  await conn.run(`COPY (${high}) TO '${b}' (FORMAT parquet, COMPRESSION snappy)`);
  const chunkOf = async (path: string) => {
    const footer = await readFooter(path);
    const md = footer.row_groups[0]!.columns[0]!.meta_data!;
    const start = Number(md.dictionary_page_offset ?? md.data_page_offset);
    const bytes = readFileSync(path).subarray(start, start + Number(md.total_compressed_size));
    return { footer, md, bytes };
  };
  const first = await chunkOf(a);
  const second = await chunkOf(b);
  assert.ok(
    first.md.encodings.includes("PLAIN_DICTIONARY") ||
      first.md.encodings.includes("RLE_DICTIONARY"),
  );
  assert.equal(second.md.dictionary_page_offset, undefined, "the second chunk is plain");
  const bytes = new Uint8Array(first.bytes.length + second.bytes.length);
  bytes.set(first.bytes);
  bytes.set(second.bytes, first.bytes.length);
  const want = [
    ...(await duckColumns(`read_parquet('${a}')`, { s: "utf8" })).s!,
    ...(await duckColumns(`read_parquet('${b}')`, { s: "utf8" })).s!,
  ];
  const el = first.footer.schema[1]!;
  for (const type of ["dict", "utf8"] as const) {
    const target = chunkTarget(type, want.length, 1);
    assert.ok(decodeChunk(bytes, first.md, el, target, 0, want.length, compressors), type);
    const col = targetColumn(target, want.length);
    assert.equal(col.type, type);
    assert.deepEqual(columnCells(col), want, type);
    if (type === "dict")
      assert.equal(col.dictionary!.length, new Set(want.filter((s) => s !== null)).size);
  }
});

test("the synchronous planner parses a file's footer once per version of the file", async () => {
  const path = join(tempDir(), "plan-cache.parquet");
  await writeParquet(batchFromRecords([{ a: 1 }, { a: 2 }]), path);
  const first = readFooterSync(path);
  assert.equal(readFooterSync(path), first, "the same file version: the parsed footer again");
  assert.equal(planParquetSync(path).parts[0]!.rowEnd, 2);
  await writeParquet(batchFromRecords([{ a: 1 }, { a: 2 }, { a: 3 }]), path);
  assert.notEqual(readFooterSync(path), first, "a rewritten file is parsed anew");
  assert.equal(planParquetSync(path).parts[0]!.rowEnd, 3);
});
