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
 *
 * The dataset dir defaults to the frame suite's (`BARN_BENCH_DIR`/<BARN_FRAME_ROWS>); run
 * `npm run bench -- frame` once to generate it.
 */
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { snappyUncompress } from "hyparquet";
import { parquetHeader } from "hyparquet/src/column.js";
import { compressors } from "hyparquet-compressors";
import { readRange } from "../src/io/files.js";
import { readFooterSync } from "../src/io/parquet-footer.js";
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

async function snappy(): Promise<void> {
  const path = join(dir, "part-000.parquet");
  const footer = readFooterSync(path);
  const md = footer.row_groups[0]!.columns.find((c) => c.meta_data?.path_in_schema[0] === "x")!
    .meta_data!;
  if (md.codec !== "SNAPPY") throw new Error(`${path}: column x is ${md.codec}, not SNAPPY`);
  const start = Number(md.dictionary_page_offset ?? md.data_page_offset);
  const bytes = await readRange(path, start, start + Number(md.total_compressed_size));
  const reader = {
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    offset: 0,
  };
  const pages: [Uint8Array, number][] = [];
  while (reader.offset < bytes.length) {
    const h = parquetHeader(reader);
    pages.push([
      bytes.subarray(reader.offset, reader.offset + h.compressed_page_size),
      h.uncompressed_page_size,
    ]);
    reader.offset += h.compressed_page_size;
  }
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

if (!json) console.log(`# memory-and-snappy — ${machineLine()}`);
freshMemory();
await snappy();
