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
import type { FromWorker } from "./worker-messages.js";

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

/** The run id of a task no compute-task named (the worker state's default). */
export const NO_RUN_ID = -1;

/** Collects one time slice's items; `take()` hands them over as one message and starts anew. */
export class ReportBuilder {
  #finished: (Key | number)[] = [];
  #erred: (readonly [Key, ErrorData, number | undefined])[] = [];
  #missing: (readonly [Key, WorkerId])[] = [];
  #stolen: (readonly [Key, string, boolean])[] = [];
  #stopped: Key[] = [];

  /** `runId` as the worker state keeps it: NO_RUN_ID (-1) when no compute-task named one. */
  finished(key: Key, nbytes: number, duration: number, runId: number): void {
    this.#finished.push(key, nbytes, duration, runId);
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
    };
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
