/**
 * The Client: what a user drives. `Client.connect()` starts the embedded default (a local
 * cluster of worker threads, scheduler in this thread); `{ scheduler: "sync" }` runs everything
 * inline. Futures, submit/map/gather, graphs, scatter, cancel and reference counting live here;
 * everything that runs tasks sits behind the Backend seam.
 */
import { randomBytes } from "node:crypto";
import { type ClusterManager, isClusterManager } from "../deploy/cluster-manager.js";
import { LocalBackend } from "../deploy/local-backend.js";
import { BarnError, CancelledError, ErrorCodes, errorFromData, OptionError } from "../errors.js";
import type { Graph, Key } from "../graph/spec.js";
import { tokenize } from "../graph/tokenize.js";
import type { Backend, BackendReport, WorkerInfo } from "../protocol/backend.js";
import { uncopyablePart } from "../protocol/copyable.js";
import type { WorkerId } from "../protocol/ids.js";
import type { WorkerMemory } from "../protocol/memory.js";
import type {
  GatherOptions,
  MapIterables,
  ScatterOptions,
  TaskArgs,
  TaskSubmitter,
} from "./call-types.js";
import { withConfig } from "./configured.js";
import { Future, type FutureOwner, keepAlive, recordOf, releasedError } from "./future.js";
import { MAX_FETCH_ATTEMPTS, pause, unreachable, waitAll } from "./gather-rounds.js";
import { graphSubmissions } from "./graph-submission.js";
import { KeepAlive } from "./keep-alive.js";
import type { KeyRecord } from "./key-record.js";
import { KeyRegistry } from "./key-registry.js";
import {
  type ConnectOptions,
  type TaskOptions,
  validateConnectOptions,
  validateTaskOptions,
} from "./options.js";
import { type ProfileOptions, type ProfileResult, profileInline } from "./profile.js";
import { RemoteBackend } from "./remote-backend.js";
import { startBackend } from "./start-backend.js";
import {
  argError,
  callSpec,
  checkCopyable,
  FunctionTable,
  futuresToRefs,
  holdsNoFuture,
  submission,
} from "./submission.js";
import type { SyncBackend } from "./sync-backend.js";
import { collectFutures, type Gathered, rebuild } from "./walk.js";

export type {
  GatherOptions,
  MapIterables,
  ScatterOptions,
  TaskArgs,
  TaskSubmitter,
} from "./call-types.js";

let defaultClient: Client | undefined;

export class Client implements FutureOwner {
  /** Unique id of this client on its scheduler. */
  readonly id: string;
  readonly #backend: Backend;
  readonly #keys: KeyRegistry;
  readonly #fns = new FunctionTable();
  readonly #tag: string;
  #counter = 0;
  /** The map being handed to the backend right now, so a report on all its keys needs no lookups. */
  #inFlightMap: { readonly keys: readonly Key[]; readonly futures: readonly Future[] } | undefined;
  #closed = false;
  /** Set once the link to the scheduler dropped: every later call fails at once with it. */
  #lost: BarnError | undefined;
  /**
   * Scatters still placing their data, and the backend calls made since, in order: a task
   * that takes a scattered Future must reach the scheduler after the data does. Undefined
   * (the usual case: calls go straight to the backend) when nothing waits.
   */
  #barrier: Promise<void> | undefined;
  /** Holds the process alive while someone waits on this client's futures. */
  readonly #alive = new KeepAlive();

  private constructor(backend: Backend) {
    this.#tag = randomBytes(4).toString("hex");
    this.id = `client-${this.#tag}`;
    this.#backend = backend;
    this.#keys = new KeyRegistry(this, (keys) =>
      this.#toBackend(() => backend.release(this.id, keys)),
    );
    backend.open(this.id, (reports) => this.#onReports(reports));
  }

