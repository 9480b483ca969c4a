/**
 * A worker's report, both ways: the worker's shell adds what one time slice produced (finished,
 * erred, missing inputs, steal answers, stopped tasks) and takes one message; the scheduler's
 * shell reads it back item by item. One file owns the layout (flattened finished quadruples,
 * -1 for "no run id", stopped keys joined by KEY_SEPARATOR), so the two ends cannot drift.
 */
import type { ErrorData } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { WorkerId } from "./ids.js";
import { joinKeys, splitKeys } from "./ops-codec.js";
import type { ProfileChunk } from "./profile.js";
import type { FromWorker, WorkerSample } from "./worker-messages.js";

export type WorkerReport = Extract<FromWorker, { t: "report" }>;

/** What the reading side does with each item (no object per item on the way). */
export interface ReportVisitor {
  finished(key: Key, nbytes: number, duration: number, runId: number | undefined): void;
  erred(key: Key, error: ErrorData, runId: number | undefined): void;
  missing(key: Key, holder: WorkerId): void;
  stolen(key: Key, state: string, stolen: boolean): void;
  /** Freed keys that no longer run on the worker, all at once. */
  stopped(keys: Key[]): void;
}

/**
 * The diagnostics half of a report (task stop times, peer fetches, a resource sample), read
 * only when someone listens (diagnostics/channels.ts).
 */
export interface ReportDiagnosticsVisitor {
  transfer(peer: WorkerId, keys: number, nbytes: number, start: number, stop: number): void;
  sample(sample: WorkerSample): void;
  profile(chunk: ProfileChunk): void;
}

/** The run id of a task no compute-task named (the worker state's default). */
export const NO_RUN_ID = -1;

/** Collects one time slice's items; `take()` hands them over as one message and starts anew. */
export class ReportBuilder {
  #finished: (Key | number)[] = [];
  #erred: (readonly [Key, ErrorData, number | undefined])[] = [];
  #missing: (readonly [Key, WorkerId])[] = [];
  #stolen: (readonly [Key, string, boolean])[] = [];
  #stopped: Key[] = [];
  #stops: number[] = [];
  #transfers: (WorkerId | number)[] = [];
  #sample: WorkerSample | undefined;
  #profile: ProfileChunk | undefined;

  /** `runId` as the worker state keeps it: NO_RUN_ID (-1) when no compute-task named one. */
  finished(key: Key, nbytes: number, duration: number, runId: number, stop: number): void {
    this.#finished.push(key, nbytes, duration, runId);
    this.#stops.push(stop);
  }

  /** A batch of inputs fetched from `peer` (start and stop: epoch ms). */
  transfer(peer: WorkerId, keys: number, nbytes: number, start: number, stop: number): void {
    this.#transfers.push(peer, keys, nbytes, start, stop);
  }

  /** The thread's resources now; sent with the next report (or alone, by `take(true)`). */
  sample(sample: WorkerSample): void {
    this.#sample = sample;
  }

  /** A profiling period's call trees; sent with the next report. */
  profile(chunk: ProfileChunk): void {
    this.#profile = chunk;
  }

  erred(key: Key, error: ErrorData, runId: number): void {
    this.#erred.push([key, error, runId === NO_RUN_ID ? undefined : runId]);
  }

  missing(key: Key, holder: WorkerId): void {
    this.#missing.push([key, holder]);
  }

  stolen(key: Key, state: string, stolen: boolean): void {
    this.#stolen.push([key, state, stolen]);
  }

  stopped(key: Key): void {
    this.#stopped.push(key);
  }

  /** The report of everything added since the last call, or undefined when there is none. */
  take(): WorkerReport | undefined {
    if (
      this.#sample === undefined &&
      this.#profile === undefined &&
      this.#transfers.length === 0 &&
      this.#finished.length === 0 &&
      this.#erred.length === 0 &&
      this.#missing.length === 0 &&
      this.#stolen.length === 0 &&
      this.#stopped.length === 0
    ) {
      return undefined;
    }
    const msg: WorkerReport = {
      t: "report",
      finished: this.#finished,
      erred: this.#erred,
      missing: this.#missing,
      ...(this.#stolen.length > 0 ? { stolen: this.#stolen } : {}),
      ...(this.#stopped.length > 0 ? { stopped: joinKeys(this.#stopped) } : {}),
      ...(this.#stops.length > 0 ? { stops: this.#stops } : {}),
      ...(this.#transfers.length > 0 ? { transfers: this.#transfers } : {}),
      ...(this.#sample !== undefined ? { sample: this.#sample } : {}),
      ...(this.#profile !== undefined ? { profile: this.#profile } : {}),
    };
    this.#profile = undefined;
    this.#stops = [];
    this.#transfers = [];
    this.#sample = undefined;
    this.#finished = [];
    this.#erred = [];
    this.#missing = [];
    this.#stolen = [];
    this.#stopped = [];
    return msg;
  }
}

/** Reads a report back, in the order: finished, erred, missing, stopped, stolen. */
export function readReport(msg: WorkerReport, v: ReportVisitor): void {
  const f = msg.finished;
  for (let i = 0; i < f.length; i += 4) {
    const runId = f[i + 3] as number;
    v.finished(
      f[i] as Key,
      f[i + 1] as number,
      f[i + 2] as number,
      runId === NO_RUN_ID ? undefined : runId,
    );
  }
  for (const [key, error, runId] of msg.erred) v.erred(key, error, runId);
  for (const [key, holder] of msg.missing) v.missing(key, holder);
  if (msg.stopped !== undefined) v.stopped(splitKeys(msg.stopped));
  if (msg.stolen !== undefined) {
    for (const [key, state, stolen] of msg.stolen) v.stolen(key, state, stolen);
  }
}

/**
 * The finished tasks of a report as columns: keys, and start, stop (epoch ms: the worker's stop
 * times, or `now` for a report without them) and result bytes.
 */
export function finishedColumns(
  msg: WorkerReport,
  now: number,
): { keys: Key[]; start: Float64Array; stop: Float64Array; nbytes: Float64Array } {
  const f = msg.finished;
  const stops = msg.stops;
  const n = f.length / 4;
  const keys = new Array<Key>(n);
  const start = new Float64Array(n);
  const stop = new Float64Array(n);
  const nbytes = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const end = stops?.[j] ?? now;
    keys[j] = f[4 * j] as Key;
    nbytes[j] = f[4 * j + 1] as number;
    start[j] = end - (f[4 * j + 2] as number) * 1000;
    stop[j] = end;
  }
  return { keys, start, stop, nbytes };
}

/**
 * Reads the rest of the diagnostics half of a report back (see ReportDiagnosticsVisitor); the
 * finished tasks' times are finishedColumns'.
 */
export function readReportDiagnostics(msg: WorkerReport, v: ReportDiagnosticsVisitor): void {
  const t = msg.transfers;
  if (t !== undefined) {
    for (let i = 0; i < t.length; i += 5) {
      v.transfer(
        t[i] as WorkerId,
        t[i + 1] as number,
        t[i + 2] as number,
        t[i + 3] as number,
        t[i + 4] as number,
      );
    }
  }
  if (msg.sample !== undefined) v.sample(msg.sample);
  if (msg.profile !== undefined) v.profile(msg.profile);
}
