/**
 * Barn's named diagnostics channels (node:diagnostics_channel), the one layer the progress
 * bars, the dashboard, performance reports and any user tool read: nothing of them reaches into
 * the scheduler's state. Publishers are the shells (the scheduler's server and the pools), never
 * the pure cores, and they build an event object only when `hasSubscribers` is true, so a
 * process nobody watches pays one property read per report.
 *
 * Every event names the scheduler it comes from (`scheduler`, a `SchedulerServer.id`), so one
 * dashboard shows its own scheduler when a process hosts several (tests, `barn scheduler` next
 * to a local client).
 */
import diagnosticsChannel from "node:diagnostics_channel";
import type { ErrorData } from "../errors.js";
import type { GroupProfile } from "../protocol/profile.js";

/** A task that finished on a worker. Times are epoch milliseconds on the worker's clock. */
export interface TaskFinishedEvent {
  readonly scheduler: string;
  readonly worker: string;
  readonly key: string;
  /** The task group (the function's short name: TaskSubmission.group). */
  readonly group: string;
  readonly start: number;
  readonly stop: number;
  /** Size of the result, bytes. */
  readonly nbytes: number;
}

/**
 * The tasks of one worker's report that finished, as columns: the same facts as one
 * TaskFinishedEvent per task, for readers that take every task (the dashboard's recorder): one
 * event per report, no object per task.
 */
export interface TasksFinishedEvent {
  readonly scheduler: string;
  readonly worker: string;
  readonly keys: readonly string[];
  readonly groups: readonly string[];
  /** Epoch ms, the worker's clock. */
  readonly start: Float64Array;
  readonly stop: Float64Array;
  readonly nbytes: Float64Array;
}

/** A task that raised (after its retries, or before: every attempt is one event). */
export interface TaskErredEvent {
  readonly scheduler: string;
  readonly worker: string;
  readonly key: string;
  readonly group: string;
  /** Epoch milliseconds when the scheduler heard of it. */
  readonly time: number;
  readonly error: ErrorData;
}

/** One batch of inputs a worker fetched from a peer. */
export interface TransferEvent {
  readonly scheduler: string;
  /** The worker that received the data. */
  readonly worker: string;
  /** The worker it came from. */
  readonly peer: string;
  readonly keys: number;
  readonly nbytes: number;
  /** Epoch milliseconds, the receiver's clock. */
  readonly start: number;
  readonly stop: number;
}

export interface WorkerEvent {
  readonly scheduler: string;
  readonly worker: string;
  readonly name: string;
  readonly nthreads: number;
  readonly time: number;
  /** Why it left (removed only). */
  readonly reason?: string | undefined;
}

/** A worker's resource sample, about twice a second. */
export interface WorkerSampleEvent {
  readonly scheduler: string;
  readonly worker: string;
  /** Epoch milliseconds, the worker's clock. */
  readonly time: number;
  /** Bytes of JavaScript heap used by the worker's task thread. */
  readonly heap: number;
  /** Resident set size of the worker's process, bytes (worker processes only; 0 for threads). */
  readonly rss: number;
  /** Fraction of the last interval the task thread was busy, 0..1 (event-loop utilization). */
  readonly cpu: number;
}

/** One profiling period of one worker's task thread: a call tree per task group that ran. */
export interface ProfileEvent {
  readonly scheduler: string;
  readonly worker: string;
  /** Epoch ms at the period's end, the worker's clock. */
  readonly time: number;
  /** The period's length, ms. */
  readonly ms: number;
  readonly groups: readonly GroupProfile[];
}

/** One step of the scheduler's state machine (every event of one event-loop turn). */
export interface SchedulerBatchEvent {
  readonly scheduler: string;
  readonly events: number;
  readonly instructions: number;
  /** Milliseconds the pure core took. */
  readonly ms: number;
}

/** The channels, by the name a subscriber passes to `diagnostics_channel.subscribe`. */
export const CHANNEL_NAMES = {
  taskFinished: "barn:task:finished",
  tasksFinished: "barn:tasks:finished",
  taskErred: "barn:task:erred",
  transfer: "barn:transfer",
  workerAdded: "barn:worker:added",
  workerRemoved: "barn:worker:removed",
  workerSample: "barn:worker:sample",
  schedulerBatch: "barn:scheduler:batch",
  profile: "barn:profile",
} as const;

export const channels = {
  taskFinished: diagnosticsChannel.channel(CHANNEL_NAMES.taskFinished),
  tasksFinished: diagnosticsChannel.channel(CHANNEL_NAMES.tasksFinished),
  taskErred: diagnosticsChannel.channel(CHANNEL_NAMES.taskErred),
  transfer: diagnosticsChannel.channel(CHANNEL_NAMES.transfer),
  workerAdded: diagnosticsChannel.channel(CHANNEL_NAMES.workerAdded),
  workerRemoved: diagnosticsChannel.channel(CHANNEL_NAMES.workerRemoved),
  workerSample: diagnosticsChannel.channel(CHANNEL_NAMES.workerSample),
  schedulerBatch: diagnosticsChannel.channel(CHANNEL_NAMES.schedulerBatch),
  profile: diagnosticsChannel.channel(CHANNEL_NAMES.profile),
} as const;

/** Typed subscription; returns the function that unsubscribes. */
export function subscribe<K extends keyof typeof CHANNEL_NAMES>(
  name: K,
  onEvent: (e: ChannelEvents[K]) => void,
): () => void {
  const listener = (m: unknown) => onEvent(m as ChannelEvents[K]);
  diagnosticsChannel.subscribe(CHANNEL_NAMES[name], listener);
  return () => {
    diagnosticsChannel.unsubscribe(CHANNEL_NAMES[name], listener);
  };
}

export interface ChannelEvents {
  taskFinished: TaskFinishedEvent;
  tasksFinished: TasksFinishedEvent;
  taskErred: TaskErredEvent;
  transfer: TransferEvent;
  workerAdded: WorkerEvent;
  workerRemoved: WorkerEvent;
  workerSample: WorkerSampleEvent;
  schedulerBatch: SchedulerBatchEvent;
  profile: ProfileEvent;
}

/**
 * Cheap running totals of one scheduler, always kept (an add per report, not per task where
 * it can be helped): `/metrics` and the dashboard's header read them.
 */
export class SchedulerCounters {
  tasksFinished = 0;
  tasksErred = 0;
  /** Bytes of results produced. */
  resultBytes = 0;
  transfers = 0;
  transferBytes = 0;
  transferSeconds = 0;
  workersAdded = 0;
  workersRemoved = 0;
  /** Scheduler steps (one per event-loop turn with events) and the events they handled. */
  batches = 0;
  events = 0;
}