  /**
   * Connect to a scheduler. With no arguments: a local cluster of worker threads, one per
   * core, with the scheduler in this thread; nothing else needs to be installed or running.
   */
  static async connect(options?: ConnectOptions): Promise<Client>;
  static async connect(
    address: string,
    options?: ConnectOptions & { token?: string },
  ): Promise<Client>;
  /** Connect to a cluster manager's scheduler (LocalCluster, SSHCluster, KubeCluster). */
  static async connect(cluster: ClusterManager, options?: ConnectOptions): Promise<Client>;
  static async connect(
    a: ConnectOptions | string | ClusterManager = {},
    b: ConnectOptions = {},
  ): Promise<Client> {
    if (isClusterManager(a)) {
      const client = new Client(await a.clientBackend());
      await client.#backend.ready?.();
      if (b.setAsDefault !== false) defaultClient = client;
      return client;
    }
    const given = typeof a === "string" ? { ...b, address: a } : { ...a, ...b };
    validateConnectOptions(given);
    const options = withConfig(given);
    const client = new Client(await startBackend(options));
    await client.#backend.ready?.();
    if (options.setAsDefault !== false) defaultClient = client;
    return client;
  }

  /** The client `delayed(...).compute()` uses: the last one connected and not closed. */
  static current(): Client | undefined {
    return defaultClient;
  }

  /** How tasks run: "sync" (inline), "threads" (local worker threads), "processes" (local
   * worker processes) or "remote" (a `barn scheduler` at an address). */
  get scheduler(): "sync" | "threads" | "processes" | "remote" {
    const k = this.#backend.kind;
    return k === "local" ? "threads" : k;
  }

  /**
   * The address of the dashboard of this client's local cluster (e.g.
   * "http://127.0.0.1:8787/"), or of the remote scheduler's (`barn scheduler
   * --dashboard-port`); undefined when there is none (`dashboard: false`, `--no-dashboard`,
   * the sync scheduler).
   */
  get dashboardLink(): string | undefined {
    const b = this.#backend;
    if (b instanceof LocalBackend) return b.dashboard?.link;
    return b instanceof RemoteBackend ? b.dashboardLink : undefined;
  }

  /** The backend (scheduler + workers) this client drives. @internal */
  get backend(): Backend {
    return this.#backend;
  }

  /** Run `fn(...args)` on the cluster. Arguments may be Futures (or hold them). */
  submit<A extends readonly unknown[], R>(
    fn: (...args: A) => R,
    ...args: TaskArgs<A>
  ): Future<Awaited<R>> {
    return this.#submit({}, fn, args) as Future<Awaited<R>>;
  }

  /** Run `fn` once per element (per zipped elements, with several iterables). */
  map<A extends readonly unknown[], R>(
    fn: (...args: A) => R,
    ...iterables: MapIterables<A>
  ): Future<Awaited<R>>[] {
    return this.#map({}, fn, iterables) as Future<Awaited<R>>[];
  }

  /**
   * Per-task options for the calls made through the returned object:
   * `client.with({ priority: 10, retries: 2, resources: { GPU: 1 } }).submit(f, x)`.
   */
  with(options: TaskOptions): TaskSubmitter {
    validateTaskOptions(options);
    return {
      submit: (fn, ...args) => this.#submit(options, fn, args),
      map: (fn, ...iterables) => this.#map(options, fn, iterables),
    } as TaskSubmitter;
  }

