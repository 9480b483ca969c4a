/**
 * The scheduler's engine: its state and the few mechanisms every transition shares (the
 * dispatcher that logs and counts, the recommendation queue, instruction emitters). What to do
 * per event lives in events.ts and update-graph.ts, per transition in transitions.ts, where to
 * run in decide-worker.ts. The public facade over it is state.ts.
 *
 * Transitions never recurse into cascades: a transition that makes other tasks change state
 * pushes a recommendation (task, target) that `drain()` applies later, so releasing a chain of a
 * million tasks runs in a loop, not a million stack frames deep.
 */
import { BarnError, ErrorCodes } from "../errors.js";
import type { Key } from "../graph/spec.js";
import { ClientState } from "./client-state.js";
import { fillQueue } from "./decide-worker.js";
import { handleEvent } from "./events.js";
import { TransitionLog } from "./log.js";
import type {
  ClientId,
  SchedulerConfig,
  SchedulerEvent,
  SchedulerInstruction,
  SchedulerTaskState,
  WorkerId,
} from "./protocol.js";
import { TaskQueue } from "./queue.js";
import { placementHolds, speculationTarget } from "./speculate.js";
import type { InFlightSteal } from "./steal.js";
import { formatStory } from "./story.js";
import { lostError } from "./task-errors.js";
import { TaskGroup } from "./task-group.js";
import {
  isRootish,
  liveDependents,
  NSTATES,
  needed,
  stateCode,
  type TaskState,
} from "./task-state.js";
import { transitionFn } from "./transitions.js";
import { validateState } from "./validate.js";
import type { WorkerState } from "./worker-state.js";

const NO_DEPS: readonly {
  readonly key: Key;
  readonly holders: readonly WorkerId[];
  readonly nbytes?: number;
}[] = [];

export class SchedulerCore {
  readonly config: SchedulerConfig;
  readonly clock: () => number;
  /** Every live task (never a forgotten one), by key. */
  readonly tasks = new Map<Key, TaskState>();
  readonly workers = new Map<WorkerId, WorkerState>();
  /** The same workers, for allocation-free iteration. */
  readonly workerList: WorkerState[] = [];
  readonly clients = new Map<ClientId, ClientState>();
  readonly groups = new Map<string, TaskGroup>();
  /** Root tasks in state queued. */
  readonly queue = new TaskQueue();
  /** Tasks in state no-worker, retried when a worker joins, with the time each entered it. */
  readonly noWorker = new Map<TaskState, number>();
  /**
   * Steals requested and not answered, by key (steal.ts). Invariant: a live one's task is
   * processing on its victim, in the attempt the request was about; one whose task left
   * processing there is kept, not live, until the answer comes (transitions.ts unassign); a
   * removed victim's are dropped.
   */
  readonly steals = new Map<Key, InFlightSteal>();
  readonly log: TransitionLog;
  /** Live tasks per state code (forgotten is not counted). */
  readonly counts: number[] = new Array<number>(NSTATES).fill(0);
  /** Incremented per update-graph: the second element of every priority. */
  generation = 0;
  /** The last runId handed out (compute-task). */
  runs = 0;
  /** Traversal marks: a worker is visited in this traversal when mark === epoch. */
  epoch = 0;
  /** The event being handled, and the time of this handle() call. */
  stimulusId = "";
  now = 0;
  /** Instructions of the current handle() call. */
  out: SchedulerInstruction[] = [];
  /** Something changed that may open a queue slot; `fillQueue` runs at the end of handle(). */
  queueDirty = false;
  /** The event that last made the queue dirty: the stimulus of the compute-tasks it causes. */
  queueStimulus = "";
  /**
   * Pending recommendations, FIFO: parallel arrays with a head and a length, kept at their
   * largest size so a batch of 100,000 does not regrow them every handle() (drained entries
   * are nulled, so they keep no task alive).
   */
  readonly #recTasks: (TaskState | null)[] = [];
  readonly #recTargets: SchedulerTaskState[] = [];
  #recHead = 0;
  #recLen = 0;
  /** Workers with keys in `pendingFree`. */
  readonly #freeDirty: WorkerState[] = [];

  constructor(config: SchedulerConfig, clock: () => number) {
    this.config = config;
    this.clock = clock;
    this.log = new TransitionLog(config.transitionLogLength);
  }

