/**
 * The worker state machine (after dask.distributed's worker_state_machine): a pure function of
 * its state and the events it is fed, returning the instructions the shell must run. No I/O,
 * no timers, no randomness; the clock is injected. This file is the public facade: it validates
 * the config at the boundary and dispatches events to the handlers in state-compute and
 * state-fetch; the engine (WorkerCore) stays private.
 */
import { OptionError } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { WorkerId } from "../protocol/ids.js";
import type { WorkerConfig, WorkerEvent, WorkerInstruction, WorkerTaskState } from "./protocol.js";
import {
  addData,
  computeTask,
  ensureComputing,
  executeFailure,
  executeSuccess,
  freeKeys,
} from "./state-compute.js";
import { WorkerCore } from "./state-core.js";
import { ensureCommunicating, gatherFailure, gatherSuccess } from "./state-fetch.js";
import type { StoryEntry } from "./state-log.js";
import { stealRequest } from "./state-steal.js";
import { validate } from "./state-validate.js";
import { MEMORY, NSTATES, RELEASED, STATE_NAMES } from "./worker-task.js";

export type { StoryEntry } from "./state-log.js";

/** Options of `new WorkerState`: nthreads is required, everything else has a default. */
export type WorkerStateOptions = {
  readonly [K in keyof WorkerConfig]?: WorkerConfig[K] | undefined;
} & {
  readonly nthreads: number;
};

export const defaultWorkerConfig: Omit<WorkerConfig, "nthreads"> = {
  resources: {},
  transferBatchKeys: 1000,
  transferBatchBytes: 50_000_000,
  transferConcurrency: 4,
  transitionLogLength: 10_000,
  validate: false,
};

export class WorkerState {
  readonly #w: WorkerCore;

  constructor(id: WorkerId, config: WorkerStateOptions, clock: () => number = () => 0) {
    this.#w = new WorkerCore(id, checkConfig(config), clock);
  }

  get id(): WorkerId {
    return this.#w.id;
  }

  get config(): WorkerConfig {
    return this.#w.config;
  }

  /** Feed events in order; returns the instructions they cause, in order. */
  handle(events: readonly WorkerEvent[]): WorkerInstruction[] {
    const w = this.#w;
    const out: WorkerInstruction[] = [];
    w.out = out;
    w.now = w.clock();
    for (const ev of events) {
      w.stim = ev.stimulusId;
      switch (ev.type) {
        case "compute-task":
          computeTask(w, ev);
          break;
        case "execute-success":
          executeSuccess(w, ev);
          break;
        case "execute-failure":
          executeFailure(w, ev);
          break;
        case "free-keys":
          freeKeys(w, ev);
          break;
        case "add-data":
          addData(w, ev);
          break;
        case "gather-dep-success":
          gatherSuccess(w, ev);
          break;
        case "gather-dep-failure":
          gatherFailure(w, ev);
          break;
        case "steal-request":
          stealRequest(w, ev);
          break;
        case "set-paused":
          w.paused = ev.paused;
          break;
        default:
          ev satisfies never;
      }
    }
    // Once per call, after every event: the best ready tasks and fetches win the free slots.
    ensureComputing(w);
    ensureCommunicating(w);
    if (w.config.validate) validate(w);
    return out;
  }

  /** The logged transitions of `key`, oldest first (bounded by transitionLogLength). */
  story(key: Key): StoryEntry[] {
    return this.#w.log.story(key);
  }

