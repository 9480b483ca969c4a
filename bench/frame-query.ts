/**
 * One frame-suite query, repeated on one local cluster, each repeat's wall and CPU time
 * printed: `npm run build && node dist/bench/frame-query.js <groupby|filter-count|join>
 * [parquet|csv] [repeats]` (defaults: parquet, 10). For profiling and before/after checks of
 * one case: run it under `node --cpu-prof --cpu-prof-dir=DIR` and summarise DIR with
 * `node dist/bench/profile-top.js DIR`. No DuckDB: the suite (`npm run bench -- frame`) gives
 * the ratios. Same dataset as the suite (BARN_BENCH_DIR / BARN_FRAME_ROWS).
 */
import { Client } from "../src/index.js";
import { dataset, type Format, queries, reader } from "./suites/frame.js";

const [query = "", format = "parquet", repeatsArg = "10"] = process.argv.slice(2);
const q = queries[query];
const repeats = Number(repeatsArg);
if (q === undefined || (format !== "parquet" && format !== "csv") || !(repeats >= 1)) {
  console.error(
    `usage: node dist/bench/frame-query.js <${Object.keys(queries).join("|")}> [parquet|csv] [repeats]`,
  );
  process.exit(2);
}
const d = await dataset();
const client = await Client.connect({ setAsDefault: false });
const walls: number[] = [];
for (let r = 1; r <= repeats; r++) {
  const t = performance.now();
  const cpu = process.cpuUsage();
  const rows = await q.barn(reader(d, format as Format)).toRecords({ client });
  const c = process.cpuUsage(cpu);
  const wall = performance.now() - t;
  walls.push(wall);
  console.log(
    `${query}-${format} repeat ${r}: ${wall.toFixed(0)} ms wall, ${((c.user + c.system) / 1000).toFixed(0)} ms CPU (this process's threads), ${rows.length} groups`,
  );
}
await client.close();
const warm = walls.slice(1).sort((a, b) => a - b);
if (warm.length > 0)
  console.log(`median of repeats 2-${repeats}: ${warm[warm.length >> 1]!.toFixed(0)} ms`);
