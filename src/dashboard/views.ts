/**
 * The dashboard's two on-demand views, as JSON: the profile (every task group's merged call
 * tree, from the recorder) and the graph of a small computation (the scheduler's live tasks,
 * laid out by graph-layout.ts). The page asks for them every couple of seconds, apart from
 * the half-second update, because both can be large.
 */
import type { ProfileSettings } from "../protocol/profile.js";
import type { SchedulerServer } from "../scheduler/server.js";
import { type GraphView, layoutGraph } from "./graph-layout.js";
import type { Recorder } from "./recorder.js";

/** Live tasks drawn at most; above it the view says so instead. */
export const GRAPH_LIMIT = 500;

export interface ProfileView {
  /** The workers' profiler settings (null: off). */
  readonly profiling: ProfileSettings | null;
  /** Moves with every period received; a page passes it back to skip an unchanged view. */
  readonly version: number;
  /** Sorted by samples, most first; absent when `unchanged`. */
  readonly groups?: { group: string; samples: number; tree: unknown }[];
  readonly unchanged?: true;
}

export function profileView(
  server: SchedulerServer,
  recorder: Recorder,
  since: number,
): ProfileView {
  const base = { profiling: server.profiling, version: recorder.profileVersion };
  if (since === recorder.profileVersion) return { ...base, unchanged: true };
  const groups = [...recorder.profiles].map(([group, p]) => ({
    group,
    samples: p.samples,
    tree: p.tree,
  }));
  groups.sort((a, b) => b.samples - a.samples);
  return { ...base, groups };
}

export type GraphViewJson =
  | (GraphView & { readonly tasks: number })
  | { readonly tasks: number; readonly tooLarge: true; readonly limit: number };

export function graphView(server: SchedulerServer, limit = GRAPH_LIMIT): GraphViewJson {
  const tasks = server.state.taskGraph(limit);
  if (tasks === undefined) return { tasks: server.state.size, tooLarge: true, limit };
  return { ...layoutGraph(tasks), tasks: tasks.length };
}
