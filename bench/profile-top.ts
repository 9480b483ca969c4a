/**
 * The functions that took the most self time in V8 CPU profiles:
 * `node dist/bench/profile-top.js <dir or .cpuprofile> [count]`. Each profile (one per thread:
 * `node --cpu-prof --cpu-prof-dir=<dir> ...` writes the main thread's and every worker
 * thread's) is reported on its own, as milliseconds and percent of its samples.
 *
 * For example, where a worker spends a Parquet groupby:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/run.js frame --case groupby-parquet
 *   node dist/bench/profile-top.js /tmp/prof 12
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

const target = process.argv[2];
const count = Number(process.argv[3] ?? 20);
if (target === undefined) {
  console.error("usage: node dist/bench/profile-top.js <dir or .cpuprofile> [count]");
  process.exit(2);
}
const files = statSync(target).isDirectory()
  ? readdirSync(target)
      .filter((f) => f.endsWith(".cpuprofile"))
      .map((f) => join(target, f))
  : [target];

for (const file of files) {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byNode = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    byNode.set(id, (byNode.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const self = new Map<string, number>();
  let total = 0;
  for (const n of p.nodes) {
    const t = byNode.get(n.id) ?? 0;
    total += t;
    const f = n.callFrame;
    const where =
      f.url === "" ? "" : ` ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}`;
    const key = `${f.functionName || "(anonymous)"}${where}`;
    self.set(key, (self.get(key) ?? 0) + t);
  }
  console.log(`== ${basename(file)}: ${(total / 1000).toFixed(0)} ms sampled`);
  for (const [key, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    const pct = ((100 * t) / Math.max(1, total)).toFixed(1);
    console.log(`${(t / 1000).toFixed(0).padStart(8)} ms ${pct.padStart(5)} %  ${key}`);
  }
}
