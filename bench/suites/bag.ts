/**
 * The bag benchmark (issue 14): `readJsonLines -> filter(action === "click") -> pluck("user") ->
 * frequencies() -> topk(10)` over the seeded events dataset (bench/events-data.ts), by barn/bag
 * on the default local cluster, against a plain single-threaded Node loop (read, split lines,
 * JSON.parse, count) as the peer, in the same run. Each side runs in a child process of its own
 * (bench/bag-child.ts), so `barn_rss_mb` / `peer_rss_mb` are that side's peak RSS; the clock
 * starts once the cluster is up. `barn_cpu_s` / `peer_cpu_s`: CPU seconds of all the side's threads
 * in that time (with Barn, connecting the cluster excluded), the figure to read on a busy machine.
 * Barn's answer must equal the loop's (ties in counts aside).
 *
 * Cases: `events-10` (2,000,000 records in 10 files) and `events-40` (the same files' shape, 40
 * files: 8,000,000 records), to see that memory stays flat as the input grows. `n` is records.
 * Data: `BARN_BENCH_DIR` (default os.tmpdir()/barn-bag-bench)/<files>x<rows per file>.
 */
import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { generateEvents } from "../events-data.js";
import type { BenchCase, CaseResult, Suite } from "../harness.js";

const run = promisify(execFile);
const CHILD = join(dirname(fileURLToPath(import.meta.url)), "..", "bag-child.js");
const PER_FILE = 200_000;

interface ChildResult {
  readonly seconds: number;
  readonly top: [string, number][];
  readonly maxRss: number;
  readonly cpuSeconds: number;
}

async function child(mode: "barn" | "loop", dir: string): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, [CHILD, mode, dir], {
    maxBuffer: 1 << 20,
    timeout: 600_000,
  });
  return JSON.parse(stdout.trim().split("\n").pop()!) as ChildResult;
}

/** The counts of the top 10 (users with equal counts may come in either order). */
function countsOf(top: readonly [string, number][]): string {
  return top.map((p) => p[1]).join(",");
}

function eventsCase(files: number): BenchCase {
  return {
    name: `events-${files}`,
    async run(): Promise<CaseResult> {
      const dir = join(
        process.env.BARN_BENCH_DIR ?? join(tmpdir(), "barn-bag-bench"),
        `${files}x${PER_FILE}`,
      );
      const data = await generateEvents(dir, { rows: files * PER_FILE, files });
      const barn = await child("barn", dir);
      const loop = await child("loop", dir);
      if (countsOf(barn.top) !== countsOf(loop.top)) {
        throw new Error(
          `events-${files}: barn's top 10 ${JSON.stringify(barn.top)} differs from the loop's ${JSON.stringify(loop.top)}`,
        );
      }
      const mb = (b: number) => Math.round(b / 2 ** 20);
      return {
        n: data.rows,
        tasks: data.rows,
        barn_s: barn.seconds,
        peer: "node-loop",
        peer_s: loop.seconds,
        extra: {
          files,
          barn_rss_mb: mb(barn.maxRss),
          peer_rss_mb: mb(loop.maxRss),
          barn_cpu_s: Number(barn.cpuSeconds.toFixed(2)),
          peer_cpu_s: Number(loop.cpuSeconds.toFixed(2)),
        },
      };
    },
  };
}

export const bagSuite: Suite = { name: "bag", cases: [eventsCase(10), eventsCase(40)] };