  #submit(opts: TaskOptions, fn: Function, args: readonly unknown[]): Future {
    this.#checkOpen();
    const shipped = this.#fns.ship(fn);
    const deps: Key[] = [];
    const converted = futuresToRefs(args, (f) => deps.push(this.#own(f).key));
    const key = opts.key ?? this.#newKey(shipped.name, opts.pure ? [shipped.id, args] : undefined);
    const run = callSpec(shipped.id, converted, deps.length > 0);
    const task = submission(key, run, deps, shipped.name, opts);
    const future = this.#keys.future(key);
    if (this.#failIfLost([future])) return future;
    const fresh = this.#fns.takeFresh();
    this.#toBackend(() => this.#backend.submit(this.id, [task], [key], fresh, this.#fns.local));
    return future;
  }

  #map(opts: TaskOptions, fn: Function, iterables: readonly Iterable<unknown>[]): Future[] {
    this.#checkOpen();
    if (opts.key !== undefined) {
      throw new OptionError(
        "key cannot be given to map (every task needs its own key); use submit",
      );
    }
    if (iterables.length === 0) {
      throw new OptionError("map needs at least one iterable of arguments: client.map(f, xs)");
    }
    const shipped = this.#fns.ship(fn);
    const columns = iterables.map((it) => (Array.isArray(it) ? it : [...it]));
    const n = Math.min(...columns.map((c) => c.length));
    checkCopyable(columns, n);
    if (!opts.pure && columns.every(holdsNoFuture)) {
      const keys = new Array<Key>(n);
      const futures = new Array<Future>(n);
      for (let i = 0; i < n; i++) {
        const key = this.#newKey(shipped.name, undefined);
        keys[i] = key;
        futures[i] = this.#keys.freshFuture(key);
      }
      if (this.#failIfLost(futures)) return futures;
      const fresh = this.#fns.takeFresh();
      const batch = { fn: shipped, local: fn, columns, keys, options: opts, fresh };
      this.#toBackend(() => {
        this.#inFlightMap = { keys, futures };
        try {
          this.#backend.submitCalls(this.id, batch);
        } finally {
          this.#inFlightMap = undefined;
        }
      });
      return futures;
    }
    const tasks = new Array(n);
    const keys = new Array<Key>(n);
    const futures = new Array<Future>(n);
    const single = columns.length === 1 ? columns[0]! : undefined;
    for (let i = 0; i < n; i++) {
      const args = single !== undefined ? [single[i]] : columns.map((c) => c[i]);
      let deps: Key[] | undefined;
      const converted = futuresToRefs(args, (f) => (deps ??= []).push(this.#own(f).key));
      const key = this.#newKey(shipped.name, opts.pure ? [shipped.id, args] : undefined);
      const run = callSpec(shipped.id, converted, deps !== undefined);
      tasks[i] = submission(key, run, deps ?? [], shipped.name, opts);
      keys[i] = key;
      futures[i] = this.#keys.future(key);
    }
    if (this.#failIfLost(futures)) return futures;
    const fresh = this.#fns.takeFresh();
    this.#toBackend(() => this.#backend.submit(this.id, tasks, keys, fresh, this.#fns.local));
    return futures;
  }

  /**
   * Submit a task graph (plain data: see graph/spec.ts) and return a Future per requested key.
   * The graph is validated, culled to `keys`, ordered and linear chains fused first.
   */
  submitGraph(graph: Graph, keys: readonly Key[], options: TaskOptions = {}): Future[] {
    this.#checkOpen();
    validateTaskOptions(options);
    const tasks = graphSubmissions(
      graph,
      keys,
      this.#fns,
      options,
      (k) => this.#keys.lookup(k) !== undefined,
    );
    const futures = keys.map((k) => this.#keys.future(k));
    if (this.#failIfLost(futures)) return futures;
    const fresh = this.#fns.takeFresh();
    this.#toBackend(() => this.#backend.submit(this.id, tasks, keys, fresh, this.#fns.local));
    return futures;
  }

  /** Compute `keys` of a graph and return their values (Dask's `Client.get`). */
  async get(graph: Graph, keys: readonly Key[]): Promise<unknown[]> {
    const futures = this.submitGraph(graph, keys);
    try {
      return await this.gather(futures);
    } finally {
      for (const f of futures) f.release();
    }
  }

  /**
   * The values of the futures in `x`: a Future, or arrays / plain objects holding them.
   * Rejects with the first error among them (the task's own error, key and remote stack).
   * With `{ release: true }`, the futures in `x` are released once their values are here (or
   * the gather failed): the cluster forgets the results now, not when the garbage collector
   * gets to the futures, so a long loop of `gather(client.map(...), { release: true })` runs
   * in constant memory.
   */
  async gather<X>(x: X, options: GatherOptions = {}): Promise<Gathered<X>> {
    if (!options.release) return this.#gather(x);
    try {
      return await this.#gather(x);
    } finally {
      for (const f of x instanceof Future ? [x] : collectFutures(x)) f.release();
    }
  }

  async #gather<X>(x: X): Promise<Gathered<X>> {
    let out: unknown;
    if (x instanceof Future) out = await this.resultOf(recordOf(this.#own(x)));
    else if (Array.isArray(x) && x.every((f) => f instanceof Future)) {
      // The common case, a flat list of futures: values come back aligned, no lookups.
      out = await this.#gatherKeys(x.map((f: Future) => recordOf(this.#own(f))));
    } else {
      const futures = collectFutures(x);
      const values = await this.#gatherKeys(futures.map((f) => recordOf(this.#own(f))));
      const byKey = new Map<Key, unknown>();
      for (let i = 0; i < futures.length; i++) byKey.set(futures[i]!.key, values[i]);
      out = rebuild(x, byKey);
    }
    // The futures stay reachable until their values are here, even when the caller passed a
    // temporary (`gather(client.map(...))`): otherwise collecting them would release the keys.
    keepAlive(x);
    return out as Gathered<X>;
  }

  /** @internal FutureOwner: the result of one key. */
  async resultOf(record: KeyRecord): Promise<unknown> {
    const values = await this.#gatherKeys([record]);
    return values[0];
  }

  /** Values of the records' keys, aligned with them. */
  async #gatherKeys(records: readonly KeyRecord[], attempt = 0): Promise<unknown[]> {
    await waitAll(records);
    for (const r of records) {
      if (r.status === "error" || r.status === "cancelled") throw r.error;
    }
    const { values, missing } = await this.#alive.during(
      this.#backend.fetch(records.map((r) => r.key)),
    );
    if (missing.length === 0) return values;
    // Lost with a worker: the scheduler recomputes them; wait for the new report and retry.
    const again: KeyRecord[] = [];
    for (const i of missing) {
      const r = records[i]!;
      if (!r.live) throw releasedError(r.key);
      if (!this.#backend.inMemory(r.key) && r.status === "finished") r.status = "pending";
      again.push(r);
    }
    if (attempt >= MAX_FETCH_ATTEMPTS) throw unreachable(again, attempt);
    if (again.every((r) => r.status === "finished")) await pause(attempt);
    const got = await this.#gatherKeys(again, attempt + 1);
    missing.forEach((i, j) => {
      values[i] = got[j];
    });
    return values;
  }

  /**
   * Place data on the workers. Arrays give one Future per element; anything else one Future.
   * Returns at once, as submit does (a Future cannot travel through a promise: awaiting the
   * promise would await the Future); each Future is finished once its data is placed, and
   * tasks that take it are sent after that.
   */
  scatter<T>(data: readonly T[], options?: ScatterOptions): Future<T>[];
  scatter<T>(data: T, options?: ScatterOptions): Future<T>;
  scatter(data: unknown, options: ScatterOptions = {}): Future | Future[] {
    this.#checkOpen();
    const many = Array.isArray(data);
    const values = many ? (data as unknown[]) : [data];
    const problem = uncopyablePart(values);
    if (problem !== undefined) throw argError(problem, "the data given to scatter");
    const keys = values.map((v) => this.#newKey("scatter", [v]));
    const futures = keys.map((k) => this.#keys.future(k));
    if (!this.#failIfLost(futures)) {
      const placed = this.#place(keys, values, options).catch((err: unknown) => {
        const error =
          err instanceof BarnError ? err : new BarnError(ErrorCodes.INTERNAL, String(err));
        for (const f of futures) if (!recordOf(f).done) recordOf(f).settle("error", error);
      });
      this.#behind(placed);
    }
    return many ? futures : futures[0]!;
  }

  async #place(keys: readonly Key[], values: readonly unknown[], options: ScatterOptions) {
    const targets = options.broadcast ? this.#backend.workers().map((w) => w.id) : options.workers;
    if (options.broadcast) {
      for (const w of targets ?? []) await this.#backend.scatter(this.id, keys, values, [w]);
    } else {
      await this.#backend.scatter(this.id, keys, values, targets);
    }
  }

  /** Later backend calls wait until `p` settles (and everything queued before it). */
  #behind(p: Promise<void>): void {
    const b = Promise.all([this.#barrier, p]).then(() => {});
    this.#barrier = b;
    void this.#alive.during(b).then(() => {
      if (this.#barrier === b) this.#barrier = undefined;
    });
  }

  /** Run a backend call now, or after the scatters in flight (in the order calls were made). */
  #toBackend(call: () => void): void {
    if (this.#barrier === undefined) {
      call();
      return;
    }
    this.#behind(
      this.#barrier.then(() => {
        if (this.#closed) return;
        try {
          call();
        } catch (err) {
          // Thrown where no caller is left to catch it: say so, and keep the later calls going.
          const why = err instanceof Error ? err.message : String(err);
          process.emitWarning(`barn: a call queued behind a scatter failed: ${why}`, "BarnWarning");
        }
      }),
    );
  }

  /** After a lost connection: the futures fail at once with its error. True if they did. */
  #failIfLost(futures: readonly Future[]): boolean {
    const lost = this.#lost;
    if (lost === undefined) return false;
    for (const f of futures) if (!recordOf(f).done) recordOf(f).settle("error", lost);
    return true;
  }

