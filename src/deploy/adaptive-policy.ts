/**
 * Adaptive scaling's policy, pure: from the scheduler's load (the work not done yet, in tasks
 * and in seconds at each group's observed mean duration) and the workers running now, to a
 * worker count and the workers to retire. After Dask's `Adaptive`: enough workers to finish
 * the outstanding work in about `targetDuration`, within `minimum..maximum`; up at once, down
 * only after `wait` consecutive decisions agree (hysteresis: a short lull between bursts does
 * not shed workers that the next burst needs), and only idle workers go. The last worker
 * holding results never goes (there would be nowhere to move them).
 */
import { OptionError } from "../errors.js";
import type { LoadInfo } from "../protocol/backend.js";
import type { WorkerId } from "../protocol/ids.js";

export interface AdaptOptions {
  /** Fewest workers. Default 0. */
  readonly minimum?: number | undefined;
  /** Most workers. Default: no bound. */
  readonly maximum?: number | undefined;
  /** Seconds in which the outstanding work should finish; fewer means more workers. Default 5. */
  readonly targetDuration?: number | undefined;
  /** Decisions to a smaller count in a row before workers are retired. Default 3. */
  readonly wait?: number | undefined;
  /** Milliseconds between decisions. Default 1000. */
  readonly intervalMs?: number | undefined;
}

export interface ResolvedAdaptOptions {
  readonly minimum: number;
  readonly maximum: number;
  readonly targetDuration: number;
  readonly wait: number;
  readonly intervalMs: number;
}

export const adaptDefaults: ResolvedAdaptOptions = {
  minimum: 0,
  maximum: Number.POSITIVE_INFINITY,
  targetDuration: 5,
  wait: 3,
  intervalMs: 1000,
};

/** Validate at the boundary: every bad value is an OptionError naming it. */
export function resolveAdaptOptions(o: AdaptOptions = {}): ResolvedAdaptOptions {
  if (typeof o !== "object" || o === null) {
    throw new OptionError(`adapt options must be an object; got ${JSON.stringify(o)}`);
  }
  const r = { ...adaptDefaults, ...stripUndefined(o) } as ResolvedAdaptOptions;
  const count = (name: string, v: number, infinite: boolean) => {
    if (!((Number.isInteger(v) || (infinite && v === Number.POSITIVE_INFINITY)) && v >= 0)) {
      throw new OptionError(`adapt ${name} must be a non-negative whole number; got ${v}`);
    }
  };
  count("minimum", r.minimum, false);
  count("maximum", r.maximum, true);
  if (r.maximum < r.minimum || r.maximum === 0) {
    throw new OptionError(
      `adapt maximum (${r.maximum}) must be at least minimum (${r.minimum}) and at least 1`,
    );
  }
  for (const name of ["targetDuration", "intervalMs"] as const) {
    if (!(typeof r[name] === "number" && r[name] > 0 && Number.isFinite(r[name]))) {
      throw new OptionError(`adapt ${name} must be a positive number; got ${r[name]}`);
    }
  }
  if (!(Number.isInteger(r.wait) && r.wait >= 1)) {
    throw new OptionError(`adapt wait must be a whole number >= 1; got ${r.wait}`);
  }
  return r;
}

/** Carried from one decision to the next. */
export interface PolicyState {
  /** Consecutive decisions that wanted fewer workers than ran. */
  readonly downVotes: number;
}

export const initialPolicyState: PolicyState = { downVotes: 0 };

export interface Decision {
  /** Workers to run after this decision. */
  readonly target: number;
  /** Registered, idle workers to retire now (target = current - retire.length when shrinking). */
  readonly retire: readonly WorkerId[];
  readonly state: PolicyState;
}

/** The count the load asks for, before hysteresis: within minimum..maximum. */
export function desiredWorkers(load: LoadInfo, o: ResolvedAdaptOptions): number {
  const threads =
    load.workers.length === 0
      ? 1
      : load.workers.reduce((n, w) => n + w.nthreads, 0) / load.workers.length;
  let want = Math.ceil(load.seconds / (o.targetDuration * threads));
  // No more workers than there are tasks to run at once.
  want = Math.min(want, Math.ceil(load.tasks / threads));
  if (load.tasks > 0) want = Math.max(want, 1);
  return Math.min(o.maximum, Math.max(o.minimum, want));
}

/**
 * One decision. `current` counts every worker the manager runs, registered or still starting.
 */
export function decide(
  load: LoadInfo,
  current: number,
  o: ResolvedAdaptOptions,
  state: PolicyState,
): Decision {
  const want = desiredWorkers(load, o);
  if (want >= current) return { target: want, retire: [], state: initialPolicyState };
  const votes = state.downVotes + 1;
  if (votes < o.wait) return { target: current, retire: [], state: { downVotes: votes } };
  const idle = load.workers
    .filter((w) => w.processing === 0 && !w.retiring)
    // Cheapest to retire first: the fewest bytes to move.
    .sort((a, b) => a.nbytes - b.nbytes || a.keys - b.keys || (a.id < b.id ? -1 : 1));
  let n = Math.min(current - want, idle.length);
  const holders = load.workers.filter((w) => !w.retiring && w.keys > 0).length;
  const remaining = load.workers.filter((w) => !w.retiring).length - n;
  // Never retire every worker while results are held: nowhere would be left to move them.
  if (remaining === 0 && holders > 0) n--;
  const retire = idle.slice(0, Math.max(0, n)).map((w) => w.id);
  return { target: current - retire.length, retire, state: initialPolicyState };
}

function stripUndefined(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}
