/**
 * By hand: `node dist/bench/dashboard-cpu.js <off|dashboard|profile|both> [chain|tree|map ...]`.
 * What watching costs in CPU time rather than wall time (which a shared machine makes noisy):
 * the tasks suite's Barn side of a case (the same client, warm-up and workload), run with the
 * dashboard served and watched by headless chromium (`dashboard`), the workers' profiler on
 * (`profile`), both, or neither; prints one JSON line per case with the wall seconds and the
 * CPU seconds of the measured workload: this process (client, scheduler and worker threads),
 * its threads, and chromium (every process under this one). Run sides alternately.
 * `BARN_BENCH_CPUPROF=<dir>` also writes the main thread's CPU profile of each measured
 * workload there (`<mode>-<case>-<pid>.cpuprofile`, sampled every 200 µs), to see where it went.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { Client, type Future } from "../src/index.js";
import { closeBrowser, dashboardMode, watch } from "./dashboard-watch.js";

const TICK = 100; // clock ticks per second of /proc's utime and stime (USER_HZ)

const mode = process.argv[2] ?? "off";
if (!["off", "dashboard", "profile", "both"].includes(mode)) {
  console.error(
    "usage: node dist/bench/dashboard-cpu.js <off|dashboard|profile|both> [chain|tree|map ...]",
  );
  process.exit(2);
}
const cases = process.argv.slice(3).length > 0 ? process.argv.slice(3) : ["chain", "tree", "map"];
const served = mode === "dashboard" || mode === "both";
dashboardMode.on = served;

/** utime + stime of one /proc stat line, seconds. */
function statCpu(line: string): number {
  const f = line.slice(line.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / TICK;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** CPU seconds of every process below this one (chromium and its helpers), by process type. */
function childrenCpu(): Map<string, number> {
  const parent = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const s = read(`/proc/${d}/stat`);
    if (s === undefined) continue;
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    parent.set(Number(d), Number(f[1]));
    cpu.set(Number(d), statCpu(s));
  }
  const out = new Map<string, number>();
  for (const [pid, c] of cpu) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === process.pid) {
        const type = /--type=([a-z-]+)/.exec(read(`/proc/${pid}/cmdline`) ?? "")?.[1] ?? "main";
        out.set(type, (out.get(type) ?? 0) + c);
        break;
      }
    }
  }
  return out;
}

/** CPU seconds of each thread of this process, by "name/tid" ("main" for the main thread). */
function threadsCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of readdirSync("/proc/self/task")) {
    const s = read(`/proc/self/task/${t}/stat`);
    const name =
      t === String(process.pid) ? "main" : `${read(`/proc/self/task/${t}/comm`)?.trim()}/${t}`;
    if (s !== undefined) out.set(name, statCpu(s));
  }
  return out;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

async function tree(client: Client, leaves: number): Promise<number> {
  let level: Future<number>[] = client.map((x: number) => x, range(leaves));
  while (level.length > 1) {
    const even = level.filter((_, i) => i % 2 === 0 && i + 1 < level.length);
    const odd = level.filter((_, i) => i % 2 === 1);
    const next = client.map((a: number, b: number) => a + b, even, odd);
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return await level[0]!;
}

async function chain(client: Client, len: number): Promise<number> {
  const inc = (x: number) => x + 1;
  let f: Future<number> = client.submit(inc, 0);
  for (let i = 1; i < len; i++) f = client.submit(inc, f);
  return await f;
}

async function map(client: Client, n: number): Promise<number> {
  const futures = client.map((x: number) => x + 1, range(n));
  const out = await client.gather(futures);
  for (const f of futures) f.release();
  return out.length;
}

/** Warm-up and workload of each case, as the tasks suite runs them. */
const work: Record<string, [(c: Client) => Promise<unknown>, (c: Client) => Promise<unknown>]> = {
  chain: [(c) => chain(c, 1000), (c) => chain(c, 5000)],
  tree: [(c) => tree(c, 1000), (c) => tree(c, 100_000)],
  map: [(c) => map(c, 1000), (c) => map(c, 100_000)],
};

const PROFILE_DIR = process.env.BARN_BENCH_CPUPROF;

/** Starts profiling this thread when BARN_BENCH_CPUPROF names a folder; returns the stopper. */
async function profileMain(name: string): Promise<() => Promise<void>> {
  if (PROFILE_DIR === undefined) return async () => {};
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  return async () => {
    const { profile } = await session.post("Profiler.stop");
    session.disconnect();
    mkdirSync(PROFILE_DIR, { recursive: true });
    writeFileSync(
      `${PROFILE_DIR}/${mode}-${name}-${process.pid}.cpuprofile`,
      JSON.stringify(profile),
    );
  };
}

for (const name of cases) {
  const [warm, run] = work[name]!;
  const client = await Client.connect({
    scheduler: "threads",
    setAsDefault: false,
    dashboard: served ? { port: 0 } : false,
    profile: mode === "profile" || mode === "both",
  });
  const unwatch = await watch(client);
  try {
    await warm(client);
    const t0 = performance.now();
    const p0 = process.cpuUsage();
    const th0 = threadsCpu();
    const c0 = childrenCpu();
    const stopProfile = await profileMain(name);
    await run(client);
    const wall = (performance.now() - t0) / 1000;
    await stopProfile();
    const p = process.cpuUsage(p0);
    const c1 = childrenCpu();
    const chromium = [...c1].map(([k, v]) => [k, v - (c0.get(k) ?? 0)] as const);
    const th = [...threadsCpu()]
      .map(([t, s]) => [t, s - (th0.get(t) ?? 0)] as const)
      .sort((a, b) => b[1] - a[1])
      .filter(([, s]) => s >= 0.005)
      .map(([t, s]) => `${t}:${s.toFixed(2)}`);
    console.log(
      JSON.stringify({
        mode,
        case: name,
        wall_s: +wall.toFixed(3),
        cpu_s: +((p.user + p.system) / 1e6).toFixed(3),
        chromium_s: +chromium.reduce((a, [, v]) => a + v, 0).toFixed(2),
        chromium: chromium.map(([k, v]) => `${k}:${v.toFixed(2)}`).join(" "),
        threads: th.join(" "),
      }),
    );
  } finally {
    await unwatch();
    await client.close();
  }
}
await closeBrowser();
process.exit(0);
