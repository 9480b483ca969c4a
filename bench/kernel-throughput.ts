/**
 * Kernel throughput in rows/s (not a test: run `node dist/bench/kernel-throughput.js
 * [rows]` after `npm run build`). Prints one JSON line per kernel, with the median of 5 runs.
 * Data mirrors the frame benchmark: a 1,000-value skewed string key (utf8 and dict), a
 * 10-value category, two float columns.
 */
import { type AggSpec, combinePartials, partialAggregate } from "../src/kernels/aggregate.js";
import type { Batch, Column } from "../src/kernels/batch.js";
import { takeBatch } from "../src/kernels/column.js";
import { compare } from "../src/kernels/compare.js";
import { dictEncode } from "../src/kernels/dictionary.js";
import { groupIds } from "../src/kernels/group-ids.js";
import { hashJoin } from "../src/kernels/join.js";
import { filterBatch, selectionOf } from "../src/kernels/select.js";
import { argsort } from "../src/kernels/sort.js";
import { stringPredicate } from "../src/kernels/string-ops.js";
import { utf8Column } from "../src/kernels/strings.js";

const n = Number(process.argv[2] ?? 2_000_000);
let seed = 42;
const rand = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) | 0;
  return (seed >>> 0) / 2 ** 32;
};
const keys = Array.from({ length: n }, () => `key${Math.floor(1000 * rand() ** 3)}`);
const keyUtf8 = utf8Column(keys);
const keyDict = dictEncode(keyUtf8);
const cat: Column = {
  type: "int32",
  length: n,
  data: Int32Array.from({ length: n }, () => Math.floor(rand() * 10)),
};
const x: Column = { type: "float64", length: n, data: Float64Array.from({ length: n }, rand) };
const y: Column = { type: "float64", length: n, data: Float64Array.from({ length: n }, rand) };
const batch: Batch = { names: ["key", "cat", "x", "y"], columns: [keyDict, cat, x, y], length: n };
const batchUtf8: Batch = { ...batch, columns: [keyUtf8, cat, x, y] };
const aggs: AggSpec[] = [
  { fn: "mean", column: "x", output: "x" },
  { fn: "sum", column: "y", output: "y" },
];
const dimKeys = utf8Column(Array.from({ length: 1000 }, (_, k) => `key${k}`));

function measure(name: string, run: () => unknown): void {
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const ms = times[2]!;
  console.log(
    JSON.stringify({
      kernel: name,
      rows: n,
      ms: Number(ms.toFixed(2)),
      rowsPerSec: Math.round((n / ms) * 1000),
    }),
  );
}

measure("compare float64 > scalar", () => compare("gt", x, 0.5));
measure("selection vector from mask", () => selectionOf(compare("gt", x, 0.5)));
measure("filter batch (x > 0.5)", () => filterBatch(batch, compare("gt", x, 0.5)));
measure("take batch (half the rows)", () => takeBatch(batch, selectionOf(compare("gt", x, 0.5))));
measure("group ids, dict key", () => groupIds([keyDict], n));
measure("group ids, utf8 key", () => groupIds([keyUtf8], n));
measure("group ids, int32 key", () => groupIds([cat], n));
measure("group ids, two keys (dict, int32)", () => groupIds([keyDict, cat], n));
measure("partial agg mean+sum by dict key", () => partialAggregate(batch, ["key"], aggs));
measure("partial agg mean+sum by utf8 key", () => partialAggregate(batchUtf8, ["key"], aggs));
measure("combine 8 partials", () => {
  const p = partialAggregate(batch, ["key"], aggs);
  return combinePartials([p, p, p, p, p, p, p, p], aggs);
});
measure("dictionary encode utf8", () => dictEncode(keyUtf8));
measure("hash join probe vs 1,000-row dim (utf8)", () =>
  hashJoin([keyUtf8], n, [dimKeys], 1000, "inner"),
);
measure("hash join probe vs 1,000-row dim (dict)", () =>
  hashJoin([keyDict], n, [dimKeys], 1000, "inner"),
);
measure("string startsWith (dict)", () => stringPredicate("startsWith", keyDict, "key1"));
measure("string startsWith (utf8)", () => stringPredicate("startsWith", keyUtf8, "key1"));
measure("argsort int32", () => argsort([{ column: cat, ascending: true }], n));
measure("argsort float64", () => argsort([{ column: x, ascending: true }], n));
