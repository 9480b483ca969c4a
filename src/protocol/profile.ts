/**
 * Sampled CPU profiles as plain data, below the worker and the scheduler: the call tree one
 * task group's samples make (built on the worker, merged by the scheduler's recorder), and the
 * switch the scheduler sends to turn a worker's profiler on or off.
 */
import { OptionError } from "../errors.js";

/** One function in a call tree: its callers are the path from the root. Times in ms. */
export interface CallTree {
  /** The function's name; "(anonymous)", "(root)" or "(other)" (nodes past the size cap). */
  readonly name: string;
  /** Its script (a file: URL or a path; "" for native and V8's own frames). */
  readonly file: string;
  /** 1-based line of the function's start (0: unknown). */
  readonly line: number;
  /** Time sampled in this function itself, ms. */
  self: number;
  /** Time sampled in it and everything it called, ms. */
  total: number;
  children: CallTree[];
}

/** One task group's profile: its call tree and the samples in it. */
export interface GroupProfile {
  readonly group: string;
  readonly tree: CallTree;
  readonly samples: number;
}

/** What a worker sends after each profiling period (with its next report). */
export interface ProfileChunk {
  /** Epoch ms at the end of the period, the worker's clock. */
  readonly time: number;
  /** Length of the period, ms. */
  readonly ms: number;
  readonly groups: readonly GroupProfile[];
}

/** How a worker profiles; sent as `{ t: "profile", settings }` (null: off). */
export interface ProfileSettings {
  /**
   * Sampling interval, microseconds. Default 10,000 (10 ms, as Dask's workers sample): cheap
   * enough to leave on; a long run gathers plenty of samples.
   */
  readonly intervalUs: number;
  /** How often the profile is cut and sent, ms. Default 2000. */
  readonly periodMs: number;
}

export const DEFAULT_PROFILE_SETTINGS: ProfileSettings = { intervalUs: 10_000, periodMs: 2000 };

/** What users pass: true, false, or `{ intervalUs, periodMs }` (the rest from the defaults). */
export type ProfileOption =
  | boolean
  | { readonly intervalUs?: number | undefined; readonly periodMs?: number | undefined };

/** The settings a `profile` option asks for (null: off), or an OptionError naming the option. */
export function profileSettings(
  option: string,
  v: ProfileOption | undefined,
): ProfileSettings | null {
  if (v === undefined || v === false) return null;
  if (v === true) return DEFAULT_PROFILE_SETTINGS;
  const ok =
    typeof v === "object" &&
    v !== null &&
    Object.keys(v).every((k) => k === "intervalUs" || k === "periodMs") &&
    (v.intervalUs === undefined || (Number.isFinite(v.intervalUs) && v.intervalUs >= 50)) &&
    (v.periodMs === undefined || (Number.isFinite(v.periodMs) && v.periodMs >= 100));
  if (!ok) {
    throw new OptionError(
      `${option} must be true, false or { intervalUs, periodMs } (intervalUs: the sampling interval, at least 50 µs; periodMs: how often profiles are sent, at least 100 ms); got ${JSON.stringify(v)}`,
    );
  }
  return {
    intervalUs: v.intervalUs ?? DEFAULT_PROFILE_SETTINGS.intervalUs,
    periodMs: v.periodMs ?? DEFAULT_PROFILE_SETTINGS.periodMs,
  };
}
