/**
 * The root-task queue, by priority (lower first). Two parts:
 * - a run: tasks pushed in non-decreasing priority order, the common case (a map submits its
 *   tasks in priority order), kept in an array with a moving head: push and pop are O(1) and
 *   touch memory in order;
 * - a binary min-heap for tasks pushed out of order: O(log n).
 * The head is the better of the two heads. `ts.slot` locates a task (>= 0: heap index;
 * <= -2: run position -2 - i; -1: not queued), so a task that is released or cancelled leaves
 * in O(1) from the run (its slot is emptied) or O(log n) from the heap.
 */
import { higherPriority, type TaskState } from "./task-state.js";

export class TaskQueue {
  readonly #heap: TaskState[] = [];
  #run: (TaskState | null)[] = [];
  #runHead = 0;
  /** Live (non-null) entries of the run. */
  #runSize = 0;
  /**
   * The last task appended to the run, even if it left since: every live entry of the run is
   * no lower than it, so a task no higher than it may be appended.
   */
  #last: TaskState | null = null;

  get size(): number {
    return this.#heap.length + this.#runSize;
  }

  /** The highest-priority task, or undefined when empty. */
  peek(): TaskState | undefined {
    const r = this.#runSize > 0 ? this.#run[this.#runHead]! : undefined;
    const h = this.#heap[0];
    if (r === undefined) return h;
    if (h === undefined) return r;
    return higherPriority(h, r) ? h : r;
  }

  push(ts: TaskState): void {
    if (this.#runSize === 0) this.#resetRun();
    const last = this.#last;
    if (last === null || !higherPriority(ts, last)) {
      ts.slot = -2 - this.#run.length;
      this.#run.push(ts);
      this.#runSize++;
      this.#last = ts;
      return;
    }
    this.#heapPush(ts);
  }

  /** Remove `ts`, which must be in the queue. */
  remove(ts: TaskState): void {
    const qi = ts.slot;
    ts.slot = -1;
    if (qi >= 0) {
      this.#heapRemove(ts, qi);
      return;
    }
    const run = this.#run;
    run[-2 - qi] = null;
    this.#runSize--;
    if (this.#runSize === 0) {
      this.#resetRun();
      return;
    }
    let head = this.#runHead;
    while (run[head] === null) head++;
    this.#runHead = head;
    // Drop the consumed prefix now and then, so the array does not grow without bound.
    if (head > 1024 && head * 2 > run.length) this.#compact();
  }

  /** Every queued task, in no particular order (validate and dump). */
  entries(): TaskState[] {
    const out = this.#heap.slice();
    for (let i = this.#runHead; i < this.#run.length; i++) {
      const ts = this.#run[i];
      if (ts != null) out.push(ts);
    }
    return out;
  }

  /** Check the structure: positions, heap order, run order. Returns the offending task. */
  check(): TaskState | null {
    const h = this.#heap;
    for (let i = 0; i < h.length; i++) {
      const ts = h[i]!;
      if (ts.slot !== i) return ts;
      if (i > 0 && higherPriority(ts, h[(i - 1) >> 1]!)) return ts;
    }
    let prev: TaskState | null = null;
    let n = 0;
    for (let i = this.#runHead; i < this.#run.length; i++) {
      const ts = this.#run[i];
      if (ts == null) continue;
      n++;
      if (ts.slot !== -2 - i) return ts;
      if (prev !== null && higherPriority(ts, prev)) return ts;
      prev = ts;
    }
    if (n !== this.#runSize) return prev;
    return null;
  }

  #resetRun(): void {
    this.#run = [];
    this.#runHead = 0;
    this.#last = null;
  }

  #compact(): void {
    const live: (TaskState | null)[] = [];
    for (let i = this.#runHead; i < this.#run.length; i++) {
      const ts = this.#run[i];
      if (ts == null) continue;
      ts.slot = -2 - live.length;
      live.push(ts);
    }
    this.#run = live;
    this.#runHead = 0;
  }

  #heapPush(ts: TaskState): void {
    const h = this.#heap;
    h.push(ts);
    this.#up(ts, h.length - 1);
  }

  #heapRemove(ts: TaskState, i: number): void {
    const h = this.#heap;
    const last = h.pop()!;
    if (last === ts) return;
    h[i] = last;
    last.slot = i;
    this.#down(last, i);
    this.#up(last, last.slot);
  }

  #up(ts: TaskState, i: number): void {
    const h = this.#heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!higherPriority(ts, parent)) break;
      h[i] = parent;
      parent.slot = i;
      i = p;
    }
    h[i] = ts;
    ts.slot = i;
  }

  #down(ts: TaskState, i: number): void {
    const h = this.#heap;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && higherPriority(h[r]!, h[l]!) ? r : l;
      const child = h[c]!;
      if (!higherPriority(child, ts)) break;
      h[i] = child;
      child.slot = i;
      i = c;
    }
    h[i] = ts;
    ts.slot = i;
  }
}
