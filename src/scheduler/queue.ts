/**
 * The root-task queue: a binary min-heap of queued tasks by priority. Each task knows its index
 * (`queueIndex`), so a queued task that is released or cancelled leaves in O(log n).
 */
import { higherPriority, type TaskState } from "./task-state.js";

export class TaskQueue {
  readonly #heap: TaskState[] = [];

  get size(): number {
    return this.#heap.length;
  }

  /** The highest-priority task, or undefined when empty. */
  peek(): TaskState | undefined {
    return this.#heap[0];
  }

  /** The entry at heap index i (validate and dump only). */
  at(i: number): TaskState | undefined {
    return this.#heap[i];
  }

  push(ts: TaskState): void {
    const h = this.#heap;
    h.push(ts);
    ts.queueIndex = h.length - 1;
    this.#up(h.length - 1);
  }

  /** Remove `ts`, which must be in the queue. */
  remove(ts: TaskState): void {
    const h = this.#heap;
    const i = ts.queueIndex;
    const last = h.pop()!;
    ts.queueIndex = -1;
    if (last === ts) return;
    h[i] = last;
    last.queueIndex = i;
    this.#down(i);
    this.#up(last.queueIndex);
  }

  #up(i: number): void {
    const h = this.#heap;
    const ts = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!higherPriority(ts, parent)) break;
      h[i] = parent;
      parent.queueIndex = i;
      i = p;
    }
    h[i] = ts;
    ts.queueIndex = i;
  }

  #down(i: number): void {
    const h = this.#heap;
    const n = h.length;
    const ts = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && higherPriority(h[r]!, h[l]!)) c = r;
      const child = h[c]!;
      if (!higherPriority(child, ts)) break;
      h[i] = child;
      child.queueIndex = i;
      i = c;
    }
    h[i] = ts;
    ts.queueIndex = i;
  }
}
