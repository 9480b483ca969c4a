/**
 * A binary min-heap of tasks ordered by `before` (priority tuple, then age). Deletion is lazy:
 * owners leave tasks that changed state inside and skip them when they surface, so a task may
 * appear more than once; every reader must check the task's state (and peer) on pop.
 */
import { before, type WorkerTask } from "./worker-task.js";

export class TaskHeap {
  /** Heap-ordered array; read it only to sweep all entries (order is not sorted). */
  readonly items: WorkerTask[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): WorkerTask | undefined {
    return this.items[0];
  }

  push(ts: WorkerTask): void {
    const a = this.items;
    let i = a.length;
    a.push(ts);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p]!;
      if (!before(ts, parent)) break;
      a[i] = parent;
      i = p;
    }
    a[i] = ts;
  }

  pop(): WorkerTask | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    const n = a.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(a[r]!, a[l]!) ? r : l;
      const child = a[c]!;
      if (!before(child, last)) break;
      a[i] = child;
      i = c;
    }
    a[i] = last;
    return top;
  }
}
