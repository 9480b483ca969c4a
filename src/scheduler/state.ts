/**
 * The scheduler state machine's public facade (after dask.distributed's scheduler): feed it
 * events, get instructions back. Pure: no I/O, no timers, no randomness; the clock is injected
 * (seconds). Options are validated here; the engine behind it (core.ts) trusts them.
 *
 * The pieces: core.ts (engine: dispatcher, recommendations, emitters), events.ts (dispatch)
 * with update-graph.ts, client-events.ts and worker-events.ts (one handler per event),
 * transitions.ts (the from->to table), decide-worker.ts (placement and the root-task queue
 * filler), queue.ts (the queue), task-state.ts / worker-state.ts / client-state.ts /
 * task-group.ts (the state), log.ts (transition log), validate.ts (invariants), story.ts (dump).
 */
import { OptionError } from "../errors.js";
import { keyGroup } from "../graph/key-group.js";
import type { Key } from "../graph/spec.js";
import { SchedulerCore } from "./core.js";
import { type SchedulerLoad, schedulerLoad } from "./load.js";
import type { TransitionRecord } from "./log.js";
import {
  defaultSchedulerConfig,
  type SchedulerConfig,
  type SchedulerEvent,
  type SchedulerInstruction,
  type SchedulerTaskState,
  type WorkerId,
} from "./protocol.js";
import { processingOn, type ReplicaMove, replicationPlan } from "./retire.js";
import { wantsBalance } from "./steal.js";
import {
  countsOf,
  dumpState,
  type TaskInfo,
  taskInfo,
  type WorkerInfo,
  workerInfo,
} from "./story.js";
import { wantsStopCheck } from "./stuck.js";
import { NSTATES, STATES } from "./task-state.js";
import { validateState } from "./validate.js";

export type { SchedulerLoad } from "./load.js";
export type { TransitionRecord } from "./log.js";
export type { ReplicaMove } from "./retire.js";
export type { TaskInfo, WorkerInfo } from "./story.js";

/** Config overrides; undefined values keep the default. */
export type SchedulerConfigOptions = {
  readonly [K in keyof SchedulerConfig]?: SchedulerConfig[K] | undefined;
};

export interface SchedulerStateOptions {
  readonly config?: SchedulerConfigOptions | undefined;
  /** Current time in seconds; only used to timestamp the transition log. Default: always 0. */
  readonly clock?: (() => number) | undefined;
}

export class SchedulerState {
  readonly #core: SchedulerCore;

  constructor(options: SchedulerStateOptions = {}) {
    const config = checkConfig({ ...defaultSchedulerConfig, ...stripUndefined(options.config) });
    this.#core = new SchedulerCore(config, options.clock ?? zero);
  }

  get config(): SchedulerConfig {
    return this.#core.config;
  }

  /** Handle the events in order; returns every instruction they cause, in order. */
  handle(events: readonly SchedulerEvent[]): SchedulerInstruction[] {
    return this.#core.handle(events);
  }

