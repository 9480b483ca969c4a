/**
 * Larger than memory (issue 11): the frame suite's Parquet groupby (`queries.groupby`: key,
 * mean x, sum y) on a process cluster (2 workers x `BARN_MEMORY_BENCH_LIMIT`, default 256 MiB),
 * over a dataset that fits in the workers' total limit (`groupby-fits`, 0.73x) and one 10x
 * larger than it (`groupby-10x`), both read from disk (the page cache is dropped before each
 * repeat where this process may: `echo 3 > /proc/sys/vm/drop_caches`, root). Barn's answer is
 * checked against DuckDB's on the same files (DuckDB is not timed: the figure that matters here
 * is Barn's throughput with and without memory pressure).
 *
 * Extra figures: `peak_rss_bytes` (the highest VmHWM of the worker processes over the repeat,
 * from /proc), `margin_ok` (1 when every worker stayed under its limit + 64 MiB),
 * `spilled_bytes` (the workers' spilled bytes at the end, from memoryReport), `read_mb_s`
 * (bytes the worker processes read, /proc/<pid>/io rchar, over Barn's seconds), and
 * `disk_read_mb_s`: this machine's sequential read speed, measured here on a freshly written
 * file of `BARN_MEMORY_BENCH_DISK_GIB` (default 2) GiB after dropping the page cache
 * (`disk_cached=1` when the cache could not be dropped: then it is the page cache's speed, and
 * so is the datasets'). `groupby-10x` adds `ratio_to_fits`, its rows/s over groupby-fits' from the
 * same run (target: at least 0.5).
 *
 * `sort-p2p-5x` (opt-in: `--case sort-p2p-5x`) sorts a dataset 5x the total limit through the
 * P2P shuffle (bench/memory-sort.ts: its own data, checked by DuckDB).
 *
 * Data: DuckDB writes the frame suite's columns (id, key: 1,000 strings, cat: 10, x, y, ts),
 * 4M rows a file, under `BARN_BENCH_DIR` (default os.tmpdir()/barn-frame-bench)/memory-<rows>,
 * once; a decoded row is counted as 47 bytes (id 4, key 11 with its offset, cat 8, x, y, ts 8).
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { parseBytes } from "../../src/client/options.js";
import { processClusters } from "../../src/client/process-backend.js";
import type { LocalBackend } from "../../src/deploy/local-backend.js";
import * as bf from "../../src/frame.js";
import { Client } from "../../src/index.js";
import type { BenchCase, CaseResult, Suite } from "../harness.js";
import { sortP2PCase } from "../memory-sort.js";
import { queries, type Rec } from "./frame.js";

const MiB = 2 ** 20;
const LIMIT = parseBytes(
  "BARN_MEMORY_BENCH_LIMIT",
  process.env.BARN_MEMORY_BENCH_LIMIT ?? "256MiB",
);
const WORKERS = 2;
const MARGIN = 64 * MiB;
const ROW_BYTES = 47;
const FILE_ROWS = 4_000_000;
const TOTAL = WORKERS * LIMIT;
/** Files of the dataset 10x the total limit; the one that fits is its first two (0.73x). */
const FILES_10X = Math.ceil((10 * TOTAL) / ROW_BYTES / FILE_ROWS);
const FILES_FIT = Math.max(1, Math.floor((0.75 * TOTAL) / ROW_BYTES / FILE_ROWS));
const root = process.env.BARN_BENCH_DIR ?? join(tmpdir(), "barn-frame-bench");
const dir = join(root, `memory-${FILES_10X * FILE_ROWS}`);

let duckP: Promise<DuckDBConnection> | undefined;
function duck(): Promise<DuckDBConnection> {
  duckP ??= DuckDBInstance.create(":memory:").then((i) => i.connect());
  return duckP;
}

