/**
 * One remote client on a `barn scheduler`: its connection's messages become calls on the
 * scheduler's in-process backend (the same one the embedded cluster uses), and the backend's
 * reports go back over the connection. A malformed message gets an error reply (or closes this
 * one connection); it never reaches the scheduler's state, so other clients are not affected.
 */

import type { Logger } from "../diagnostics/log.js";
import { BarnError, ErrorCodes, errorToData } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { ClientId } from "../protocol/ids.js";
import type {
  BundleData,
  ClientToScheduler,
  GatherReply,
  SchedulerToClient,
} from "../protocol/wire.js";
import type { ShippedFn } from "../shipping/ship.js";
import type { Connection } from "../transport/types.js";
import type { LocalBackend } from "./local-backend.js";

export interface SessionHost {
  readonly backend: LocalBackend;
  readonly log: Logger;
  /** Remember bundled module code so workers (also later ones) get it with the functions. */
  addBundles(bundles: readonly BundleData[]): void;
  workerList(): { id: string; name: string; nthreads: number }[];
  /** The dashboard's interface and port, when the scheduler serves one. */
  dashboard(): { host: string; port: number } | undefined;
}

export class ClientSession {
  readonly #conn: Connection;
  readonly #host: SessionHost;
  #client: ClientId | undefined;

  constructor(conn: Connection, host: SessionHost, onEnd?: () => void) {
    this.#conn = conn;
    this.#host = host;
    conn.onMessage((m) => this.#onMessage(m));
    conn.onClose(() => {
      this.#closed();
      onEnd?.();
    });
  }

  /** Tell the client the current workers. */
  sendWorkers(): void {
    this.#send({ t: "workers", workers: this.#host.workerList() });
  }

  #send(msg: SchedulerToClient): void {
    this.#conn.send(msg);
  }

  #onMessage(raw: unknown): void {
    const msg = raw as ClientToScheduler;
    try {
      this.#dispatch(msg);
    } catch (err) {
      const id = typeof (msg as { id?: unknown }).id === "number" ? (msg as { id: number }).id : -1;
      this.#host.log.warn("bad message from client", {
        client: this.#client,
        type: String((msg as { t?: unknown })?.t),
        error: err,
      });
      if (id >= 0) this.#send({ t: "reply", id, error: errorToData(err) });
      else this.#conn.close("malformed message");
    }
  }

  #dispatch(msg: ClientToScheduler): void {
    if (typeof msg !== "object" || msg === null || typeof msg.t !== "string") {
      throw bad("a message must be an object with a type");
    }
    if (msg.t === "ping") {
      this.#send({ t: "pong" });
      return;
    }
    if (msg.t === "open") {
      if (this.#client !== undefined) throw bad("this connection already opened a client");
      if (typeof msg.client !== "string") throw bad("open needs a client id");
      this.#client = msg.client;
      this.#host.backend.open(msg.client, (reports) =>
        this.#send({ t: "reports", reports: reports }),
      );
      this.#host.log.info("client connected", { client: msg.client, remote: this.#conn.remote });
      // Before the workers list: the client is ready once that arrives, dashboard link known.
      const dashboard = this.#host.dashboard();
      if (dashboard !== undefined) this.#send({ t: "dashboard", ...dashboard });
      this.sendWorkers();
      return;
    }
    const client = this.#client;
    if (client === undefined) throw bad(`"${msg.t}" before "open"`);
    const backend = this.#host.backend;
    switch (msg.t) {
      case "submit":
        checkTasks(msg.tasks);
        checkKeys(msg.wanted);
        checkArray(msg.fns, "fns");
        if (msg.bundles) this.#host.addBundles(msg.bundles);
        backend.submit(client, msg.tasks, msg.wanted, msg.fns as ShippedFn[]);
        return;
      case "calls":
        checkKeys(msg.keys);
        checkArray(msg.columns, "columns");
        if (msg.bundles) this.#host.addBundles(msg.bundles);
        backend.submitCalls(client, {
          fn: msg.fn,
          local: noLocal,
          columns: msg.columns,
          keys: msg.keys,
          options: msg.options,
          fresh: msg.fresh,
        });
        return;
      case "desire":
        checkKeys(msg.keys);
        backend.desire(client, msg.keys);
        return;
      case "release":
        checkKeys(msg.keys);
        backend.release(client, msg.keys);
        return;
      case "cancel":
        checkKeys(msg.keys);
        backend.cancel(client, msg.keys);
        return;
      case "gather":
        checkKeys(msg.keys);
        this.#answer(msg.id, this.#gather(msg.keys));
        return;
      case "scatter":
        checkKeys(msg.keys);
        checkArray(msg.values, "values");
        this.#answer(msg.id, backend.scatter(client, msg.keys, msg.values, msg.workers));
        return;
      case "dump":
        this.#answer(msg.id, backend.dump());
        return;
      case "memory":
        this.#answer(msg.id, backend.memoryReport());
        return;
      case "story":
        this.#answer(msg.id, backend.story(msg.key));
        return;
      case "close-client":
        this.#answer(msg.id, this.#release());
        return;
      case "retire":
        checkKeys(msg.workers);
        this.#answer(msg.id, backend.retireWorkers(msg.workers));
        return;
      case "load":
        this.#answer(msg.id, backend.load());
        return;
      default:
        throw bad(`unknown message type "${(msg as { t: string }).t}"`);
    }
  }

  async #gather(keys: readonly Key[]): Promise<GatherReply> {
    const backend = this.#host.backend;
    const { values, missing } = await backend.fetch(keys);
    return { values, missing, stillHeld: missing.map((i) => backend.inMemory(keys[i]!)) };
  }

  #answer(id: number, p: Promise<unknown>): void {
    p.then(
      (value) => this.#send({ t: "reply", id, value }),
      (err: unknown) => this.#send({ t: "reply", id, error: errorToData(err) }),
    );
  }

  async #release(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) {
      await this.#host.backend.close(client);
      this.#host.log.info("client closed", { client });
    }
  }

  #closed(): void {
    const client = this.#client;
    if (client === undefined) return;
    this.#client = undefined;
    this.#host.log.info("client disconnected", { client });
    void this.#host.backend.close(client);
  }
}

const noLocal = (): never => {
  throw new BarnError(ErrorCodes.INTERNAL, "remote calls run on workers, not on the scheduler");
};

function bad(what: string): BarnError {
  return new BarnError(ErrorCodes.INVALID_OPTION, `malformed client message: ${what}`);
}

function checkArray(v: unknown, name: string): void {
  if (!Array.isArray(v)) throw bad(`${name} must be an array`);
}

function checkTasks(tasks: unknown): void {
  checkArray(tasks, "tasks");
  for (const t of tasks as unknown[]) {
    const task = t as { key?: unknown; deps?: unknown; run?: unknown };
    if (typeof t !== "object" || t === null || typeof task.key !== "string" || task.key === "") {
      throw bad("every task needs a non-empty string key");
    }
    checkKeys(task.deps);
    if (typeof task.run !== "object" || task.run === null) throw bad(`task ${task.key} has no run`);
  }
}

function checkKeys(keys: unknown): void {
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string" && k.length > 0)) {
    throw bad("keys must be an array of non-empty strings");
  }
}
