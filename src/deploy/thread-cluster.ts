/**
 * A cluster of worker threads in this process, with the scheduler in the calling thread. Every
 * pair of workers gets its own MessageChannel so they fetch inputs from each other directly.
 * A worker thread that dies is reported to the scheduler (its tasks are re-run, its lost
 * results recomputed) and replaced by a fresh one; so is one the scheduler restarts because a
 * cancelled task still runs there past the grace period.
 */
import { availableParallelism } from "node:os";
import { MessageChannel, type Worker } from "node:worker_threads";
import { BarnError, ErrorCodes } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { WorkerId } from "../protocol/ids.js";
import type { FromWorker, ToWorker, WorkerInit } from "../protocol/worker-messages.js";
import type { SchedulerServer } from "../scheduler/server.js";
import { isOutOfMemory, outOfMemoryReason } from "./out-of-memory.js";
import {
  defaultMemoryLimit,
  heapLimits,
  memoryInit,
  removeWorkerDirectory,
  workerDirectory,
} from "./worker-memory.js";
import { WorkerRequests } from "./worker-requests.js";
import { startWorkerThread } from "./worker-thread.js";

export interface ThreadClusterOptions {
  /** Worker threads. Default: one per core (os.availableParallelism()). */
  readonly workers?: number | undefined;
  /** Concurrent tasks per worker (async tasks overlap; sync tasks run one at a time). */
  readonly threadsPerWorker?: number | undefined;
  /**
   * Memory per worker thread, bytes, buffers included: results spill past 60% of it, the worker
   * pauses past 80%, and it is the thread's heap limit. Default: the machine's memory divided
   * among the workers (then no heap limit is set).
   */
  readonly memoryLimit?: number | undefined;
  /** Where workers spill: each gets a folder of its own inside. Default: the OS temp dir. */
  readonly localDirectory?: string | undefined;
  /** Resources every worker declares, e.g. { GPU: 1 }. */
  readonly resources?: Readonly<Record<string, number>> | undefined;
}

interface Member {
  readonly id: WorkerId;
  readonly name: string;
  readonly thread: Worker;
  /** Its spill folder, removed when it goes. */
  readonly dir: string;
  alive: boolean;
}

const THREAD_MAIN = new URL("../worker/thread-main.js", import.meta.url);

