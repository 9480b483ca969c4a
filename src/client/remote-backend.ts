/**
 * A client of a `barn scheduler` elsewhere: every Backend call becomes a message on one
 * authenticated connection. Functions declared in modules are bundled (esbuild) and uploaded
 * once, content-addressed, since the workers may be on machines without the file. Messages
 * keep their order: while a bundle is being built, later messages wait behind it. If the
 * connection drops, every pending future fails with CONNECTION_LOST; so it does when the
 * scheduler stays silent past the heartbeat timeout (frozen, or the link cut without a close):
 * the client pings it every second and any message from it counts as a sign of life.
 */

import { BarnError, ErrorCodes, errorFromData, errorToData } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type {
  Backend,
  BackendReport,
  CallBatch,
  FetchResult,
  LoadInfo,
  WorkerInfo,
} from "../protocol/backend.js";
import type { ClientId, TaskSubmission, WorkerId } from "../protocol/ids.js";
import type { WorkerMemory } from "../protocol/memory.js";
import type {
  BundleData,
  ClientToScheduler,
  GatherReply,
  SchedulerToClient,
} from "../protocol/wire.js";
import { bundleModule } from "../shipping/bundle.js";
import type { ShippedFn } from "../shipping/ship.js";
import { connect } from "../transport/index.js";
import type { Connection, SecurityOptions } from "../transport/types.js";

export interface RemoteOptions extends SecurityOptions {
  readonly timeoutMs?: number | undefined;
  /** Declare the scheduler lost after this long without a word from it. Default 10 s. */
  readonly heartbeatTimeoutMs?: number | undefined;
  readonly maxFrameBytes?: number | undefined;
}

/** Pings go out this often (or four times per timeout, when that is shorter). */
const PING_MS = 1_000;

export class RemoteBackend implements Backend {
  readonly kind = "remote" as const;
  readonly #conn: Connection;
  readonly #address: string;
  readonly #requests = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  /** Bundles already uploaded on this connection, by module URL. */
  readonly #uploaded = new Map<string, string>();
  /** Keys the scheduler says are still held somewhere though a fetch missed them. */
  readonly #stillHeld = new Set<Key>();
  #workers: WorkerInfo[] = [];
  #dashboardLink: string | undefined;
  /** Settles with the first workers list (the scheduler's answer to `open`). */
  readonly #ready: Promise<void>;
  #gotWorkers: (() => void) | undefined;
  #onReports: ((reports: BackendReport[]) => void) | undefined;
  /** Messages wait here while a bundle is being built, so order is kept. */
  #queue: Promise<void> = Promise.resolve();
  #queued = 0;
  #nextRequest = 1;
  #closing = false;
  #lost: BarnError | undefined;
  /** Liveness: when the scheduler last said anything, and when the ping timer last ran (ms). */
  #lastHeard = Date.now();
  #lastTick = Date.now();
  readonly #heartbeat: ReturnType<typeof setInterval>;
  /** Why this end closed the connection (a silent scheduler), for the CONNECTION_LOST message. */
  #closeReason: string | undefined;

