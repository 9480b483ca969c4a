/**
 * Parquet as other writers write it: a corpus generated here, in a temporary directory, by
 * DuckDB (every codec it writes, v1 and v2 pages, small and large row groups, a 0-row file) and
 * by nodejs-polars (every codec, its defaults), over the shapes common data has: int64 ids,
 * dictionary-encoded and plain (unique) strings with nulls, empty and non-ASCII strings,
 * doubles, floats, ints, booleans, dates, timestamps, and decimals stored as INT32, INT64 and
 * FIXED_LEN_BYTE_ARRAY. INT96 timestamps, which neither writes, come from a file
 * hyparquet-writer writes as 12-byte fixed-length values whose footer is then retyped INT96
 * (DuckDB's reading of it is the check that the fixture is right); empty row groups, which
 * neither writes either, come from hyparquet-writer given row group sizes with zeros.
 *
 * Each file is read by barn/frame on the sync scheduler and on a thread cluster and compared
 * value by value with DuckDB's reading of the same file; each column of each file must also
 * take the typed-array fast path (parquet-chunks.ts), not hyparquet's general reader.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import { parquetWriteBuffer } from "hyparquet-writer";
import * as bf from "../../src/frame.js";
import { Client } from "../../src/index.js";
import { openRanges } from "../../src/io/files.js";
import { planParquet } from "../../src/io/parquet.js";
import { readFooter } from "../../src/io/parquet-footer.js";
import { readFastColumn } from "../../src/io/parquet-read.js";
import type { DType } from "../../src/kernels/batch.js";
import { duck } from "../unit/frame/helpers.js";

/** The corpus table: `n` rows of every shape, nulls in most columns. */
function corpusSql(n: number): string {
  return `SELECT r::BIGINT AS id,
    CASE WHEN r % 7 = 3 THEN NULL ELSE 'k' || lpad((r % 50)::VARCHAR, 4, '0') END AS key,
    CASE WHEN r % 5 = 1 THEN NULL ELSE 'cat' || (r % 3) END AS cat,
    CASE WHEN r % 11 = 0 THEN NULL WHEN r % 13 = 0 THEN '' ELSE 'u' || r || repeat('é', (r % 3)::INTEGER) END AS u,
    CASE WHEN r % 9 = 0 THEN NULL ELSE r * 0.25 - 100 END::DOUBLE AS x,
    (r % 1000 - 500)::INTEGER AS i,
    CASE WHEN r % 4 = 0 THEN NULL ELSE r % 3 = 0 END AS b,
    CASE WHEN r % 6 = 0 THEN NULL ELSE TIMESTAMP '2024-01-01' + INTERVAL (r * 1003) MILLISECOND END AS ts,
    DATE '2000-01-01' + (r % 1000)::INTEGER AS day,
    (r * 1.25 - 40)::DECIMAL(9,2) AS d32,
    CASE WHEN r % 8 = 0 THEN NULL ELSE (r * 3.0001 - 500)::DECIMAL(18,4) END AS d64,
    (r * 7.123456 - 1000)::DECIMAL(38,6) AS d128,
    (r % 100)::FLOAT / 8 AS f
    FROM range(${n}) t(r)`;
}

/** DuckDB's values for a column, in the units barn/frame's records use. */
function duckValue(name: string, type: DType, el: string): string {
  const c = `"${name}"`;
  if (type === "timestamp") return `epoch_ms(${c})::DOUBLE AS ${c}`;
  if (type === "date") return `datediff('day', DATE '1970-01-01', ${c}) AS ${c}`;
  if (type === "float64" && el !== "DOUBLE") return `${c}::DOUBLE AS ${c}`;
  return c;
}

/** barn/frame's record value in the units of duckValue. */
function barnValue(v: unknown, type: DType): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return type === "date" ? v.getTime() / 86_400_000 : v.getTime();
  return v;
}

function same(a: unknown, b: unknown): boolean {
  if (typeof a === "bigint" || typeof b === "bigint") return String(a) === String(b);
  if (typeof a === "number" && typeof b === "number")
    return a === b || Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));
  return a === b;
}

interface CorpusFile {
  readonly name: string;
  readonly path: string;
  /** Rows DuckDB reads from it. */
  readonly rows: number;
}

let conn: DuckDBConnection;
let dir: string;
const files: CorpusFile[] = [];
let clients: { name: string; client: Client }[] = [];
// biome-ignore lint/suspicious/noExplicitAny: nodejs-polars, loaded when it is installed
let pl: any;
let polarsMissing = "";

