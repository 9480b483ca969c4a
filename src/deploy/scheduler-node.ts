/**
 * A scheduler that serves the network: the SchedulerServer (shell of the pure SchedulerState)
 * plus a listener. Worker processes join as role "worker" (RemoteWorkers), clients as role
 * "client" (one ClientSession each). `barn scheduler` runs one; `Client.connect({ processes:
 * true })` runs one inside the client's process, on loopback.
 */

import { type DashboardOptions, DashboardServer } from "../dashboard/server.js";
import { type Logger, silentLogger } from "../diagnostics/log.js";
import { BarnError, ErrorCodes } from "../errors.js";
import type { BundleData } from "../protocol/wire.js";
import type { SchedulerConfig } from "../scheduler/protocol.js";
import { SchedulerServer } from "../scheduler/server.js";
import { listen } from "../transport/index.js";
import type { Connection, Listener, SecurityOptions } from "../transport/types.js";
import { ClientSession, type SessionHost } from "./client-session.js";
import { LocalBackend } from "./local-backend.js";
import { RemoteWorkers } from "./remote-workers.js";

export type { SecurityOptions };

export interface SchedulerNodeOptions extends SecurityOptions {
  /** Where to listen. Default "tcp://127.0.0.1:8786"; port 0 picks a free one. */
  readonly address?: string | undefined;
  readonly config?: Partial<SchedulerConfig> | undefined;
  /** A worker silent for this long is declared lost. Default 10 s. */
  readonly heartbeatTimeoutMs?: number | undefined;
  /** Listen on a non-loopback address without a token or mutual TLS (refused by default). */
  readonly allowInsecure?: boolean | undefined;
  /** Largest frame accepted from an authenticated peer, bytes. Default 1 GiB. */
  readonly maxFrameBytes?: number | undefined;
  /**
   * The listener and its connections do not keep the process alive: for the scheduler that
   * `Client.connect({ processes: true })` embeds in a script. Never for `barn scheduler`.
   */
  readonly unref?: boolean | undefined;
  readonly log?: Logger | undefined;
  /** Serve the dashboard (docs/diagnostics.md); the token, when set, guards it too. */
  readonly dashboard?: Omit<DashboardOptions, "token" | "log"> | undefined;
}

export class SchedulerNode {
  readonly server: SchedulerServer;
  readonly workers: RemoteWorkers;
  /** The scheduler-side backend every client session drives. */
  readonly backend: LocalBackend;
  readonly log: Logger;
  readonly #sessions = new Set<ClientSession>();
  readonly #host: SessionHost;
  #listener: Listener | undefined;
  #closed = false;
  /** The dashboard, when `dashboard` was given. */
  dashboard: DashboardServer | undefined;

  private constructor(options: SchedulerNodeOptions) {
    this.log = options.log ?? silentLogger;
    this.server = new SchedulerServer({ config: options.config, log: this.log.child("scheduler") });
    this.workers = new RemoteWorkers(this.server, {
      heartbeatTimeoutMs: options.heartbeatTimeoutMs,
      log: this.log.child("workers"),
    });
    this.backend = new LocalBackend(this.server, this.workers, { ownsPool: false });
    this.workers.onChange = () => {
      for (const s of this.#sessions) s.sendWorkers();
    };
    this.#host = {
      backend: this.backend,
      log: this.log.child("clients"),
      addBundles: (bundles: readonly BundleData[]) => this.server.registerBundles(bundles),
      workerList: () =>
        this.workers.list().map((w) => ({ id: w.id, name: w.name, nthreads: w.nthreads })),
      dashboard: () => this.dashboard && { host: this.dashboard.host, port: this.dashboard.port },
    };
  }

  static async start(options: SchedulerNodeOptions = {}): Promise<SchedulerNode> {
    const node = new SchedulerNode(options);
    const address = options.address ?? "tcp://127.0.0.1:8786";
    try {
      node.#listener = await listen(address, {
        hello: { role: "scheduler", name: "scheduler" },
        token: options.token,
        tls: options.tls,
        allowInsecure: options.allowInsecure,
        maxFrameBytes: options.maxFrameBytes,
        unref: options.unref,
        onConnection: (conn) => node.#onConnection(conn),
        onRefused: (remote, err) =>
          node.log.warn("connection refused", { remote, code: codeOf(err), reason: err.message }),
      });
    } catch (err) {
      await node.workers.close();
      throw err;
    }
    node.log.info("scheduler listening", {
      address: node.address,
      auth: authOf(options),
      tls: options.tls !== undefined,
    });
    if (options.dashboard !== undefined) {
      try {
        node.dashboard = await DashboardServer.start(node.server, {
          ...options.dashboard,
          token: options.token,
          log: node.log.child("dashboard"),
        });
      } catch (err) {
        await node.close();
        throw err;
      }
      node.log.info("dashboard", { link: node.dashboard.link });
    }
    return node;
  }

  /** The address workers and clients connect to. */
  get address(): string {
    if (this.#listener === undefined) {
      throw new BarnError(ErrorCodes.INTERNAL, "scheduler is not listening");
    }
    return this.#listener.address;
  }

  #onConnection(conn: Connection): void {
    if (this.#closed) {
      conn.close("scheduler closing");
      return;
    }
    switch (conn.peer.role) {
      case "worker":
        this.workers.accept(conn);
        return;
      case "client": {
        const session: ClientSession = new ClientSession(conn, this.#host, () =>
          this.#sessions.delete(session),
        );
        this.#sessions.add(session);
        return;
      }
      default:
        this.log.warn("unexpected role; closing", { role: conn.peer.role, remote: conn.remote });
        conn.close(`a scheduler does not serve role ${conn.peer.role}`);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.dashboard?.close();
    await this.#listener?.close();
    this.server.close();
    await this.workers.close();
    this.log.info("scheduler closed");
  }
}

/** How peers prove who they are, for the log line (never the secret itself). */
function authOf(options: SchedulerNodeOptions): string {
  const mtls = options.tls?.requireClientCert === true ? "client-certificate" : undefined;
  const token = options.token !== undefined ? "token" : undefined;
  return [token, mtls].filter((x) => x !== undefined).join("+") || "none";
}

function codeOf(err: Error): string | undefined {
  return (err as { code?: string }).code;
}