  /** Cancel the futures' tasks and every task depending on them. */
  async cancel(futures: Future | readonly Future[]): Promise<void> {
    const list = Array.isArray(futures) ? futures : [futures as Future];
    await this.cancelKeys(list.map((f) => f.key));
  }

  /** @internal FutureOwner */
  async cancelKeys(keys: readonly Key[]): Promise<void> {
    if (this.#lost === undefined) this.#toBackend(() => this.#backend.cancel(this.id, keys));
    for (const k of keys) {
      const r = this.#keys.lookup(k);
      if (r !== undefined && !r.done) r.settle("cancelled", new CancelledError(k));
    }
  }

  /** Workers of the cluster. */
  workers(): WorkerInfo[] {
    return this.#backend.workers();
  }

  /**
   * Retire workers gracefully (by id or name): no new task goes to them, the tasks running
   * there finish, and every result only they hold is copied to another worker before they
   * leave, so nothing is lost or recomputed. Resolves with the ids retired. A worker of a
   * cluster manager then stops (its manager does not replace it).
   */
  async retireWorkers(workers: readonly string[]): Promise<WorkerId[]> {
    this.#checkOpen();
    if (!Array.isArray(workers) || !workers.every((w) => typeof w === "string")) {
      throw new OptionError(
        `retireWorkers takes an array of worker ids or names; got ${JSON.stringify(workers)}`,
      );
    }
    const retire = this.#backend.retireWorkers;
    if (retire === undefined) {
      throw new OptionError('retireWorkers needs a cluster; scheduler: "sync" has no workers');
    }
    const known = this.#backend.workers();
    const ids = workers.map((w) => known.find((k) => k.id === w || k.name === w)?.id ?? w);
    return this.#alive.during(retire.call(this.#backend, ids));
  }

  /** Every recorded transition of `key` in the scheduler, with its stimulus id. */
  story(key: Key): Promise<unknown[]> {
    return this.#backend.story(key);
  }

  /**
   * Every worker's memory now, from the samples workers send when it changes: bytes of results
   * in memory (`managed`), the rest of the worker's memory (`unmanaged`), results moved to disk
   * (`spilled`), whether it is `paused`, its `limit`, and the last `spillError` if spilling
   * failed. On the sync scheduler: one line for this thread, with no limit (docs/memory.md).
   */
  memoryReport(): Promise<WorkerMemory[]> {
    return this.#backend.memoryReport();
  }

  /**
   * Profile a small sample inline: `fn(sample, c)` runs with `c`, a client on the sync
   * scheduler (also the default client meanwhile), under V8's CPU profiler; the result holds
   * fn's value and the CPU time per task group (call trees, top functions, `toText()`).
   * See docs/diagnostics.md.
   */
  profile<S, T>(
    fn: (sample: S, client: Client) => T | Promise<T>,
    options: ProfileOptions<S> = {},
  ): Promise<ProfileResult<Awaited<T>>> {
    return profileInline(fn, options, async () => {
      const before = defaultClient;
      const client = await Client.connect({ scheduler: "sync" });
      return {
        client,
        backend: client.#backend as SyncBackend,
        close: async () => {
          await client.close();
          if (before !== undefined && !before.#closed) defaultClient = before;
        },
      };
    });
  }

  /** A JSON-serialisable dump of the scheduler's state. */
  dumpState(): Promise<unknown> {
    return this.#backend.dump();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (defaultClient === this) defaultClient = undefined;
    await this.#alive.during(this.#backend.close(this.id));
    for (const r of this.#keys.records()) {
      if (r.done) continue;
      const msg = `the client was closed before task ${r.key} finished; keep it open until you have gathered its results`;
      r.settle("cancelled", new BarnError(ErrorCodes.CLIENT_CLOSED, msg, { key: r.key }));
    }
    this.#keys.close();
    this.#alive.close();
  }

  /** @internal FutureOwner: someone waits on a record (1) or stopped waiting (-1). */
  waiting(delta: number): void {
    this.#alive.add(delta);
  }

  /** The scheduler is unreachable: every future not yet settled fails with `error`. */
  #failPending(error: BarnError): void {
    this.#lost ??= error;
    for (const r of this.#keys.records()) if (!r.done) r.settle("error", error);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #checkOpen(): void {
    if (this.#closed) {
      throw new BarnError(ErrorCodes.CLIENT_CLOSED, "this client is closed; connect a new one");
    }
  }

  #own(f: Future): Future {
    const r = recordOf(f);
    if (f.released && r.owner === this) throw releasedError(f.key);
    if (r.owner !== this || r.refs === 0 || f.released) {
      throw new BarnError(
        ErrorCodes.UNKNOWN_KEY,
        `future ${f.key} belongs to another client or was released; pass live futures of this client`,
        { key: f.key },
      );
    }
    return f;
  }

  #newKey(name: string, pureArgs: readonly unknown[] | undefined): Key {
    if (pureArgs !== undefined) return `${name}-${tokenize(...pureArgs)}`;
    return `${name}-${this.#tag}${(this.#counter++).toString(16)}`;
  }

  /** @internal FutureOwner: a Future was released explicitly. */
  releaseRecord(record: KeyRecord): void {
    this.#keys.releaseByHand(record);
  }

  #onReports(reports: BackendReport[]): void {
    for (const rep of reports) {
      if (rep.type === "connection-lost") {
        this.#failPending(errorFromData(rep.error));
        continue;
      }
      if (rep.type === "keys-in-memory") {
        const batch = this.#inFlightMap;
        if (batch !== undefined && rep.keys === batch.keys) {
          // The whole map just submitted (the sync scheduler answers inside submitCalls).
          for (const f of batch.futures) recordOf(f).settle("finished");
        } else for (const k of rep.keys) this.#keys.lookup(k)?.settle("finished");
        continue;
      }
      const r = this.#keys.lookup(rep.key);
      if (r === undefined) continue;
      switch (rep.type) {
        case "key-in-memory":
          r.settle("finished");
          break;
        case "key-erred":
          r.settle("error", errorFromData(rep.error));
          break;
        case "key-cancelled":
          r.settle("cancelled", new CancelledError(rep.key));
          break;
        default:
          rep satisfies never;
      }
    }
  }
}
