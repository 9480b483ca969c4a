/**
 * The scheduler state machine's contract: the events (stimuli) it is fed and the instructions it
 * returns. `SchedulerState.handle(events)` is pure: no I/O, no timers; the clock is injected.
 * The shell around it (local cluster, later a network server) turns messages into events and
 * instructions into messages. Every event carries a `stimulusId` that is recorded with every
 * transition it causes, so `story(key)` can explain what happened and why.
 */
import type { ErrorData } from "../errors.js";
import type { Key } from "../graph/spec.js";

export type { KeyCancelled, KeyErred, KeyInMemory } from "../protocol/backend.js";
export type { ClientId, Resources, TaskSubmission, WorkerId } from "../protocol/ids.js";

import type { KeyCancelled, KeyErred, KeyInMemory } from "../protocol/backend.js";

import type { ClientId, Resources, TaskSubmission, WorkerId } from "../protocol/ids.js";
import type { ComputeOp } from "../protocol/ops-codec.js";

export type SchedulerEvent =
  | UpdateGraph
  | ClientReleasesKeys
  | ClientDesiresKeys
  | CancelKeys
  | AddClient
  | RemoveClient
  | AddWorker
  | RemoveWorker
  | TaskFinished
  | TaskErred
  | ScatterData
  | MissingData
  | Balance
  | StealResponse
  | TaskStopped
  | CheckStopping
  | Tick
  | RetireWorkers
  | AddReplicas
  | WorkerPaused;

/** A client submits tasks; `wanted` are the keys it now holds futures to. */
export interface UpdateGraph {
  readonly type: "update-graph";
  readonly stimulusId: string;
  readonly client: ClientId;
  readonly tasks: readonly TaskSubmission[];
  readonly wanted: readonly Key[];
}

/** A client drops its futures to these keys (reference counting). */
export interface ClientReleasesKeys {
  readonly type: "client-releases-keys";
  readonly stimulusId: string;
  readonly client: ClientId;
  readonly keys: readonly Key[];
}

/** A client takes (another) hold of already-known keys. Unknown keys are reported erred. */
export interface ClientDesiresKeys {
  readonly type: "client-desires-keys";
  readonly stimulusId: string;
  readonly client: ClientId;
  readonly keys: readonly Key[];
}

/** Cancel keys: they and every task depending on them are forgotten; clients are told. */
export interface CancelKeys {
  readonly type: "cancel";
  readonly stimulusId: string;
  readonly client: ClientId;
  readonly keys: readonly Key[];
}

export interface AddClient {
  readonly type: "add-client";
  readonly stimulusId: string;
  readonly client: ClientId;
}

/** A client left: it releases every key it held. */
export interface RemoveClient {
  readonly type: "remove-client";
  readonly stimulusId: string;
  readonly client: ClientId;
}

export interface AddWorker {
  readonly type: "add-worker";
  readonly stimulusId: string;
  readonly worker: WorkerId;
  /** Human name; restrictions may use it. Defaults to the id. */
  readonly name?: string | undefined;
  readonly nthreads: number;
  readonly resources?: Resources | undefined;
}

/**
 * A worker is gone. `expected: false` means it died (crash, kill, lost link): tasks that were
 * processing on it count a death each, and results only it held are recomputed from lineage.
 */
export interface RemoveWorker {
  readonly type: "remove-worker";
  readonly stimulusId: string;
  readonly worker: WorkerId;
  readonly expected: boolean;
  readonly reason?: string | undefined;
}

export interface TaskFinished {
  readonly type: "task-finished";
  readonly stimulusId: string;
  readonly worker: WorkerId;
  readonly key: Key;
  /** Size of the stored result in bytes (an estimate for non-binary values). */
  readonly nbytes: number;
  /** How long the task ran, in seconds, measured by the worker. */
  readonly duration: number;
  /**
   * The `runId` of the compute-task this answers. When given, a report from an attempt the
   * scheduler has since abandoned (freed, then sent again) is recognised and ignored; without
   * it such a late report is taken for the current attempt.
   */
  readonly runId?: number | undefined;
  /**
   * Written by the core, not the sender: the name of the task group it counted the task in
   * (left undefined for a stale report). The shell's diagnostics read it after the batch, so
   * a watched scheduler looks each finished key up once, not twice.
   */
  group?: string | undefined;
}

export interface TaskErred {
  readonly type: "task-erred";
  readonly stimulusId: string;
  readonly worker: WorkerId;
  readonly key: Key;
  readonly error: ErrorData;
  /** The `runId` of the compute-task this answers (see TaskFinished.runId). */
  readonly runId?: number | undefined;
}

/** A client placed data directly on a worker (`scatter`). The keys become `memory` there. */
export interface ScatterData {
  readonly type: "scatter-data";
  readonly stimulusId: string;
  readonly client: ClientId;
  readonly worker: WorkerId;
  readonly keys: readonly { readonly key: Key; readonly nbytes: number }[];
}

