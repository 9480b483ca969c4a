/**
 * Two costs behind the frame suite's Parquet figures, measured on this machine:
 * `npm run build && node dist/bench/memory-and-snappy.js [dataset dir] [--json]`.
 *
 * - fresh memory: milliseconds per MiB to write a newly allocated buffer the first time, and
 *   the same buffer a second time (the first includes the page faults);
 * - snappy: MB/s of output decoding the `x` column (random doubles) of the frame dataset's first
 *   Parquet file, page by page: with hyparquet's JavaScript decoder into one reused buffer (what
 *   Barn did before 2026-12-06, and its fallback); with hysnappy's wasm decoder as
 *   hyparquet-compressors calls it, which returns a fresh buffer per page; and with the same
 *   wasm decoder run in memory Barn keeps (src/io/snappy.ts, what Barn does), its output copied
 *   to a reused buffer so that every case ends with the bytes in JavaScript memory. Median of
 *   15 passes each.
 * - dictionary indices: ns per index reading the `key` column's (10-bit) indices, page by page,
 *   with hyparquet's RLE/bit-packed reader (then mapped to codes, as Barn did before
 *   2026-12-06) and with Barn's unpacker (src/io/parquet-indices.ts, the map fused in).
 *
 * The dataset dir defaults to the frame suite's (`BARN_BENCH_DIR`/<BARN_FRAME_ROWS>); run
 * `npm run bench -- frame` once to generate it.
 */
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { snappyUncompress } from "hyparquet";
import { parquetHeader } from "hyparquet/src/column.js";
import { readRleBitPackedHybrid } from "hyparquet/src/encoding.js";
import { compressors } from "hyparquet-compressors";
import { readRange } from "../src/io/files.js";
import { readFooterSync } from "../src/io/parquet-footer.js";
import { unpackIndices } from "../src/io/parquet-indices.js";
import { snappyWasm } from "../src/io/snappy.js";
import { machineLine } from "./harness.js";
import { frameBenchDir } from "./suites/frame.js";

const json = process.argv.includes("--json");
const dir = process.argv.slice(2).find((a) => !a.startsWith("--")) ?? frameBenchDir();

