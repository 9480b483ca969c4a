/**
 * A worker process (`barn worker <address>`): connects to the scheduler, registers, and runs
 * its tasks in a worker thread (the same WorkerShell as the thread cluster), so this process's
 * own thread stays free for the network: heartbeats, peers' fetches and the scheduler's
 * messages are answered even while a long task runs. Other workers fetch data from it on a
 * listener of its own (PeerBridge). When the scheduler goes away the worker drops its state
 * and reconnects until a scheduler is back at the address, then registers again.
 */
import { hostname } from "node:os";
import type { Worker } from "node:worker_threads";
import { type Logger, silentLogger } from "../diagnostics/log.js";
import { BarnError, ErrorCodes } from "../errors.js";
import type { Resources, WorkerId } from "../protocol/ids.js";
import type { ProfileSettings } from "../protocol/profile.js";
import type { SchedulerToWorker, WorkerToScheduler } from "../protocol/wire.js";
import type { FromWorker, ToWorker, WorkerInit } from "../protocol/worker-messages.js";
import { connect, listen } from "../transport/index.js";
import type { Connection, Listener, SecurityOptions } from "../transport/types.js";
import { bytesOf, largeBytes, MainGarbage, transferList } from "./main-buffers.js";
import { isOutOfMemory, outOfMemoryReason } from "./out-of-memory.js";
import { PeerBridge } from "./peer-bridge.js";
import {
  defaultProcessMemoryLimit,
  heapLimits,
  memoryInit,
  removeWorkerDirectory,
  workerDirectory,
} from "./worker-memory.js";
import { startWorkerThread } from "./worker-thread.js";

export interface WorkerNodeOptions extends SecurityOptions {
  /** The scheduler's address, e.g. "tcp://10.0.0.1:8786". */
  readonly scheduler: string;
  /** Default: host name and process id. */
  readonly name?: string | undefined;
  /** Tasks run at once (async tasks overlap). Default 1. */
  readonly nthreads?: number | undefined;
  /**
   * The worker's memory, bytes, buffers included (results spill past 60% of it, it pauses past
   * 80%; also the task thread's heap limit). Default: the machine's memory x min(1, nthreads /
   * cores), with no heap limit.
   */
  readonly memoryLimit?: number | undefined;
  /** Where results spill: a folder of its own inside, removed on exit. Default: the OS temp dir. */
  readonly localDirectory?: string | undefined;
  readonly resources?: Resources | undefined;
  /** Host to listen on for peers. Default: the local address of the scheduler connection. */
  readonly listenHost?: string | undefined;
  /** Seconds between heartbeats. Default 1. */
  readonly heartbeatMs?: number | undefined;
  /** Declare the scheduler gone after this long without a word from it. Default 10 s. */
  readonly schedulerTimeoutMs?: number | undefined;
  /** Largest frame accepted from the scheduler and peers, bytes. Default 1 GiB. */
  readonly maxFrameBytes?: number | undefined;
  /** Give up when no scheduler answers for this long (first start or after a loss). Default: never. */
  readonly deathTimeoutMs?: number | undefined;
  /**
   * The scheduler lives in the process that started this worker (`processes: true`): losing it
   * means that process is going (a script that ended without close(), say), so the loss is
   * logged at info level, not as a warning on the user's terminal.
   */
  readonly schedulerInParent?: boolean | undefined;
  readonly log?: Logger | undefined;
  /** Profile the task thread from the start (`barn worker --profile`; protocol/profile.ts). */
  readonly profile?: ProfileSettings | undefined;
}

/** Errors that retrying cannot fix: refusals, and a configuration the bind policy refuses. */
const FINAL = new Set<string>([
  ErrorCodes.AUTH_FAILED,
  ErrorCodes.VERSION_MISMATCH,
  ErrorCodes.INSECURE_BIND,
  ErrorCodes.INVALID_OPTION,
]);

const THREAD_MAIN = new URL("../worker/thread-main.js", import.meta.url);

export class WorkerNode {
  readonly #o: WorkerNodeOptions;
  readonly #log: Logger;
  readonly #name: string;
  #conn: Connection | undefined;
  #listener: Listener | undefined;
  #thread: Worker | undefined;
  /** The task thread's spill folder (a fresh one per thread). */
  #dir: string | undefined;
  #bridge: PeerBridge | undefined;
  readonly #garbage = new MainGarbage();
  #id: WorkerId | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #lastHeard = 0;
  #closing = false;
  /** Settles when the last task thread is gone and its spill folder removed. */
  #cleanup: Promise<unknown> = Promise.resolve();
  #done: Promise<void>;
  #finish!: (err?: Error) => void;