const DUCK_CODECS = ["snappy", "zstd", "gzip", "lz4", "brotli", "uncompressed"];
const POLARS_CODECS = ["uncompressed", "snappy", "zstd", "gzip", "lz4", "brotli"];

async function writeDuck(name: string, sql: string, options: string): Promise<void> {
  const path = join(dir, `${name}.parquet`);
  await conn.run(`COPY (${sql}) TO '${path}' (FORMAT parquet${options ? `, ${options}` : ""})`);
  const rows = Number(
    (await conn.runAndReadAll(`SELECT count(*) FROM '${path}'`)).getRows()[0]![0],
  );
  files.push({ name, path, rows });
}

/**
 * A file with an INT96 timestamp column: hyparquet-writer has no INT96 writer, so the column
 * is written as FIXED_LEN_BYTE_ARRAY(12) holding INT96 bytes, and the footer's two type fields
 * (thrift compact: field 1, zigzag 7 -> 3) are retyped.
 */
function writeInt96(path: string, n: number): void {
  const t = Array.from({ length: n }, (_, i) => {
    if (i % 5 === 2) return null;
    const ms = Date.UTC(2019, 4, 1) + i * 86_400_123 + (i % 7) * 0.25;
    const day = Math.floor(ms / 86_400_000);
    const nanos = Math.round((ms - day * 86_400_000) * 1e6);
    const b = new Uint8Array(12);
    const v = new DataView(b.buffer);
    v.setUint32(0, nanos % 2 ** 32, true);
    v.setUint32(4, Math.floor(nanos / 2 ** 32), true);
    v.setInt32(8, day + 2440588, true);
    return b;
  });
  const buf = new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: "id", data: BigInt64Array.from({ length: n }, (_, i) => BigInt(i)) },
        { name: "t", data: t, encoding: "PLAIN" },
      ],
      schema: [
        { name: "root", num_children: 2 },
        { name: "id", type: "INT64", repetition_type: "REQUIRED" },
        { name: "t", type: "FIXED_LEN_BYTE_ARRAY", type_length: 12, repetition_type: "OPTIONAL" },
      ],
      statistics: false,
    }),
  );
  const footerLength = new DataView(buf.buffer).getUint32(buf.length - 8, true);
  const start = buf.length - 8 - footerLength;
  let patched = 0;
  for (let i = start; i < buf.length - 8; i++) {
    // SchemaElement: type FLBA, then type_length 12; ColumnMetaData (a struct field that
    // opens with the type): type FLBA, then the encodings list.
    const schemaElement = buf[i] === 0x15 && buf[i + 2] === 0x15 && buf[i + 3] === 0x18;
    const columnMeta = buf[i - 1] === 0x1c && buf[i] === 0x15 && buf[i + 2] === 0x19;
    if (buf[i + 1] === 0x0e && (schemaElement || columnMeta)) {
      buf[i + 1] = 0x06;
      patched++;
    }
  }
  assert.ok(patched >= 2, "the INT96 fixture retyped its schema element and column chunks");
  writeFileSync(path, buf);
}

/** Row groups of 1,000, 0, 700 and 0 rows (hyparquet-writer writes the sizes it is given). */
function writeEmptyRowGroups(path: string): void {
  const n = 1700;
  const buf = parquetWriteBuffer({
    columnData: [
      { name: "id", data: BigInt64Array.from({ length: n }, (_, i) => BigInt(i)) },
      {
        name: "key",
        data: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? null : `k${i % 4}`)),
      },
      { name: "x", data: Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : i / 8)) },
    ],
    rowGroupSize: [1000, 0, 700, 0],
  });
  writeFileSync(path, new Uint8Array(buf));
}

