/**
 * Soak test of worker loss (not a CI test): `npm run build && nice -n 10 node
 * dist/bench/soak-kill.js [--trials N] [--minutes M] [--stall S] [--out DIR] [--tasks T]
 * [--seed S] [--validate-every-step]`. Trial n builds its graph and picks its kill from seed S+n.
 *
 * Each trial submits a layered graph (about 40,000 tasks by default: layers of tasks that read
 * two to three tasks of the layer before, then a tree of sums) to `Client.connect({ processes:
 * true, workers: 3 })`, kills one worker process with SIGKILL at a random moment while it runs,
 * and checks the answer against plain JS. Meanwhile it runs the scheduler's `validate()` once
 * a second (or after every step with --validate-every-step, much slower) and watches progress:
 * if the scheduler's task counts do not change for `--stall` seconds (default 60) while the
 * result is pending, it writes the scheduler's state dump, its workers and the story of every
 * task processing or queued to `<out>/soak-stall-<time>.json` and exits 1. A wrong answer or a
 * broken invariant also writes a dump and exits 1. It prints one JSON line per trial.
 *
 * The cluster is reused between trials (the killed worker is replaced by the process cluster,
 * as a nanny would) and started afresh every 20 trials.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { processClusters } from "../src/client/process-backend.js";
import type { LocalBackend } from "../src/deploy/local-backend.js";
import { Client, type Graph, type GraphNode, ref, task } from "../src/index.js";
import { mulberry32 } from "./random.js";

interface Options {
  readonly trials: number;
  readonly minutes: number;
  readonly stallSeconds: number;
  readonly out: string;
  readonly tasks: number;
  readonly validateEveryStep: boolean;
  readonly seed: number;
}

function parseArgs(argv: readonly string[]): Options {
  const get = (name: string, dflt: number): number => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const outAt = argv.indexOf("--out");
  return {
    trials: get("--trials", Infinity),
    minutes: get("--minutes", Infinity),
    stallSeconds: get("--stall", 60),
    out: outAt >= 0 ? argv[outAt + 1]! : ".",
    tasks: get("--tasks", 40_000),
    validateEveryStep: argv.includes("--validate-every-step"),
    seed: get("--seed", Date.now() % 1_000_000),
  };
}

// The task functions ship as source: no free variables. A little work each (~20 µs), so a
// 40,000-task graph runs for a few seconds on three workers and a kill lands mid-graph.
const leafFn = (i: number, salt: number): number => {
  let x = i + salt;
  for (let k = 0; k < 2_000; k++) x = (x * 7 + 3) % 1_000_003;
  return x;
};
const mixFn = (i: number, ...xs: number[]): number => {
  let x = i;
  for (let k = 0; k < 2_000; k++) x = (x * 7 + 3) % 1_000_003;
  for (const v of xs) x = (x + v) % 1_000_003;
  return x;
};
const sumFn = (...xs: number[]): number => xs.reduce((a, b) => (a + b) % 1_000_003, 0);

/**
 * Layers of `width` tasks (the first reads nothing, each later one reads 2-3 random tasks of the
 * layer before), then sums of 250 tasks of the last layer, then one total. Returns the graph and
 * the value plain JS computes for the total.
 */
function layeredGraph(
  salt: number,
  total: number,
  random: () => number,
): { graph: Graph; key: string; expected: number; size: number } {
  const layers = 8;
  const width = Math.max(10, Math.floor(total / layers));
  const g = new Map<string, GraphNode>();
  let prev: string[] = [];
  let prevVals: number[] = [];
  for (let l = 0; l < layers; l++) {
    const keys: string[] = [];
    const vals: number[] = [];
    for (let i = 0; i < width; i++) {
      const key = `s${salt}-l${l}-${i}`;
      const id = l * width + i;
      if (l === 0) {
        g.set(key, task(leafFn, id, salt));
        vals.push(leafFn(id, salt));
      } else {
        const n = 2 + Math.floor(random() * 2);
        const picks = Array.from({ length: n }, () => Math.floor(random() * width));
        g.set(key, task(mixFn, id, ...picks.map((p) => ref(prev[p]!))));
        vals.push(mixFn(id, ...picks.map((p) => prevVals[p]!)));
      }
      keys.push(key);
    }
    prev = keys;
    prevVals = vals;
  }
  const sums: string[] = [];
  const sumVals: number[] = [];
  for (let i = 0; i < prev.length; i += 250) {
    const key = `s${salt}-sum-${i / 250}`;
    g.set(key, task(sumFn, ...prev.slice(i, i + 250).map((k) => ref(k))));
    sums.push(key);
    sumVals.push(sumFn(...prevVals.slice(i, i + 250)));
  }
  const key = `s${salt}-total`;
  g.set(key, task(sumFn, ...sums.map((k) => ref(k))));
  return { graph: g, key, expected: sumFn(...sumVals), size: g.size };
}

interface Cluster {
  readonly client: Client;
  readonly backend: LocalBackend;
}