export class ThreadCluster {
  readonly #server: SchedulerServer;
  readonly #members = new Map<WorkerId, Member>();
  readonly #options: {
    readonly workers: number;
    readonly threadsPerWorker: number;
    readonly memoryLimit: number | undefined;
    readonly localDirectory: string | undefined;
    readonly resources: Readonly<Record<string, number>>;
  };
  readonly #requests = new WorkerRequests((id, msg) => {
    const m = this.#members.get(id);
    m?.thread.postMessage(msg);
    return m !== undefined;
  });
  #nextWorker = 0;
  #closing = false;
  /** Called when a worker thread died unexpectedly (after the scheduler was told). */
  onWorkerDied: ((id: WorkerId, reason: string) => void) | undefined;

  private constructor(server: SchedulerServer, options: ThreadClusterOptions) {
    this.#server = server;
    this.#options = {
      workers: options.workers ?? availableParallelism(),
      threadsPerWorker: options.threadsPerWorker ?? 1,
      memoryLimit: options.memoryLimit,
      localDirectory: options.localDirectory,
      resources: options.resources ?? {},
    };
  }

  static async start(server: SchedulerServer, options: ThreadClusterOptions = {}) {
    const cluster = new ThreadCluster(server, options);
    server.onRestartWorker = (id, reason) => cluster.#restart(id, reason);
    const started: Promise<Member>[] = [];
    for (let i = 0; i < cluster.#options.workers; i++) started.push(cluster.#spawn());
    await Promise.all(started);
    return cluster;
  }

  get size(): number {
    return this.#members.size;
  }

  workerIds(): WorkerId[] {
    return [...this.#members.keys()];
  }

  /** The thread of a worker, for tests that need to crash one. */
  threadOf(id: WorkerId): Worker | undefined {
    return this.#members.get(id)?.thread;
  }

  #spawn(): Promise<Member> {
    const n = this.#nextWorker++;
    const id = `local-w${n}`;
    const limit = this.#options.memoryLimit;
    const dir = workerDirectory(this.#options.localDirectory, id);
    const init: WorkerInit = {
      id,
      name: id,
      nthreads: this.#options.threadsPerWorker,
      resources: this.#options.resources,
      memory: memoryInit(limit ?? defaultMemoryLimit(this.#options.workers), dir, false),
    };
    const resourceLimits = heapLimits(limit);
    const thread = startWorkerThread(THREAD_MAIN, {
      workerData: init,
      ...(resourceLimits ? { resourceLimits } : {}),
    });
    const member: Member = { id, name: id, thread, dir, alive: true };
    return new Promise((resolve, reject) => {
      let ready = false;
      thread.on("message", (msg: FromWorker) => {
        if (msg.t === "ready") {
          ready = true;
          // A replacement that finished starting after close(): it must not keep us alive.
          if (this.#closing) void thread.terminate();
          else {
            // The thread alone does not keep the process alive: a script that forgets close()
            // still exits. The client holds the process alive while someone awaits a result.
            thread.unref();
            this.#join(member);
          }
          resolve(member);
        } else this.#onMessage(member, msg);
      });
      thread.on("error", (err) => {
        if (!ready) reject(err);
        if (isOutOfMemory(err)) {
          const why = outOfMemoryReason(limit);
          // Said here too: a death within allowedFailures reaches no error the user sees.
          process.emitWarning(`barn: worker ${id} died: ${why}`, "BarnWarning");
          this.#lost(member, why);
        } else this.#lost(member, `worker thread error: ${err.message}`);
      });
      thread.on("exit", (code) => {
        if (!ready) {
          const msg = `worker thread ${id} exited with code ${code} while starting: check that memoryLimit leaves room for a thread (at least tens of MiB) and the process's stderr for the cause`;
          reject(new BarnError(ErrorCodes.WORKER_LOST, msg));
        }
        this.#lost(member, `worker thread exited with code ${code}`);
      });
    });
  }

  /** Register a started worker with the scheduler and link it with every other worker. */
  #join(m: Member): void {
    for (const other of this.#members.values()) {
      const { port1, port2 } = new MessageChannel();
      m.thread.postMessage({ t: "peer", peer: other.id, port: port1 } satisfies ToWorker, [port1]);
      other.thread.postMessage({ t: "peer", peer: m.id, port: port2 } satisfies ToWorker, [port2]);
    }
    this.#members.set(m.id, m);
    this.#server.addWorker(
      m.id,
      { post: (msg, transfer) => m.thread.postMessage(msg, transfer) },
      {
        name: m.name,
        nthreads: this.#options.threadsPerWorker,
        resources: { ...this.#options.resources },
      },
    );
  }

  #onMessage(m: Member, msg: FromWorker): void {
    if (msg.t === "report") {
      this.#server.onWorkerReport(m.id, msg);
      return;
    }
    if (msg.t === "memory") {
      this.#server.onWorkerMemory(m.id, msg);
      return;
    }
    if (msg.t === "data" || msg.t === "put-ok" || msg.t === "dump")
      this.#requests.answer(m.id, msg);
  }

  /** Terminate a worker thread stuck in a cancelled task, and start a fresh one in its place. */
  #restart(id: WorkerId, reason: string): void {
    const m = this.#members.get(id);
    if (m === undefined) return;
    process.emitWarning(`barn: restarting worker ${id}: ${reason}`, "BarnWarning");
    this.#lost(m, reason);
    void m.thread.terminate();
  }

  #lost(m: Member, reason: string): void {
    if (!m.alive) return;
    m.alive = false;
    this.#members.delete(m.id);
    // After the thread is gone: a write in flight must not recreate the folder.
    void m.thread.terminate().then(() => removeWorkerDirectory(m.dir));
    this.#requests.workerGone(m.id, reason);
    if (this.#closing) return;
    for (const other of this.#members.values()) {
      other.thread.postMessage({ t: "peer-gone", peer: m.id } satisfies ToWorker);
    }
    this.#server.removeWorker(m.id, false, reason);
    this.onWorkerDied?.(m.id, reason);
    this.#spawn().catch((err: unknown) => {
      // The cluster keeps serving with one worker fewer; say so rather than fail silently.
      const why = err instanceof Error ? err.message : String(err);
      process.emitWarning(`barn: could not replace worker ${m.id}: ${why}`, "BarnWarning");
    });
  }

  /** Stop a retired worker's thread (the scheduler already removed it); no replacement. */
  async retire(id: WorkerId): Promise<void> {
    const m = this.#members.get(id);
    if (m === undefined) return;
    m.alive = false;
    this.#members.delete(id);
    this.#requests.workerGone(id, "retired");
    for (const other of this.#members.values()) {
      other.thread.postMessage({ t: "peer-gone", peer: id } satisfies ToWorker);
    }
    await m.thread.terminate();
  }

  /** Values of `keys` held by worker `id`, and the keys it did not have. */
  getData(id: WorkerId, keys: readonly Key[]) {
    return this.#requests.getData(id, keys);
  }

  /** Place values on worker `id`; returns their sizes in bytes. */
  putData(id: WorkerId, keys: readonly Key[], values: readonly unknown[]) {
    return this.#requests.putData(id, keys, values);
  }

  /** A worker's state machine dump (JSON), for debugging. */
  dumpWorker(id: WorkerId): Promise<unknown> {
    return this.#requests.dumpWorker(id);
  }

  async close(): Promise<void> {
    this.#closing = true;
    const exits = [...this.#members.values()].map((m) =>
      m.thread.terminate().then(() => removeWorkerDirectory(m.dir)),
    );
    await Promise.allSettled(exits);
    this.#members.clear();
  }
}
