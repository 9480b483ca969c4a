/**
 * A cluster manager's line to a scheduler it started elsewhere (SSH, Kubernetes): a client
 * connection of its own, used for the load (adaptive scaling) and retirement, and the
 * connection settings for the user's clients. The token stays in this object.
 */
import { randomBytes } from "node:crypto";
import type { SchedulerControl } from "../deploy/cluster-manager.js";
import type { Backend, LoadInfo } from "../protocol/backend.js";
import type { WorkerId } from "../protocol/ids.js";
import { RemoteBackend } from "./remote-backend.js";

export interface RemoteControlOptions {
  readonly token: string;
  readonly tls?:
    | {
        readonly ca?: string | undefined;
        readonly cert?: string | undefined;
        readonly key?: string | undefined;
      }
    | undefined;
  readonly timeoutMs?: number | undefined;
}

export class RemoteControl implements SchedulerControl {
  readonly #address: string;
  readonly #o: RemoteControlOptions;
  readonly #backend: RemoteBackend;

  private constructor(address: string, o: RemoteControlOptions, backend: RemoteBackend) {
    this.#address = address;
    this.#o = o;
    this.#backend = backend;
  }

  static async connect(address: string, o: RemoteControlOptions): Promise<RemoteControl> {
    const backend = await RemoteBackend.connect(address, {
      token: o.token,
      tls: o.tls,
      timeoutMs: o.timeoutMs ?? 30_000,
    });
    backend.open(`manager-${randomBytes(4).toString("hex")}`, () => {});
    await backend.ready();
    return new RemoteControl(address, o, backend);
  }

  load(): Promise<LoadInfo> {
    return this.#backend.load();
  }

  retire(ids: readonly WorkerId[]): Promise<WorkerId[]> {
    return this.#backend.retireWorkers(ids);
  }

  /** A new connection for a user's client. */
  clientBackend(): Promise<Backend> {
    return RemoteBackend.connect(this.#address, {
      token: this.#o.token,
      tls: this.#o.tls,
      timeoutMs: this.#o.timeoutMs,
    });
  }

  async close(): Promise<void> {
    await this.#backend.close("manager");
  }
}
