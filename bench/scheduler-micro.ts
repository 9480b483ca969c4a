/**
 * Scheduler micro-benchmarks (not a test file). Build, then:
 *   node --expose-gc dist/bench/scheduler-micro.js [map|wide|chain|memory]
 * Prints one JSON line per benchmark.
 */
import type {
  SchedulerEvent,
  SchedulerInstruction,
  TaskSubmission,
} from "../src/scheduler/protocol.js";
import { SchedulerState } from "../src/scheduler/state.js";

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * `ntasks` independent tasks through their whole life: submit, queue, assign, finish (workers
 * answer every compute-task of a batch at once), report, release, forget.
 */
function mapLifecycle(ntasks: number, nworkers: number, nthreads: number, validate = false) {
  const s = new SchedulerState({ config: { validate } });
  const add: SchedulerEvent[] = [];
  for (let w = 0; w < nworkers; w++) {
    add.push({ type: "add-worker", stimulusId: "add", worker: `w${w}`, nthreads });
  }
  s.handle(add);
  const run = { f: "inc" };
  const tasks: TaskSubmission[] = [];
  const wanted: string[] = [];
  for (let i = 0; i < ntasks; i++) {
    const key = `inc-${i}`;
    tasks.push({ key, deps: [], run, group: "inc", order: i });
    wanted.push(key);
  }
  const t0 = performance.now();
  let inside = 0;
  let h0 = performance.now();
  let out = s.handle([{ type: "update-graph", stimulusId: "g", client: "c", tasks, wanted }]);
  inside += performance.now() - h0;
  let done = 0;
  let handles = 1;
  let stim = 0;
  while (done < ntasks) {
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
    h0 = performance.now();
    out = s.handle(events);
    inside += performance.now() - h0;
    handles++;
  }
  const ms = performance.now() - t0;
  if (s.size !== 0) throw new Error(`map: ${s.size} tasks left`);
  return {
    ntasks,
    nworkers,
    nthreads,
    handles,
    ms: round(ms),
    usPerTask: round((ms * 1000) / ntasks),
    usPerTaskInHandle: round((inside * 1000) / ntasks),
  };
}

/** A chain of `n` tasks: one finish per handle(), the next compute-task comes out of it. */
function chain(n: number) {
  const s = new SchedulerState();
  s.handle([{ type: "add-worker", stimulusId: "add", worker: "w0", nthreads: 1 }]);
  const tasks: TaskSubmission[] = [];
  for (let i = 0; i < n; i++)
    tasks.push({ key: `c${i}`, deps: i === 0 ? [] : [`c${i - 1}`], run: i });
  const t0 = performance.now();
  let out = s.handle([
    { type: "update-graph", stimulusId: "g", client: "c", tasks, wanted: [`c${n - 1}`] },
  ]);
  let steps = 0;
  for (;;) {
    const ct = out.find((i) => i.type === "compute-task");
    if (ct === undefined || ct.type !== "compute-task") break;
    out = s.handle([
      {
        type: "task-finished",
        stimulusId: `f${steps}`,
        worker: ct.worker,
        key: ct.key,
        nbytes: 8,
        duration: 0.001,
      },
    ]);
    steps++;
  }
  const ms = performance.now() - t0;
  if (steps !== n) throw new Error(`chain: ${steps} steps`);
  s.handle([{ type: "client-releases-keys", stimulusId: "r", client: "c", keys: [`c${n - 1}`] }]);
  if (s.size !== 0) throw new Error("chain: tasks left");
  return { chain: n, ms: round(ms), usPerStep: round((ms * 1000) / n) };
}

/** Heap bytes per task for a graph of `n` tasks held in state (a binary tree or a chain). */
function memory(n: number, shape: "tree" | "chain") {
  if (gc === undefined) throw new Error("run node with --expose-gc");
  const run = { f: "x" };
  const make = (): TaskSubmission[] => {
    const tasks: TaskSubmission[] = [];
    for (let i = 0; i < n; i++) {
      let deps: string[];
      if (shape === "chain") deps = i === 0 ? [] : [`k${i - 1}`];
      else deps = i === 0 ? [] : [`k${(i - 1) >> 1}`];
      tasks.push({ key: `k${i}`, deps, run, group: "x" });
    }
    return tasks;
  };
  gc();
  const before = process.memoryUsage().heapUsed;
  const s = new SchedulerState({ config: { transitionLogLength: 100_000 } });
  s.handle([{ type: "add-worker", stimulusId: "add", worker: "w0", nthreads: 4 }]);
  const tasks = make();
  // Only the leaves (tree) or the last task (chain) are wanted; everything is waiting in state.
  const wanted = shape === "chain" ? [`k${n - 1}`] : tasks.slice(n >> 1).map((t) => t.key);
  s.handle([{ type: "update-graph", stimulusId: "g", client: "c", tasks, wanted }]);
  tasks.length = 0;
  wanted.length = 0;
  gc();
  const after = process.memoryUsage().heapUsed;
  const size = s.size;
  if (size !== n) throw new Error(`memory: ${size} tasks`);
  return {
    shape,
    ntasks: n,
    bytesPerTask: Math.round((after - before) / n),
    heapMB: round((after - before) / 2 ** 20),
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Run `f` `runs` times; report the fastest run and the median of `metric`. */
function repeat<T extends object>(
  runs: number,
  metric: keyof T,
  f: () => T,
): T & { median: number } {
  const all: T[] = [];
  for (let i = 0; i < runs; i++) all.push(f());
  all.sort((a, b) => (a[metric] as number) - (b[metric] as number));
  return { ...all[0]!, median: all[all.length >> 1]![metric] as number, runs };
}

const which = process.argv[2] ?? "all";
const print = (name: string, r: object): void => console.log(JSON.stringify({ bench: name, ...r }));
if (which === "all" || which === "map") {
  mapLifecycle(20_000, 2, 1); // warm up
  print(
    "map-100k-2w",
    repeat(15, "usPerTaskInHandle", () => mapLifecycle(100_000, 2, 1)),
  );
}
if (which === "all" || which === "wide") {
  print(
    "map-200k-1000w",
    repeat(5, "usPerTaskInHandle", () => mapLifecycle(200_000, 1000, 4)),
  );
}
if (which === "all" || which === "chain") {
  chain(1000);
  print(
    "chain-5000",
    repeat(15, "usPerStep", () => chain(5000)),
  );
}
if (which === "all" || which === "memory") {
  print("memory", memory(1_000_000, "tree"));
  print("memory", memory(1_000_000, "chain"));
}

export type { SchedulerInstruction };