describe("Parquet written by DuckDB, Polars and a hand-made INT96 file reads as DuckDB reads it", {
  timeout: 300_000,
}, () => {
  before(async () => {
    conn = await duck();
    await conn.run("SET TimeZone = 'UTC'");
    dir = mkdtempSync(join(tmpdir(), "barn-parquet-corpus-"));
    const small = corpusSql(5000);
    for (const codec of DUCK_CODECS)
      for (const version of ["v1", "v2"])
        await writeDuck(
          `duckdb-${codec}-${version}`,
          small,
          `COMPRESSION ${codec}, PARQUET_VERSION ${version}, ROW_GROUP_SIZE 2048`,
        );
    await writeDuck("duckdb-defaults-large-row-groups", corpusSql(125_000), "");
    await writeDuck("duckdb-zero-rows", `${small} LIMIT 0`, "");
    const int96 = join(dir, "int96.parquet");
    writeInt96(int96, 3000);
    files.push({ name: "hand-made-int96", path: int96, rows: 3000 });
    const empty = join(dir, "empty-row-groups.parquet");
    writeEmptyRowGroups(empty);
    files.push({ name: "hand-made-empty-row-groups", path: empty, rows: 1700 });
    try {
      const name: string = "nodejs-polars";
      const m = await import(name);
      pl = m.default ?? m;
    } catch (err) {
      polarsMissing = `nodejs-polars is not installed here (${(err as Error).message}); install the pinned dev dependencies`;
    }
    if (pl !== undefined) {
      // Polars reads DuckDB's file and writes it with its own writer.
      const df = pl.readParquet(join(dir, "duckdb-snappy-v1.parquet"));
      for (const codec of POLARS_CODECS) {
        const path = join(dir, `polars-${codec}.parquet`);
        if (codec === "uncompressed") df.writeParquet(path);
        else df.writeParquet(path, { compression: codec });
        files.push({
          name: `polars-${codec === "uncompressed" ? "defaults" : codec}`,
          path,
          rows: 5000,
        });
      }
      const empty = join(dir, "polars-zero-rows.parquet");
      df.head(0).writeParquet(empty);
      files.push({ name: "polars-zero-rows", path: empty, rows: 0 });
    }
    clients = [
      { name: "sync", client: await Client.connect({ scheduler: "sync", setAsDefault: false }) },
      {
        name: "threads",
        client: await Client.connect({ workers: 2, threadsPerWorker: 1, setAsDefault: false }),
      },
    ];
  });

  after(async () => {
    for (const c of clients) await c.client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const names = [
    ...DUCK_CODECS.flatMap((c) => [`duckdb-${c}-v1`, `duckdb-${c}-v2`]),
    "duckdb-defaults-large-row-groups",
    "duckdb-zero-rows",
    "hand-made-int96",
    "hand-made-empty-row-groups",
  ];
  const polarsNames = [
    ...POLARS_CODECS.map((c) => `polars-${c === "uncompressed" ? "defaults" : c}`),
    "polars-zero-rows",
  ];

  for (const name of [...names, ...polarsNames]) {
    test(name, async (t) => {
      const file = files.find((f) => f.name === name);
      if (file === undefined && name.startsWith("polars")) {
        t.skip(polarsMissing);
        return;
      }
      assert.ok(file !== undefined, `${name} was written`);
      await assertCorpusFile(file);
    });
  }
});

async function assertCorpusFile(file: CorpusFile): Promise<void> {
  const plan = await planParquet(file.path, { rowGroupsPerPartition: 2 });
  const footer = await readFooter(file.path);
  const types = new Map(plan.schema.map((f) => [f.name, f.type]));
  // Every column of every part takes the fast path.
  const ranges = await openRanges(file.path);
  try {
    for (const p of plan.parts)
      for (const f of plan.schema) {
        const col = await readFastColumn(ranges, footer, p.rowGroups, f, p.rowEnd - p.rowStart);
        assert.ok(col !== undefined, `${file.name}: ${f.name} (${f.type}) takes the fast path`);
      }
  } finally {
    await ranges.close();
  }
  const physical = new Map(footer.schema.slice(1).map((el) => [el.name, String(el.type)]));
  const select = plan.schema
    .map((f) => duckValue(f.name, f.type, physical.get(f.name)!))
    .join(", ");
  const want = (
    await conn.runAndReadAll(`SELECT ${select} FROM read_parquet('${file.path}') ORDER BY id`)
  ).getRowObjectsJS() as Record<string, unknown>[];
  assert.equal(want.length, file.rows);
  for (const { name, client } of clients) {
    const got = (await bf.readParquet(file.path).toRecords({ client })) as Record<
      string,
      unknown
    >[];
    assert.equal(got.length, want.length, `${file.name} (${name}): rows`);
    for (let i = 0; i < got.length; i++) {
      for (const [col, type] of types) {
        const a = barnValue(got[i]![col], type);
        const b = want[i]![col] ?? null;
        if (!same(a, b))
          assert.fail(
            `${file.name} (${name}): row ${i}, ${col} (${type}): Barn ${String(a)}, DuckDB ${String(b)}`,
          );
      }
    }
  }
  // The string columns of a dictionary-encoded file stay codes.
  if (file.rows > 0 && types.has("key")) assert.equal(types.get("key"), "dict", file.name);
}
