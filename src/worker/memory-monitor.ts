/**
 * The shell's side of memory management: measures the worker (memory-meter.ts), asks the pure
 * policy (memory-policy.ts) what to do, spills through the store, pauses and unpauses the
 * worker state, and sends the scheduler a MemorySample when something changed. Checked after
 * every time slice that stored results past the target (cheap: no measurement) and on a timer,
 * which is what notices that memory fell while the worker is paused.
 */
import type { MemorySample, WorkerMemoryInit } from "../protocol/memory.js";
import { collectGarbage, measureMemory } from "./memory-meter.js";
import { bytesToSpill, shouldPause } from "./memory-policy.js";
import type { ResultStore } from "./store.js";

/** Milliseconds between measurements. */
const TICK_MS = 100;
/**
 * Fewest milliseconds between two forced collections while paused. A paused worker runs no new
 * task, and a full collection of its heap takes milliseconds, while every wait for the next
 * one is time paused: at 1 s, Node 24's workers of a Parquet groupby spent much of it paused.
 */
const GC_EVERY_MS = 200;
/** Milliseconds between two looks at the room while a read waits for it (room). */
const ROOM_POLL_MS = 25;
/** Bytes evicted (as a fraction of the limit) that call for a collection, and how often at most. */
const GC_AFTER_EVICTED = 0.1;
const GC_EVICTED_MS = 100;
/** A sample is sent when a figure moved by this much (or a flag changed), at most every tick. */
const REPORT_STEP = 1 << 20;
/**
 * Results stored since the last measurement that call for a new one (afterStore): below it, and
 * while the last reading called for nothing, storing a result costs a subtraction. Small
 * results (most tasks') thus measure once a MiB, and the timer measures ten times a second.
 */
const MEASURE_STEP = 1 << 20;

export interface MemoryMonitorLinks {
  send(sample: MemorySample): void;
  setPaused(paused: boolean): void;
}

export class MemoryMonitor {
  readonly #init: WorkerMemoryInit;
  readonly #store: ResultStore;
  readonly #links: MemoryMonitorLinks;
  readonly #timer: ReturnType<typeof setInterval>;
  #paused = false;
  #total = 0;
  /** Managed bytes when `#total` was measured: the estimate between measurements moves with it. */
  #managedAtMeasure = 0;
  #sent: MemorySample | undefined;
  #lastGc = 0;
  /** The last reading called for nothing: not paused, nothing to spill or collect. */
  #quiet = false;
  /** Bytes promised to reads under way (reserve): not in the last measurement yet. */
  #reserved = 0;

  constructor(init: WorkerMemoryInit, store: ResultStore, links: MemoryMonitorLinks) {
    this.#init = init;
    this.#store = store;
    this.#links = links;
    this.#timer = setInterval(() => this.check(), TICK_MS);
    this.#timer.unref();
    this.check();
  }

