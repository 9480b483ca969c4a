/**
 * The scheduler's side of worker processes: each `barn worker` connects, registers (name,
 * threads, resources, the address its peers fetch from), and is added to the SchedulerServer
 * with its connection as the worker link. Everyone else learns about it (`peer-join`), and
 * about its departure (`peer-gone`). A worker is lost when its connection closes or when it
 * has been silent longer than the heartbeat timeout (a cut link closes nothing by itself);
 * the scheduler then re-runs its tasks and recomputes its lost results from lineage.
 */

import { type Logger, silentLogger } from "../diagnostics/log.js";
import { BarnError, ErrorCodes } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { Resources, WorkerId } from "../protocol/ids.js";
import type { PeerInfo, SchedulerToWorker, WorkerToScheduler } from "../protocol/wire.js";
import type { SchedulerServer } from "../scheduler/server.js";
import type { Connection } from "../transport/types.js";
import type { WorkerPool } from "./worker-pool.js";
import { WorkerRequests } from "./worker-requests.js";

export interface RemoteWorkersOptions {
  /** A worker silent for this long is declared lost. Default 10 s. */
  readonly heartbeatTimeoutMs?: number | undefined;
  readonly log?: Logger | undefined;
}

interface Member {
  readonly id: WorkerId;
  readonly name: string;
  readonly conn: Connection;
  readonly address: string;
  readonly nthreads: number;
  readonly resources: Resources;
  lastSeen: number;
  alive: boolean;
}

