/**
 * Duration statistics of a group of tasks (one function, usually: TaskSubmission.group). The
 * root-task queue sizes how many tasks a worker may hold from the group's mean duration.
 */
import { NSTATES } from "./task-state.js";

export class TaskGroup {
  readonly name: string;
  /**
   * Tasks of the group per state code, kept by the same steps that keep the core's `counts`
   * (as Dask's TaskGroup.states): the dashboard's progress reads them in O(groups), not by
   * walking every task twice a second.
   */
  readonly counts: number[] = new Array<number>(NSTATES).fill(0);
  /** Exponential moving average of finished durations (seconds); -1 until one finished. */
  duration = -1;
  /** Tasks of the group that finished (for the dashboard and dump). */
  finished = 0;

  constructor(name: string) {
    this.name = name;
  }

  /** Fold one finished duration into the average (weight 1/2, as Dask's task prefixes). */
  addDuration(seconds: number): void {
    if (!(seconds >= 0)) return;
    this.duration = this.duration < 0 ? seconds : 0.5 * this.duration + 0.5 * seconds;
    this.finished++;
  }

  /** The estimate used before any task of the group finished is `unknown`. */
  estimate(unknown: number): number {
    return this.duration < 0 ? unknown : this.duration;
  }
}
