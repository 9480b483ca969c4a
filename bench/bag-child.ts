/**
 * One side of the bag benchmark, in a process of its own so its peak RSS is its own: `barn`
 * (barn/bag on a local cluster started, and warmed up with a tiny in-memory pipeline so its
 * workers have loaded barn/bag, before the clock starts) or `loop` (a plain
 * single-threaded Node loop: read each file, split lines, JSON.parse, count). Prints one JSON
 * line: seconds, the top 10 `[user, clicks]` pairs, the process's peak RSS in bytes, and the CPU
 * seconds all its threads used while the clock ran (less noisy than seconds on a shared machine).
 *
 * `node dist/bench/bag-child.js <barn|loop> <dir>`
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as bb from "../src/bag.js";
import { Client } from "../src/index.js";

interface Event {
  readonly user: string;
  readonly action: string;
}

function plainLoop(files: readonly string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const r = JSON.parse(line) as Event;
      if (r.action === "click") counts.set(r.user, (counts.get(r.user) ?? 0) + 1);
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10);
}

interface Timed {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly top: [string, number][];
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(start);
  return (c.user + c.system) / 1e6;
}

async function barn(dir: string): Promise<Timed> {
  const client = await Client.connect();
  try {
    // Warm-up, as the other suites do: the workers load barn/bag's modules (start-up, not work).
    await bb
      .fromSequence(["a", "b", "a", "c"], { npartitions: 4 })
      .filter((x) => x !== "c")
      .frequencies()
      .topk(1, 1)
      .compute({ client });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const top = await bb
      .readJsonLines<Event>(join(dir, "*.jsonl"))
      .filter((r) => r.action === "click")
      .pluck("user")
      .frequencies()
      .topk(10, 1)
      .compute({ client });
    return { seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSince(cpu0), top };
  } finally {
    await client.close();
  }
}

const [mode, dir] = process.argv.slice(2);
if (dir === undefined || (mode !== "barn" && mode !== "loop")) {
  console.error("usage: node dist/bench/bag-child.js <barn|loop> <dir>");
  process.exit(2);
}
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".jsonl"))
  .sort()
  .map((f) => join(dir, f));
let out: Timed;
if (mode === "loop") {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const top = plainLoop(files);
  out = { seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSince(cpu0), top };
} else out = await barn(dir);
console.log(JSON.stringify({ ...out, maxRss: process.resourceUsage().maxRSS * 1024 }));
