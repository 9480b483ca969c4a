/**
 * The seeded dataset the frame benchmarks read: `rows` rows split over `files` CSV files and the
 * same rows as Parquet (one Parquet file per group of CSV files, row groups of ~1M rows), plus a
 * 1,000-row dimension table. Columns: id (int32), key (1,000 distinct strings, Zipf-skewed), cat
 * (10 values), x (uniform in [0,1)), y (normal), ts (timestamp, whole seconds). Generation is
 * deterministic in `seed` and skipped when `manifest.json` says the files are already there.
 *
 * Run directly to generate and measure single-thread read throughput:
 * `node dist/bench/frame-data.js <dir> [rows] [files]`.
 */

import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { utf8Column } from "../src/io/columns.js";
import { planCsv, readCsvPart } from "../src/io/csv.js";
import { writeCsv } from "../src/io/csv-write.js";
import { planParquet, readParquetPart, writeParquet } from "../src/io/parquet.js";
import type { Batch, Column } from "../src/kernels/batch.js";
import { mulberry32 } from "./random.js";

/**
 * The dataset's shape. "facts" is the one described above. "events" varies everything the
 * queries do not depend on by name: 10,000 uniform keys `k0000`-`k9999` (text in CSV, where
 * inference reads them as plain strings; dictionary-encoded in Parquet, as DuckDB and pyarrow
 * write such a column), 50 categories, integer `y`, about 1% null `x`,
 * an int64 `id` beyond 2^32, an ISO timestamp with milliseconds and a free-text `note` that the
 * queries do not read, and the columns in another order (ts, note, key, id, x, cat, y).
 */
export type FrameShape = "facts" | "events";

/** Options of `generateFrameData`. */
export interface FrameDataOptions {
  readonly rows?: number;
  readonly files?: number;
  readonly seed?: number;
  readonly shape?: FrameShape;
}

/** Where the generated files are. */
export interface FrameData {
  readonly dir: string;
  readonly rows: number;
  readonly csv: string[];
  readonly parquet: string[];
  readonly dimCsv: string;
  readonly dimParquet: string;
  /** False when the files were already there. */
  readonly generated: boolean;
}

const VERSION = 1;
const KEYS = 1000;
const EVENT_KEYS = 10_000;
const EVENT_CATS = 50;
const WORDS = ["alpha", "beta", "gamma", "delta", "omega", "north", "south", "red", "blue", "x"];
const CATS = 10;
const REGIONS = 10;
const ROW_GROUP = 1_000_000;
const T0 = Date.UTC(2024, 0, 1);

/** Generates (or finds) the dataset in `dir`. */
export async function generateFrameData(
  dir: string,
  options: FrameDataOptions = {},
): Promise<FrameData> {
  const rows = options.rows ?? 10_000_000;
  const files = options.files ?? 20;
  const seed = options.seed ?? 1;
  const shape = options.shape ?? "facts";
  mkdirSync(dir, { recursive: true });
  const perFile = Math.ceil(rows / files);
  const group = Math.max(1, Math.round(ROW_GROUP / perFile)); // CSV files per Parquet file
  const csv = Array.from({ length: files }, (_, i) =>
    join(dir, `part-${String(i).padStart(3, "0")}.csv`),
  );
  const parquet = Array.from({ length: Math.ceil(files / group) }, (_, i) =>
    join(dir, `part-${String(i).padStart(3, "0")}.parquet`),
  );
  const dimCsv = join(dir, "dim.csv");
  const dimParquet = join(dir, "dim.parquet");
  const manifestPath = join(dir, "manifest.json");
  const manifest = JSON.stringify({
    version: VERSION,
    rows,
    files,
    seed,
    ...(shape === "facts" ? {} : { shape }),
  });
  const all = [...csv, ...parquet, dimCsv, dimParquet];
  const result = { dir, rows, csv, parquet, dimCsv, dimParquet };
  if (
    existsSync(manifestPath) &&
    readFileSync(manifestPath, "utf8") === manifest &&
    all.every((f) => existsSync(f))
  ) {
    return { ...result, generated: false };
  }
  const rng = mulberry32(seed);
  const nkeys = shape === "facts" ? KEYS : EVENT_KEYS;
  const keyNames = Array.from({ length: nkeys }, (_, i) =>
    shape === "facts" ? `key${String(i).padStart(4, "0")}` : `k${String(i).padStart(4, "0")}`,
  );
  const keys = utf8Column(keyNames);
  const cats = utf8Column(Array.from({ length: CATS }, (_, i) => `cat${i}`));
  const zipf = zipfTable(KEYS);
  for (let p = 0; p < parquet.length; p++) {
    const first = p * group;
    const last = Math.min(files, first + group);
    const start = first * perFile;
    const end = Math.min(rows, last * perFile);
    const batch =
      shape === "facts"
        ? generateRows(rng, start, end - start, keys, cats, zipf)
        : generateEvents(rng, start, end - start, keys);
    await writeParquet(batch, parquet[p]!, { rowGroupSize: ROW_GROUP });
    for (let f = first; f < last; f++) {
      const a = f * perFile - start;
      await writeCsv(sliceBatch(batch, a, Math.min(batch.length, a + perFile)), csv[f]!);
    }
  }
  const dim: Batch = {
    names: ["key", "region"],
    columns: [
      {
        type: "dict",
        length: nkeys,
        data: Int32Array.from({ length: nkeys }, (_, i) => i),
        dictionary: keys,
      },
      {
        type: "dict",
        length: nkeys,
        data: Int32Array.from({ length: nkeys }, (_, i) => i % REGIONS),
        dictionary: utf8Column(Array.from({ length: REGIONS }, (_, i) => `region${i}`)),
      },
    ],
    length: nkeys,
  };
  await writeCsv(dim, dimCsv);
  await writeParquet(dim, dimParquet);
  writeFileSync(manifestPath, manifest);
  return { ...result, generated: true };
}

