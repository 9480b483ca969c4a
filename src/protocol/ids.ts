/**
 * The names and the submitted task that client, scheduler and workers all speak of. Plain
 * data, no behaviour: the bottom of the dependency rule (docs/architecture.md).
 */
import type { Key } from "../graph/spec.js";

export type WorkerId = string;
export type ClientId = string;

/** Abstract resources: a worker declares totals (`{ GPU: 2 }`), a task requires amounts. */
export type Resources = Readonly<Record<string, number>>;

/** One task as submitted by a client in an `update-graph` event. */
export interface TaskSubmission {
  readonly key: Key;
  /** Keys whose values the task needs. Each is in this submission or already known. */
  readonly deps: readonly Key[];
  /** Opaque to the scheduler: handed back unchanged in the `compute-task` instruction. */
  readonly run: unknown;
  /** User priority: higher runs first (as in Dask). Default 0. */
  readonly priority?: number | undefined;
  /** Static order within this submission (graph/order.ts): lower runs first. Default 0. */
  readonly order?: number | undefined;
  /** How many times to re-run the task after it throws. Default 0. */
  readonly retries?: number | undefined;
  /** Resources the task holds while it runs. */
  readonly resources?: Resources | undefined;
  /** Restrict the task to these workers (by id or by name). */
  readonly workers?: readonly string[] | undefined;
  /** Short name of the function, for grouping durations and for the dashboard. */
  readonly group?: string | undefined;
}