  /** After a time slice: act only when results stored past the target (no measurement). */
  afterSlice(): void {
    const target = this.#init.fractions.target;
    if (target !== false && this.#store.managed > target * this.#init.limit) this.#act(false);
  }

  /**
   * After results were stored (a task's, a fetch's, a scatter's), before the state machine hears
   * of them, so a pause they call for goes in first. Measures only when they add up to
   * MEASURE_STEP since the last measurement or the last reading was not quiet.
   */
  afterStore(): void {
    if (this.#quiet && this.#store.managed - this.#managedAtMeasure < MEASURE_STEP) return;
    this.#act(true);
  }

  /** Measure, spill, pause or unpause, and report. */
  check(): void {
    this.#act(true);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /**
   * Bytes this worker can take before it reaches its limit, measured now (spilling and a
   * collection run first when due, so waiting on this makes progress).
   */
  headroom(): number {
    this.#act(true);
    return this.#init.limit - Math.max(this.#store.managed, this.#total) - this.#reserved;
  }

  /**
   * Room for `bytes` about to be read into this worker, reserved until the release returned is
   * called: at once when the worker has the room, else once it has (headroom() spills and
   * collects meanwhile), `waitMs` passed or `stopped()`, when the read goes over rather than
   * never.
   */
  room(bytes: number, waitMs: number, stopped: () => boolean): (() => void) | Promise<() => void> {
    if (this.headroom() >= bytes) return this.reserve(bytes);
    return (async () => {
      const until = Date.now() + waitMs;
      do {
        await new Promise((r) => setTimeout(r, ROOM_POLL_MS));
      } while (this.headroom() < bytes && Date.now() < until && !stopped());
      return this.reserve(bytes);
    })();
  }

  /**
   * Promise `bytes` of the headroom to a read under way (a spilled result read back, a fetch):
   * two reads that each measured room for themselves would otherwise both go ahead. Returns
   * the release, to call once the bytes are stored or dropped (more calls do nothing).
   */
  reserve(bytes: number): () => void {
    this.#reserved += bytes;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#reserved -= bytes;
    };
  }

  #act(measure: boolean): void {
    const store = this.#store;
    if (measure) {
      this.#total = measureMemory(this.#init.ownProcess, store.managed);
      this.#managedAtMeasure = store.managed;
    }
    const managed = store.managed;
    const total = Math.max(managed, this.#total + managed - this.#managedAtMeasure);
    const reading = { limit: this.#init.limit, managed, total };
    const f = this.#init.fractions;
    const spill = bytesToSpill(reading, f) - store.writingBytes;
    if (spill > 0) store.spill(spill);
    let paused = shouldPause(reading, f);
    if (this.#collectNow(paused)) {
      this.#total = measureMemory(this.#init.ownProcess, store.managed);
      this.#managedAtMeasure = store.managed;
      paused = shouldPause({ ...reading, total: Math.max(managed, this.#total) }, f);
    }
    if (paused !== this.#paused) {
      this.#paused = paused;
      this.#links.setPaused(paused);
    }
    this.#quiet = measure && !paused && spill <= 0 && store.writingBytes === 0;
    this.#report(managed, total);
  }

  /**
   * Evicted buffers are memory until collected: collect once a tenth of the limit was evicted
   * (bounded by bytes, not time), or anything at all while paused (at most every GC_EVICTED_MS), and while paused with
   * nothing evicted every GC_EVERY_MS. Whether a collection ran.
   */
  #collectNow(paused: boolean): boolean {
    const evicted = this.#store.evictedSinceGc;
    const due =
      evicted > GC_AFTER_EVICTED * this.#init.limit
        ? 0
        : paused && evicted > 0
          ? GC_EVICTED_MS
          : paused
            ? GC_EVERY_MS
            : Infinity;
    const now = Date.now();
    if (now - this.#lastGc < due) return false;
    this.#lastGc = now;
    this.#store.evictedSinceGc = 0;
    return collectGarbage();
  }

  #report(managed: number, total: number): void {
    const sample: MemorySample = {
      t: "memory",
      managed,
      spilled: this.#store.spilled,
      total,
      paused: this.#paused,
      limit: this.#init.limit,
      spillError: errorLine(this.#store.spillError),
    };
    const last = this.#sent;
    if (
      last !== undefined &&
      last.paused === sample.paused &&
      last.spillError === sample.spillError &&
      Math.abs(last.managed - sample.managed) < REPORT_STEP &&
      Math.abs(last.spilled - sample.spilled) < REPORT_STEP &&
      Math.abs(last.total - sample.total) < REPORT_STEP
    ) {
      return;
    }
    this.#sent = sample;
    this.#links.send(sample);
  }
}

/** "CODE: message" of a spill failure (the code is what programs match). */
function errorLine(err: Error | undefined): string | undefined {
  if (err === undefined) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? `${code}: ${err.message}` : err.message;
}