let filesP: Promise<string[]> | undefined;
/** The dataset's files, written by DuckDB on first use (a file at a time, 4M rows each). */
function files(): Promise<string[]> {
  filesP ??= (async () => {
    mkdirSync(dir, { recursive: true });
    const conn = await duck();
    const out: string[] = [];
    for (let f = 0; f < FILES_10X; f++) {
      const path = join(dir, `part-${String(f).padStart(3, "0")}.parquet`);
      out.push(path);
      if (existsSync(path)) continue;
      const lo = f * FILE_ROWS;
      await conn.run(
        `COPY (SELECT i::INTEGER AS id,
           'key' || lpad(((i * 7919) % 1000)::VARCHAR, 4, '0') AS key,
           'cat' || (i % 10)::VARCHAR AS cat,
           (hash(i) % 1000000) / 1e6 AS x,
           ((hash(i + 1) % 2000001)::DOUBLE - 1000000) / 1e5 AS y,
           TIMESTAMP '2024-01-01' + to_seconds(i % 31536000) AS ts
         FROM range(${lo}, ${lo + FILE_ROWS}) t(i))
         TO '${path}.tmp' (FORMAT parquet, ROW_GROUP_SIZE 1000000)`,
      );
      // Renamed once complete, so an interrupted generation is redone, not reused.
      renameSync(`${path}.tmp`, path);
    }
    return out;
  })();
  return filesP;
}

/** Drop the page cache (root only). Whether it was dropped. */
function dropCaches(): boolean {
  try {
    writeFileSync("/proc/sys/vm/drop_caches", "3");
    return true;
  } catch {
    return false;
  }
}

let diskP: Promise<{ mb_s: number; cached: boolean }> | undefined;
/** Sequential read speed of the disk under `root`: a fresh file, read in 16 MiB blocks. */
function diskReadSpeed(): Promise<{ mb_s: number; cached: boolean }> {
  diskP ??= (async () => {
    const gib = Number(process.env.BARN_MEMORY_BENCH_DISK_GIB ?? 2);
    const path = join(root, "memory-disk-probe.bin");
    const block = Buffer.alloc(16 * MiB, 0x5a);
    for (let i = 0; i < block.length; i += 4096)
      block.writeUInt32LE(Math.imul(i, 0x9e3779b1) >>> 0, i);
    const fd = openSync(path, "w");
    for (let i = 0; i < gib * 64; i++) writeSync(fd, block);
    fsyncSync(fd);
    closeSync(fd);
    const cached = !dropCaches();
    const rfd = openSync(path, "r");
    const t0 = performance.now();
    let n = 0;
    for (;;) {
      const r = readSync(rfd, block, 0, block.length, null);
      if (r === 0) break;
      n += r;
    }
    const s = (performance.now() - t0) / 1000;
    closeSync(rfd);
    rmSync(path);
    return { mb_s: n / 1e6 / s, cached };
  })();
  return diskP;
}

let clientP: Promise<Client> | undefined;
/** The process cluster, kept for the suite and warmed up on the first file (after the disk probe). */
function client(): Promise<Client> {
  clientP ??= (async () => {
    // Measured first: the probe's synchronous reads would hold up the scheduler, which runs in
    // this process, long enough to lose its workers.
    await diskReadSpeed();
    const c = await Client.connect({
      processes: true,
      workers: WORKERS,
      memoryLimit: LIMIT,
      setAsDefault: false,
    });
    const first = (await files())[0]!;
    // The query itself on one file: every worker's reader and kernels compiled before timing.
    for (let i = 0; i < 2; i++)
      await queries.groupby!.barn(() => bf.readParquet(first)).toRecords({ client: c });
    return c;
  })();
  return clientP;
}

function status(pid: number, field: string): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) * 1024;
}

function readChars(pid: number): number {
  const m = /rchar:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, "utf8"));
  return Number(m?.[1] ?? 0);
}

