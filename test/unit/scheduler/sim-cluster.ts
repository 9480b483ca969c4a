/**
 * A simulated cluster for property tests: workers that "execute" tasks by computing values in
 * plain JS and hold them per worker, links that deliver messages late (per-worker FIFO), and
 * workers that die with their data. The scheduler under test sees only events.
 */
import type {
  ComputeTask,
  SchedulerEvent,
  SchedulerInstruction,
} from "../../../src/scheduler/protocol.js";
import type { SchedulerState } from "../../../src/scheduler/state.js";

export interface SimTask {
  readonly key: string;
  readonly deps: readonly string[];
  /** The first `failTimes` attempts throw. */
  readonly failTimes: number;
}

/** The value of a task: a pure function of its key and its inputs' values. */
export function resultOf(key: string, inputs: readonly number[]): number {
  let h = 7;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) % 1_000_003;
  for (const v of inputs) h = (h + v * 17) % 1_000_003;
  return h;
}

/** A one-line description of an event or instruction (tracing). */
function brief(x: SchedulerEvent | SchedulerInstruction): string {
  const o = x as unknown as Record<string, unknown>;
  const parts = [String(o.type)];
  for (const k of ["worker", "key", "keys", "holder", "client"])
    if (o[k] !== undefined) parts.push(`${k}=${String(o[k])}`);
  if (Array.isArray(o.deps)) parts.push(`deps=${JSON.stringify(o.deps)}`);
  return parts.join(" ");
}

export class SimWorker {
  readonly store = new Map<string, number>();
  /** Tasks received and not yet executed, in arrival order. */
  readonly running = new Map<string, ComputeTask>();
  /** Instructions sent by the scheduler, not yet delivered. */
  readonly inbox: SchedulerInstruction[] = [];
  alive = true;
  constructor(
    readonly id: string,
    readonly name: string,
    readonly nthreads: number,
  ) {}
}

export type Report = "memory" | "erred" | "cancelled";

export class SimCluster {
  readonly workers = new Map<string, SimWorker>();
  /** Events on their way to the scheduler, FIFO. */
  readonly outbox: SchedulerEvent[] = [];
  /** The last report the client got per key. */
  readonly reports = new Map<string, { kind: Report; code?: string }>();
  readonly attempts = new Map<string, number>();
  readonly tasks: Map<string, SimTask>;
  /** Keys the client was told were cancelled while it expected them (must stay empty). */
  readonly unexpectedCancels: string[] = [];
  expectCancel = new Set<string>();
  /** Tasks given up in answer to steal requests. */
  stolen = 0;
  /** Multiplies every reported duration (long enough ones make work stealing move tasks). */
  durationScale = 1;
  #stim = 0;
  #incarnation = 0;

  constructor(
    readonly s: SchedulerState,
    tasks: readonly SimTask[],
  ) {
    this.tasks = new Map(tasks.map((t) => [t.key, t]));
  }

  stim(what: string): string {
    return `${what}-${++this.#stim}`;
  }

  /** Feed events to the scheduler and route its instructions. */
  handle(events: SchedulerEvent[]): void {
    let out: SchedulerInstruction[];
    try {
      out = this.s.handle(events);
    } catch (e) {
      if (process.env.BARN_TRACE === "1") {
        console.log("IN ", events.map(brief).join(" | "));
        console.log(JSON.stringify(this.s.dump(), null, 1));
      }
      throw e;
    }
    if (process.env.BARN_TRACE === "1") {
      console.log("IN ", events.map(brief).join(" | "));
      console.log("OUT", out.map(brief).join(" | "));
    }
    this.route(out);
  }

  route(out: readonly SchedulerInstruction[]): void {
    for (const ins of out) {
      switch (ins.type) {
        case "compute-task":
        case "free-keys":
        case "steal-request": {
          const w = this.workers.get(ins.worker);
          if (w?.alive) w.inbox.push(ins);
          break;
        }
        case "key-in-memory":
          this.reports.set(ins.key, { kind: "memory" });
          break;
        case "key-erred":
          this.reports.set(ins.key, { kind: "erred", code: ins.error.code });
          break;
        case "key-cancelled":
          this.reports.set(ins.key, { kind: "cancelled" });
          if (!this.expectCancel.delete(ins.key)) this.unexpectedCancels.push(ins.key);
          break;
        case "restart-worker": {
          // Already out of the scheduler's state: the worker just goes (its data with it).
          const w = this.workers.get(ins.worker);
          if (w !== undefined) {
            w.alive = false;
            w.store.clear();
            w.running.clear();
            w.inbox.length = 0;
          }
          break;
        }
        case "no-worker":
          break;
        default:
          ins satisfies never;
      }
    }
  }

  addWorker(name: string, nthreads: number): SimWorker {
    const w = new SimWorker(`${name}#${++this.#incarnation}`, name, nthreads);
    this.workers.set(w.id, w);
    this.handle([
      { type: "add-worker", stimulusId: this.stim("add"), worker: w.id, name, nthreads },
    ]);
    return w;
  }