/** A worker was told `holder` had `key`, but it did not (or the holder was unreachable). */
export interface MissingData {
  readonly type: "missing-data";
  readonly stimulusId: string;
  readonly worker: WorkerId;
  readonly key: Key;
  readonly holder: WorkerId;
}

/**
 * Work stealing (steal.ts): move queued work from saturated workers to idle ones. The shell
 * sends it on a timer (config workStealingInterval), only when `wantsBalance()` says some
 * worker is idle and some has more tasks than threads.
 */
export interface Balance {
  readonly type: "balance";
  readonly stimulusId: string;
}

/**
 * A victim's answer to a steal-request. `stolen`: the task had not started there and was
 * dropped; then it moves to the thief. Else it was running or done (`state`, the worker's task
 * state) and stays.
 */
export interface StealResponse {
  readonly type: "steal-response";
  readonly stimulusId: string;
  readonly worker: WorkerId;
  readonly key: Key;
  readonly stolen: boolean;
  /** The task's state on the victim when the request arrived (for the story). */
  readonly state: string;
}

/**
 * The worker says these keys, freed while they were processing there, no longer run (dropped
 * before they started, or their cancelled function returned).
 */
export interface TaskStopped {
  readonly type: "task-stopped";
  readonly stimulusId: string;
  readonly worker: WorkerId;
  readonly keys: readonly Key[];
}

/**
 * A worker's memory crossed its pause fraction (`paused`) or fell below it again. A paused
 * worker gets no queued root task and no new placement while some running worker can take it;
 * what it already has stays (it starts those once it resumes, or they are stolen).
 */
export interface WorkerPaused {
  readonly type: "worker-paused";
  readonly stimulusId: string;
  readonly worker: WorkerId;
  readonly paused: boolean;
}

/**
 * Time passed: a worker whose freed task has not stopped within config cancelGracePeriod is
 * restarted (stuck.ts). The shell sends it on a timer, only when `wantsStopCheck()` says some
 * worker has a freed task not yet confirmed stopped.
 */
export interface CheckStopping {
  readonly type: "check-stopping";
  readonly stimulusId: string;
}

/**
 * Time passed: the shell sends it on a timer while some task waits in no-worker (and
 * `noWorkerTimeout` is on), so time-based rules run without any other event. The time is the
 * injected clock's, read at the start of handle().
 */
export interface Tick {
  readonly type: "tick";
  readonly stimulusId: string;
}

/**
 * Retire these workers gracefully (retire.ts): no new task goes to them; the shell copies the
 * results only they hold (`SchedulerState.replicationPlan`) and then removes them.
 */
export interface RetireWorkers {
  readonly type: "retire-workers";
  readonly stimulusId: string;
  readonly workers: readonly WorkerId[];
}

/** `worker` now holds copies of these keys (the shell placed them there). */
export interface AddReplicas {
  readonly type: "add-replicas";
  readonly stimulusId: string;
  readonly worker: WorkerId;
  readonly keys: readonly { readonly key: Key; readonly nbytes: number }[];
}

export type SchedulerInstruction =
  | RestartWorker
  | ComputeTask
  | NoWorkerWarning
  | FreeKeys
  | StealRequest
  | KeyInMemory
  | KeyErred
  | KeyCancelled;

/**
 * Ask `worker` (the victim) to give up `key` if it has not started it; it answers with a
 * steal-response. Until then the task stays assigned to the victim.
 */
export interface StealRequest {
  readonly type: "steal-request";
  readonly worker: WorkerId;
  readonly key: Key;
  readonly stimulusId: string;
}

/**
 * Restart `worker`'s task thread (or process): a task it was told to drop still runs past the
 * grace period (a cancelled CPU-bound loop cannot be interrupted from inside). The worker is
 * already out of the state: its other tasks were rescheduled and nothing more is sent to it;
 * the restarted worker registers again as a new one.
 */
export interface RestartWorker {
  readonly type: "restart-worker";
  readonly worker: WorkerId;
  /** The keys that did not stop. */
  readonly keys: readonly Key[];
  readonly reason: string;
  readonly stimulusId: string;
}

/**
 * Tell `worker` to compute `key`. `deps` lists where every input can be fetched from. An input
 * whose only holder is `worker` itself may still be running there (speculative assignment):
 * the worker waits for it locally and never fetches it. If it errs there, only its error is
 * reported; the scheduler errs this task and frees it.
 */
export interface ComputeTask extends ComputeOp {
  readonly type: "compute-task";
  readonly worker: WorkerId;
  readonly stimulusId: string;
}

/** `worker` should drop these keys: their results, or their computation if it is running. */
export interface FreeKeys {
  readonly type: "free-keys";
  readonly worker: WorkerId;
  readonly keys: readonly Key[];
  readonly stimulusId: string;
}

