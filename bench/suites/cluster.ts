/**
 * The cluster's benchmark: tiny tasks on worker processes over tcp (every task crosses a
 * socket twice), and the scheduler's own capacity with 1,000 simulated workers that answer
 * instantly. The peer of the process cases is the same work on Barn's worker threads in the
 * same run, so the ratio is the price of processes and sockets. (Dask, the reference the issue
 * quotes, cannot be installed here: no PyPI.)
 */
import type { Future } from "../../src/index.js";
import { Client } from "../../src/index.js";
import type {
  SchedulerEvent,
  SchedulerInstruction,
  TaskSubmission,
} from "../../src/scheduler/protocol.js";
import { SchedulerState } from "../../src/scheduler/state.js";
import { type CaseResult, collectGarbage, type Suite } from "../harness.js";

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`benchmark produced a wrong answer: ${what}`);
}

function time(t0: number): number {
  return (performance.now() - t0) / 1000;
}

async function withClient<T>(processes: boolean, f: (c: Client) => Promise<T>): Promise<T> {
  const client = await Client.connect({ processes, workers: 2, setAsDefault: false });
  try {
    return await f(client);
  } finally {
    await client.close();
  }
}

async function map(client: Client, n: number): Promise<number> {
  await client.gather(client.map((x: number) => x + 1, range(2000)));
  const t0 = performance.now();
  const futures = client.map((x: number) => x + 1, range(n));
  const out = await client.gather(futures);
  const s = time(t0);
  for (const f of futures) f.release();
  check(out.length === n && out[0] === 1 && out[n - 1] === n, "map");
  return s;
}

async function chain(client: Client, n: number): Promise<number> {
  const inc = (x: number) => x + 1;
  const run = async (len: number) => {
    let f: Future<number> = client.submit(inc, 0);
    for (let i = 1; i < len; i++) f = client.submit(inc, f);
    return await f;
  };
  await run(500);
  const t0 = performance.now();
  const v = await run(n);
  const s = time(t0);
  check(v === n, "chain");
  return s;
}

async function procCase(
  n: number,
  work: (c: Client, n: number) => Promise<number>,
): Promise<CaseResult> {
  const barn_s = await withClient(true, (c) => work(c, n));
  const peer_s = await withClient(false, (c) => work(c, n));
  return { n, barn_s, peer: "barn threads (2 workers)", peer_s };
}

/**
 * `n` independent tasks through their whole life in the pure scheduler with `nworkers`
 * simulated workers that finish every compute-task at once: submit, queue, assign, finish,
 * report, release, forget. Also the scheduler's heap per task with all `n` tasks held.
 */
function capacityCase(n: number, nworkers: number): CaseResult {
  const run = { f: "inc" };
  const makeTasks = () => {
    const tasks: TaskSubmission[] = new Array(n);
    const wanted: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const key = `inc-${i}`;
      tasks[i] = { key, deps: [], run, group: "inc", order: i };
      wanted[i] = key;
    }
    return { tasks, wanted };
  };
  const addWorkers: SchedulerEvent[] = range(nworkers).map((w) => ({
    type: "add-worker",
    stimulusId: "add",
    worker: `w${w}`,
    name: `w${w}`,
    nthreads: 2,
    resources: {},
  }));

  // Memory: the scheduler holding n submitted tasks (keys and specs are the client's).
  const { tasks, wanted } = makeTasks();
  collectGarbage();
  const h0 = process.memoryUsage().heapUsed;
  let held: SchedulerState | undefined = new SchedulerState();
  held.handle(addWorkers);
  held.handle([{ type: "update-graph", stimulusId: "g", client: "c", tasks, wanted }]);
  collectGarbage();
  const bytesPerTask = Math.round((process.memoryUsage().heapUsed - h0) / n);
  held = undefined;

  const s = new SchedulerState();
  s.handle(addWorkers);
  const fresh = makeTasks();
  collectGarbage();
  const t0 = performance.now();
  let out: SchedulerInstruction[] = s.handle([
    { type: "update-graph", stimulusId: "g", client: "c", ...fresh },
  ]);
  let done = 0;
  let stim = 0;
  while (done < n) {
    const events: SchedulerEvent[] = [];
    const released: string[] = [];
    for (const ins of out) {
      if (ins.type === "compute-task") {
        events.push({
          type: "task-finished",
          stimulusId: `f${stim}`,
          worker: ins.worker,
          key: ins.key,
          nbytes: 28,
          duration: 0.00001,
        });
      } else if (ins.type === "key-in-memory") {
        released.push(ins.key);
        done++;
      }
    }
    if (released.length > 0) {
      events.push({
        type: "client-releases-keys",
        stimulusId: `r${stim}`,
        client: "c",
        keys: released,
      });
    }
    stim++;
    if (events.length === 0) break;
    out = s.handle(events);
  }
  const barn_s = time(t0);
  check(done === n && s.size === 0, `capacity: ${done} of ${n} done, ${s.size} left`);
  return { n, barn_s, extra: { workers: nworkers, bytes_per_task: bytesPerTask } };
}

export const clusterSuite: Suite = {
  name: "cluster",
  cases: [
    { name: "proc-map-100k", run: () => procCase(100_000, map) },
    { name: "proc-chain-5k", run: () => procCase(5_000, chain) },
    { name: "sched-capacity", run: async () => capacityCase(200_000, 1_000) },
  ],
};