export class RemoteWorkers implements WorkerPool {
  readonly #server: SchedulerServer;
  readonly #members = new Map<WorkerId, Member>();
  readonly #log: Logger;
  readonly #timeoutMs: number;
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #joinWaiters: (() => void)[] = [];
  readonly #requests = new WorkerRequests((id, msg) => {
    const m = this.#members.get(id);
    m?.conn.send(msg);
    return m !== undefined;
  });
  #closing = false;
  /** Called when the set of workers changed (clients keep a list). */
  onChange: (() => void) | undefined;

  constructor(server: SchedulerServer, options: RemoteWorkersOptions = {}) {
    this.#server = server;
    server.onRestartWorker = (id, reason) => this.#restart(id, reason);
    this.#log = options.log ?? silentLogger;
    this.#timeoutMs = options.heartbeatTimeoutMs ?? 10_000;
    this.#timer = setInterval(this.#checkHeartbeats, Math.max(50, this.#timeoutMs / 4));
    this.#timer.unref();
  }

  get size(): number {
    return this.#members.size;
  }

  workerIds(): WorkerId[] {
    return [...this.#members.keys()];
  }

  /** Name, threads and address of every worker. */
  list(): { id: WorkerId; name: string; nthreads: number; address: string }[] {
    return [...this.#members.values()].map((m) => ({
      id: m.id,
      name: m.name,
      nthreads: m.nthreads,
      address: m.address,
    }));
  }

  /** Resolves once at least `n` workers have registered. */
  async waitForWorkers(n: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#members.size < n) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new BarnError(
          ErrorCodes.TIMEOUT,
          `only ${this.#members.size} of ${n} workers joined within ${timeoutMs} ms; check the workers' logs`,
        );
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.#joinWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** A connection that completed the handshake as role "worker": wait for its registration. */
  accept(conn: Connection): void {
    let member: Member | undefined;
    conn.onMessage((raw) => {
      const msg = raw as WorkerToScheduler;
      if (member === undefined) {
        if (msg.t !== "register") {
          this.#log.warn("worker sent a message before registering; closing it", {
            remote: conn.remote,
            type: String((msg as { t?: unknown }).t),
          });
          conn.close("register first");
          return;
        }
        member = this.#register(conn, msg);
        return;
      }
      // A member removed while its connection lingers (a restart) speaks for nobody now.
      if (!member.alive) return;
      member.lastSeen = Date.now();
      try {
        this.#onMessage(member, msg);
      } catch (err) {
        // A malformed message from a worker: drop that worker, keep serving everyone else.
        this.#log.error("bad message from worker; closing it", { worker: member.id, error: err });
        conn.close("malformed message");
      }
    });
    conn.onClose((err) => {
      if (member !== undefined) this.#lost(member, err ? err.message : "connection closed");
    });
  }

  #register(conn: Connection, msg: Extract<WorkerToScheduler, { t: "register" }>): Member {
    let id = msg.name;
    for (let n = 1; this.#members.has(id); n++) id = `${msg.name}-${n}`;
    const member: Member = {
      id,
      name: msg.name,
      conn,
      address: msg.address,
      nthreads: msg.nthreads,
      resources: msg.resources,
      lastSeen: Date.now(),
      alive: true,
    };
    const peers: PeerInfo[] = [...this.#members.values()].map((m) => ({
      id: m.id,
      address: m.address,
    }));
    this.#members.set(id, member);
    send(conn, { t: "welcome", id, peers });
    for (const other of this.#members.values()) {
      if (other !== member)
        send(other.conn, { t: "peer-join", peer: { id, address: msg.address } });
    }
    this.#server.addWorker(
      id,
      { post: (m) => conn.send(m) },
      { name: msg.name, nthreads: msg.nthreads, resources: { ...msg.resources } },
    );
    this.#log.info("worker joined", {
      worker: id,
      address: msg.address,
      nthreads: msg.nthreads,
      remote: conn.remote,
    });
    for (const w of this.#joinWaiters.splice(0)) w();
    this.onChange?.();
    return member;
  }

  #onMessage(m: Member, msg: WorkerToScheduler): void {
    switch (msg.t) {
      case "report":
        this.#server.onWorkerReport(m.id, msg);
        return;
      case "memory":
        this.#server.onWorkerMemory(m.id, msg);
        return;
      case "data":
      case "put-ok":
      case "dump":
        this.#requests.answer(m.id, msg);
        return;
      case "heartbeat":
        send(m.conn, { t: "heartbeat-ack" });
        return;
      case "dying":
        this.#lost(m, `worker ${m.id} died: ${msg.reason}`);
        m.conn.close("dying");
        return;
      case "goodbye":
        this.#log.info("worker left", { worker: m.id, reason: msg.reason });
        this.#remove(m, true, `worker closed: ${msg.reason}`);
        m.conn.close("goodbye");
        return;
      case "ready":
      case "register":
        return;
      default:
        msg satisfies never;
    }
  }

  readonly #checkHeartbeats = (): void => {
    const now = Date.now();
    for (const m of this.#members.values()) {
      if (now - m.lastSeen <= this.#timeoutMs) continue;
      const reason = `no heartbeat for ${((now - m.lastSeen) / 1000).toFixed(1)} s`;
      this.#lost(m, reason);
      m.conn.close(reason);
    }
  };

  /**
   * Ask a worker process to restart its task thread (stuck in a cancelled task): it drops this
   * connection and registers again as a new worker. The scheduler already dropped it.
   */
  #restart(id: WorkerId, reason: string): void {
    const m = this.#members.get(id);
    if (m === undefined) return;
    this.#log.warn("restarting worker", { worker: id, reason });
    send(m.conn, { t: "restart", reason });
    this.#remove(m, true, reason);
  }

  #lost(m: Member, reason: string): void {
    if (!m.alive) return;
    if (!this.#closing) this.#log.warn("worker lost", { worker: m.id, reason });
    this.#remove(m, false, reason);
  }

  #remove(m: Member, expected: boolean, reason: string): void {
    if (!m.alive) return;
    m.alive = false;
    this.#members.delete(m.id);
    this.#requests.workerGone(m.id, reason);
    if (this.#closing) return;
    for (const other of this.#members.values()) send(other.conn, { t: "peer-gone", peer: m.id });
    this.#server.removeWorker(m.id, expected, reason);
    this.onChange?.();
  }

  /**
   * A retired worker (the scheduler already removed it) is told to close: it says goodbye and
   * its process exits with code 0, which whoever started it takes as "do not replace".
   */
  async retire(id: WorkerId): Promise<void> {
    const m = this.#members.get(id);
    if (m === undefined) return;
    m.alive = false;
    this.#members.delete(id);
    this.#requests.workerGone(id, "retired");
    for (const other of this.#members.values()) send(other.conn, { t: "peer-gone", peer: id });
    send(m.conn, { t: "close" });
    this.#log.info("worker retired", { worker: id });
    this.onChange?.();
  }

  getData(id: WorkerId, keys: readonly Key[]) {
    return this.#requests.getData(id, keys);
  }

  putData(id: WorkerId, keys: readonly Key[], values: readonly unknown[]) {
    return this.#requests.putData(id, keys, values);
  }

  dumpWorker(id: WorkerId): Promise<unknown> {
    return this.#requests.dumpWorker(id);
  }

  /**
   * Drop every worker connection. Workers are not told to exit: they reconnect to whichever
   * scheduler comes up at the address (a restart), or are stopped by whoever started them.
   */
  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#timer);
    for (const m of this.#members.values()) m.conn.close("scheduler closing");
    this.#members.clear();
  }
}

function send(conn: Connection, msg: SchedulerToWorker): void {
  conn.send(msg);
}