async function startCluster(o: Options): Promise<Cluster> {
  const client = await Client.connect({
    processes: true,
    workers: 3,
    setAsDefault: false,
    // A log long enough to hold the stories of a whole trial (the default 100,000 is not).
    schedulerConfig: { validate: o.validateEveryStep, transitionLogLength: 400_000 },
  });
  return { client, backend: client.backend as LocalBackend };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitForWorkers(c: Cluster, n: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (c.backend.server.state.workers().length < n) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} workers`);
    await sleep(50);
  }
}

/** A worker's state dump without the tasks in memory (the rest tells why it is stuck). */
async function workerDump(c: Cluster, id: string): Promise<unknown> {
  const timeout = sleep(10_000).then(() => "no answer in 10 s");
  const dump = (await Promise.race([c.backend.cluster.dumpWorker(id), timeout])) as {
    tasks?: Record<string, { state: string }>;
  };
  if (typeof dump !== "object" || dump === null || dump.tasks === undefined) return dump;
  const tasks = Object.entries(dump.tasks).filter(([, t]) => t.state !== "memory");
  return { ...dump, tasks: Object.fromEntries(tasks) };
}

/** Everything known about the scheduler and its workers now, with the stuck tasks' stories. */
async function snapshot(c: Cluster, why: string, extra: object): Promise<object> {
  const workerDumps: Record<string, unknown> = {};
  for (const w of c.backend.server.state.workers()) {
    workerDumps[w.id] = await workerDump(c, w.id).catch((err: Error) => err.message);
  }
  const state = c.backend.server.state;
  const dump = state.dump(100_000) as { tasks: { key: string; state: string }[] };
  const stuck = dump.tasks.filter((t) => t.state === "processing" || t.state === "queued");
  const stories: Record<string, unknown> = {};
  // The stuck tasks and their inputs (an input "in memory" may be what a worker lacks).
  for (const t of stuck.slice(0, 200)) {
    stories[t.key] = state.story(t.key);
    for (const dep of state.task(t.key)?.deps ?? []) stories[dep] ??= state.story(dep);
  }
  let invariant: string | null = null;
  try {
    state.validate();
  } catch (err) {
    invariant = (err as Error).message;
  }
  return {
    why,
    ...extra,
    invariant,
    counts: state.counts(),
    workers: state.workers(),
    processingOrQueued: stuck.slice(0, 200).map((t) => state.task(t.key)),
    stories,
    workerDumps,
    dump,
  };
}

function writeDump(o: Options, body: object): string {
  const file = join(o.out, `soak-stall-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(body, null, 1));
  return file;
}

type TrialResult =
  | { readonly ok: true; readonly seconds: number }
  | { readonly ok: false; readonly why: string; readonly file: string };

async function trial(c: Cluster, o: Options, n: number): Promise<TrialResult> {
  const seed = o.seed + n;
  const random = mulberry32(seed);
  const { graph, key, expected, size } = layeredGraph(seed, o.tasks, random);
  const killAt = 200 + Math.floor(random() * 2_800);
  const t0 = Date.now();
  const [fut] = c.client.submitGraph(graph, [key]);
  let settled: { value?: unknown; error?: unknown } | null = null;
  fut!.result().then(
    (value) => {
      settled = { value };
    },
    (error: unknown) => {
      settled = { error };
    },
  );
  const state = c.backend.server.state;
  let killed = false;
  let lastCounts = "";
  let lastChange = Date.now();
  let lastValidate = Date.now();
  const info = { trial: n, seed, tasks: size, killAtMs: killAt };
  while (settled === null) {
    await sleep(100);
    if (!killed && Date.now() - t0 >= killAt) {
      const pids = processClusters.get(c.backend)!.pids();
      process.kill(pids[Math.floor(random() * pids.length)]!, "SIGKILL");
      killed = true;
    }
    const counts = JSON.stringify(state.counts());
    if (counts !== lastCounts) {
      lastCounts = counts;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > o.stallSeconds * 1000) {
      const file = writeDump(o, await snapshot(c, `no progress for ${o.stallSeconds} s`, info));
      return { ok: false, why: "stall", file };
    }
    if (Date.now() - lastValidate > 1000) {
      lastValidate = Date.now();
      try {
        state.validate();
      } catch (err) {
        const file = writeDump(o, await snapshot(c, `validate: ${(err as Error).message}`, info));
        return { ok: false, why: "invariant", file };
      }
    }
  }
  const s = settled as { value?: unknown; error?: unknown };
  if (s.error !== undefined || s.value !== expected) {
    const got = s.error !== undefined ? String(s.error) : s.value;
    const file = writeDump(o, await snapshot(c, "wrong result", { ...info, got, expected }));
    return { ok: false, why: "wrong result", file };
  }
  fut!.release();
  return { ok: true, seconds: (Date.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const deadline = Date.now() + o.minutes * 60_000;
  let cluster = await startCluster(o);
  // Stopped from outside: close the cluster, so its worker processes do not outlive this one.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void cluster.client.close().finally(() => process.exit(130));
    });
  }
  let n = 0;
  let code = 0;
  try {
    while (n < o.trials && Date.now() < deadline) {
      if (n > 0 && n % 20 === 0) {
        await cluster.client.close();
        cluster = await startCluster(o);
      }
      await waitForWorkers(cluster, 3, 60_000);
      const r = await trial(cluster, o, n);
      console.log(JSON.stringify({ trial: n, seed: o.seed + n, ...r }));
      n++;
      if (!r.ok) {
        code = 1;
        break;
      }
    }
  } finally {
    console.log(JSON.stringify({ trials: n, failed: code !== 0 }));
    await cluster.client.close();
  }
  process.exit(code);
}

await main();
