/**
 * A TaskSubmission from a call's parts and its per-task options: how the client (submit, map,
 * graphs) and the scheduler-side host of a remote client's map (deploy/local-backend.ts) name
 * the same thing.
 */
import type { Key } from "../graph/spec.js";
import type { TaskOptions } from "./backend.js";
import type { TaskSubmission } from "./ids.js";

/** The submission for one call, with the per-task options applied. */
export function submission(
  key: Key,
  run: unknown,
  deps: readonly Key[],
  group: string,
  opts: TaskOptions,
  order = 0,
): TaskSubmission {
  return {
    key,
    deps,
    run,
    group,
    order,
    priority: opts.priority,
    retries: opts.retries,
    resources: opts.resources,
    workers: opts.workers,
  };
}