  handle(events: readonly SchedulerEvent[]): SchedulerInstruction[] {
    this.now = this.clock();
    for (let i = 0; i < events.length; i++) {
      const ev = events[i]!;
      this.stimulusId = ev.stimulusId;
      handleEvent(this, ev);
      this.drain();
      this.flushFrees();
    }
    while (this.queueDirty) {
      this.queueDirty = false;
      if (this.queue.size === 0) break;
      this.stimulusId = this.queueStimulus;
      fillQueue(this);
      this.drain();
      this.flushFrees();
    }
    const out = this.out;
    this.out = [];
    if (this.config.validate) validateState(this);
    return out;
  }

  /** Move `ts` to `to` now, through the table; logs and counts the change. */
  transition(ts: TaskState, to: SchedulerTaskState, ws: WorkerState | null): void {
    const from = ts.state;
    const a = stateCode(from);
    const b = stateCode(to);
    const fn = transitionFn(a, b);
    if (fn === undefined) throw this.internal(ts, `illegal transition ${from} -> ${to}`);
    fn(this, ts, ws);
    const now = ts.state;
    if (now === from && a !== b) return;
    const c = now === to ? b : stateCode(now);
    this.counts[a]!--;
    this.counts[c]!++;
    const g = ts.group.counts;
    g[a]!--;
    g[c]!++;
    this.log.record(ts.key, a, c, this.stimulusId, this.now);
  }

  /** Log something that happened to `ts` without a state change (work stealing). */
  note(ts: TaskState, what: string): void {
    const c = stateCode(ts.state);
    this.log.record(ts.key, c, c, this.stimulusId, this.now, what);
  }

  /** Ask for `ts` to move to `to` once the current transition is done. */
  recommend(ts: TaskState, to: SchedulerTaskState): void {
    const n = this.#recLen++;
    this.#recTasks[n] = ts;
    this.#recTargets[n] = to;
  }

  /** A task whose deps are all in memory: roots go through the queue, others to a worker. */
  recommendReady(ts: TaskState): void {
    this.recommend(ts, isRootish(ts) ? "queued" : "processing");
  }

  /** Release `ts` (or forget it, if released) when nobody needs it any more. */
  maybeRelease(ts: TaskState): void {
    if (needed(ts)) return;
    if (ts.state === "released") this.maybeForget(ts);
    else if (ts.state !== "forgotten") this.recommend(ts, "released");
  }

  maybeForget(ts: TaskState): void {
    if (ts.state === "released" && ts.wanters.length === 0 && liveDependents(ts) === 0) {
      this.recommend(ts, "forgotten");
    }
  }

  /** Apply recommendations until none is left. Stale ones (the task moved on) are skipped. */
  drain(): void {
    const tasks = this.#recTasks;
    const targets = this.#recTargets;
    while (this.#recHead < this.#recLen) {
      const i = this.#recHead++;
      const ts = tasks[i]!;
      const to = targets[i]!;
      tasks[i] = null;
      if (this.#current(ts, to)) this.transition(ts, to, null);
    }
    this.#recHead = 0;
    this.#recLen = 0;
  }

  /** Is the recommendation still meaningful for the task's current state? */
  #current(ts: TaskState, to: SchedulerTaskState): boolean {
    const from = ts.state;
    if (from === to || from === "forgotten") return false;
    switch (to) {
      case "released":
        return !needed(ts);
      case "forgotten":
        return from === "released" && ts.wanters.length === 0 && liveDependents(ts) === 0;
      case "waiting":
        if (from === "released") return needed(ts);
        // A placed task goes back to waiting only while one of its inputs is really missing
        // (for a speculated task: neither in memory nor processing on its worker).
        if (from === "processing") return !placementHolds(this, ts);
        return from === "no-worker" && !allInMemory(ts);
      case "processing":
        if (from !== "waiting") return false;
        return ts.waitingOn === 0 || speculationTarget(this, ts) !== null;
      case "queued":
        return from === "waiting" && ts.waitingOn === 0;
      case "erred":
        return from === "waiting" || (from === "processing" && hasErredDep(ts));
      default:
        return true;
    }
  }

