/**
 * Messages of the cluster protocol that exist only over the network: a worker process joining
 * its scheduler and learning its peers, heartbeats, peer-to-peer relays, and a remote client's
 * requests. The task traffic itself (`ops`, `report`, `get-data`, ...) is the same
 * `ToWorker` / `FromWorker` vocabulary the worker threads speak (protocol/worker-messages.ts).
 */
import type { ErrorData } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { ShippedFn } from "../shipping/ship.js";
import type { ClientId, Resources, TaskSubmission, WorkerId } from "./ids.js";
import type { FromWorker, PeerMessage, ToWorker } from "./worker-messages.js";

/** A worker process's address book entry for one peer. */
export interface PeerInfo {
  readonly id: WorkerId;
  /** Where the peer listens for other workers' fetches. */
  readonly address: string;
}

/** Scheduler -> worker process. */
export type SchedulerToWorker =
  | ToWorker
  /** Registration accepted: the id this worker has now, and the peers already there. */
  | { readonly t: "welcome"; readonly id: WorkerId; readonly peers: readonly PeerInfo[] }
  | { readonly t: "peer-join"; readonly peer: PeerInfo }
  | { readonly t: "heartbeat-ack" }
  /**
   * A task this worker was told to drop still runs past the grace period: terminate the task
   * thread and register again (the scheduler has dropped this worker already).
   */
  | { readonly t: "restart"; readonly reason: string };

/** Worker process -> scheduler. */
export type WorkerToScheduler =
  | FromWorker
  | {
      readonly t: "register";
      readonly name: string;
      readonly address: string;
      readonly nthreads: number;
      readonly resources: Resources;
      readonly memoryLimit?: number | undefined;
    }
  | { readonly t: "heartbeat" }
  /** Leaving on purpose (SIGTERM, close): not a failure. */
  | { readonly t: "goodbye"; readonly reason: string }
  /** About to go because its task thread died (out of memory, crash): a failure, and why. */
  | { readonly t: "dying"; readonly reason: string };

/** Worker process <-> worker process: a peer link message, relayed for the worker thread. */
export interface PeerEnvelope {
  readonly t: "peer";
  readonly m: PeerMessage;
}

/** Bundled module code for remote workers, content-addressed. */
export interface BundleData {
  readonly hash: string;
  readonly code: string;
}

/** Remote client -> scheduler. Requests carry an `id`; the scheduler answers with a `reply`. */
export type ClientToScheduler =
  | { readonly t: "open"; readonly client: ClientId }
  | {
      readonly t: "submit";
      readonly tasks: readonly TaskSubmission[];
      readonly wanted: readonly Key[];
      readonly fns: readonly ShippedFn[];
      readonly bundles?: readonly BundleData[] | undefined;
    }
  | {
      readonly t: "calls";
      readonly fn: ShippedFn;
      readonly columns: readonly (readonly unknown[])[];
      readonly keys: readonly Key[];
      readonly options: Record<string, unknown>;
      readonly fresh: readonly ShippedFn[];
      readonly bundles?: readonly BundleData[] | undefined;
    }
  | { readonly t: "desire" | "release" | "cancel"; readonly keys: readonly Key[] }
  | { readonly t: "gather"; readonly id: number; readonly keys: readonly Key[] }
  | {
      readonly t: "scatter";
      readonly id: number;
      readonly keys: readonly Key[];
      readonly values: readonly unknown[];
      readonly workers?: readonly WorkerId[] | undefined;
    }
  | { readonly t: "dump"; readonly id: number }
  /** Every worker's memory (client.memoryReport()). */
  | { readonly t: "memory"; readonly id: number }
  | { readonly t: "story"; readonly id: number; readonly key: Key }
  | { readonly t: "close-client"; readonly id: number }
  /** Retire workers gracefully (deploy/retire.ts); the reply is the ids retired. */
  | { readonly t: "retire"; readonly id: number; readonly workers: readonly WorkerId[] }
  /** The scheduler's load (LoadInfo), for adaptive scaling from a cluster manager. */
  | { readonly t: "load"; readonly id: number }
  /** Liveness: the scheduler answers with a pong (remote-backend.ts). */
  | { readonly t: "ping" };

/** Scheduler -> remote client. */
export type SchedulerToClient =
  | { readonly t: "pong" }
  /** Where the scheduler's dashboard listens, sent once after "open" when it serves one. */
  | { readonly t: "dashboard"; readonly host: string; readonly port: number }
  | { readonly t: "reports"; readonly reports: readonly unknown[] }
  | {
      readonly t: "workers";
      readonly workers: readonly { id: WorkerId; name: string; nthreads: number }[];
    }
  | {
      readonly t: "reply";
      readonly id: number;
      readonly value?: unknown;
      readonly error?: ErrorData;
    };

/** What a gather reply holds. */
export interface GatherReply {
  readonly values: unknown[];
  readonly missing: readonly number[];
  /** For each missing index: whether the scheduler still believes some worker holds it. */
  readonly stillHeld: readonly boolean[];
}
