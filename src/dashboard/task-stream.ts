/**
 * The task stream a recorder keeps: the newest finished tasks, in a ring of columns filled a
 * report at a time (the `tasksFinished` channel), so a watched scheduler keeps no object per
 * task and its young generation does not promote one either. Every entry has a sequence number
 * (0 for the first task recorded), which pages use as their cursor.
 *
 * Keys are kept only where asked (a performance report lists them; the dashboard's page never
 * reads them): each finished key a report decodes is a string of its own, and holding 50,000 of
 * them past their report cost a watched map of 100,000 tiny tasks about 30 ms of the scheduler
 * thread's garbage collection (`BARN_BENCH_CPUPROF` of bench/dashboard-cpu.ts).
 */
import type { TaskFinishedEvent, TasksFinishedEvent } from "../diagnostics/channels.js";
import { BarnError, ErrorCodes } from "../errors.js";

/** One task of the stream, as the performance report writes it (the event, less its scheduler). */
export type StreamEntry = Omit<TaskFinishedEvent, "scheduler">;

/**
 * A run of consecutive entries: the store's columns and the positions in them, in order (a
 * run may wrap past the ring's end). Read, never written, by callers.
 */
export interface StreamSlice {
  readonly worker: readonly string[];
  readonly group: readonly string[];
  readonly start: Float64Array;
  readonly stop: Float64Array;
  readonly positions: readonly number[];
}

export class TaskStream {
  readonly #capacity: number;
  readonly #worker: string[];
  /** Undefined when keys are not kept. */
  readonly #key: string[] | undefined;
  readonly #group: string[];
  readonly #start: Float64Array;
  readonly #stop: Float64Array;
  readonly #nbytes: Float64Array;
  /** Entries appended since the start: the next entry's sequence number. */
  #seq = 0;

  constructor(capacity: number, keys = true) {
    this.#capacity = Math.max(1, capacity);
    this.#worker = new Array<string>(this.#capacity);
    this.#key = keys ? new Array<string>(this.#capacity) : undefined;
    this.#group = new Array<string>(this.#capacity);
    this.#start = new Float64Array(this.#capacity);
    this.#stop = new Float64Array(this.#capacity);
    this.#nbytes = new Float64Array(this.#capacity);
  }

  get seq(): number {
    return this.#seq;
  }

  /** Entries still kept (the oldest fall off past the capacity). */
  get length(): number {
    return Math.min(this.#seq, this.#capacity);
  }

  /** The sequence number of the oldest entry kept. */
  get first(): number {
    return this.#seq - this.length;
  }

  append(e: TasksFinishedEvent): void {
    const cap = this.#capacity;
    const keys = this.#key;
    for (let i = 0; i < e.keys.length; i++) {
      const p = this.#seq++ % cap;
      this.#worker[p] = e.worker;
      if (keys !== undefined) keys[p] = e.keys[i]!;
      this.#group[p] = e.groups[i]!;
      this.#start[p] = e.start[i]!;
      this.#stop[p] = e.stop[i]!;
      this.#nbytes[p] = e.nbytes[i]!;
    }
  }

  /** Entries with sequence numbers `from` to `to` (exclusive), all of them still kept. */
  slice(from: number, to: number): StreamSlice {
    return {
      worker: this.#worker,
      group: this.#group,
      start: this.#start,
      stop: this.#stop,
      positions: this.#positions(from, to),
    };
  }

  #positions(from: number, to: number): number[] {
    const out = new Array<number>(Math.max(0, to - from));
    for (let s = from; s < to; s++) out[s - from] = s % this.#capacity;
    return out;
  }

  /** Every entry kept, oldest first, as objects (for a performance report, once). */
  entries(): StreamEntry[] {
    const keys = this.#key;
    if (keys === undefined) {
      throw new BarnError(
        ErrorCodes.INTERNAL,
        "TaskStream.entries: this stream keeps no keys; make its Recorder with { keys: true } (the default) to list its tasks",
      );
    }
    const out: StreamEntry[] = [];
    for (const p of this.#positions(this.first, this.#seq)) {
      out.push({
        worker: this.#worker[p]!,
        key: keys[p]!,
        group: this.#group[p]!,
        start: this.#start[p]!,
        stop: this.#stop[p]!,
        nbytes: this.#nbytes[p]!,
      });
    }
    return out;
  }
}