  /** Check every invariant; throws BarnError INTERNAL naming the key and the invariant. */
  validate(): void {
    validate(this.#w);
  }

  /** Tasks holding a thread: executing, plus cancelled ones whose function is still running. */
  get executingCount(): number {
    return this.#w.executing;
  }

  /** Whether memory paused this worker (set-paused). */
  get paused(): boolean {
    return this.#w.paused;
  }

  /** The state of `key` here ("released" when unknown). */
  stateOf(key: Key): WorkerTaskState {
    return this.#w.tasks.get(key)?.state ?? "released";
  }

  memoryKeys(): Key[] {
    const keys: Key[] = [];
    for (const ts of this.#w.tasks.values()) if (ts.s === MEMORY) keys.push(ts.key);
    return keys;
  }

  /** Live tasks per state ("released" is always 0: released tasks are forgotten). */
  counts(): Record<WorkerTaskState, number> {
    const c = {} as Record<WorkerTaskState, number>;
    for (let s = 0; s < NSTATES; s++)
      c[STATE_NAMES[s]!] = s === RELEASED ? 0 : this.#w.stateCounts[s]!;
    return c;
  }

  /** A JSON-safe snapshot of the whole state, for debugging and the dashboard. */
  dump(): WorkerStateDump {
    const w = this.#w;
    const tasks: WorkerStateDump["tasks"] = {};
    for (const ts of w.tasks.values()) {
      tasks[ts.key] = {
        state: ts.state,
        priority: ts.priority,
        requested: ts.requested,
        dependencies: ts.dependencies.map((d) => d.key),
        nDependents: ts.nDependents,
        holders: ts.holders,
        peer: ts.peer,
        nbytes: ts.nbytes,
        ...(ts.error === undefined ? {} : { error: ts.error.message }),
      };
    }
    const inFlight: Record<WorkerId, Key[]> = {};
    for (const [peer, batch] of w.inFlight) inFlight[peer] = batch.map((ts) => ts.key);
    return {
      id: w.id,
      config: w.config,
      executing: w.executing,
      paused: w.paused,
      freeResources: { ...w.freeResources },
      counts: this.counts(),
      inFlight,
      badPeers: [...w.badPeers],
      transitions: w.log.total,
      tasks,
    };
  }
}

export interface WorkerStateDump {
  id: WorkerId;
  config: WorkerConfig;
  executing: number;
  paused: boolean;
  freeResources: Record<string, number>;
  counts: Record<WorkerTaskState, number>;
  inFlight: Record<WorkerId, Key[]>;
  badPeers: WorkerId[];
  transitions: number;
  tasks: Record<
    Key,
    {
      state: WorkerTaskState;
      priority: readonly number[];
      requested: boolean;
      dependencies: Key[];
      nDependents: number;
      holders: readonly WorkerId[];
      peer: WorkerId;
      nbytes: number;
      error?: string;
    }
  >;
}

function checkConfig(o: WorkerStateOptions): WorkerConfig {
  const c: WorkerConfig = {
    nthreads: o.nthreads,
    resources: o.resources ?? defaultWorkerConfig.resources,
    transferBatchKeys: o.transferBatchKeys ?? defaultWorkerConfig.transferBatchKeys,
    transferBatchBytes: o.transferBatchBytes ?? defaultWorkerConfig.transferBatchBytes,
    transferConcurrency: o.transferConcurrency ?? defaultWorkerConfig.transferConcurrency,
    transitionLogLength: o.transitionLogLength ?? defaultWorkerConfig.transitionLogLength,
    validate: o.validate ?? defaultWorkerConfig.validate,
  };
  positiveInt("nthreads", c.nthreads, 1);
  positiveInt("transferBatchKeys", c.transferBatchKeys, 1);
  positiveInt("transferConcurrency", c.transferConcurrency, 1);
  positiveInt("transitionLogLength", c.transitionLogLength, 0);
  if (!(c.transferBatchBytes > 0)) {
    throw new OptionError(`transferBatchBytes must be > 0 bytes, got ${c.transferBatchBytes}`);
  }
  for (const [name, v] of Object.entries(c.resources)) {
    if (!(typeof v === "number" && v >= 0)) {
      throw new OptionError(`resources.${name} must be a number >= 0, got ${String(v)}`);
    }
  }
  return c;
}

function positiveInt(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) {
    throw new OptionError(`${name} must be an integer >= ${min}, got ${String(v)}`);
  }
}