  private constructor(options: WorkerNodeOptions) {
    this.#o = options;
    this.#log = options.log ?? silentLogger;
    this.#name = options.name ?? `${hostname()}-${process.pid}`;
    this.#done = new Promise((resolve, reject) => {
      this.#finish = (err) => (err ? reject(err) : resolve());
    });
    this.#done.catch(() => {});
  }

  /** Connect and register; resolves once registered the first time. */
  static async start(options: WorkerNodeOptions): Promise<WorkerNode> {
    const node = new WorkerNode(options);
    await node.#connectLoop();
    return node;
  }

  /** The id the scheduler gave this worker (changes after a reconnect). */
  get id(): WorkerId | undefined {
    return this.#id;
  }

  /** Settles when the worker stopped: closed (resolves) or gave up (rejects). */
  get done(): Promise<void> {
    return this.#done;
  }

  /** Tries until registered; refusals (token, version) are final. */
  async #connectLoop(): Promise<void> {
    const started = Date.now();
    let delay = 100;
    for (;;) {
      if (this.#closing) return;
      try {
        await this.#session();
        return;
      } catch (err) {
        const e = err as BarnError;
        if (isRefusal(e) || FINAL.has(e.code)) throw e;
        const limit = this.#o.deathTimeoutMs;
        if (limit !== undefined && Date.now() - started > limit) {
          throw new BarnError(
            ErrorCodes.CONNECT_FAILED,
            `no scheduler at ${this.#o.scheduler} for ${Math.round(limit / 1000)} s (${e.message}); giving up`,
            { cause: err },
          );
        }
        // Say it once at info (a user waiting for a worker wants to know why), then quietly.
        const level = delay === 100 ? "info" : "debug";
        this.#log[level]("scheduler not reachable; retrying", {
          reason: e.message,
          delayMs: delay,
        });
        await sleep(delay);
        delay = Math.min(delay * 2, 2_000);
      }
    }
  }

  /** One connection to the scheduler: handshake, register, wait for the welcome. */
  async #session(): Promise<void> {
    const conn = await connect(this.#o.scheduler, {
      token: this.#o.token,
      tls: this.#o.tls,
      hello: { role: "worker", name: this.#name },
      maxFrameBytes: this.#o.maxFrameBytes,
      timeoutMs: 10_000,
    });
    if (this.#closing) {
      conn.close("closing");
      return;
    }
    const listener = await this.#ensureListener(conn).catch((err: unknown) => {
      conn.close("cannot listen for peers");
      throw err;
    });
    // The scheduler may send work right after the welcome, before the task thread is up:
    // keep those messages and replay them once it is.
    const early: SchedulerToWorker[] = [];
    let welcomed = false;
    const welcome = new Promise<Extract<SchedulerToWorker, { t: "welcome" }>>((resolve, reject) => {
      conn.onMessage((m) => {
        const msg = m as SchedulerToWorker;
        if (welcomed) early.push(msg);
        else if (msg.t === "welcome") {
          welcomed = true;
          resolve(msg);
        }
      });
      conn.onClose((err) => reject(err ?? new BarnError(ErrorCodes.CONNECTION_LOST, "closed")));
    });
    conn.send({
      t: "register",
      name: this.#name,
      address: listener.address,
      nthreads: this.#o.nthreads ?? 1,
      resources: { ...(this.#o.resources ?? {}) },
      memoryLimit: this.#o.memoryLimit,
    } satisfies WorkerToScheduler);
    const w = await welcome;
    this.#conn = conn;
    this.#id = w.id;
    this.#lastHeard = Date.now();
    await this.#startThread(w.id);
    const bridge = this.#bridge!;
    for (const p of w.peers) bridge.add(p.id, p.address);
    conn.onMessage((m) => this.#fromScheduler(m as SchedulerToWorker));
    for (const m of early) this.#fromScheduler(m);
    conn.onClose((err) => this.#schedulerLost(err?.message ?? "connection closed"));
    this.#startHeartbeat(conn);
    this.#log.info("registered with scheduler", {
      worker: w.id,
      scheduler: this.#o.scheduler,
      peers: w.peers.length,
      listen: listener.address,
    });
  }

  async #ensureListener(conn: Connection): Promise<Listener> {
    if (this.#listener !== undefined) return this.#listener;
    const host = this.#o.listenHost ?? hostOf(conn.local);
    const scheme = new URL(
      this.#o.scheduler.includes("://") ? this.#o.scheduler : `tcp://${this.#o.scheduler}`,
    ).protocol;
    const address = `${scheme}//${host.includes(":") ? `[${host}]` : host}:0`;
    this.#listener = await listen(address, {
      token: this.#o.token,
      tls: peerTls(this.#o),
      maxFrameBytes: this.#o.maxFrameBytes,
      hello: { role: "peer", name: this.#name },
      onConnection: (c) => {
        if (c.peer.role !== "peer" || this.#bridge === undefined) c.close("not a peer");
        else this.#bridge.accept(c);
      },
      onRefused: (remote, err) => this.#log.warn("peer refused", { remote, reason: err.message }),
    });
    return this.#listener;
  }

  #startThread(id: WorkerId): Promise<void> {
    const limit = this.#o.memoryLimit;
    const nthreads = this.#o.nthreads ?? 1;
    const dir = workerDirectory(this.#o.localDirectory, this.#name);
    this.#dir = dir;
    const init: WorkerInit = {
      id,
      name: this.#name,
      nthreads,
      resources: { ...(this.#o.resources ?? {}) },
      memory: memoryInit(limit ?? defaultProcessMemoryLimit(nthreads), dir, true),
      ...(this.#o.profile === undefined ? {} : { profile: this.#o.profile }),
    };
    const resourceLimits = heapLimits(limit);
    const thread = startWorkerThread(THREAD_MAIN, {
      workerData: init,
      ...(resourceLimits ? { resourceLimits } : {}),
    });
    this.#thread = thread;
    this.#bridge = new PeerBridge(id, thread, this.#o, this.#log.child("peers"));
    return new Promise((resolve, reject) => {
      thread.on("message", (msg: FromWorker) => {
        if (msg.t === "ready") resolve();
        else {
          const conn = this.#conn;
          conn?.send(msg satisfies WorkerToScheduler);
          if (conn !== undefined && msg.t === "data")
            this.#garbage.sent(largeBytes(msg.values), conn);
        }
      });
      let died: string | undefined;
      thread.on("error", (err) => {
        if (isOutOfMemory(err)) {
          died = outOfMemoryReason(limit);
          this.#log.error("task thread out of memory; worker leaves", {
            worker: id,
            memoryLimit: limit,
          });
        } else {
          const error =
            err instanceof Error || Object.keys(err ?? {}).length > 0
              ? err
              : "an error that could not be copied out of the thread (e.g. a DataCloneError)";
          died = `task thread failed: ${err instanceof Error ? err.message : String(error)}`;
          this.#log.error("task thread failed", { error });
        }
        reject(err);
      });
      thread.on("exit", (code) => {
        if (this.#thread !== thread || this.#closing) return;
        // Out of memory or a crash in the thread: leave, so the scheduler reschedules at once,
        // and say why first (the scheduler puts it in the KilledWorker error users get).
        const reason = died ?? `task thread exited with code ${code}`;
        this.#log.error("task thread exited; worker leaves", { code, reason });
        this.#conn?.send({ t: "dying", reason } satisfies WorkerToScheduler);
        void this.close(reason, 1);
      });
    });
  }

  #fromScheduler(msg: SchedulerToWorker): void {
    this.#lastHeard = Date.now();
    switch (msg.t) {
      case "heartbeat-ack":
        return;
      case "peer-join":
        this.#bridge?.add(msg.peer.id, msg.peer.address);
        return;
      case "peer-gone":
        this.#bridge?.remove(msg.peer);
        return;
      case "welcome":
      case "peer":
        return;
      case "close":
        void this.close("scheduler asked to close");
        return;
      case "restart":
        this.#restart(msg.reason);
        return;
      case "put-data": {
        // Scattered values move to the task thread rather than being copied (main-buffers.ts).
        const moved = transferList(msg.values);
        const n = bytesOf(moved);
        this.#thread?.postMessage(msg satisfies ToWorker, moved);
        this.#garbage.received(n);
        return;
      }
      default:
        this.#thread?.postMessage(msg satisfies ToWorker);
    }
  }

  #startHeartbeat(conn: Connection): void {
    clearInterval(this.#heartbeat);
    const every = this.#o.heartbeatMs ?? 1_000;
    const timeout = this.#o.schedulerTimeoutMs ?? 10_000;
    this.#heartbeat = setInterval(() => {
      if (Date.now() - this.#lastHeard > timeout) {
        conn.close(`no word from the scheduler for ${timeout} ms`);
        return;
      }
      conn.send({ t: "heartbeat" } satisfies WorkerToScheduler);
    }, every);
  }

  /**
   * The scheduler gave up on a task that does not stop: terminate the task thread (the only
   * way to stop a synchronous loop) and register again with a fresh one, on a new connection.
   */
  #restart(reason: string): void {
    if (this.#closing) return;
    this.#log.warn("restarting the task thread at the scheduler's request", { reason });
    const conn = this.#conn;
    this.#teardown();
    conn?.onClose(() => {}); // not a lost scheduler: this end is leaving on purpose
    conn?.close("restarting");
    this.#connectLoop().catch((err: Error) => {
      this.#log.error("giving up", { reason: err.message });
      void this.close(err.message, 1, isFinal(err) ? (err as BarnError) : undefined);
    });
  }

  /** Drop everything this scheduler knew about and register again. */
  #schedulerLost(reason: string): void {
    if (this.#closing) return;
    const level = this.#o.schedulerInParent === true ? "info" : "warn";
    this.#log[level]("lost the scheduler; reconnecting", { reason });
    this.#teardown();
    this.#connectLoop().catch((err: Error) => {
      this.#log.error("giving up", { reason: err.message });
      // A refusal (token, version) ends `done` with that error, so the CLI exits 2 as it does
      // when refused at start; anything else is a worker lost (exit 1).
      void this.close(err.message, 1, isFinal(err) ? (err as BarnError) : undefined);
    });
  }

  #teardown(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    this.#conn = undefined;
    this.#bridge?.close();
    this.#bridge = undefined;
    const t = this.#thread;
    const dir = this.#dir;
    this.#thread = undefined;
    this.#dir = undefined;
    const gone = t?.terminate() ?? Promise.resolve(0);
    this.#cleanup = gone.then(() => (dir === undefined ? undefined : removeWorkerDirectory(dir)));
  }

  /** Leave the cluster (telling the scheduler) and stop. */
  async close(reason = "closed", exitCode = 0, cause?: BarnError): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const conn = this.#conn;
    if (conn !== undefined) {
      // A clean exit says goodbye, so its tasks move without counting as a death; a crash
      // (the task thread died) just drops the link, and counts against the task that ran.
      if (exitCode === 0) {
        conn.send({ t: "goodbye", reason } satisfies WorkerToScheduler);
        await Promise.race([conn.drained(), sleep(500)]);
      }
      conn.close(reason);
    }
    this.#teardown();
    await this.#listener?.close();
    await this.#cleanup;
    this.#log.info("worker closed", { reason });
    if (exitCode === 0) this.#finish();
    else this.#finish(cause ?? new BarnError(ErrorCodes.WORKER_LOST, reason));
  }
}

/**
 * The worker stopped for a reason a restart cannot fix: refused, or no scheduler within its
 * death timeout (a nanny does not start it again).
 */
function isFinal(err: unknown): boolean {
  return isRefusal(err) || (err as { code?: unknown } | null)?.code === ErrorCodes.CONNECT_FAILED;
}

/** The scheduler refused this worker (wrong token, other version): retrying cannot help. */
export function isRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === ErrorCodes.AUTH_FAILED || code === ErrorCodes.VERSION_MISMATCH;
}

function hostOf(address: string): string {
  const u = new URL(address);
  return u.hostname.replace(/^\[|\]$/g, "");
}

/**
 * TLS of the peer listener. Its results are worth as much as the scheduler's control, so it
 * follows the same bind policy. Without a token, peers must present a certificate signed by
 * the CA (mutual TLS): they present the one they show the scheduler, which, on a cluster that
 * is not on loopback, requires one for the same reason.
 */
function peerTls(o: WorkerNodeOptions): WorkerNodeOptions["tls"] {
  const t = o.tls;
  if (o.token !== undefined || t?.ca === undefined || t.cert === undefined) return t;
  return { ...t, requireClientCert: true };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
