/**
 * The frame dataset's rows (bench/frame-data.ts) as other writers write Parquet with their
 * defaults: DuckDB (`COPY ... TO (FORMAT parquet)`: snappy, row groups of 122,880 rows, strings
 * dictionary-encoded, numbers plain) and nodejs-polars (`writeParquet` with its defaults: zstd,
 * one large row group per file, v1 pages, dictionary strings) into 20 files of 500,000 rows, `id`
 * cast to int64, plus the 1,000-row dimension table. Generated once per writer and reused
 * (`manifest.json`).
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { FrameData } from "./frame-data.js";

export type Writer = "duckdb" | "polars";

/** Files one writer wrote. */
export interface ForeignData {
  readonly writer: Writer;
  readonly rows: number;
  readonly parquet: string[];
  readonly dimParquet: string;
}

const FILES = 20;
const VERSION = 1;

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** The rows of `src` rewritten by `writer` into `dir` (skipped when already there). */
export async function foreignData(
  src: FrameData,
  dir: string,
  writer: Writer,
  // biome-ignore lint/suspicious/noExplicitAny: nodejs-polars, loaded only when present
  pl?: any,
): Promise<ForeignData> {
  mkdirSync(dir, { recursive: true });
  const per = Math.ceil(src.rows / FILES);
  const parquet = Array.from({ length: FILES }, (_, i) =>
    join(dir, `part-${String(i).padStart(3, "0")}.parquet`),
  );
  const dimParquet = join(dir, "dim.parquet");
  const manifestPath = join(dir, "manifest.json");
  const manifest = JSON.stringify({ version: VERSION, rows: src.rows, files: FILES, writer });
  const result = { writer, rows: src.rows, parquet, dimParquet };
  if (
    existsSync(manifestPath) &&
    readFileSync(manifestPath, "utf8") === manifest &&
    [...parquet, dimParquet].every((f) => existsSync(f))
  )
    return result;
  const conn = await (await DuckDBInstance.create(":memory:")).connect();
  const all = `read_parquet([${src.parquet.map(sqlString).join(", ")}])`;
  const select = (i: number) =>
    `SELECT id::BIGINT AS id, key, cat, x, y, ts FROM ${all} WHERE id >= ${i * per} AND id < ${(i + 1) * per} ORDER BY id`;
  if (writer === "duckdb") {
    for (let i = 0; i < FILES; i++)
      await conn.run(`COPY (${select(i)}) TO ${sqlString(parquet[i]!)} (FORMAT parquet)`);
    await conn.run(
      `COPY (SELECT * FROM read_parquet(${sqlString(src.dimParquet)})) TO ${sqlString(dimParquet)} (FORMAT parquet)`,
    );
  } else {
    // Polars writes what it reads: DuckDB hands it each file's rows first.
    const ipc = join(dir, "tmp.parquet");
    for (let i = 0; i < FILES; i++) {
      await conn.run(`COPY (${select(i)}) TO ${sqlString(ipc)} (FORMAT parquet)`);
      pl.readParquet(ipc).writeParquet(parquet[i]!);
    }
    pl.readParquet(src.dimParquet).writeParquet(dimParquet);
  }
  conn.closeSync();
  writeFileSync(manifestPath, manifest);
  return result;
}