  /** Tell `ws` to drop `key` (batched per worker and event). Nothing goes to a removed worker. */
  freeKey(ws: WorkerState, key: Key): void {
    if (ws.removed) return;
    if (ws.pendingFree.length === 0) this.#freeDirty.push(ws);
    ws.pendingFree.push(key);
  }

  flushFrees(): void {
    const dirty = this.#freeDirty;
    for (let i = 0; i < dirty.length; i++) this.#flushFree(dirty[i]!);
    dirty.length = 0;
  }

  #flushFree(ws: WorkerState): void {
    const keys = ws.pendingFree;
    if (keys.length === 0) return;
    ws.pendingFree = [];
    if (ws.removed) return;
    this.out.push({ type: "free-keys", worker: ws.id, keys, stimulusId: this.stimulusId });
  }

  emitCompute(ts: TaskState, ws: WorkerState): void {
    // A free-keys for this worker decided earlier in the event must arrive first: it may free
    // an earlier attempt of this very key.
    this.#flushFree(ws);
    let deps = NO_DEPS;
    if (ts.deps.length > 0) {
      const list: { key: Key; holders: readonly WorkerId[]; nbytes?: number }[] = [];
      // A dep still processing (speculative assignment) is processing on this very worker.
      for (const d of ts.deps) {
        const holders = d.processingOn === null ? holderIds(d) : d.processingOn.ids;
        // The size, where known, bounds the worker's fetch batches (state-fetch.ts).
        list.push(
          d.nbytes > 0 ? { key: d.key, holders, nbytes: d.nbytes } : { key: d.key, holders },
        );
      }
      deps = list;
    }
    this.out.push({
      type: "compute-task",
      worker: ws.id,
      key: ts.key,
      run: ts.run,
      deps,
      priority: [ts.prioUser, ts.generation, ts.order],
      resources: ts.placement?.resources ?? undefined,
      runId: ts.runId,
      stimulusId: this.stimulusId,
    });
  }

  reportMemory(ts: TaskState, client: ClientState): void {
    this.out.push({
      type: "key-in-memory",
      client: client.id,
      key: ts.key,
      holders: holderIds(ts),
      nbytes: ts.nbytes,
      stimulusId: this.stimulusId,
    });
  }

  reportErred(ts: TaskState, client: ClientState): void {
    const error = ts.error ?? lostError(ts.key);
    this.out.push({
      type: "key-erred",
      client: client.id,
      key: ts.key,
      error,
      stimulusId: this.stimulusId,
    });
  }

  reportCancelled(key: Key, client: ClientId): void {
    this.out.push({ type: "key-cancelled", client, key, stimulusId: this.stimulusId });
  }

  client(id: ClientId): ClientState {
    let c = this.clients.get(id);
    if (c === undefined) {
      c = new ClientState(id);
      this.clients.set(id, c);
    }
    return c;
  }

  group(name: string): TaskGroup {
    let g = this.groups.get(name);
    if (g === undefined) {
      g = new TaskGroup(name);
      this.groups.set(name, g);
    }
    return g;
  }

  markQueueDirty(): void {
    this.queueDirty = true;
    this.queueStimulus = this.stimulusId;
  }

  /** An INTERNAL error naming the task (if any) and carrying its story. */
  internal(ts: TaskState | null, what: string): BarnError {
    if (ts === null) {
      return new BarnError(
        ErrorCodes.INTERNAL,
        `scheduler invariant broken: ${what}. This is a bug in Barn.`,
      );
    }
    const story = formatStory(this.log.story(ts.key));
    return new BarnError(
      ErrorCodes.INTERNAL,
      `scheduler invariant broken for task ${ts.key} (state ${ts.state}): ${what}. This is a bug in Barn.\nstory of ${ts.key}:\n${story}`,
      { key: ts.key },
    );
  }
}

function allInMemory(ts: TaskState): boolean {
  for (const d of ts.deps) if (d.state !== "memory") return false;
  return true;
}

function hasErredDep(ts: TaskState): boolean {
  for (const d of ts.deps) if (d.state === "erred") return true;
  return false;
}

function workerId(ws: WorkerState): WorkerId {
  return ws.id;
}

/** The ids of the workers holding `ts`; a shared list when there is one (the usual case). */
function holderIds(ts: TaskState): readonly WorkerId[] {
  return ts.whoHas.length === 1 ? ts.whoHas[0]!.ids : ts.whoHas.map(workerId);
}
