/**
 * The core engine's benchmark: tiny tasks, where message and bookkeeping overhead is all there
 * is to measure. Barn runs on its default local cluster (one worker thread per core); the peer,
 * piscina, runs the same function on the same number of threads.
 */
import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import { Client, type Future } from "../../src/index.js";
import { SchedulerState } from "../../src/scheduler/state.js";
import { dashboardOption, profileOption, watch } from "../dashboard-watch.js";
import { type CaseResult, collectGarbage, type Suite } from "../harness.js";

const PEER_FILE = new URL("../piscina-task.js", import.meta.url).href;
const threads = availableParallelism();

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`benchmark produced a wrong answer: ${what}`);
}

async function withClient<T>(
  scheduler: "threads" | "sync",
  f: (c: Client) => Promise<T>,
): Promise<T> {
  const client = await Client.connect({
    scheduler,
    setAsDefault: false,
    dashboard: dashboardOption(),
    profile: profileOption(),
  });
  const unwatch = await watch(client);
  try {
    return await f(client);
  } finally {
    await unwatch();
    await client.close();
  }
}

async function withPool<T>(f: (p: Piscina) => Promise<T>): Promise<T> {
  const pool = new Piscina({ filename: PEER_FILE, minThreads: threads, maxThreads: threads });
  try {
    await Promise.all(range(1000).map((x) => pool.run(x)));
    return await f(pool);
  } finally {
    await pool.destroy();
  }
}

function time(t0: number): number {
  return (performance.now() - t0) / 1000;
}

async function barnMap(client: Client, n: number): Promise<number> {
  const xs = range(n);
  await client.gather(client.map((x: number) => x + 1, range(1000)));
  const t0 = performance.now();
  const futures = client.map((x: number) => x + 1, xs);
  const out = await client.gather(futures);
  const s = time(t0);
  for (const f of futures) f.release();
  check(out.length === n && out[n - 1] === n && out[0] === 1, "map");
  return s;
}

async function mapCase(n: number): Promise<CaseResult> {
  const barn_s = await withClient("threads", (c) => barnMap(c, n));
  const peer_s = await withPool(async (pool) => {
    const t0 = performance.now();
    const out = await Promise.all(range(n).map((x) => pool.run(x)));
    const s = time(t0);
    check(out[n - 1] === n, "piscina map");
    return s;
  });
  return { n, barn_s, peer: "piscina", peer_s };
}

async function chainCase(n: number): Promise<CaseResult> {
  const barn_s = await withClient("threads", async (client) => {
    const inc = (x: number) => x + 1;
    const chain = async (len: number) => {
      let f: Future<number> = client.submit(inc, 0);
      for (let i = 1; i < len; i++) f = client.submit(inc, f);
      return await f;
    };
    await chain(1000); // warm-up, as the peer's pool is warmed up
    const t0 = performance.now();
    const v = await chain(n);
    const s = time(t0);
    check(v === n, "chain");
    return s;
  });
  const peer_s = await withPool(async (pool) => {
    const t0 = performance.now();
    let x = 0;
    for (let i = 0; i < n; i++) x = await pool.run(x);
    check(x === n, "piscina chain");
    return time(t0);
  });
  return { n, barn_s, peer: "piscina (await each)", peer_s };
}

/** Pairwise sums over `leaves` futures; returns the total and the number of tasks made. */
async function barnTree(client: Client, leaves: number): Promise<[number, number]> {
  let tasks = leaves;
  let level: Future<number>[] = client.map((x: number) => x, range(leaves));
  while (level.length > 1) {
    const even = level.filter((_, i) => i % 2 === 0 && i + 1 < level.length);
    const odd = level.filter((_, i) => i % 2 === 1);
    const next = client.map((a: number, b: number) => a + b, even, odd);
    tasks += next.length;
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return [await level[0]!, tasks];
}

async function treeCase(leaves: number): Promise<CaseResult> {
  let tasks = leaves;
  const barn_s = await withClient("threads", async (client) => {
    await barnTree(client, 1000); // warm-up, as the peer's pool is warmed up
    const t0 = performance.now();
    const [total, made] = await barnTree(client, leaves);
    const s = time(t0);
    tasks = made;
    check(total === (leaves * (leaves - 1)) / 2, "tree sum");
    return s;
  });
  const peer_s = await withPool(async (pool) => {
    const t0 = performance.now();
    let level: Promise<number>[] = range(leaves).map((x) => pool.run(x - 1));
    while (level.length > 1) {
      const next: Promise<number>[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) {
        const pair = Promise.all([level[i]!, level[i + 1]!]);
        next.push(pair.then((ab) => pool.run(ab, { name: "add" })));
      }
      if (level.length % 2 === 1) next.push(level[level.length - 1]!);
      level = next;
    }
    const total = await level[0]!;
    check(total === (leaves * (leaves - 1)) / 2, "piscina tree");
    return time(t0);
  });
  return { n: leaves, tasks, barn_s, peer: "piscina", peer_s };
}

async function syncMapCase(n: number): Promise<CaseResult> {
  const barn_s = await withClient("sync", (c) => barnMap(c, n));
  return { n, barn_s };
}

/** Scheduler memory per task with a tree of ~1M tasks held in state, then that graph end to end. */
async function graphMillionCase(): Promise<CaseResult> {
  const leaves = 500_000;
  collectGarbage();
  const h0 = process.memoryUsage().heapUsed;
  const state = new SchedulerState();
  let total = 0;
  {
    const tasks = [];
    let level = range(leaves).map((i) => `leaf-${i}`);
    for (const k of level) tasks.push({ key: k, deps: [], run: { d: 1 }, group: "leaf" });
    let depth = 0;
    while (level.length > 1) {
      const next: string[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) {
        const k = `sum-${depth}-${i}`;
        tasks.push({ key: k, deps: [level[i]!, level[i + 1]!], run: { d: 0 }, group: "sum" });
        next.push(k);
      }
      if (level.length % 2 === 1) next.push(level[level.length - 1]!);
      level = next;
      depth++;
    }
    total = tasks.length;
    state.handle([
      { type: "update-graph", stimulusId: "mem", client: "c", tasks, wanted: [level[0]!] },
    ]);
  }
  collectGarbage();
  const bytesPerTask = Math.round((process.memoryUsage().heapUsed - h0) / total);
  void state;
  // The same size of graph end to end on the local cluster.
  const barn_s = await withClient("threads", async (client) => {
    const t0 = performance.now();
    const [v, made] = await barnTree(client, leaves);
    check(v === (leaves * (leaves - 1)) / 2, "1M graph");
    total = made;
    return time(t0);
  });
  return {
    n: total,
    barn_s,
    extra: { scheduler_bytes_per_task: bytesPerTask },
  };
}

export const tasksSuite: Suite = {
  name: "tasks",
  cases: [
    { name: "map-100k", run: () => mapCase(100_000) },
    { name: "chain-5k", run: () => chainCase(5_000) },
    { name: "tree-100k", run: () => treeCase(100_000) },
    { name: "sync-map-100k", run: () => syncMapCase(100_000) },
    { name: "graph-1m", optIn: true, run: graphMillionCase },
  ],
};