function generateRows(
  rng: () => number,
  start: number,
  n: number,
  keys: Column,
  cats: Column,
  zipf: Float64Array,
): Batch {
  const id = new Int32Array(n);
  const key = new Int32Array(n);
  const cat = new Int32Array(n);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const ts = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    id[i] = start + i;
    key[i] = sampleZipf(zipf, rng());
    cat[i] = Math.floor(rng() * CATS);
    x[i] = Math.floor(rng() * 1e6) / 1e6;
    // Box-Muller; rounded to 6 decimals so CSV and Parquet hold the same values.
    const u = 1 - rng();
    y[i] = Math.round(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng()) * 1e6) / 1e6;
    ts[i] = T0 + (start + i) * 1000 + Math.floor(rng() * 1000) * 1000;
  }
  return {
    names: ["id", "key", "cat", "x", "y", "ts"],
    columns: [
      { type: "int32", length: n, data: id },
      { type: "dict", length: n, data: key, dictionary: keys },
      { type: "dict", length: n, data: cat, dictionary: cats },
      { type: "float64", length: n, data: x },
      { type: "float64", length: n, data: y },
      { type: "timestamp", length: n, data: ts },
    ],
    length: n,
  };
}

/** Rows of the "events" shape (see FrameShape). */
function generateEvents(rng: () => number, start: number, n: number, keys: Column): Batch {
  const ts: string[] = new Array(n);
  const note: string[] = new Array(n);
  const key = new Int32Array(n);
  const id = new BigInt64Array(n);
  const x = new Float64Array(n);
  const xNull: number[] = [];
  const cat = new Int32Array(n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const ms = T0 + (start + i) * 250 + Math.floor(rng() * 1000);
    ts[i] = new Date(ms).toISOString();
    note[i] =
      `${WORDS[Math.floor(rng() * WORDS.length)]} ${WORDS[Math.floor(rng() * WORDS.length)]} ${Math.floor(rng() * 1000)}`;
    key[i] = Math.floor(rng() * keys.length);
    id[i] = BigInt(start + i) + 2n ** 33n;
    x[i] = Math.floor(rng() * 1000) / 1000;
    if (rng() < 0.01) xNull.push(i);
    cat[i] = Math.floor(rng() * EVENT_CATS);
    y[i] = Math.floor(rng() * 2001) - 1000;
  }
  const xValid = new Uint8Array((n + 7) >> 3).fill(0xff);
  for (const i of xNull) xValid[i >> 3]! &= ~(1 << (i & 7));
  const cats = utf8Column(
    Array.from({ length: EVENT_CATS }, (_, i) => `c${String(i).padStart(2, "0")}`),
  );
  const tsCol = utf8Column(ts);
  return {
    names: ["ts", "note", "key", "id", "x", "cat", "y"],
    columns: [
      tsCol,
      utf8Column(note),
      { type: "dict", length: n, data: key, dictionary: keys },
      { type: "int64", length: n, data: id },
      { type: "float64", length: n, data: x, valid: xValid },
      { type: "dict", length: n, data: cat, dictionary: cats },
      { type: "int32", length: n, data: y },
    ],
    length: n,
  };
}

