/**
 * The sync scheduler: every task runs inline in the calling thread, at submit time, in the
 * order given (a topological order), so a debugger or profiler sees user code directly. Async
 * functions are awaited; tasks that depend on them run when they settle. Priorities, resources
 * and restrictions do not apply inline; retries do.
 *
 * A sync backend serves exactly one client (Client.connect makes one per client), so it needs
 * no per-key ownership: a result lives in `#values` until the client releases its key. The hot
 * path of a map of tiny tasks is one call and one Map insert per task.
 */

import type { TaskIntervals } from "../diagnostics/profile-attribute.js";
import { BarnError, ErrorCodes, type ErrorData, errorToData } from "../errors.js";
import { keyGroup } from "../graph/key-group.js";
import type { Key } from "../graph/spec.js";
import type {
  Backend,
  BackendReport,
  CallBatch,
  FetchResult,
  WorkerInfo,
} from "../protocol/backend.js";
import type { ClientId, TaskSubmission } from "../protocol/ids.js";
import type { WorkerMemory } from "../protocol/memory.js";
import type { RunSpec } from "../protocol/run-spec.js";
import type { ShippedFn } from "../shipping/ship.js";
import { type ExecContext, isThenable, runSpec } from "../worker/executor.js";
import { sizeof } from "../worker/sizeof.js";

const WORKER = "inline";
const HOLDERS: readonly string[] = Object.freeze([WORKER]);

type Fn = (...args: unknown[]) => unknown;

/** Marks a map's slot whose result is not in the batch (it failed, or is async). */
const ABSENT = Symbol("absent");

/** One map's results, aligned with its keys. */
interface Batch {
  readonly keys: readonly Key[];
  readonly values: unknown[];
}

export class SyncBackend implements Backend {
  readonly kind = "sync" as const;
  /** Results of finished tasks, by key (see #store: a map's results are indexed lazily). */
  readonly #indexed = new Map<Key, unknown>();
  /**
   * Results of maps (submitCalls) not yet in #indexed: a map that is fetched and released
   * whole, the usual case, never pays for indexing its keys.
   */
  #batches: Batch[] = [];
  /** Failures (the task's own, or a dependency's). */
  readonly #errors = new Map<Key, ErrorData>();
  /** Async tasks (or tasks waiting on async inputs) not settled yet. */
  readonly #running = new Map<Key, Promise<void>>();
  readonly #fns = new Map<string, Function>();
  readonly #ctx: ExecContext;
  #client: ClientId | undefined;
  #onReports: (r: BackendReport[]) => void = () => {};
  #stim = 0;
  /**
   * Set by client.profile while it profiles: when each task ran, and of which group (the
   * synchronous part; a map's loop is one interval). Undefined otherwise: no clock reads.
   */
  taskIntervals: TaskIntervals | undefined;

