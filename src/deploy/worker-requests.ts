/**
 * Requests a scheduler makes of one worker directly (get-data, put-data, dump) and their
 * answers, matched by request id: shared by the thread pool and the process pool, which differ
 * only in how a message reaches the worker. A worker that leaves fails its open requests with
 * WORKER_LOST; callers (gather, scatter) treat that as "fetch again from another holder".
 */
import { BarnError, ErrorCodes, errorFromData } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { WorkerId } from "../protocol/ids.js";
import { joinKeys } from "../protocol/ops-codec.js";
import type { FromWorker, ToWorker } from "../protocol/worker-messages.js";
import type { WorkerPool } from "./worker-pool.js";

type Reply = Extract<FromWorker, { t: "data" | "put-ok" | "dump" }>;

interface Pending {
  readonly resolve: (m: Reply) => void;
  readonly reject: (e: Error) => void;
}

export class WorkerRequests implements Omit<WorkerPool, "workerIds" | "close"> {
  /** Sends `msg` to worker `id`; false when no such worker is connected. */
  readonly #send: (id: WorkerId, msg: ToWorker) => boolean;
  readonly #open = new Map<WorkerId, Map<number, Pending>>();
  #next = 1;

  constructor(send: (id: WorkerId, msg: ToWorker) => boolean) {
    this.#send = send;
  }

  /** A worker's answer arrived. */
  answer(worker: WorkerId, msg: Reply): void {
    const open = this.#open.get(worker);
    const p = open?.get(msg.id);
    if (p === undefined) return;
    open!.delete(msg.id);
    p.resolve(msg);
  }

  /** The worker left: its open requests fail with WORKER_LOST. */
  workerGone(worker: WorkerId, reason: string): void {
    const open = this.#open.get(worker);
    this.#open.delete(worker);
    if (open === undefined) return;
    const err = new BarnError(ErrorCodes.WORKER_LOST, `worker ${worker} is gone: ${reason}`);
    for (const p of open.values()) p.reject(err);
  }

  #request(worker: WorkerId, make: (id: number) => ToWorker): Promise<Reply> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      let open = this.#open.get(worker);
      if (open === undefined) this.#open.set(worker, (open = new Map()));
      open.set(id, { resolve, reject });
      if (!this.#send(worker, make(id))) {
        open.delete(id);
        reject(new BarnError(ErrorCodes.WORKER_LOST, `worker ${worker} is gone`));
      }
    });
  }

  async getData(id: WorkerId, keys: readonly Key[]) {
    const r = await this.#request(id, (rid) => ({ t: "get-data", id: rid, keys: joinKeys(keys) }));
    if (r.t !== "data") throw unexpected(r);
    if (r.error !== undefined) throw errorFromData(r.error);
    return r;
  }

  async putData(id: WorkerId, keys: readonly Key[], values: readonly unknown[]) {
    const r = await this.#request(id, (rid) => ({ t: "put-data", id: rid, keys, values }));
    if (r.t !== "put-ok") throw unexpected(r);
    return r.nbytes;
  }

  async dumpWorker(id: WorkerId): Promise<unknown> {
    const r = await this.#request(id, (rid) => ({ t: "dump", id: rid }));
    return r.t === "dump" ? r.state : undefined;
  }
}

function unexpected(r: Reply): BarnError {
  return new BarnError(ErrorCodes.INTERNAL, `a worker answered a request with "${r.t}"`);
}
