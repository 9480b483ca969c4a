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
  type TaskFinishedEvent,
  type TransferEvent,
  type WorkerSampleEvent,
} from "../diagnostics/channels.js";
import type { CallTree } from "../protocol/profile.js";

/**
 * One task in the stream: the channel's event itself (worker, key, group, start and stop in
 * epoch ms, result bytes), kept as published: a watched scheduler pays no copy per task.
 */
export type StreamEntry = TaskFinishedEvent;

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
  readonly #maxTasks: number;
  readonly #maxSamples: number;
  /**
   * Stream entries dropped from the front of `tasks` so far: entry `tasks[i]` has sequence
   * number `#dropped + i`, and entries with a number >= a client's cursor are new to it.
   */
  #dropped = 0;
  readonly tasks: StreamEntry[] = [];
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
    this.#maxTasks = limits.tasks ?? 50_000;
    this.#maxSamples = limits.samples ?? 600;
    this.#maxProfileNodes = limits.profileNodes ?? 2_000;
  }

  get recording(): boolean {
    return this.#offs.length > 0;
  }

  /** The sequence number the next task will get: a cursor for `tasksSince`. */
  get seq(): number {
    return this.#dropped + this.tasks.length;
  }

  start(): void {
    if (this.recording) return;
    this.startedAt = Date.now();
    const mine = (e: { scheduler: string }) => e.scheduler === this.#scheduler;
    this.#offs = [
      subscribe("taskFinished", (e) => mine(e) && this.#finished(e)),
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
  ): { tasks: StreamEntry[]; skipped: number } {
    const from = Math.max(0, cursor - this.#dropped);
    const first = Math.max(from, this.tasks.length - max);
    const lost = Math.max(0, this.#dropped - Math.max(0, cursor));
    return { tasks: this.tasks.slice(first), skipped: first - from + lost };
  }

  #group(name: string): GroupTotals {
    let g = this.groups.get(name);
    if (g === undefined) this.groups.set(name, (g = { finished: 0, erred: 0, ms: 0, nbytes: 0 }));
    return g;
  }

  #finished(e: TaskFinishedEvent): void {
    const g = this.#group(e.group);
    g.finished++;
    g.ms += e.stop - e.start;
    g.nbytes += e.nbytes;
    this.tasks.push(e);
    if (this.tasks.length > this.#maxTasks * 1.25) {
      const drop = this.tasks.length - this.#maxTasks;
      this.tasks.splice(0, drop);
      this.#dropped += drop;
    }
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