function sliceBatch(batch: Batch, a: number, b: number): Batch {
  return {
    names: batch.names,
    columns: batch.columns.map((c) => sliceColumn(c, a, b)),
    length: b - a,
  };
}

function sliceColumn(c: Column, a: number, b: number): Column {
  const valid = c.valid === undefined ? undefined : bitsOf(c.valid, a, b);
  if (c.type === "utf8") {
    const offsets = c.offsets!;
    const base = offsets[a]!;
    return {
      type: "utf8",
      length: b - a,
      data: (c.data as Uint8Array).subarray(base, offsets[b]!),
      offsets: offsets.subarray(a, b + 1).map((o) => o - base),
      valid,
    };
  }
  return { ...c, length: b - a, data: (c.data as Int32Array).subarray(a, b), valid };
}

/** Bits [a, b) of a validity bitmap, as a bitmap of their own. */
function bitsOf(bits: Uint8Array, a: number, b: number): Uint8Array {
  const out = new Uint8Array((b - a + 7) >> 3);
  for (let i = a; i < b; i++)
    if ((bits[i >> 3]! >> (i & 7)) & 1) out[(i - a) >> 3]! |= 1 << ((i - a) & 7);
  return out;
}

/** Cumulative Zipf(s = 1) weights over `n` ranks, normalised to 1. */
function zipfTable(n: number): Float64Array {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) cdf[k] = sum += 1 / (k + 1);
  for (let k = 0; k < n; k++) cdf[k]! /= sum;
  return cdf;
}

function sampleZipf(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** CPU seconds (user + system) of this process since `c0`. */
function cpuSeconds(c0: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1e6;
}

/** Reads every part of the dataset on this thread and prints MB/s and rows/s per format as JSON. */
async function measure(data: FrameData): Promise<void> {
  const results: Record<string, unknown>[] = [];
  const bytes = (fs: string[]) => fs.reduce((a, f) => a + statSync(f).size, 0);
  {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const plan = await planCsv(data.csv);
    let rows = 0;
    for (const p of plan.parts) rows += (await readCsvPart(p, plan.schema)).batch.length;
    const s = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(c0);
    const mb = bytes(data.csv) / 1e6;
    results.push({
      format: "csv",
      parts: plan.parts.length,
      rows,
      MB: +mb.toFixed(1),
      seconds: +s.toFixed(2),
      cpuSeconds: +cpu.toFixed(2),
      MBps: +(mb / s).toFixed(1),
      rowsPerSec: Math.round(rows / s),
      schema: plan.schema.map((f) => `${f.name}:${f.type}`).join(","),
    });
  }
  {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const plan = await planParquet(data.parquet);
    let rows = 0;
    for (const p of plan.parts) rows += (await readParquetPart(p)).length;
    const s = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(c0);
    const mb = bytes(data.parquet) / 1e6;
    results.push({
      format: "parquet",
      parts: plan.parts.length,
      rows,
      MB: +mb.toFixed(1),
      seconds: +s.toFixed(2),
      cpuSeconds: +cpu.toFixed(2),
      MBps: +(mb / s).toFixed(1),
      rowsPerSec: Math.round(rows / s),
      schema: plan.schema.map((f) => `${f.name}:${f.type}`).join(","),
    });
  }
  for (const r of results) console.log(JSON.stringify(r));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2] ?? "bench-data/frame";
  const rows = Number(process.argv[3] ?? 10_000_000);
  const files = Number(process.argv[4] ?? 20);
  const t0 = performance.now();
  const data = await generateFrameData(dir, { rows, files });
  console.log(
    JSON.stringify({
      generated: data.generated,
      rows,
      files,
      seconds: +((performance.now() - t0) / 1000).toFixed(1),
    }),
  );
  await measure(data);
}
