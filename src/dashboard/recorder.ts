/**
 * What the dashboard and the performance report remember of one scheduler: a bounded window
 * of the diagnostics channels' events (task stream, transfers, erred tasks, worker samples)
 * and running totals per task group. It subscribes only while someone watches (`start()` /
 * `stop()`), so an unwatched scheduler publishes nothing (channels.ts: hasSubscribers).
 */
import { capTree, countNodes, emptyTree, mergeInto } from "../diagnostics/call-tree.js";
import {
  type ProfileEvent,
  subscribe,
  type TaskErredEvent,
  type TasksFinishedEvent,
  type TransferEvent,
  type WorkerSampleEvent,
} from "../diagnostics/channels.js";
import type { CallTree } from "../protocol/profile.js";
import { type StreamSlice, TaskStream } from "./task-stream.js";

/** Per task group, since the recorder started. */
export interface GroupTotals {
  finished: number;
  erred: number;
  /** Sum of finished durations, ms. */
  ms: number;
  nbytes: number;
}

export interface RecorderLimits {
  /** Task stream entries kept (oldest dropped). Default 50,000. */
  readonly tasks?: number | undefined;
  /** Samples kept per worker. Default 600 (10 minutes at one a second). */
  readonly samples?: number | undefined;
  /** Nodes kept per task group's call tree (the rest fold into "(other)"). Default 2,000. */
  readonly profileNodes?: number | undefined;
  /** Whether the task stream keeps each task's key (task-stream.ts). Default true. */
  readonly keys?: boolean | undefined;
}

/** Task groups with a call tree of their own; later ones share "(other groups)". */
const MAX_PROFILE_GROUPS = 100;

/** One task group's merged profile. */
export interface ProfileTotals {
  tree: CallTree;
  samples: number;
}

export class Recorder {
  readonly #scheduler: string;
  readonly #maxSamples: number;
  /** The newest finished tasks; entries with a sequence number >= a page's cursor are new to it. */
  readonly tasks: TaskStream;
  readonly transfers: TransferEvent[] = [];
  readonly erred: TaskErredEvent[] = [];
  readonly samples = new Map<string, WorkerSampleEvent[]>();
  readonly groups = new Map<string, GroupTotals>();
  /** Every worker's profiling periods merged per task group (bounded: see RecorderLimits). */
  readonly profiles = new Map<string, ProfileTotals>();
  /** Bumped by every profile period received (a page asks again only when it moved). */
  profileVersion = 0;
  readonly #maxProfileNodes: number;
  /** Epoch ms when recording started. */
  startedAt = 0;
  #offs: (() => void)[] = [];

  constructor(scheduler: string, limits: RecorderLimits = {}) {
    this.#scheduler = scheduler;
    this.tasks = new TaskStream(limits.tasks ?? 50_000, limits.keys ?? true);
    this.#maxSamples = limits.samples ?? 600;
    this.#maxProfileNodes = limits.profileNodes ?? 2_000;
  }

  get recording(): boolean {
    return this.#offs.length > 0;
  }

  /** The sequence number the next task will get: a cursor for `tasksSince`. */
  get seq(): number {
    return this.tasks.seq;
  }

  start(): void {
    if (this.recording) return;
    this.startedAt = Date.now();
    const mine = (e: { scheduler: string }) => e.scheduler === this.#scheduler;
    this.#offs = [
      subscribe("tasksFinished", (e) => mine(e) && this.#finished(e)),
      subscribe("taskErred", (e) => mine(e) && this.#erred(e)),
      subscribe("transfer", (e) => mine(e) && this.#transfer(e)),
      subscribe("workerSample", (e) => mine(e) && this.#sample(e)),
      subscribe("profile", (e) => mine(e) && this.#profile(e)),
    ];
  }

  stop(): void {
    for (const off of this.#offs) off();
    this.#offs = [];
  }

  /**
   * Stream entries from `cursor` on (all that are still kept), at most `max`: the newest
   * ones, so a reader that fell behind skips to the present. `skipped` counts the entries
   * from the cursor on that it does not get.
   */
  tasksSince(
    cursor: number,
    max = Number.POSITIVE_INFINITY,
  ): { tasks: StreamSlice; skipped: number } {
    const end = this.tasks.seq;
    const from = Math.max(cursor, this.tasks.first);
    const first = Math.max(from, end - max);
    return { tasks: this.tasks.slice(first, end), skipped: first - Math.max(0, cursor) };
  }

  #group(name: string): GroupTotals {
    let g = this.groups.get(name);
    if (g === undefined) this.groups.set(name, (g = { finished: 0, erred: 0, ms: 0, nbytes: 0 }));
    return g;
  }

  #finished(e: TasksFinishedEvent): void {
    // Consecutive tasks of a report are mostly of one group: one totals lookup per run.
    let run = -1;
    let g: GroupTotals | undefined;
    for (let i = 0; i < e.keys.length; i++) {
      if (run < 0 || e.groups[i] !== e.groups[run]) {
        run = i;
        g = this.#group(e.groups[i]!);
      }
      g!.finished++;
      g!.ms += e.stop[i]! - e.start[i]!;
      g!.nbytes += e.nbytes[i]!;
    }
    this.tasks.append(e);
  }

  #erred(e: TaskErredEvent): void {
    this.#group(e.group).erred++;
    this.erred.push(e);
    if (this.erred.length > 200) this.erred.shift();
  }

  #transfer(e: TransferEvent): void {
    this.transfers.push(e);
    if (this.transfers.length > 10_000) this.transfers.splice(0, 2_000);
  }

  #profile(e: ProfileEvent): void {
    for (const g of e.groups) {
      const name =
        this.profiles.has(g.group) || this.profiles.size < MAX_PROFILE_GROUPS
          ? g.group
          : "(other groups)";
      let p = this.profiles.get(name);
      if (p === undefined) this.profiles.set(name, (p = { tree: emptyTree(), samples: 0 }));
      mergeInto(p.tree, g.tree);
      p.samples += g.samples;
      // Cap with some slack, so a tree near its cap is not re-capped on every period.
      if (countNodes(p.tree) > this.#maxProfileNodes * 1.5) {
        p.tree = capTree(p.tree, this.#maxProfileNodes);
      }
    }
    this.profileVersion++;
  }

  #sample(e: WorkerSampleEvent): void {
    let list = this.samples.get(e.worker);
    if (list === undefined) this.samples.set(e.worker, (list = []));
    list.push(e);
    if (list.length > this.#maxSamples) list.shift();
  }
}