/** Barn's groups equal DuckDB's (sums within 1e-9 relative). */
function check(name: string, barn: readonly Rec[], duckRows: readonly Rec[]): void {
  const fail = (why: string) => {
    throw new Error(`benchmark ${name}: Barn's answer differs from DuckDB's: ${why}`);
  };
  if (barn.length !== duckRows.length) fail(`${barn.length} groups, DuckDB ${duckRows.length}`);
  const byKey = new Map(duckRows.map((r) => [String(r.key), r]));
  for (const r of barn) {
    const d = byKey.get(String(r.key)) ?? fail(`group ${String(r.key)} missing`);
    for (const c of ["x", "y"]) {
      const a = Number(r[c]);
      const b = Number((d as Rec)[c]);
      if (!(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))))
        fail(`group ${String(r.key)}: ${c} = ${a}, DuckDB ${b}`);
    }
  }
}

/** rows/s of groupby-fits in this run, for groupby-10x's ratio. */
let fitsRowsPerS: number | undefined;

/** Runs `work` on the cluster with the worker processes' peaks reset and read afterwards. */
async function measured(
  work: (c: Client) => Promise<unknown>,
): Promise<{ s: number; extra: Record<string, number> }> {
  const c = await client();
  const pids = processClusters.get(c.backend as LocalBackend)!.pids();
  const disk = await diskReadSpeed();
  dropCaches();
  for (const p of pids) writeFileSync(`/proc/${p}/clear_refs`, "5");
  const r0 = pids.map(readChars);
  const t0 = performance.now();
  await work(c);
  const s = (performance.now() - t0) / 1000;
  const peaks = pids.map((p) => status(p, "VmHWM"));
  const read = pids.reduce((n, p, i) => n + readChars(p) - r0[i]!, 0);
  const report = await c.memoryReport();
  return {
    s,
    extra: {
      peak_rss_bytes: Math.max(...peaks),
      limit_bytes: LIMIT,
      margin_ok: peaks.every((p) => p < LIMIT + MARGIN) ? 1 : 0,
      spilled_bytes: report.reduce((n, w) => n + w.spilled, 0),
      read_mb_s: Math.round(read / 1e6 / s),
      disk_read_mb_s: Math.round(disk.mb_s),
      disk_cached: disk.cached ? 1 : 0,
    },
  };
}

function groupbyCase(name: string, nfiles: number): BenchCase {
  return {
    name,
    async run(): Promise<CaseResult> {
      const paths = (await files()).slice(0, nfiles);
      const rows = nfiles * FILE_ROWS;
      let barn: Rec[] = [];
      const { s, extra } = await measured(async (c) => {
        barn = (await queries
          .groupby!.barn(() => bf.readParquet(paths))
          .toRecords({
            client: c,
          })) as Rec[];
      });
      const list = paths.map((p) => `'${p}'`).join(", ");
      const conn = await duck();
      const sql = queries.groupby!.sql(`read_parquet([${list}])`, "");
      check(name, barn, (await conn.runAndReadAll(sql)).getRowObjects() as Rec[]);
      const perS = rows / s;
      const out: Record<string, number> = {
        ...extra,
        dataset_x_limit: Number(((rows * ROW_BYTES) / TOTAL).toFixed(2)),
      };
      if (nfiles === FILES_FIT) fitsRowsPerS = perS;
      else if (fitsRowsPerS !== undefined)
        out.ratio_to_fits = Number((perS / fitsRowsPerS).toFixed(3));
      return { n: rows, barn_s: s, extra: out };
    },
  };
}

/** The P2P sort of a dataset 5x the workers' total limit (bench/memory-sort.ts): opt-in, long. */
const sortCase: BenchCase = {
  ...sortP2PCase({ workers: WORKERS, memoryLimit: LIMIT, factor: 5 }),
  name: "sort-p2p-5x",
  optIn: true,
};

export const memorySuite: Suite = {
  name: "memory",
  cases: [groupbyCase("groupby-fits", FILES_FIT), groupbyCase("groupby-10x", FILES_10X), sortCase],
};