  /** The worker dies (data lost). The scheduler hears of it now or after the worker's last messages. */
  kill(w: SimWorker, expected: boolean, now: boolean): void {
    w.alive = false;
    w.store.clear();
    w.running.clear();
    w.inbox.length = 0;
    const ev: SchedulerEvent = {
      type: "remove-worker",
      stimulusId: this.stim("rm"),
      worker: w.id,
      expected,
    };
    if (now) this.handle([ev]);
    else this.outbox.push(ev);
  }

  /** Deliver the first instruction in `w`'s inbox. */
  deliver(w: SimWorker): void {
    const ins = w.inbox.shift();
    if (ins === undefined) return;
    if (ins.type === "compute-task") {
      w.running.delete(ins.key);
      w.running.set(ins.key, ins);
    } else if (ins.type === "free-keys") {
      for (const k of ins.keys) {
        w.store.delete(k);
        w.running.delete(k);
      }
    } else if (ins.type === "steal-request") {
      this.answerSteal(w, ins.key);
    }
  }

  /**
   * Like the real worker: a task received and not run yet is given up, unless a task here
   * waits for it (an input it was told this worker computes).
   */
  answerSteal(w: SimWorker, key: string): void {
    const ct = w.running.get(key);
    let waitedFor = false;
    for (const other of w.running.values()) {
      if (other.deps.some((d) => d.key === key && d.holders.includes(w.id))) waitedFor = true;
    }
    const stolen = ct !== undefined && !waitedFor;
    if (stolen) {
      w.running.delete(key);
      this.stolen++;
    }
    this.outbox.push({
      type: "steal-response",
      stimulusId: this.stim(`steal-${key}`),
      worker: w.id,
      key,
      stolen,
      state: ct === undefined ? (w.store.has(key) ? "memory" : "released") : "ready",
    });
  }

  /**
   * Can `ct` run on `w`? Not while an input it was told `w` itself holds is not in the store:
   * that input is being computed here (speculative assignment), or it erred or was freed here,
   * and then the task waits (like the real worker) until the input finishes or the scheduler
   * frees or reschedules the task.
   */
  runnable(w: SimWorker, ct: ComputeTask): boolean {
    for (const d of ct.deps) if (!w.store.has(d.key) && d.holders.includes(w.id)) return false;
    return true;
  }

  /**
   * Run the `i`-th runnable task `w` holds: fetch inputs from the holders named, compute,
   * report. `blip`: the first holder of every input looks unreachable (a transient network
   * failure).
   */
  execute(w: SimWorker, i: number, blip = false): boolean {
    const entries = [...w.running.values()].filter((ct) => this.runnable(w, ct));
    const ct = entries[i % entries.length];
    if (ct === undefined) return false;
    w.running.delete(ct.key);
    const n = (this.attempts.get(ct.key) ?? 0) + 1;
    this.attempts.set(ct.key, n);
    const stimulusId = this.stim(`w-${ct.key}`);
    if (n <= (this.tasks.get(ct.key)?.failTimes ?? 0)) {
      const error = {
        name: "Error",
        code: "BARN_TASK_FAILED",
        message: `attempt ${n}`,
        key: ct.key,
      };
      this.outbox.push({
        type: "task-erred",
        stimulusId,
        worker: w.id,
        key: ct.key,
        error,
        runId: ct.runId,
      });
      return true;
    }
    const inputs: number[] = [];
    for (const d of ct.deps) {
      let v = w.store.get(d.key);
      if (v === undefined) {
        for (const [j, h] of d.holders.entries()) {
          const hw = this.workers.get(h);
          if (!(blip && j === 0) && hw?.alive && hw.store.has(d.key)) {
            v = hw.store.get(d.key);
            break;
          }
        }
      }
      if (v === undefined) {
        for (const h of d.holders) {
          this.outbox.push({
            type: "missing-data",
            stimulusId,
            worker: w.id,
            key: d.key,
            holder: h,
          });
        }
        return true;
      }
      inputs.push(v);
    }
    w.store.set(ct.key, resultOf(ct.key, inputs));
    this.outbox.push({
      type: "task-finished",
      stimulusId,
      worker: w.id,
      key: ct.key,
      nbytes: 8 * (1 + inputs.length),
      duration: (0.0005 + (n % 3) * 0.002) * this.durationScale,
      runId: ct.runId,
    });
    return true;
  }

  /** Deliver the first `n` events of the outbox to the scheduler in one batch. */
  flush(n: number): void {
    if (this.outbox.length === 0) return;
    this.handle(this.outbox.splice(0, Math.max(1, n)));
  }

  alive(): SimWorker[] {
    return [...this.workers.values()].filter((w) => w.alive);
  }

  /** Deliver, execute and flush everything until nothing moves. False if it never settles. */
  settle(maxRounds = 10_000): boolean {
    for (let round = 0; round < maxRounds; round++) {
      let moved = false;
      for (const w of this.alive()) {
        while (w.inbox.length > 0) {
          this.deliver(w);
          moved = true;
        }
        while (this.execute(w, 0)) moved = true;
      }
      if (this.outbox.length > 0) {
        this.flush(this.outbox.length);
        moved = true;
      }
      if (!moved) return true;
    }
    return false;
  }
}
