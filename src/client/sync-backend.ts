/**
 * The sync scheduler: every task runs inline in the calling thread, at submit time, in the
 * order given (a topological order), so a debugger or profiler sees user code directly. Async
 * functions are awaited; tasks that depend on them run when they settle. Priorities, resources
 * and restrictions do not apply inline; retries do.
 *
 * Everything known about a key is one Entry in one Map, so the hot path of a map of tiny
 * tasks costs one lookup and one insert per task.
 */
import { BarnError, ErrorCodes, type ErrorData, errorToData } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { ClientId, TaskSubmission } from "../scheduler/protocol.js";
import type { ShippedFn } from "../shipping/ship.js";
import { type ExecContext, isThenable, runSpec } from "../worker/executor.js";
import type { RunSpec } from "../worker/run-spec.js";
import { sizeof } from "../worker/sizeof.js";
import type { Backend, BackendReport, CallBatch, FetchResult, WorkerInfo } from "./backend.js";

const WORKER = "inline";
const HOLDERS: readonly string[] = Object.freeze([WORKER]);

/** One key's state in the sync scheduler. */
class Entry {
  /** The result, once `done` and not `error`. */
  value: unknown = undefined;
  /** The failure, when the task (or a dependency) failed. */
  error: ErrorData | undefined = undefined;
  /** While an async task (or its inputs) is pending: settles when it is done. */
  running: Promise<void> | undefined = undefined;
  done = false;
  /** The client holding futures to this key (the common case), then any others. */
  owner: ClientId | undefined = undefined;
  others: Set<ClientId> | undefined = undefined;

  want(client: ClientId): void {
    if (this.owner === undefined || this.owner === client) this.owner = client;
    else (this.others ??= new Set()).add(client);
  }

  /** Drop `client`'s hold; true when nobody holds the key any more. */
  unwant(client: ClientId): boolean {
    if (this.owner === client) {
      const next = this.others?.values().next();
      this.owner = next && !next.done ? next.value : undefined;
      if (this.owner !== undefined) this.others!.delete(this.owner);
    } else this.others?.delete(client);
    return this.owner === undefined;
  }
}

