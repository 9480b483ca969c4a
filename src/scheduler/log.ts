/**
 * The bounded transition log: a ring buffer in parallel arrays (keys, stimulus ids, state codes,
 * times), so recording a transition stores five values and allocates nothing.
 */
import type { Key } from "../graph/spec.js";
import type { SchedulerTaskState } from "./protocol.js";
import { STATES } from "./task-state.js";

/** One logged transition of a task. */
export interface TransitionRecord {
  readonly key: Key;
  readonly from: SchedulerTaskState;
  readonly to: SchedulerTaskState;
  readonly stimulusId: string;
  /** The injected clock's time (seconds) of the handle() call that made it. */
  readonly time: number;
  /** What happened besides the state change (work stealing: requests and answers). */
  readonly note?: string;
}

export class TransitionLog {
  readonly capacity: number;
  readonly #keys: Key[];
  readonly #stims: string[];
  readonly #notes: string[];
  readonly #from: Uint8Array;
  readonly #to: Uint8Array;
  readonly #time: Float64Array;
  /** Next slot to write. */
  #head = 0;
  /** Entries recorded so far, capped at capacity. */
  #size = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#keys = new Array<Key>(capacity).fill("");
    this.#stims = new Array<string>(capacity).fill("");
    this.#notes = new Array<string>(capacity).fill("");
    this.#from = new Uint8Array(capacity);
    this.#to = new Uint8Array(capacity);
    this.#time = new Float64Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** `note`: an event that is not a state change (then from === to), e.g. a steal request. */
  record(key: Key, from: number, to: number, stimulusId: string, time: number, note = ""): void {
    const cap = this.capacity;
    if (cap === 0) return;
    const i = this.#head;
    this.#keys[i] = key;
    this.#stims[i] = stimulusId;
    this.#notes[i] = note;
    this.#from[i] = from;
    this.#to[i] = to;
    this.#time[i] = time;
    this.#head = i + 1 === cap ? 0 : i + 1;
    if (this.#size < cap) this.#size++;
  }

  /** Every retained transition of `key`, oldest first. */
  story(key: Key): TransitionRecord[] {
    const out: TransitionRecord[] = [];
    const cap = this.capacity;
    let i = this.#size < cap ? 0 : this.#head;
    for (let n = 0; n < this.#size; n++) {
      if (this.#keys[i] === key) out.push(this.#entry(i));
      i = i + 1 === cap ? 0 : i + 1;
    }
    return out;
  }

  /** The last `n` transitions of any task, oldest first. */
  tail(n: number): TransitionRecord[] {
    const cap = this.capacity;
    const count = Math.min(n, this.#size);
    const out: TransitionRecord[] = [];
    let i = (this.#head - count + cap) % Math.max(cap, 1);
    for (let k = 0; k < count; k++) {
      out.push(this.#entry(i));
      i = i + 1 === cap ? 0 : i + 1;
    }
    return out;
  }

  #entry(i: number): TransitionRecord {
    const note = this.#notes[i]!;
    return {
      key: this.#keys[i]!,
      from: STATES[this.#from[i]!]!,
      to: STATES[this.#to[i]!]!,
      stimulusId: this.#stims[i]!,
      time: this.#time[i]!,
      ...(note === "" ? {} : { note }),
    };
  }
}
