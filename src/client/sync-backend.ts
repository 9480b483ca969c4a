/**
 * The sync scheduler: every task runs inline in the calling thread, at submit time, in the
 * order given (a topological order), so a debugger or profiler sees user code directly. Async
 * functions are awaited; tasks that depend on them run when they settle. Priorities, resources
 * and restrictions do not apply inline; retries do.
 */
import { BarnError, ErrorCodes, type ErrorData, errorToData } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { ClientId, TaskSubmission } from "../scheduler/protocol.js";
import type { ClientReport } from "../scheduler/server.js";
import type { ShippedFn } from "../shipping/ship.js";
import { type ExecContext, isThenable, runSpec } from "../worker/executor.js";
import type { RunSpec } from "../worker/run-spec.js";
import { sizeof } from "../worker/sizeof.js";
import type { Backend, FetchResult, WorkerInfo } from "./backend.js";

const WORKER = "inline";

export class SyncBackend implements Backend {
  readonly kind = "sync" as const;
  readonly #values = new Map<Key, unknown>();
  readonly #errors = new Map<Key, ErrorData>();
  readonly #running = new Map<Key, Promise<void>>();
  /** Clients holding futures, per key. */
  readonly #wanted = new Map<Key, Set<ClientId>>();
  readonly #clients = new Map<ClientId, (r: ClientReport[]) => void>();
  readonly #fns = new Map<string, Function>();
  readonly #ctx: ExecContext;
  #stim = 0;

