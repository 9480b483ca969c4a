/**
 * The bounded transition log: a ring buffer kept in parallel preallocated arrays, so recording
 * a transition writes five slots and allocates nothing. `story(key)` scans it (a debugging
 * path, not a hot one).
 */
import type { Key } from "../graph/spec.js";
import type { WorkerTaskState } from "./protocol.js";
import { STATE_NAMES } from "./worker-task.js";

export interface StoryEntry {
  readonly key: Key;
  readonly from: WorkerTaskState;
  readonly to: WorkerTaskState;
  readonly stimulusId: string;
  /** Clock reading (seconds) when the handle() call that made the transition began. */
  readonly time: number;
}

export class TransitionLog {
  readonly #keys: string[];
  readonly #stims: string[];
  readonly #from: Uint8Array;
  readonly #to: Uint8Array;
  readonly #times: Float64Array;
  /** Next slot to write. */
  #pos = 0;
  /** Entries ever written (the buffer holds the last `capacity` of them). */
  #total = 0;

  constructor(readonly capacity: number) {
    this.#keys = new Array<string>(capacity).fill("");
    this.#stims = new Array<string>(capacity).fill("");
    this.#from = new Uint8Array(capacity);
    this.#to = new Uint8Array(capacity);
    this.#times = new Float64Array(capacity);
  }

  get total(): number {
    return this.#total;
  }

  record(key: Key, from: number, to: number, stimulusId: string, time: number): void {
    const i = this.#pos;
    if (i >= this.capacity) return;
    this.#keys[i] = key;
    this.#stims[i] = stimulusId;
    this.#from[i] = from;
    this.#to[i] = to;
    this.#times[i] = time;
    this.#total++;
    this.#pos = i + 1 === this.capacity ? 0 : i + 1;
  }

  /** The logged transitions of `key` (all keys when undefined), oldest first. */
  story(key?: Key): StoryEntry[] {
    const n = this.capacity;
    const count = Math.min(this.#total, n);
    const start = this.#total < n ? 0 : this.#pos;
    const out: StoryEntry[] = [];
    for (let j = 0; j < count; j++) {
      const i = (start + j) % n;
      const k = this.#keys[i]!;
      if (key !== undefined && k !== key) continue;
      out.push({
        key: k,
        from: STATE_NAMES[this.#from[i]!]!,
        to: STATE_NAMES[this.#to[i]!]!,
        stimulusId: this.#stims[i]!,
        time: this.#times[i]!,
      });
    }
    return out;
  }
}