  private constructor(conn: Connection, address: string, heartbeatTimeoutMs: number) {
    this.#conn = conn;
    this.#address = address;
    this.#ready = new Promise((resolve) => {
      this.#gotWorkers = resolve;
    });
    const every = Math.min(PING_MS, Math.max(10, heartbeatTimeoutMs / 4));
    this.#heartbeat = setInterval(() => this.#checkLiveness(heartbeatTimeoutMs, every), every);
    // The timer never keeps the process alive: a script that is done exits.
    this.#heartbeat.unref();
    conn.onMessage((m) => {
      this.#lastHeard = Date.now();
      this.#onMessage(m as SchedulerToClient);
    });
    conn.onClose((err) => this.#onClose(err));
  }

  /** The scheduler's dashboard, as this client reaches it; undefined when it serves none. */
  get dashboardLink(): string | undefined {
    return this.#dashboardLink;
  }

  static async connect(address: string, options: RemoteOptions = {}): Promise<RemoteBackend> {
    const conn = await connect(address, {
      ...options,
      hello: { role: "client", name: "client" },
      timeoutMs: options.timeoutMs ?? 10_000,
    });
    return new RemoteBackend(conn, address, options.heartbeatTimeoutMs ?? 10_000);
  }

  /**
   * Ping, and give up on a scheduler silent for `timeoutMs`. A late tick means this process was
   * busy (a long synchronous stretch of user code): the scheduler's answers may sit unread in
   * the socket, so the silence is not held against it; the count starts again.
   */
  #checkLiveness(timeoutMs: number, every: number): void {
    const now = Date.now();
    const stalled = now - this.#lastTick > every * 2 + 1_000;
    this.#lastTick = now;
    if (stalled) this.#lastHeard = now;
    if (this.#conn.closed) return;
    if (now - this.#lastHeard > timeoutMs) {
      this.#closeReason = `no word from the scheduler for ${(timeoutMs / 1000).toFixed(1)} s (frozen, overloaded or cut off)`;
      this.#conn.close(this.#closeReason);
      return;
    }
    this.#conn.send({ t: "ping" } satisfies ClientToScheduler);
  }

  open(client: ClientId, onReports: (reports: BackendReport[]) => void): void {
    this.#onReports = onReports;
    this.#send({ t: "open", client });
  }

  ready(): Promise<void> {
    return this.#lost === undefined ? this.#ready : Promise.reject(this.#lost);
  }

  submit(
    _client: ClientId,
    tasks: readonly TaskSubmission[],
    wanted: readonly Key[],
    fns: readonly ShippedFn[],
  ): void {
    if (!needsBundles(fns)) {
      this.#send({ t: "submit", tasks, wanted, fns });
      return;
    }
    this.#sendLater(async () => {
      const { fns: ready, bundles } = await this.#bundle(fns);
      return { t: "submit", tasks, wanted, fns: ready, bundles };
    }, wanted);
  }

  submitCalls(_client: ClientId, batch: CallBatch): void {
    const { columns, keys, options } = batch;
    const plain = { columns, keys, options: options as Record<string, unknown> };
    if (!needsBundles([batch.fn, ...batch.fresh])) {
      this.#send({ t: "calls", fn: batch.fn, fresh: batch.fresh, ...plain });
      return;
    }
    this.#sendLater(async () => {
      const { fns, bundles } = await this.#bundle([batch.fn, ...batch.fresh]);
      return { t: "calls", fn: fns[0]!, fresh: fns.slice(1), bundles, ...plain };
    }, keys);
  }

  desire(_client: ClientId, keys: readonly Key[]): void {
    this.#send({ t: "desire", keys });
  }

  release(_client: ClientId, keys: readonly Key[]): void {
    if (!this.#conn.closed) this.#send({ t: "release", keys });
  }

  cancel(_client: ClientId, keys: readonly Key[]): void {
    this.#send({ t: "cancel", keys });
  }

  async fetch(keys: readonly Key[]): Promise<FetchResult> {
    const r = (await this.#request((id) => ({ t: "gather", id, keys }))) as GatherReply;
    r.missing.forEach((i, j) => {
      if (r.stillHeld[j]) this.#stillHeld.add(keys[i]!);
      else this.#stillHeld.delete(keys[i]!);
    });
    return { values: r.values, missing: r.missing };
  }

  inMemory(key: Key): boolean {
    return this.#stillHeld.has(key);
  }

  async scatter(
    _client: ClientId,
    keys: readonly Key[],
    values: readonly unknown[],
    workers?: readonly WorkerId[],
  ): Promise<void> {
    await this.#request((id) => ({ t: "scatter", id, keys, values, workers }));
  }

  workers(): WorkerInfo[] {
    return this.#workers;
  }

  dump(): Promise<unknown> {
    return this.#request((id) => ({ t: "dump", id }));
  }

  async memoryReport(): Promise<WorkerMemory[]> {
    return (await this.#request((id) => ({ t: "memory", id }))) as WorkerMemory[];
  }

  async story(key: Key): Promise<unknown[]> {
    return (await this.#request((id) => ({ t: "story", id, key }))) as unknown[];
  }

  async retireWorkers(ids: readonly WorkerId[]): Promise<WorkerId[]> {
    return (await this.#request((id) => ({ t: "retire", id, workers: ids }))) as WorkerId[];
  }

  async load(): Promise<LoadInfo> {
    return (await this.#request((id) => ({ t: "load", id }))) as LoadInfo;
  }

  async close(_client: ClientId): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    try {
      if (!this.#conn.closed) await this.#request((id) => ({ t: "close-client", id }));
    } catch {
      // Closing anyway: the scheduler drops the client when the connection ends.
    }
    clearInterval(this.#heartbeat);
    this.#conn.close("client closed");
  }

  #send(msg: ClientToScheduler): void {
    if (this.#queued === 0) {
      this.#conn.send(msg);
      return;
    }
    this.#sendLater(async () => msg, []);
  }

  /** Send what `make` builds once every earlier message has gone; on failure fail `keys`. */
  #sendLater(make: () => Promise<ClientToScheduler>, keys: readonly Key[]): void {
    this.#queued++;
    this.#queue = this.#queue
      .then(make)
      .then(
        (msg) => this.#conn.send(msg),
        (err: unknown) => {
          const data = errorToData(err);
          this.#onReports?.(
            keys.map((key) => ({
              type: "key-erred",
              stimulusId: "bundle-failed",
              client: "",
              key,
              error: { ...data, key },
            })),
          );
        },
      )
      .finally(() => this.#queued--);
  }

  /** Bundle every module function's module, uploading each bundle once per connection. */
  async #bundle(fns: readonly ShippedFn[]): Promise<{ fns: ShippedFn[]; bundles: BundleData[] }> {
    const bundles: BundleData[] = [];
    const out: ShippedFn[] = [];
    for (const f of fns) {
      if (f.kind !== "module") {
        out.push(f);
        continue;
      }
      const b = await bundleModule(f.url);
      if (this.#uploaded.get(f.url) !== b.hash) {
        this.#uploaded.set(f.url, b.hash);
        bundles.push(b);
      }
      out.push({ ...f, bundle: b.hash });
    }
    return { fns: out, bundles };
  }

  #request(make: (id: number) => ClientToScheduler): Promise<unknown> {
    if (this.#lost !== undefined) return Promise.reject(this.#lost);
    const id = this.#nextRequest++;
    return new Promise((resolve, reject) => {
      this.#requests.set(id, { resolve, reject });
      this.#send(make(id));
    });
  }

  #onMessage(msg: SchedulerToClient): void {
    switch (msg.t) {
      case "reports":
        this.#onReports?.(msg.reports as BackendReport[]);
        return;
      case "workers":
        this.#workers = msg.workers.map((w) => ({ id: w.id, name: w.name, nthreads: w.nthreads }));
        this.#gotWorkers?.();
        return;
      case "pong":
        return;
      case "dashboard":
        this.#dashboardLink = dashboardLink(this.#address, msg.host, msg.port);
        return;
      case "reply": {
        const r = this.#requests.get(msg.id);
        this.#requests.delete(msg.id);
        if (r === undefined) return;
        if (msg.error !== undefined) r.reject(errorFromData(msg.error));
        else r.resolve(msg.value);
        return;
      }
      default:
        msg satisfies never;
    }
  }

  #onClose(err: Error | undefined): void {
    clearInterval(this.#heartbeat);
    const why = this.#closeReason ?? err?.message;
    const lost = new BarnError(
      ErrorCodes.CONNECTION_LOST,
      `lost the connection to the scheduler at ${this.#address}` +
        (why !== undefined ? ` (${why})` : "") +
        "; results not gathered yet are gone with it. Fix: check the scheduler, then connect a new client and resubmit.",
    );
    this.#lost = lost;
    this.#gotWorkers?.();
    for (const r of this.#requests.values()) r.reject(lost);
    this.#requests.clear();
    if (!this.#closing) this.#onReports?.([{ type: "connection-lost", error: errorToData(lost) }]);
  }
}

function needsBundles(fns: readonly ShippedFn[]): boolean {
  return fns.some((f) => f.kind === "module");
}

/**
 * The dashboard's address seen from this client: the host this client reached the scheduler
 * at when the dashboard listens on every interface, else the interface it listens on.
 */
export function dashboardLink(schedulerAddress: string, host: string, port: number): string {
  let h = host;
  if (host === "0.0.0.0" || host === "::") {
    try {
      h = new URL(schedulerAddress).hostname;
    } catch (err) {
      // An address that is no URL: the wildcard is the best this end can say.
      if (!(err instanceof TypeError)) throw err;
    }
  }
  const bracketed = h.includes(":") && !h.startsWith("[") ? `[${h}]` : h;
  return `http://${bracketed}:${port}/`;
}