function report(name: string, value: number, unit: string) {
  if (json) console.log(JSON.stringify({ suite: "memory-and-snappy", case: name, value, unit }));
  else console.log(`${name.padEnd(44)} ${value.toFixed(2).padStart(10)} ${unit}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function freshMemory(): void {
  const mib = 256;
  const first: number[] = [];
  const second: number[] = [];
  for (let r = 0; r < 3; r++) {
    const a = new Uint8Array(mib * 2 ** 20);
    let t = performance.now();
    a.fill(1);
    first.push(performance.now() - t);
    t = performance.now();
    a.fill(2);
    second.push(performance.now() - t);
  }
  report("fresh memory: first write", median(first) / mib, "ms/MiB");
  report("fresh memory: second write", median(second) / mib, "ms/MiB");
}

/** The pages of one column of the dataset's first file: bytes, uncompressed size, type, values. */
async function columnPages(column: string): Promise<[Uint8Array, number, string, number][]> {
  const path = join(dir, "part-000.parquet");
  const footer = readFooterSync(path);
  const md = footer.row_groups[0]!.columns.find((c) => c.meta_data?.path_in_schema[0] === column)!
    .meta_data!;
  if (md.codec !== "SNAPPY")
    throw new Error(`${path}: column ${column} is ${md.codec}, not SNAPPY`);
  const start = Number(md.dictionary_page_offset ?? md.data_page_offset);
  const bytes = await readRange(path, start, start + Number(md.total_compressed_size));
  const reader = {
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    offset: 0,
  };
  const pages: [Uint8Array, number, string, number][] = [];
  while (reader.offset < bytes.length) {
    const h = parquetHeader(reader);
    pages.push([
      bytes.subarray(reader.offset, reader.offset + h.compressed_page_size),
      h.uncompressed_page_size,
      h.type,
      h.data_page_header?.num_values ??
        h.data_page_header_v2?.num_values ??
        h.dictionary_page_header?.num_values ??
        0,
    ]);
    reader.offset += h.compressed_page_size;
  }
  return pages;
}

async function snappy(): Promise<void> {
  const pages = (await columnPages("x")).map(([c, n]): [Uint8Array, number] => [c, n]);
  const total = pages.reduce((s, p) => s + p[1], 0);
  const pass = (decode: (c: Uint8Array, n: number) => void) => {
    const times: number[] = [];
    for (let r = 0; r < 15; r++) {
      const t = performance.now();
      for (const [c, n] of pages) decode(c, n);
      times.push(performance.now() - t);
    }
    return total / 1e6 / (median(times) / 1000);
  };
  let scratch = new Uint8Array(0);
  report(
    "snappy: hyparquet JS into a reused buffer",
    pass((c, n) => {
      if (scratch.length < n) scratch = new Uint8Array(n);
      snappyUncompress(c, scratch.subarray(0, n));
    }),
    "MB/s",
  );
  report(
    "snappy: hysnappy wasm, fresh output per page",
    pass((c, n) => compressors.SNAPPY!(c, n)),
    "MB/s",
  );
  const wasm = snappyWasm();
  if (wasm === undefined) throw new Error("hysnappy's wasm module did not load (src/io/snappy.ts)");
  report(
    "snappy: hysnappy wasm, kept memory (+ copy)",
    pass((c, n) => {
      if (scratch.length < n) scratch = new Uint8Array(n);
      scratch.set(wasm(c, n));
    }),
    "MB/s",
  );
}

/** Dictionary indices of the `key` column's data pages (v2 pages of a REQUIRED column). */
async function indices(): Promise<void> {
  const wasm = snappyWasm()!;
  const runs: Uint8Array[] = [];
  const counts: number[] = [];
  let dictSize = 0;
  for (const [c, n, type, values] of await columnPages("key")) {
    if (type === "DICTIONARY_PAGE") dictSize = values;
    else if (type === "DATA_PAGE_V2") {
      // A REQUIRED column's v2 page has no level bytes: the body is the compressed values.
      runs.push(Uint8Array.from(wasm(c, n)));
      counts.push(values);
    } else throw new Error(`the key column has a ${type} page; this measures v2 data pages`);
  }
  if (dictSize === 0) throw new Error("the key column has no dictionary page");
  const total = counts.reduce((a, b) => a + b, 0);
  const most = Math.max(...counts);
  const map = Int32Array.from({ length: dictSize }, (_, i) => i);
  const out = new Int32Array(most);
  const pass = (decode: (page: Uint8Array, count: number) => void) => {
    const times: number[] = [];
    for (let r = 0; r < 15; r++) {
      const t = performance.now();
      for (let p = 0; p < runs.length; p++) decode(runs[p]!, counts[p]!);
      times.push(performance.now() - t);
    }
    return (median(times) * 1e6) / total;
  };
  const codes = new Int32Array(most);
  report(
    "indices: hyparquet reader, then the code map",
    pass((page, count) => {
      const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
      const ids = codes.subarray(0, count);
      readRleBitPackedHybrid({ view, offset: 1 }, page[0]!, ids, page.length - 1);
      for (let i = 0; i < count; i++) out[i] = map[ids[i]!]!;
    }),
    "ns/index",
  );
  report(
    "indices: Barn's unpacker, map fused in",
    pass((page, count) => {
      if (!unpackIndices(page.subarray(1), page[0]!, map, out, 0, count))
        throw new Error("unpackIndices refused a page of the benchmark's key column");
    }),
    "ns/index",
  );
}

if (!json) console.log(`# memory-and-snappy — ${machineLine()}`);
freshMemory();
await snappy();
await indices();
