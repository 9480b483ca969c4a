/**
 * V8's sampling CPU profiler on the calling thread, through a `node:inspector` session (in a
 * worker thread, a session profiles that thread). Used by worker shells (cut every period) and
 * by `client.profile` (one profile around a call). The inspector's calls answer asynchronously;
 * every one of them settles (the session's callback always runs, with an error or a result).
 *
 * The profiles are the inspector console's (`console.profile(title)`, read back from the
 * session's `Profiler.consoleProfileFinished`), not the protocol's one `Profiler.start`: a
 * cut starts the next profile before it ends the current one, so V8's profiler never stops
 * between periods. Stopping it and starting it again (Profiler.stop, Profiler.start) makes V8
 * log every compiled function anew, some 25 ms of the profiled thread's time per cut on a
 * worker with Barn loaded; the overlap makes a cut cost well under a millisecond (a sample
 * taken in the microseconds both profiles run is counted in both).
 */
import { console as inspectorConsole, Session } from "node:inspector";
import { performance } from "node:perf_hooks";
import { BarnError, ErrorCodes } from "../errors.js";
import type { CpuProfileLike } from "./profile-attribute.js";

/** A cut profile and the offset from its clock to performance.now(): perf = µs / 1000 - offsetMs. */
export interface CutProfile {
  readonly profile: CpuProfileLike;
  readonly offsetMs: number;
}

/** ms to subtract from a profile's time (µs / 1000) to get performance.now()'s clock. */
export function profileClockOffsetMs(): number {
  // V8's profile timestamps are the monotonic clock process.hrtime reads.
  return Number(process.hrtime.bigint()) / 1e6 - performance.now();
}

/** How long a cut waits for the inspector to hand over an ended profile. */
const PROFILE_WAIT_MS = 10_000;

/** Profiles of this thread's profilers get unique titles (several may share the thread). */
let profiles = 0;

/**
 * How a profiler takes its profiles: "console" (overlapping console profiles, the default) or
 * "protocol" (Profiler.start / Profiler.stop, a cut restarting V8's profiler). Under
 * `node --cpu-prof`, Node's own profiler session on every thread would run each console
 * profile too and print an error for each of their notifications, so there it is "protocol".
 */
export type ProfilerMode = "console" | "protocol";

function defaultMode(): ProfilerMode {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  // The flag itself, not its companions: Node 24's test runner hands every child its options
  // with their defaults, --cpu-prof-interval=1000 among them, without --cpu-prof.
  return flags.some((f) => f === "--cpu-prof" || f === "--cpu-prof=true") ? "protocol" : "console";
}

export class CpuProfiler {
  readonly mode: ProfilerMode;
  #session: Session | undefined;
  /** The title of the console profile running now. */
  #title: string | undefined;
  /**
   * This profiler's titles, begun and not yet read: every session on the thread with the
   * Profiler domain on runs every console profile, so another's are ignored.
   */
  readonly #mine = new Set<string>();
  /** Ended profiles by title, until their cut reads them. */
  readonly #finished = new Map<string, CpuProfileLike>();
  readonly #waiting = new Map<string, (profile: CpuProfileLike) => void>();

  constructor(mode: ProfilerMode = defaultMode()) {
    this.mode = mode;
  }

  get running(): boolean {
    return this.#session !== undefined;
  }

  /** Start sampling every `intervalUs` microseconds. */
  async start(intervalUs: number): Promise<void> {
    if (this.#session !== undefined) return;
    const session = new Session();
    try {
      session.connect();
    } catch (err) {
      throw new BarnError(
        ErrorCodes.PROFILER_FAILED,
        `the CPU profiler cannot attach to this thread (${(err as Error).message}); is another inspector session profiling it?`,
      );
    }
    this.#session = session;
    session.on("Profiler.consoleProfileFinished", (m) => {
      const { title, profile } = m.params as { title?: string; profile: CpuProfileLike };
      if (title === undefined || !this.#mine.delete(title)) return;
      const wake = this.#waiting.get(title);
      if (wake !== undefined) wake(profile);
      else this.#finished.set(title, profile);
    });
    await this.#post("Profiler.enable");
    await this.#post("Profiler.setSamplingInterval", {
      interval: Math.max(50, Math.round(intervalUs)),
    });
    if (this.mode === "protocol") {
      await this.#post("Profiler.start");
      this.#title = "protocol";
    } else this.#title = this.#begin();
  }

  /** The profile since the last start or cut; sampling goes on (the next one began first). */
  async cut(): Promise<CutProfile> {
    const ending = this.#running();
    if (this.mode === "protocol") {
      const profile = await this.#end(ending);
      await this.#post("Profiler.start");
      return { profile, offsetMs: profileClockOffsetMs() };
    }
    this.#title = this.#begin();
    const profile = await this.#end(ending);
    return { profile, offsetMs: profileClockOffsetMs() };
  }

  /** The profile since the last start or cut; the session closes. */
  async stop(): Promise<CutProfile> {
    try {
      const profile = await this.#end(this.#running());
      return { profile, offsetMs: profileClockOffsetMs() };
    } finally {
      this.close();
    }
  }

  /** Closes the session without reading its profile. */
  close(): void {
    const session = this.#session;
    this.#session = undefined;
    this.#title = undefined;
    session?.disconnect();
    for (const wake of this.#waiting.values()) wake(EMPTY_PROFILE);
    this.#waiting.clear();
    this.#finished.clear();
    this.#mine.clear();
  }

  #running(): string {
    if (this.#session === undefined || this.#title === undefined) {
      throw new BarnError(ErrorCodes.PROFILER_FAILED, "the CPU profiler is not running");
    }
    return this.#title;
  }

  #begin(): string {
    const title = `barn-profile-${process.pid}-${++profiles}`;
    this.#mine.add(title);
    inspectorConsole.profile(title);
    return title;
  }

  /** Ends the console profile `title` and reads it (the inspector hands it over at once). */
  async #end(title: string): Promise<CpuProfileLike> {
    if (this.mode === "protocol") {
      return ((await this.#post("Profiler.stop")) as { profile: CpuProfileLike }).profile;
    }
    inspectorConsole.profileEnd(title);
    const done = this.#finished.get(title);
    if (done !== undefined) {
      this.#finished.delete(title);
      return done;
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(title);
        this.#mine.delete(title);
        reject(
          new BarnError(
            ErrorCodes.PROFILER_FAILED,
            `the inspector did not hand over the CPU profile within ${PROFILE_WAIT_MS / 1000} s`,
          ),
        );
      }, PROFILE_WAIT_MS);
      timer.unref();
      this.#waiting.set(title, (profile) => {
        clearTimeout(timer);
        this.#waiting.delete(title);
        resolve(profile);
      });
    });
  }

  #post(method: string, params: object = {}): Promise<unknown> {
    const session = this.#session;
    if (session === undefined) {
      return Promise.reject(
        new BarnError(ErrorCodes.PROFILER_FAILED, "the CPU profiler is not running"),
      );
    }
    return new Promise((resolve, reject) => {
      session.post(method, params, (err, result) => (err ? reject(err) : resolve(result)));
    });
  }
}

/** What a profile read after `close()` holds: nothing. */
const EMPTY_PROFILE: CpuProfileLike = {
  nodes: [],
  startTime: 0,
  endTime: 0,
  samples: [],
  timeDeltas: [],
};