  /**
   * Is a balance event worth sending now? Cheap (O(workers)): work stealing is on, some worker
   * has fewer tasks than threads and some has more. The shell asks before each timer tick.
   */
  wantsBalance(): boolean {
    return wantsBalance(this.#core);
  }

  /**
   * Is a check-stopping event worth sending now? O(workers): some worker has a task freed
   * while processing there and not yet confirmed stopped. The shell asks before each tick.
   */
  wantsStopCheck(): boolean {
    return wantsStopCheck(this.#core);
  }

  /** Tasks waiting in no-worker (the shell ticks while there are some: noWorkerTimeout). */
  get noWorkerCount(): number {
    return this.#core.noWorker.size;
  }

  /** Steals requested and not yet answered. */
  get stealsInFlight(): number {
    return this.#core.steals.size;
  }

  /** Every logged transition of `key` (the log is a bounded ring: old entries fall off). */
  story(key: Key): TransitionRecord[] {
    return this.#core.log.story(key);
  }

  /** Check every invariant; throws BarnError INTERNAL naming the key and the invariant. */
  validate(): void {
    validateState(this.#core);
  }

  /** A JSON-serialisable summary of the state (tasks listed up to `maxTasks`). */
  dump(maxTasks = 1000): object {
    return dumpState(this.#core, maxTasks);
  }

  /** The task's state; "forgotten" for a key the scheduler does not know. */
  taskState(key: Key): SchedulerTaskState {
    return this.#core.tasks.get(key)?.state ?? "forgotten";
  }

  /** Details of one task, or undefined if unknown. */
  task(key: Key): TaskInfo | undefined {
    const ts = this.#core.tasks.get(key);
    return ts === undefined ? undefined : taskInfo(ts);
  }

  /** The workers holding each key (an empty list for keys not in memory). */
  /** One worker holding `key`'s result, or undefined (cheap: for fetching many keys). */
  holderOf(key: Key): WorkerId | undefined {
    return this.#core.tasks.get(key)?.whoHas[0]?.id;
  }

  whoHas(keys: readonly Key[]): Record<Key, WorkerId[]> {
    const out: Record<Key, WorkerId[]> = {};
    for (const k of keys) out[k] = this.#core.tasks.get(k)?.whoHas.map((w) => w.id) ?? [];
    return out;
  }

  workers(): WorkerInfo[] {
    return this.#core.workerList.map(workerInfo);
  }

  /** Live tasks per state (forgotten is always 0). */
  counts(): Record<SchedulerTaskState, number> {
    return countsOf(this.#core);
  }

  /** The task group of a live task; keyGroup(key) for a key the scheduler does not know. */
  groupOf(key: Key): string {
    return this.#core.tasks.get(key)?.group.name ?? keyGroup(key);
  }

  /**
   * Live tasks per group and state, and each group's finished count since it was made (the
   * dashboard's progress; O(groups): the groups keep their counts as tasks move).
   */
  groupCounts(): Map<string, GroupCounts> {
    const out = new Map<string, GroupCounts>();
    for (const g of this.#core.groups.values()) {
      const states: Partial<Record<SchedulerTaskState, number>> = {};
      // Live states only: forgotten (the last code) is a running total, not a state held.
      for (let i = 0; i < NSTATES - 1; i++) {
        if (g.counts[i]! > 0) states[STATES[i]!] = g.counts[i]!;
      }
      out.set(g.name, { finished: g.finished, duration: g.duration, states });
    }
    return out;
  }

  /** The copies to make before the retiring workers can leave without losing data (retire.ts). */
  replicationPlan(): ReplicaMove[] {
    return replicationPlan(this.#core);
  }

  /** Tasks processing on `worker` now (0 for an unknown one). */
  processingOn(worker: WorkerId): number {
    return processingOn(this.#core, worker);
  }

  /** Outstanding work for adaptive scaling (see load.ts). */
  load(): SchedulerLoad {
    return schedulerLoad(this.#core);
  }

  /**
   * Every live task with its group, state and dependencies, for drawing a small graph; undefined
   * when there are more than `limit` (O(tasks): for a poll every second or so).
   */
  taskGraph(limit: number): GraphTask[] | undefined {
    if (this.#core.tasks.size > limit) return undefined;
    const out: GraphTask[] = [];
    for (const ts of this.#core.tasks.values()) {
      out.push({
        key: ts.key,
        group: ts.group.name,
        state: ts.state,
        deps: ts.deps.map((d) => d.key),
      });
    }
    return out;
  }

  /** Number of live tasks. */
  get size(): number {
    return this.#core.tasks.size;
  }
}

/** One task in `taskGraph()`. */
export interface GraphTask {
  readonly key: Key;
  readonly group: string;
  readonly state: SchedulerTaskState;
  readonly deps: readonly Key[];
}

/** One task group in `groupCounts()`. */
export interface GroupCounts {
  /** Tasks of the group that finished, ever (TaskGroup.finished). */
  readonly finished: number;
  /** Mean duration of its tasks, seconds; -1 before one finished. */
  readonly duration: number;
  /** Live tasks of the group by state. */
  readonly states: Partial<Record<SchedulerTaskState, number>>;
}

function zero(): number {
  return 0;
}

function stripUndefined(c: SchedulerConfigOptions | undefined): Partial<SchedulerConfig> {
  const out: Record<string, unknown> = {};
  if (c !== undefined) for (const [k, v] of Object.entries(c)) if (v !== undefined) out[k] = v;
  return out as Partial<SchedulerConfig>;
}

function checkConfig(c: SchedulerConfig): SchedulerConfig {
  const positive = (name: keyof SchedulerConfig, v: number, allowZero = false): void => {
    if (typeof v !== "number" || Number.isNaN(v) || v < 0 || (!allowZero && v === 0)) {
      throw new OptionError(
        `scheduler config ${name} must be a ${allowZero ? "non-negative" : "positive"} number, got ${String(v)}`,
      );
    }
  };
  positive("workerSaturation", c.workerSaturation);
  positive("targetQueueSeconds", c.targetQueueSeconds, true);
  positive("maxTasksPerThread", c.maxTasksPerThread);
  positive("unknownTaskDuration", c.unknownTaskDuration, true);
  positive("allowedFailures", c.allowedFailures, true);
  positive("transitionLogLength", c.transitionLogLength, true);
  positive("speculativeDepth", c.speculativeDepth, true);
  positive("workStealingInterval", c.workStealingInterval);
  positive("bandwidth", c.bandwidth);
  positive("cancelGracePeriod", c.cancelGracePeriod, true);
  positive("noWorkerTimeout", c.noWorkerTimeout, true);
  if (!Number.isInteger(c.transitionLogLength) || !Number.isFinite(c.transitionLogLength)) {
    throw new OptionError(
      `scheduler config transitionLogLength must be a whole number of entries, got ${c.transitionLogLength}`,
    );
  }
  for (const name of [
    "validate",
    "speculativeAssignment",
    "workStealing",
    "fanOutByLoad",
  ] as const) {
    if (typeof c[name] !== "boolean") {
      throw new OptionError(`scheduler config ${name} must be a boolean, got ${String(c[name])}`);
    }
  }
  return Object.freeze({ ...c });
}
