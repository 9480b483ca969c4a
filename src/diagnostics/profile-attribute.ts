/**
 * Which task group a CPU sample belongs to: the worker's shell records when each task ran
 * (`TaskIntervals`, on performance.now()'s clock), and a sample whose time falls inside a
 * task's interval is that task's group's. Samples outside every task (the shell itself,
 * messages, idle) belong to no group. Pure: the profile and the clock offset come in as data.
 */
import type { GroupProfile } from "../protocol/profile.js";
import { capTree, type ProfileNodeLike, treeFromProfile } from "./call-tree.js";

/** The part of a V8 `Profiler.Profile` attribution reads. Times in microseconds. */
export interface CpuProfileLike {
  readonly nodes: readonly ProfileNodeLike[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[] | undefined;
  readonly timeDeltas?: readonly number[] | undefined;
}

/** The tasks that ran in one profiling period, in the order they started (never overlapping). */
export class TaskIntervals {
  groups: string[] = [];
  /** performance.now() ms. */
  starts: number[] = [];
  stops: number[] = [];

  record(group: string, start: number, stop: number): void {
    this.groups.push(group);
    this.starts.push(start);
    this.stops.push(stop);
  }

  get length(): number {
    return this.groups.length;
  }

  /** Hands the intervals over and starts empty. */
  take(): TaskIntervals {
    const out = new TaskIntervals();
    out.groups = this.groups;
    out.starts = this.starts;
    out.stops = this.stops;
    this.groups = [];
    this.starts = [];
    this.stops = [];
    return out;
  }
}

/** Longest time one sample stands for, ms (a gap in sampling is not time spent in a frame). */
const MAX_SAMPLE_MS = 100;

/** One group's samples: ms per profile node, and how many samples. */
export interface GroupSamples {
  readonly weights: Map<number, number>;
  samples: number;
}

/**
 * Per group, the ms each profile node was sampled in while that group's tasks ran. `offsetMs`
 * turns the profile's clock (µs) into the intervals' clock: intervals = profile / 1000 - offset.
 * A sample stands for the time until the next one (the profile's end for the last).
 */
export function attributeSamples(
  profile: CpuProfileLike,
  intervals: TaskIntervals,
  offsetMs: number,
): Map<string, GroupSamples> {
  const out = new Map<string, GroupSamples>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length === 0 || intervals.length === 0) return out;
  intervals = sortedByStart(intervals);
  let t = profile.startTime;
  let j = 0;
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    const next = i + 1 < samples.length ? t + (deltas[i + 1] ?? 0) : profile.endTime;
    const at = t / 1000 - offsetMs;
    while (j < intervals.length && intervals.stops[j]! < at) j++;
    if (j === intervals.length) break;
    if (intervals.starts[j]! > at) continue;
    const group = intervals.groups[j]!;
    let g = out.get(group);
    if (g === undefined) out.set(group, (g = { weights: new Map(), samples: 0 }));
    const ms = Math.min(MAX_SAMPLE_MS, Math.max(0, (next - t) / 1000));
    const node = samples[i]!;
    g.weights.set(node, (g.weights.get(node) ?? 0) + ms);
    g.samples++;
  }
  return out;
}

/**
 * The intervals in the order they started: a task recorded inside another's interval (the
 * sync scheduler retries a failed call inside its map's loop) is recorded before it.
 */
function sortedByStart(iv: TaskIntervals): TaskIntervals {
  let sorted = true;
  for (let i = 1; i < iv.length && sorted; i++) sorted = iv.starts[i - 1]! <= iv.starts[i]!;
  if (sorted) return iv;
  const order = iv.starts.map((_, i) => i).sort((a, b) => iv.starts[a]! - iv.starts[b]!);
  const out = new TaskIntervals();
  for (const i of order) out.record(iv.groups[i]!, iv.starts[i]!, iv.stops[i]!);
  return out;
}

/** One capped call tree per group that had samples, from one profiling period. */
export function groupProfiles(
  profile: CpuProfileLike,
  intervals: TaskIntervals,
  offsetMs: number,
  maxNodes: number,
): GroupProfile[] {
  const out: GroupProfile[] = [];
  for (const [group, g] of attributeSamples(profile, intervals, offsetMs)) {
    const tree = capTree(treeFromProfile(profile.nodes, g.weights), maxNodes);
    out.push({ group, tree, samples: g.samples });
  }
  return out;
}