  constructor() {
    this.#ctx = {
      fns: {
        getSync: (id) => this.#fns.get(id),
        resolve: (def: ShippedFn) => {
          const f = this.#fns.get(def.id);
          if (f === undefined) throw new BarnError(ErrorCodes.FUNCTION_NOT_FOUND, `no ${def.id}`);
          return f;
        },
      },
      defs: new Map(),
      get: (k) => this.#values.get(k),
    };
  }

  open(client: ClientId, onReports: (reports: ClientReport[]) => void): void {
    this.#clients.set(client, onReports);
  }

  submit(
    client: ClientId,
    tasks: readonly TaskSubmission[],
    wanted: readonly Key[],
    _fns: readonly ShippedFn[],
    local: ReadonlyMap<string, Function>,
  ): void {
    for (const [id, f] of local) this.#fns.set(id, f);
    const stimulusId = `sync-${++this.#stim}`;
    const reports: ClientReport[] = [];
    for (const k of wanted) this.#want(client, k);
    const batch = new Set<Key>();
    for (const t of tasks) {
      if (this.#known(t.key)) continue;
      batch.add(t.key);
      this.#run(t, stimulusId);
    }
    for (const k of wanted) this.#report(client, k, stimulusId, reports);
    this.#deliver(client, reports);
    this.#dropIntermediates(batch);
  }

  #known(key: Key): boolean {
    return this.#values.has(key) || this.#errors.has(key) || this.#running.has(key);
  }

  #want(client: ClientId, key: Key): void {
    let s = this.#wanted.get(key);
    if (s === undefined) this.#wanted.set(key, (s = new Set()));
    s.add(client);
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
      else if (!this.#values.has(d)) {
        this.#errors.set(t.key, missingDep(t.key, d));
        return;
      }
    }
    if (waitFor !== undefined) {
      this.#track(
        t.key,
        Promise.all(waitFor).then(() => this.#afterAsync(t, stimulusId)),
      );
      return;
    }
    this.#attempt(t, t.retries ?? 0, stimulusId);
  }

  #afterAsync(t: TaskSubmission, stimulusId: string): void {
    this.#running.delete(t.key);
    this.#run(t, stimulusId);
    // Still running means an async attempt or another wait: that one reports when it settles.
    if (!this.#running.has(t.key)) this.#reportAll(t.key, stimulusId);
  }

  #attempt(t: TaskSubmission, retries: number, stimulusId: string): void {
    let out: unknown;
    try {
      out = runSpec(t.run as RunSpec, this.#ctx);
    } catch (err) {
      if (retries > 0) {
        this.#attempt(t, retries - 1, stimulusId);
        return;
      }
      this.#errors.set(t.key, errorToData(err, t.key, WORKER));
      return;
    }
    if (!isThenable(out)) {
      this.#values.set(t.key, out);
      return;
    }
    const p = Promise.resolve(out).then(
      (v) => {
        this.#running.delete(t.key);
        this.#values.set(t.key, v);
        this.#reportAll(t.key, stimulusId);
      },
      (err: unknown): Promise<void> | undefined => {
        this.#running.delete(t.key);
        if (retries > 0) {
          this.#attempt(t, retries - 1, stimulusId);
          const again = this.#running.get(t.key);
          if (again !== undefined) return again;
        } else this.#errors.set(t.key, errorToData(err, t.key, WORKER));
        this.#reportAll(t.key, stimulusId);
        return undefined;
      },
    );
    this.#track(t.key, p);
  }

  #track(key: Key, p: Promise<void>): void {
    this.#running.set(key, p);
  }

  /** Tell every client holding `key` its status, if it settled. */
  #reportAll(key: Key, stimulusId: string): void {
    const clients = this.#wanted.get(key);
    if (clients === undefined) return;
    for (const c of clients) {
      const reports: ClientReport[] = [];
      this.#report(c, key, stimulusId, reports);
      this.#deliver(c, reports);
    }
  }

  #report(client: ClientId, key: Key, stimulusId: string, out: ClientReport[]): void {
    if (this.#values.has(key)) {
      const nbytes = 0;
      out.push({ type: "key-in-memory", client, key, holders: [WORKER], nbytes, stimulusId });
      return;
    }
    const error = this.#errors.get(key);
    if (error !== undefined) out.push({ type: "key-erred", client, key, error, stimulusId });
    else if (!this.#running.has(key)) out.push({ type: "key-cancelled", client, key, stimulusId });
  }

  #deliver(client: ClientId, reports: ClientReport[]): void {
    if (reports.length > 0) this.#clients.get(client)?.(reports);
  }

  /** Results of this batch that no client holds are dropped once nothing can still need them. */
  #dropIntermediates(batch: Set<Key>): void {
    const drop = () => {
      for (const k of batch) if (!this.#wanted.has(k)) this.#forget(k);
    };
    const pending = [...batch].map((k) => this.#running.get(k)).filter((p) => p !== undefined);
    if (pending.length === 0) drop();
    else Promise.allSettled(pending).then(drop);
  }

  #forget(key: Key): void {
    this.#values.delete(key);
    this.#errors.delete(key);
  }

  desire(client: ClientId, keys: readonly Key[]): void {
    const reports: ClientReport[] = [];
    const stimulusId = `sync-${++this.#stim}`;
    for (const k of keys) {
      this.#want(client, k);
      this.#report(client, k, stimulusId, reports);
    }
    this.#deliver(client, reports);
  }

  release(client: ClientId, keys: readonly Key[]): void {
    for (const k of keys) {
      const s = this.#wanted.get(k);
      if (s === undefined) continue;
      s.delete(client);
      if (s.size > 0) continue;
      this.#wanted.delete(k);
      if (!this.#running.has(k)) this.#forget(k);
    }
  }

  cancel(client: ClientId, keys: readonly Key[]): void {
    const stimulusId = `sync-cancel-${++this.#stim}`;
    for (const k of keys) {
      if (this.#values.has(k) || this.#errors.has(k)) continue;
      this.#running.delete(k);
      const reports: ClientReport[] = [{ type: "key-cancelled", client, key: k, stimulusId }];
      for (const c of this.#wanted.get(k) ?? []) this.#deliver(c, reports.slice());
    }
    void client;
  }

  async fetch(keys: readonly Key[]): Promise<FetchResult> {
    const values = new Map<Key, unknown>();
    const missing: Key[] = [];
    for (const k of keys) {
      if (this.#values.has(k)) values.set(k, this.#values.get(k));
      else missing.push(k);
    }
    return { values, missing };
  }

  inMemory(key: Key): boolean {
    return this.#values.has(key);
  }

  async scatter(client: ClientId, keys: readonly Key[], values: readonly unknown[]): Promise<void> {
    const stimulusId = `sync-scatter-${++this.#stim}`;
    const reports: ClientReport[] = [];
    keys.forEach((k, i) => {
      this.#values.set(k, values[i]);
      this.#want(client, k);
      const nbytes = sizeof(values[i]);
      reports.push({
        type: "key-in-memory",
        client,
        key: k,
        holders: [WORKER],
        nbytes,
        stimulusId,
      });
    });
    this.#deliver(client, reports);
  }

  workers(): WorkerInfo[] {
    return [{ id: WORKER, name: WORKER, nthreads: 1 }];
  }

  dump(): unknown {
    return {
      scheduler: "sync",
      inMemory: this.#values.size,
      erred: this.#errors.size,
      running: this.#running.size,
    };
  }

  story(): unknown[] {
    return [];
  }

  async close(client: ClientId): Promise<void> {
    await Promise.allSettled([...this.#running.values()]);
    this.#clients.delete(client);
    for (const [k, s] of this.#wanted) {
      s.delete(client);
      if (s.size === 0) {
        this.#wanted.delete(k);
        this.#forget(k);
      }
    }
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