/**
 * `key` entered no-worker: no connected worker offers the resources it asks for or matches its
 * worker restrictions. The shell logs it (a warning); the same words are in the task's story.
 */
export interface NoWorkerWarning {
  readonly type: "no-worker";
  readonly key: Key;
  readonly message: string;
  readonly stimulusId: string;
}

/** Task states in the scheduler (after dask.distributed's). */
export type SchedulerTaskState =
  /** Known, not wanted by anyone right now; may become waiting or forgotten. */
  | "released"
  /** Wanted; some dependency is not in memory yet. */
  | "waiting"
  /** Ready root task held back because every worker is saturated (root-task queuing). */
  | "queued"
  /** Ready, but no worker can ever run it now (resources/restrictions); waits for one. */
  | "no-worker"
  /** Assigned to a worker that is (or will soon be) running it. */
  | "processing"
  /** Result stored on at least one worker. */
  | "memory"
  /** Failed for good (own error after retries, a dependency's error, or KilledWorker). */
  | "erred"
  /** Removed from the state; the key may be submitted again. */
  | "forgotten";

/** Tunables of the scheduler policies. */
export interface SchedulerConfig {
  /** A worker is saturated for root tasks at ceil(nthreads * workerSaturation) tasks, at least. */
  readonly workerSaturation: number;
  /**
   * Seconds of estimated work to keep queued per thread. With tiny tasks this lets a worker
   * hold many more than `nthreads` tasks, so message round trips do not starve it.
   */
  readonly targetQueueSeconds: number;
  /** Upper bound on tasks in flight per thread, whatever the duration estimate says. */
  readonly maxTasksPerThread: number;
  /** Duration assumed for a task group before any of its tasks finished (seconds). */
  readonly unknownTaskDuration: number;
  /** A task that was processing on this many workers that died errs with KilledWorker. */
  readonly allowedFailures: number;
  /**
   * Speculative assignment: a waiting task whose inputs not yet in memory are all processing on
   * one worker is sent to that worker at once (its compute-task names that worker as the
   * holder of those inputs), so the worker runs it as soon as they finish, without a round
   * trip through the scheduler. A chain of dependent tasks then costs one message, not one
   * per task.
   */
  readonly speculativeAssignment: boolean;
  /**
   * Most speculatively assigned tasks (processing, with an input not yet in memory) per worker.
   * Past it a task waits as usual and is placed when its inputs finish. Counted apart from the
   * root-task saturation limit, which a chain exceeds at once (it is its point to hold many
   * tasks on one worker); large by default because long chains are what it speeds up.
   */
  readonly speculativeDepth: number;
  /**
   * Work stealing: on `balance` events, tasks queued on saturated workers (more expected work
   * per thread than others) move to idle workers when moving their inputs costs little next to
   * their expected duration (steal.ts).
   */
  readonly workStealing: boolean;
  /**
   * Fan-outs by load: a task whose one input is read by more than two tasks (a table broadcast
   * to every partition of a join, say) goes to the worker where it would start soonest, its
   * queued work plus moving the input there at `bandwidth`, instead of always to the input's
   * holder; such tasks are not speculatively assigned (decide-worker.ts).
   */
  readonly fanOutByLoad: boolean;
  /** Seconds between balance events the shell sends (when some worker idles). */
  readonly workStealingInterval: number;
  /** Estimated bytes per second between workers: work stealing's cost of moving inputs. */
  readonly bandwidth: number;
  /**
   * Seconds a task freed while running (cancelled, or released by every client) may go on
   * before its worker's thread or process is restarted: JavaScript cannot interrupt a
   * synchronous loop, so restarting is the only way to take the thread back (as Ray's
   * `cancel(force=True)`). The worker gets no new work from then until it has registered again.
   * Infinity: never restart.
   */
  readonly cancelGracePeriod: number;
  /**
   * Seconds a task may wait in no-worker (no worker offers its resources or matches its
   * restrictions) before it errs with NO_VALID_WORKER; 0 waits for such a worker for ever
   * (as Dask's `distributed.scheduler.no-workers-timeout`, off by default). Either way the
   * wait is logged as a warning and noted in the task's story at once.
   */
  readonly noWorkerTimeout: number;
  /** Length of the transition log (entries, a ring buffer). */
  readonly transitionLogLength: number;
  /** Run validate() after every handle() call (tests). */
  readonly validate: boolean;
}

export const defaultSchedulerConfig: SchedulerConfig = {
  workerSaturation: 1.1,
  targetQueueSeconds: 0.005,
  maxTasksPerThread: 4096,
  unknownTaskDuration: 0.001,
  allowedFailures: 3,
  speculativeAssignment: true,
  speculativeDepth: 10_000,
  workStealing: true,
  workStealingInterval: 0.1,
  fanOutByLoad: true,
  bandwidth: 100_000_000,
  cancelGracePeriod: 3,
  noWorkerTimeout: 0,
  transitionLogLength: 100_000,
  validate: false,
};
