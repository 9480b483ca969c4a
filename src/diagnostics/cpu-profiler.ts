/**
 * V8's sampling CPU profiler on the calling thread, through a `node:inspector` session (in a
 * worker thread, a session profiles that thread). Used by worker shells (cut every period) and
 * by `client.profile` (one profile around a call). The inspector's calls answer asynchronously;
 * every one of them settles (the session's callback always runs, with an error or a result).
 */
import { Session } from "node:inspector";
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

export class CpuProfiler {
  #session: Session | undefined;

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
    await this.#post("Profiler.enable");
    await this.#post("Profiler.setSamplingInterval", {
      interval: Math.max(50, Math.round(intervalUs)),
    });
    await this.#post("Profiler.start");
  }

  /** The profile since the last start or cut; sampling goes on (restarted at once). */
  async cut(): Promise<CutProfile> {
    const profile = await this.#stopProfile();
    await this.#post("Profiler.start");
    return { profile, offsetMs: profileClockOffsetMs() };
  }

  /** The profile since the last start or cut; the session closes. */
  async stop(): Promise<CutProfile> {
    try {
      const profile = await this.#stopProfile();
      return { profile, offsetMs: profileClockOffsetMs() };
    } finally {
      this.#session?.disconnect();
      this.#session = undefined;
    }
  }

  /** Closes the session without reading its profile. */
  close(): void {
    this.#session?.disconnect();
    this.#session = undefined;
  }

  async #stopProfile(): Promise<CpuProfileLike> {
    const r = (await this.#post("Profiler.stop")) as { profile: CpuProfileLike };
    return r.profile;
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
