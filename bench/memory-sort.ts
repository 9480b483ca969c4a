/**
 * The memory suite's P2P sort (issue 11): a Parquet data set `factor` times the workers' total
 * memory limit (default 5x: two process workers of 256 MiB, 2.5 GiB of rows in memory) sorted
 * through the P2P shuffle and written back to Parquet, never gathered. Reports the time, rows
 * per second, each worker's peak RSS (VmHWM from /proc), the most bytes spilled at once, and
 * checks the output with DuckDB (every row there, sorted across the files).
 *
 * `bench/suites/memory.ts` registers it: `sortP2PCase()` is a BenchCase, or call
 * `runSortP2P(options)` for one run's CaseResult. By hand: `node --import tsx bench/memory-sort.ts`.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { processClusters } from "../src/client/process-backend.js";
import type { LocalBackend } from "../src/deploy/local-backend.js";
import * as bf from "../src/frame.js";
import { Client } from "../src/index.js";
import type { BenchCase, CaseResult } from "./harness.js";

const MiB = 2 ** 20;
/** In-memory bytes of one row: k, id (int64), v (float64), s (about 9 bytes + a 4-byte offset). */
const ROW_BYTES = 8 + 8 + 8 + 13;

export interface SortP2POptions {
  readonly workers?: number;
  /** Bytes per worker. Default 256 MiB. */
  readonly memoryLimit?: number;
  /** Data set size over the workers' total limit. Default 5. */
  readonly factor?: number;
  /** Uncompressed bytes per partition read. Default 16 MiB. */
  readonly blocksize?: number;
}

function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m === null ? 0 : Number(m[1]) * 1024;
}

/** One P2P sort of a data set `factor` x the total limit; throws if the output is wrong. */
export async function runSortP2P(o: SortP2POptions = {}): Promise<CaseResult> {
  const workers = o.workers ?? 2;
  const limit = o.memoryLimit ?? 256 * MiB;
  const factor = o.factor ?? 5;
  const rows = Math.ceil((factor * workers * limit) / ROW_BYTES);
  const dir = mkdtempSync(join(tmpdir(), "barn-bench-sort-p2p-"));
  const db = await (await DuckDBInstance.create(":memory:")).connect();
  try {
    const input = join(dir, "input.parquet");
    await db.run(
      `COPY (SELECT (hash(i) >> 1)::BIGINT AS k, i::BIGINT AS id, (i % 1000) * 0.25 AS v,
              'row-' || (i % 10000)::VARCHAR AS s FROM range(${rows}) t(i))
       TO '${input}' (FORMAT PARQUET, ROW_GROUP_SIZE 131072)`,
    );
    const client = await Client.connect({
      processes: true,
      workers,
      memoryLimit: limit,
      localDirectory: join(dir, "local"),
      setAsDefault: false,
    });
    const pids = processClusters.get(client.backend as LocalBackend)!.pids();
    let spilled = 0;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const report = await client.memoryReport().catch(() => []);
        spilled = Math.max(
          spilled,
          report.reduce((s, w) => s + w.spilled, 0),
        );
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    const out = join(dir, "sorted");
    let seconds: number;
    try {
      const t0 = performance.now();
      await bf
        .readParquet(input, { blocksize: o.blocksize ?? 16 * MiB })
        .sortValues("k", { shuffle: "p2p" })
        .toParquet(out, { client });
      seconds = (performance.now() - t0) / 1000;
    } finally {
      watching = false;
      await watch;
    }
    const peaks = pids.map(peakRss);
    await client.close();
    const files = `read_parquet('${out}/*.parquet', filename = true, file_row_number = true)`;
    const check = (
      await db.runAndReadAll(
        `SELECT count(*)::DOUBLE AS n, count(*) FILTER (WHERE prev > k)::DOUBLE AS unsorted FROM
           (SELECT k, lag(k) OVER (ORDER BY filename, file_row_number) AS prev FROM ${files})`,
      )
    ).getRowObjectsJS()[0] as { n: number; unsorted: number };
    if (check.n !== rows || check.unsorted !== 0) {
      throw new Error(`sort-p2p: ${check.n} rows of ${rows}, ${check.unsorted} out of order`);
    }
    return {
      n: rows,
      barn_s: seconds,
      extra: {
        rows_per_s: Math.round(rows / seconds),
        data_bytes: rows * ROW_BYTES,
        limit_bytes: workers * limit,
        peak_rss_bytes: Math.max(...peaks),
        spilled_bytes: spilled,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The memory suite's case (opt-in where the suite wants it: minutes on a 2-core machine). */
export function sortP2PCase(o: SortP2POptions = {}): BenchCase {
  return { name: "sort-p2p", run: () => runSortP2P(o) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const factor = Number(process.env.BARN_SORT_FACTOR ?? 5);
  console.log(JSON.stringify(await runSortP2P({ factor })));
}