  constructor() {
    this.#ctx = {
      fns: {
        getSync: (id) => this.#fns.get(id),
        resolve: (def: ShippedFn) => {
          const f = this.#fns.get(def.id);
          if (f === undefined) {
            throw new BarnError(
              ErrorCodes.FUNCTION_NOT_FOUND,
              `function ${def.name} (${def.id}) was never submitted to this client; submit it with client.submit or client.map`,
            );
          }
          return f;
        },
      },
      defs: new Map(),
      get: (k) => this.#store.get(k),
    };
  }

  /** Every result by key, after indexing the maps' results. */
  get #store(): Map<Key, unknown> {
    if (this.#batches.length > 0) {
      const batches = this.#batches;
      this.#batches = [];
      for (const b of batches) {
        for (let i = 0; i < b.keys.length; i++) {
          const v = b.values[i];
          if (v !== ABSENT) this.#indexed.set(b.keys[i]!, v);
        }
      }
    }
    return this.#indexed;
  }

  /** The map whose keys are exactly `keys` (same strings, same order), if one is unindexed. */
  #batchOf(keys: readonly Key[]): Batch | undefined {
    for (const b of this.#batches) {
      if (b.keys === keys) return b;
      if (b.keys.length !== keys.length || b.keys[0] !== keys[0]) continue;
      let same = true;
      for (let i = 0; i < keys.length && same; i++) same = b.keys[i] === keys[i];
      if (same) return b;
    }
    return undefined;
  }

  open(client: ClientId, onReports: (reports: BackendReport[]) => void): void {
    if (this.#client !== undefined) {
      throw new BarnError(ErrorCodes.INTERNAL, "a sync backend serves exactly one client");
    }
    this.#client = client;
    this.#onReports = onReports;
  }

  #known(key: Key): boolean {
    return this.#store.has(key) || this.#errors.has(key) || this.#running.has(key);
  }

  submit(
    client: ClientId,
    tasks: readonly TaskSubmission[],
    wanted: readonly Key[],
    _fns: readonly ShippedFn[],
    local: ReadonlyMap<string, Function>,
  ): void {
    if (local.size !== this.#fns.size) for (const [id, f] of local) this.#fns.set(id, f);
    const stimulusId = `sync-${++this.#stim}`;
    for (const t of tasks) if (!this.#known(t.key)) this.#run(t, stimulusId);
    const reports: BackendReport[] = [];
    for (const k of wanted) this.#report(client, k, stimulusId, reports);
    this.#onReports(reports);
    if (tasks.length > wanted.length) this.#dropIntermediates(tasks, new Set(wanted));
  }

  submitCalls(client: ClientId, batch: CallBatch): void {
    const { columns, keys } = batch;
    const fn = batch.local as Fn;
    this.#fns.set(batch.fn.id, fn);
    const retries = batch.options.retries ?? 0;
    const stimulusId = `sync-${++this.#stim}`;
    const c0 = columns[0]!;
    const values = new Array<unknown>(keys.length);
    let failed: Key[] | undefined;
    const intervals = this.taskIntervals;
    const t0 = intervals === undefined ? 0 : performance.now();
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      // Map keys are fresh (never submitted before): no lookup needed.
      const args = columns.length === 1 ? undefined : columns.map((c) => c[i]);
      let out: unknown;
      try {
        out = args === undefined ? fn(c0[i]) : fn(...args);
      } catch (err) {
        // The slow path (retries, errors) goes through the keyed store.
        values[i] = ABSENT;
        const t: TaskSubmission = { key, deps: [], run: { f: batch.fn.id, a: args ?? [c0[i]] } };
        if (retries > 0) this.#attempt(t, retries - 1, stimulusId);
        else this.#errors.set(key, errorToData(err, key, WORKER));
        if (!this.#indexed.has(key)) (failed ??= []).push(key);
        continue;
      }
      if (isThenable(out)) {
        values[i] = ABSENT;
        const t: TaskSubmission = { key, deps: [], run: { f: batch.fn.id, a: args ?? [c0[i]] } };
        this.#settleAsync(t, out, retries, stimulusId);
        (failed ??= []).push(key);
      } else values[i] = out;
    }
    intervals?.record(batch.fn.name, t0, performance.now());
    // Only now: slow paths above may index the store, and must not see a half-filled batch.
    this.#batches.push({ keys, values });
    const reports: BackendReport[] = [];
    if (failed === undefined) reports.push({ type: "keys-in-memory", client, keys });
    else {
      const later = new Set(failed);
      reports.push({ type: "keys-in-memory", client, keys: keys.filter((k) => !later.has(k)) });
      for (const k of failed) this.#report(client, k, stimulusId, reports);
    }
    this.#onReports(reports);
  }

  /** Run one task now, or once its async inputs settle. */
  #run(t: TaskSubmission, stimulusId: string): void {
    let waitFor: Promise<void>[] | undefined;
    for (const d of t.deps) {
      const err = this.#errors.get(d);
      if (err !== undefined) {
        this.#errors.set(t.key, { ...err, key: err.key ?? d });
        return;
      }
      const p = this.#running.get(d);
      if (p !== undefined) (waitFor ??= []).push(p);
      else if (!this.#store.has(d)) {
        this.#errors.set(t.key, missingDep(t.key, d));
        return;
      }
    }
    if (waitFor === undefined) {
      this.#attempt(t, t.retries ?? 0, stimulusId);
      return;
    }
    const p = Promise.all(waitFor).then(() => {
      this.#running.delete(t.key);
      this.#run(t, stimulusId);
      // Still running means an async attempt or another wait: that one reports when done.
      const again = this.#running.get(t.key);
      if (again === undefined) this.#reportKey(t.key, stimulusId);
      return again;
    });
    this.#running.set(t.key, p);
  }

  #attempt(t: TaskSubmission, retries: number, stimulusId: string): void {
    let out: unknown;
    const intervals = this.taskIntervals;
    const t0 = intervals === undefined ? 0 : performance.now();
    try {
      out = runSpec(t.run as RunSpec, this.#ctx);
    } catch (err) {
      intervals?.record(t.group ?? keyGroup(t.key), t0, performance.now());
      if (retries > 0) this.#attempt(t, retries - 1, stimulusId);
      else this.#errors.set(t.key, errorToData(err, t.key, WORKER));
      return;
    }
    intervals?.record(t.group ?? keyGroup(t.key), t0, performance.now());
    if (isThenable(out)) this.#settleAsync(t, out, retries, stimulusId);
    else this.#store.set(t.key, out);
  }

  /** Wait for an async task's promise; retry it if it rejects and may retry. */
  #settleAsync(
    t: TaskSubmission,
    out: PromiseLike<unknown>,
    retries: number,
    stimulusId: string,
  ): void {
    const p: Promise<void> = Promise.resolve(out).then(
      (v) => {
        if (this.#running.get(t.key) !== p) return; // cancelled meanwhile
        this.#running.delete(t.key);
        this.#store.set(t.key, v);
        this.#reportKey(t.key, stimulusId);
      },
      (err: unknown): Promise<void> | undefined => {
        if (this.#running.get(t.key) !== p) return undefined;
        this.#running.delete(t.key);
        if (retries > 0) {
          this.#attempt(t, retries - 1, stimulusId);
          const again = this.#running.get(t.key);
          if (again !== undefined) return again;
        } else this.#errors.set(t.key, errorToData(err, t.key, WORKER));
        this.#reportKey(t.key, stimulusId);
        return undefined;
      },
    );
    this.#running.set(t.key, p);
  }

  #reportKey(key: Key, stimulusId: string): void {
    if (this.#client === undefined) return;
    const reports: BackendReport[] = [];
    this.#report(this.#client, key, stimulusId, reports);
    if (reports.length > 0) this.#onReports(reports);
  }

  #report(client: ClientId, key: Key, stimulusId: string, out: BackendReport[]): void {
    if (this.#store.has(key)) {
      out.push({ type: "key-in-memory", client, key, holders: HOLDERS, nbytes: 0, stimulusId });
      return;
    }
    const error = this.#errors.get(key);
    if (error !== undefined) out.push({ type: "key-erred", client, key, error, stimulusId });
    else if (!this.#running.has(key)) out.push({ type: "key-cancelled", client, key, stimulusId });
  }

  /** Results of a graph that the client did not ask for are dropped once nothing needs them. */
  #dropIntermediates(tasks: readonly TaskSubmission[], wanted: ReadonlySet<Key>): void {
    const drop = () => {
      for (const t of tasks) {
        if (wanted.has(t.key) || this.#running.has(t.key)) continue;
        this.#store.delete(t.key);
        this.#errors.delete(t.key);
      }
    };
    const pending: Promise<void>[] = [];
    for (const t of tasks) {
      const r = this.#running.get(t.key);
      if (r !== undefined) pending.push(r);
    }
    if (pending.length === 0) drop();
    else Promise.allSettled(pending).then(drop);
  }

  desire(client: ClientId, keys: readonly Key[]): void {
    const reports: BackendReport[] = [];
    const stimulusId = `sync-${++this.#stim}`;
    for (const k of keys) this.#report(client, k, stimulusId, reports);
    this.#onReports(reports);
  }

  release(_client: ClientId, keys: readonly Key[]): void {
    const b = this.#batchOf(keys);
    if (b !== undefined && !b.values.includes(ABSENT)) {
      this.#batches.splice(this.#batches.indexOf(b), 1);
      return;
    }
    const errors = this.#errors.size > 0;
    for (const k of keys) {
      if (this.#store.delete(k)) continue;
      if (errors) this.#errors.delete(k);
    }
  }

  cancel(client: ClientId, keys: readonly Key[]): void {
    const stimulusId = `sync-cancel-${++this.#stim}`;
    const reports: BackendReport[] = [];
    for (const k of keys) {
      if (!this.#running.delete(k)) continue;
      reports.push({ type: "key-cancelled", client, key: k, stimulusId });
    }
    if (reports.length > 0) this.#onReports(reports);
  }

  async fetch(keys: readonly Key[]): Promise<FetchResult> {
    const b = this.#batchOf(keys);
    if (b !== undefined && !b.values.includes(ABSENT))
      return { values: b.values.slice(), missing: [] };
    const values = new Array<unknown>(keys.length);
    const missing: number[] = [];
    const store = this.#store;
    for (let i = 0; i < keys.length; i++) {
      const v = store.get(keys[i]!);
      if (v !== undefined || store.has(keys[i]!)) values[i] = v;
      else missing.push(i);
    }
    return { values, missing };
  }

  inMemory(key: Key): boolean {
    return this.#store.has(key);
  }

  async scatter(client: ClientId, keys: readonly Key[], values: readonly unknown[]): Promise<void> {
    const stimulusId = `sync-scatter-${++this.#stim}`;
    const reports: BackendReport[] = [];
    keys.forEach((key, i) => {
      this.#store.set(key, values[i]);
      const nbytes = sizeof(values[i]);
      reports.push({ type: "key-in-memory", client, key, holders: HOLDERS, nbytes, stimulusId });
    });
    this.#onReports(reports);
  }

  workers(): WorkerInfo[] {
    return [{ id: WORKER, name: WORKER, nthreads: 1 }];
  }

  async dump(): Promise<unknown> {
    return {
      scheduler: "sync",
      inMemory: this.#store.size,

      erred: this.#errors.size,
      running: this.#running.size,
    };
  }

  /**
   * The sync scheduler's one "worker" is this thread: managed is the measured size of the
   * results it holds, unmanaged the rest of the process (RSS minus managed). It has no limit
   * (0), never spills and never pauses.
   */
  async memoryReport(): Promise<WorkerMemory[]> {
    let managed = 0;
    for (const v of this.#store.values()) managed += sizeof(v);
    const rss = process.memoryUsage.rss();
    return [
      {
        worker: WORKER,
        name: WORKER,
        managed,
        unmanaged: Math.max(0, rss - managed),
        spilled: 0,
        paused: false,
        limit: 0,
      },
    ];
  }

  async story(): Promise<unknown[]> {
    return [];
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#running.values()]);
    this.#batches = [];
    this.#indexed.clear();
    this.#errors.clear();
    this.#client = undefined;
  }
}

function missingDep(key: Key, dep: Key): ErrorData {
  return {
    name: "BarnError",
    code: ErrorCodes.GRAPH_MISSING_DEPENDENCY,
    message: `task ${key} depends on ${dep}, which is not known; submit ${dep} first or keep its future`,
    key,
  };
}
