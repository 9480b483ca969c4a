/**
 * The worker state machine's contract (after dask.distributed's worker_state_machine):
 * `WorkerState.handle(events) -> instructions`, pure, no I/O. The shell that owns the data
 * store, the executor and the links to peers turns messages into events and runs the
 * instructions, feeding their outcomes back as events.
 */
import type { ErrorData } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { Resources, WorkerId } from "../protocol/ids.js";

export type WorkerEvent =
  | WComputeTask
  | WFreeKeys
  | WAddData
  | GatherDepSuccess
  | GatherDepFailure
  | ExecuteSuccess
  | ExecuteFailure
  | WStealRequest
  | WSetPaused;

/**
 * The scheduler asks for `key` to be computed. (ComputeTask without the `worker` field.) A dep
 * whose holders name this worker is computed here (maybe later in the same batch): wait for it.
 */
export interface WComputeTask {
  readonly type: "compute-task";
  readonly stimulusId: string;
  readonly key: Key;
  readonly run: unknown;
  /** Inputs: where each can be fetched from, and its size in bytes when known (0 or absent: not). */
  readonly deps: readonly {
    readonly key: Key;
    readonly holders: readonly WorkerId[];
    readonly nbytes?: number;
  }[];
  readonly priority: readonly number[];
  readonly resources?: Resources | undefined;
  /**
   * The scheduler's id of this attempt, echoed in the report of the key's result so a result
   * of an attempt it has since replaced is recognised. Kept with the task from the moment this
   * event is handled (not when its message arrived: a result of an earlier attempt, already
   * queued, must not be reported as this one's).
   */
  readonly runId?: number | undefined;
}

/** The scheduler no longer needs these keys here. */
export interface WFreeKeys {
  readonly type: "free-keys";
  readonly stimulusId: string;
  readonly keys: readonly Key[];
}

/** Data placed directly in this worker's store (scatter). Sizes in bytes. */
export interface WAddData {
  readonly type: "add-data";
  readonly stimulusId: string;
  readonly keys: readonly { readonly key: Key; readonly nbytes: number }[];
}

/** A fetch from `peer` returned; `nbytes` has an entry for every key it had. */
export interface GatherDepSuccess {
  readonly type: "gather-dep-success";
  readonly stimulusId: string;
  readonly peer: WorkerId;
  readonly nbytes: Readonly<Record<Key, number>>;
  /** Keys asked for that `peer` did not have. */
  readonly missing: readonly Key[];
}

/** A fetch from `peer` failed altogether (peer gone or unreachable). */
export interface GatherDepFailure {
  readonly type: "gather-dep-failure";
  readonly stimulusId: string;
  readonly peer: WorkerId;
  readonly keys: readonly Key[];
}

export interface ExecuteSuccess {
  readonly type: "execute-success";
  readonly stimulusId: string;
  readonly key: Key;
  readonly nbytes: number;
  /** Seconds the function ran. */
  readonly duration: number;
}

export interface ExecuteFailure {
  readonly type: "execute-failure";
  readonly stimulusId: string;
  readonly key: Key;
  readonly error: ErrorData;
}

/**
 * The scheduler would move these keys to another worker (work stealing). Each one not started
 * here (waiting for or fetching inputs, ready, constrained) is dropped; every key is answered
 * with send-steal-response.
 */
export interface WStealRequest {
  readonly type: "steal-request";
  readonly stimulusId: string;
  readonly keys: readonly Key[];
}

/**
 * The worker's memory crossed its pause fraction (paused) or fell below it again. A paused
 * worker starts no task and fetches no input; what runs finishes, and it still serves data.
 */
export interface WSetPaused {
  readonly type: "set-paused";
  readonly stimulusId: string;
  readonly paused: boolean;
}

export type WorkerInstruction =
  | Execute
  | GatherDep
  | ReleaseData
  | SendTaskFinished
  | SendTaskErred
  | SendMissingData
  | SendStealResponse
  | SendTaskStopped;

/** Run `key` now: its inputs are all in the store. The shell answers with execute-success/failure. */
export interface Execute {
  readonly type: "execute";
  readonly key: Key;
  readonly run: unknown;
  /** Its inputs (all in the store): the shell reads spilled ones back before running it. */
  readonly deps: readonly { readonly key: Key }[];
  readonly stimulusId: string;
}

/** Fetch `keys` from `peer` (one batch, bounded in bytes by the state machine). */
export interface GatherDep {
  readonly type: "gather-dep";
  readonly peer: WorkerId;
  readonly keys: readonly Key[];
  /** Their sizes as the scheduler knew them (0 where it did not): the room the fetch needs. */
  readonly nbytes: number;
  readonly stimulusId: string;
}

/** Drop `key` from the store. */
export interface ReleaseData {
  readonly type: "release-data";
  readonly key: Key;
  readonly stimulusId: string;
}

export interface SendTaskFinished {
  readonly type: "send-task-finished";
  readonly key: Key;
  readonly nbytes: number;
  readonly duration: number;
  /** The runId of the latest compute-task for the key handled before this result; -1: none. */
  readonly runId: number;
  readonly stimulusId: string;
}

export interface SendTaskErred {
  readonly type: "send-task-erred";
  readonly key: Key;
  readonly error: ErrorData;
  /** As SendTaskFinished.runId. */
  readonly runId: number;
  readonly stimulusId: string;
}

/** Tell the scheduler that `holder` did not have `key` (it will look elsewhere or recompute). */
export interface SendMissingData {
  readonly type: "send-missing-data";
  readonly key: Key;
  readonly holder: WorkerId;
  readonly stimulusId: string;
}

/**
 * Answer a steal request: `stolen` when `key` was dropped here (it had not started); else
 * `state` says why not (executing, memory, ... or released when unknown here).
 */
export interface SendStealResponse {
  readonly type: "send-steal-response";
  readonly key: Key;
  readonly state: WorkerTaskState;
  readonly stolen: boolean;
  readonly stimulusId: string;
}

/**
 * The scheduler freed `key` while it was not done here: it no longer runs (it was dropped
 * before it started, or its function returned after it was cancelled). The scheduler restarts
 * a worker whose freed task does not stop within its grace period (a cancelled CPU-bound loop).
 */
export interface SendTaskStopped {
  readonly type: "send-task-stopped";
  readonly key: Key;
  readonly stimulusId: string;
}

/** Task states on a worker. */
export type WorkerTaskState =
  /** Input of a local task; to be fetched from a peer. */
  | "fetch"
  /** Being fetched from a peer now. */
  | "flight"
  /** Input whose every known holder failed; the scheduler was told (send-missing-data). */
  | "missing"
  /** Waiting for inputs to arrive. */
  | "waiting"
  /** All inputs here; waiting for a free thread (and resources). */
  | "ready"
  /** Running now. */
  | "executing"
  /** The scheduler freed it while it ran; its result will be discarded. */
  | "cancelled"
  /** Result in the store. */
  | "memory"
  /** Ran and threw. */
  | "error"
  /** Gone from the state. */
  | "released";

export interface WorkerConfig {
  readonly nthreads: number;
  readonly resources: Resources;
  /** Most keys fetched from one peer in one gather-dep. */
  readonly transferBatchKeys: number;
  /** Most bytes (estimated) fetched from one peer in one gather-dep. */
  readonly transferBatchBytes: number;
  /** Most concurrent gather-deps to distinct peers. */
  readonly transferConcurrency: number;
  readonly transitionLogLength: number;
  readonly validate: boolean;
}
