/**
 * End-to-end query timings over in-memory data shaped like the frame benchmark (not a test: run
 * `node dist/bench/query-throughput.js [partitions] [sync|threads]` after `npm run
 * build`). Each partition holds 500,000 rows: a dict key with 1,000 skewed values, a 10-value
 * int32 category and two float columns. Prints one JSON line per query and repeat.
 */
import * as bf from "../src/frame.js";
import { Client } from "../src/index.js";
import type { Batch } from "../src/kernels/batch.js";
import { dictEncode } from "../src/kernels/dictionary.js";
import { utf8Column } from "../src/kernels/strings.js";

const parts = Number(process.argv[2] ?? 10);
const mode = process.argv[3] === "threads" ? "threads" : "sync";
const per = 500_000;
let seed = 1;
const rand = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) | 0;
  return (seed >>> 0) / 2 ** 32;
};
const names = Array.from({ length: 1000 }, (_, k) => `key${k}`);
const batches: Batch[] = Array.from({ length: parts }, () => ({
  names: ["key", "cat", "x", "y"],
  length: per,
  columns: [
    dictEncode(
      utf8Column(Array.from({ length: per }, () => names[Math.floor(1000 * rand() ** 3)]!)),
    ),
    {
      type: "int32",
      length: per,
      data: Int32Array.from({ length: per }, () => Math.floor(rand() * 10)),
    },
    { type: "float64", length: per, data: Float64Array.from({ length: per }, rand) },
    { type: "float64", length: per, data: Float64Array.from({ length: per }, rand) },
  ],
}));
const dim = bf.fromRecords(names.map((key, i) => ({ key, region: `r${i % 5}` })));
const client = await Client.connect(
  mode === "sync" ? { scheduler: "sync" } : { workers: 2, threadsPerWorker: 1 },
);
const df = bf.fromBatches(batches);
const source = mode === "sync" ? df : await df.persist();
const queries = {
  groupby: source.groupby("key").agg({ x: "mean", y: "sum" }),
  "filter-count": source
    .filter(bf.col("x").gt(0.5))
    .groupby("cat")
    .agg({ n: ["x", "size"] }),
  join: source.merge(dim, { on: "key" }).groupby("region").agg({ y: "sum" }),
};
for (const [name, q] of Object.entries(queries)) {
  for (let repeat = 0; repeat < 3; repeat++) {
    const t0 = performance.now();
    const out = await q.compute();
    const ms = performance.now() - t0;
    console.log(
      JSON.stringify({
        query: name,
        mode,
        rows: parts * per,
        repeat,
        ms: Math.round(ms),
        outRows: out.numRows,
      }),
    );
  }
}
await client.close();