export class SyncBackend implements Backend {
  readonly kind = "sync" as const;
  readonly #entries = new Map<Key, Entry>();
  readonly #clients = new Map<ClientId, (r: BackendReport[]) => void>();
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
      get: (k) => this.#entries.get(k)?.value,
    };
  }

  open(client: ClientId, onReports: (reports: BackendReport[]) => void): void {
    this.#clients.set(client, onReports);
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
    let intermediates: Entry[] | undefined;
    for (const t of tasks) {
      if (this.#entries.has(t.key)) continue;
      const e = new Entry();
      this.#entries.set(t.key, e);
      this.#run(t, e, stimulusId);
      (intermediates ??= []).push(e);
    }
    const reports: BackendReport[] = [];
    for (const k of wanted) {
      const e = this.#entries.get(k);
      if (e === undefined) {
        reports.push({ type: "key-cancelled", client, key: k, stimulusId });
        continue;
      }
      e.want(client);
      this.#report(client, k, e, stimulusId, reports);
    }
    this.#deliver(client, reports);
    if (intermediates !== undefined && intermediates.length > wanted.length) {
      this.#dropUnwanted(tasks);
    }
  }

  submitCalls(client: ClientId, batch: CallBatch): void {
    const { columns, keys } = batch;
    const retries = batch.options.retries ?? 0;
    const stimulusId = `sync-${++this.#stim}`;
    const reports: BackendReport[] = [];
    const inMemory: Key[] = [];
    const c0 = columns[0]!;
    this.#fns.set(batch.fn.id, batch.local);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      let e = this.#entries.get(key);
      if (e === undefined) {
        e = new Entry();
        this.#entries.set(key, e);
        const args = columns.length === 1 ? undefined : columns.map((c) => c[i]);
        this.#call(key, e, batch.fn.id, c0[i], args, retries, stimulusId);
      }
      e.want(client);
      if (e.done && e.error === undefined) inMemory.push(key);
      else this.#report(client, key, e, stimulusId, reports);
    }
    reports.push({ type: "keys-in-memory", client, keys: inMemory });
    this.#deliver(client, reports);
  }

  /** One call of map's fast path: `fn(arg0)`, or `fn(...args)` with several columns. */
  #call(
    key: Key,
    e: Entry,
    fnId: string,
    arg0: unknown,
    args: unknown[] | undefined,
    retries: number,
    stimulusId: string,
  ): void {
    const fn = this.#fns.get(fnId) as (...args: unknown[]) => unknown;
    let out: unknown;
    try {
      out = args === undefined ? fn(arg0) : fn(...args);
    } catch (err) {
      if (retries > 0) this.#call(key, e, fnId, arg0, args, retries - 1, stimulusId);
      else this.#fail(e, errorToData(err, key, WORKER));
      return;
    }
    if (!isThenable(out)) {
      e.value = out;
      e.done = true;
      return;
    }
    const t: TaskSubmission = { key, deps: [], run: { f: fnId, a: args ?? [arg0] }, retries };
    this.#settleAsync(t, e, out, retries, stimulusId);
  }

  /** Run one task now, or once its async inputs settle. */
  #run(t: TaskSubmission, e: Entry, stimulusId: string): void {
    let waitFor: Promise<void>[] | undefined;
    for (const d of t.deps) {
      const de = this.#entries.get(d);
      if (de === undefined) {
        this.#fail(e, missingDep(t.key, d));
        return;
      }
      if (de.error !== undefined) {
        this.#fail(e, { ...de.error, key: de.error.key ?? d });
        return;
      }
      if (de.running !== undefined) (waitFor ??= []).push(de.running);
    }
    if (waitFor === undefined) {
      this.#attempt(t, e, t.retries ?? 0, stimulusId);
      return;
    }
    e.running = Promise.all(waitFor).then(() => {
      e.running = undefined;
      this.#run(t, e, stimulusId);
      // Still running means an async attempt or another wait: that one reports when done.
      if (e.running === undefined) this.#reportAll(t.key, e, stimulusId);
      return e.running;
    });
  }

  #attempt(t: TaskSubmission, e: Entry, retries: number, stimulusId: string): void {
    let out: unknown;
    try {
      out = runSpec(t.run as RunSpec, this.#ctx);
    } catch (err) {
      if (retries > 0) this.#attempt(t, e, retries - 1, stimulusId);
      else this.#fail(e, errorToData(err, t.key, WORKER));
      return;
    }
    if (!isThenable(out)) {
      e.value = out;
      e.done = true;
      return;
    }
    this.#settleAsync(t, e, out, retries, stimulusId);
  }

  /** Wait for an async task's promise; retry it (as a task) if it rejects and may retry. */
  #settleAsync(
    t: TaskSubmission,
    e: Entry,
    out: PromiseLike<unknown>,
    retries: number,
    stimulusId: string,
  ): void {
    e.running = Promise.resolve(out).then(
      (v) => {
        e.running = undefined;
        e.value = v;
        e.done = true;
        this.#reportAll(t.key, e, stimulusId);
      },
      (err: unknown) => {
        e.running = undefined;
        if (retries > 0) {
          this.#attempt(t, e, retries - 1, stimulusId);
          if (e.running !== undefined) return e.running;
        } else this.#fail(e, errorToData(err, t.key, WORKER));
        this.#reportAll(t.key, e, stimulusId);
        return undefined;
      },
    );
  }

  #fail(e: Entry, error: ErrorData): void {
    e.error = error;
    e.done = true;
  }

  /** Tell every client holding `key` its status. */
  #reportAll(key: Key, e: Entry, stimulusId: string): void {
    for (const c of holders(e)) {
      const reports: BackendReport[] = [];
      this.#report(c, key, e, stimulusId, reports);
      this.#deliver(c, reports);
    }
  }

  #report(client: ClientId, key: Key, e: Entry, stimulusId: string, out: BackendReport[]): void {
    if (!e.done) return;
    if (e.error !== undefined)
      out.push({ type: "key-erred", client, key, error: e.error, stimulusId });
    else out.push({ type: "key-in-memory", client, key, holders: HOLDERS, nbytes: 0, stimulusId });
  }

  #deliver(client: ClientId, reports: BackendReport[]): void {
    if (reports.length > 0) this.#clients.get(client)?.(reports);
  }

  /** Results of this batch that no client holds are dropped once nothing can still need them. */
  #dropUnwanted(tasks: readonly TaskSubmission[]): void {
    const drop = () => {
      for (const t of tasks) {
        const e = this.#entries.get(t.key);
        if (e !== undefined && e.owner === undefined && e.running === undefined) {
          this.#entries.delete(t.key);
        }
      }
    };
    const pending: Promise<void>[] = [];
    for (const t of tasks) {
      const r = this.#entries.get(t.key)?.running;
      if (r !== undefined) pending.push(r);
    }
    if (pending.length === 0) drop();
    else Promise.allSettled(pending).then(drop);
  }

  desire(client: ClientId, keys: readonly Key[]): void {
    const reports: BackendReport[] = [];
    const stimulusId = `sync-${++this.#stim}`;
    for (const k of keys) {
      const e = this.#entries.get(k);
      if (e === undefined) {
        reports.push({ type: "key-cancelled", client, key: k, stimulusId });
        continue;
      }
      e.want(client);
      this.#report(client, k, e, stimulusId, reports);
    }
    this.#deliver(client, reports);
  }

  release(client: ClientId, keys: readonly Key[]): void {
    for (const k of keys) {
      const e = this.#entries.get(k);
      if (e?.unwant(client) && e.running === undefined) this.#entries.delete(k);
    }
  }

  cancel(_client: ClientId, keys: readonly Key[]): void {
    const stimulusId = `sync-cancel-${++this.#stim}`;
    for (const k of keys) {
      const e = this.#entries.get(k);
      if (e === undefined || e.done) continue;
      this.#entries.delete(k);
      for (const c of holders(e)) {
        this.#deliver(c, [{ type: "key-cancelled", client: c, key: k, stimulusId }]);
      }
    }
  }

  async fetch(keys: readonly Key[]): Promise<FetchResult> {
    const values = new Array<unknown>(keys.length);
    const missing: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const e = this.#entries.get(keys[i]!);
      if (e?.done && e.error === undefined) values[i] = e.value;
      else missing.push(i);
    }
    return { values, missing };
  }

  inMemory(key: Key): boolean {
    const e = this.#entries.get(key);
    return e !== undefined && e.done && e.error === undefined;
  }

  async scatter(client: ClientId, keys: readonly Key[], values: readonly unknown[]): Promise<void> {
    const stimulusId = `sync-scatter-${++this.#stim}`;
    const reports: BackendReport[] = [];
    keys.forEach((key, i) => {
      const e = new Entry();
      e.value = values[i];
      e.done = true;
      e.want(client);
      this.#entries.set(key, e);
      const nbytes = sizeof(values[i]);
      reports.push({ type: "key-in-memory", client, key, holders: HOLDERS, nbytes, stimulusId });
    });
    this.#deliver(client, reports);
  }

  workers(): WorkerInfo[] {
    return [{ id: WORKER, name: WORKER, nthreads: 1 }];
  }

  dump(): unknown {
    let running = 0;
    let erred = 0;
    for (const e of this.#entries.values()) {
      if (e.running !== undefined) running++;
      if (e.error !== undefined) erred++;
    }
    return { scheduler: "sync", keys: this.#entries.size, running, erred };
  }

  story(): unknown[] {
    return [];
  }

  async close(client: ClientId): Promise<void> {
    const running: Promise<void>[] = [];
    for (const e of this.#entries.values()) if (e.running !== undefined) running.push(e.running);
    await Promise.allSettled(running);
    this.#clients.delete(client);
    for (const [k, e] of this.#entries) if (e.unwant(client)) this.#entries.delete(k);
  }
}

function holders(e: Entry): ClientId[] {
  const out: ClientId[] = [];
  if (e.owner !== undefined) out.push(e.owner);
  if (e.others !== undefined) for (const c of e.others) out.push(c);
  return out;
}

function missingDep(key: Key, dep: Key): ErrorData {
  return {
    name: "BarnError",
    code: ErrorCodes.GRAPH_MISSING_DEPENDENCY,
    message: `task ${key} depends on ${dep}, which is not known; submit ${dep} first or keep its future`,
    key,
  };
}
