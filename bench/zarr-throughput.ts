/**
 * Zarr layer throughput (not a test: run `node dist/bench/zarr-throughput.js [side] [chunk]` after
 * `npm run build`). Writes a side x side float64 array in chunk x chunk chunks with each
 * compressor, v3, one thread, then reads every chunk back; prints one JSON line per case with
 * MB/s of uncompressed data (median of 3 runs) and the compression ratio. Data: a smooth field
 * plus low-bit noise, which compresses a little, as measured data does.
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createZarrArray,
  readZarrChunk,
  writeZarrChunk,
  ZARR_COMPRESSORS,
  zarrStats,
} from "../src/collections/array/zarr/index.js";

const side = Number(process.argv[2] ?? 4096);
const chunk = Number(process.argv[3] ?? 512);
const perAxis = Math.ceil(side / chunk);
const coords: number[][] = [];
for (let i = 0; i < perAxis; i++) for (let j = 0; j < perAxis; j++) coords.push([i, j]);

function blockFor([i, j]: number[]): Float64Array {
  const out = new Float64Array(chunk * chunk);
  let s = (i! * 7919 + j! * 104729) >>> 0 || 1;
  for (let r = 0; r < chunk; r++) {
    for (let c = 0; c < chunk; c++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      out[r * chunk + c] =
        Math.sin((i! * chunk + r) / 50) * Math.cos((j! * chunk + c) / 70) + s / 2 ** 40;
    }
  }
  return out;
}

const blocks = coords.map(blockFor);
const mb = (side * side * 8) / 1e6;

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
}

for (const compressor of ZARR_COMPRESSORS) {
  const writes: number[] = [];
  const reads: number[] = [];
  let stored = 0;
  for (let run = 0; run < 3; run++) {
    const store = join(tmpdir(), `barn-zarr-bench-${process.pid}`);
    rmSync(store, { recursive: true, force: true });
    const info = await createZarrArray(store, {
      shape: [side, side],
      chunks: [chunk, chunk],
      dtype: "float64",
      compressor,
    });
    const stats = zarrStats();
    let t = performance.now();
    for (let k = 0; k < coords.length; k++)
      await writeZarrChunk(info, coords[k]!, blocks[k]!, undefined, { stats });
    writes.push(performance.now() - t);
    stored = stats.bytesWritten;
    t = performance.now();
    for (const c of coords) await readZarrChunk(info, c);
    reads.push(performance.now() - t);
    rmSync(store, { recursive: true, force: true });
  }
  console.log(
    JSON.stringify({
      case: `zarr-v3-${compressor}`,
      mb: Math.round(mb),
      chunks: coords.length,
      write_mb_per_s: Math.round(mb / (median(writes) / 1000)),
      read_mb_per_s: Math.round(mb / (median(reads) / 1000)),
      ratio: Number(((side * side * 8) / stored).toFixed(2)),
    }),
  );
}
