/**
 * `client.profile(fn, { sample })`: the seed's "profile and tune first". Runs `fn(sample, c)`
 * where `c` is a client on the sync scheduler (every task inline, in this thread) and the
 * default client meanwhile, under V8's CPU profiler; returns fn's value with the CPU time of
 * each task group as a call tree, the top functions and a text rendering. Dask's
 * `client.profile()` reads the profile of past work on the cluster: here that is the
 * dashboard's profile view (`profile: true`); this call answers "where does the time of one
 * small piece of the job go" before it is scaled out.
 */
import { performance } from "node:perf_hooks";
import {
  emptyTree,
  hoistTasks,
  mergeInto,
  type TopFunction,
  topFunctions,
  treeFromProfile,
  treeText,
} from "../diagnostics/call-tree.js";
import { CpuProfiler } from "../diagnostics/cpu-profiler.js";
import {
  attributeSamples,
  groupProfiles,
  TaskIntervals,
} from "../diagnostics/profile-attribute.js";
import { OptionError } from "../errors.js";
import type { CallTree, GroupProfile } from "../protocol/profile.js";
import type { SyncBackend } from "./sync-backend.js";

export interface ProfileOptions<S> {
  /** The data fn profiles on (a slice of the real input, a few partitions): fn's first argument. */
  readonly sample?: S | undefined;
  /** Sampling interval, microseconds. Default 200 (a small sample runs briefly). */
  readonly intervalUs?: number | undefined;
}

export interface ProfileResult<T> {
  /** What fn returned (awaited). */
  readonly value: T;
  /** Wall time fn took, ms. */
  readonly ms: number;
  /** CPU time per task group, most first: each a call tree from the task's function down. */
  readonly groups: readonly GroupProfile[];
  /** The whole thread while fn ran: tasks and the code around them (graph building, ...). */
  readonly tree: CallTree;
  /** The functions with the most self time inside tasks, over every group. */
  readonly top: readonly TopFunction[];
  /** The groups' trees and the top functions as text, for a terminal. */
  toText(options?: { readonly minFraction?: number }): string;
}

/** A sync client made default while fn runs, and the way to restore the caller's default. */
export interface SyncHost<C> {
  readonly client: C;
  readonly backend: SyncBackend;
  close(): Promise<void>;
}

const EXT = import.meta.url.slice(-3);
/** The scripts that call a task's function inline: the executor and the sync scheduler. */
const RUNNERS = new Set([
  new URL(`../worker/executor${EXT}`, import.meta.url).href,
  new URL(`./sync-backend${EXT}`, import.meta.url).href,
]);

function isRunnerFrame(t: CallTree): boolean {
  return RUNNERS.has(t.file);
}

/** Nodes kept per group's tree. */
const MAX_NODES = 5_000;

export async function profileInline<S, T, C>(
  fn: (sample: S, client: C) => T | Promise<T>,
  options: ProfileOptions<S>,
  open: () => Promise<SyncHost<C>>,
): Promise<ProfileResult<Awaited<T>>> {
  if (typeof fn !== "function") {
    throw new OptionError(
      "client.profile(fn, { sample }): fn must be a function that runs the work",
    );
  }
  const intervalUs = options.intervalUs ?? 200;
  if (!Number.isFinite(intervalUs) || intervalUs < 50) {
    throw new OptionError(
      `client.profile: intervalUs must be a number of microseconds >= 50; got ${String(options.intervalUs)}`,
    );
  }
  const host = await open();
  const intervals = new TaskIntervals();
  host.backend.taskIntervals = intervals;
  const profiler = new CpuProfiler();
  let value: Awaited<T>;
  const t0 = performance.now();
  try {
    await profiler.start(intervalUs);
    value = await fn(options.sample as S, host.client);
  } catch (err) {
    profiler.close();
    await host.close();
    throw err;
  }
  const ms = performance.now() - t0;
  host.backend.taskIntervals = undefined;
  const cut = await profiler.stop().finally(() => host.close());
  const groups = groupProfiles(cut.profile, intervals, cut.offsetMs, MAX_NODES).map((g) => ({
    ...g,
    tree: hoistTasks(g.tree, isRunnerFrame, "(barn)"),
  }));
  groups.sort((a, b) => b.tree.total - a.tree.total);
  const everything = new TaskIntervals();
  everything.record("", -Infinity, Infinity);
  const whole = attributeSamples(cut.profile, everything, cut.offsetMs).get("");
  const tree =
    whole === undefined ? emptyTree() : treeFromProfile(cut.profile.nodes, whole.weights);
  const inTasks = emptyTree();
  for (const g of groups) mergeInto(inTasks, g.tree);
  const top = topFunctions(inTasks, 20);
  return {
    value,
    ms,
    groups,
    tree,
    top,
    toText: (o) => profileText(groups, top, ms, o?.minFraction),
  };
}

function profileText(
  groups: readonly GroupProfile[],
  top: readonly TopFunction[],
  ms: number,
  minFraction = 0.02,
): string {
  const out = [`profile of ${ms.toFixed(1)} ms`];
  for (const g of groups) {
    out.push("", `task group ${g.group}: ${g.tree.total.toFixed(1)} ms in ${g.samples} samples`);
    out.push(treeText(g.tree, { minFraction }));
  }
  out.push("", "top functions by self time (inside tasks):");
  for (const f of top) {
    const where = f.file === "" ? "" : ` ${f.file.replace(/^file:\/\//, "")}:${f.line}`;
    out.push(
      `${f.self.toFixed(1).padStart(9)} ms self ${f.total.toFixed(1).padStart(9)} ms total  ${f.name}${where}`,
    );
  }
  return out.join("\n");
}
