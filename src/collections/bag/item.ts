/**
 * `Item<R>`: the lazy result of an aggregation over a bag (count, sum, fold, reduction, ...).
 * Nothing runs until `compute()`.
 */
import type { BagPlan } from "./plan.js";
import { computeParts, type RunOptions } from "./run.js";

export class Item<R> {
  /** The plan of the aggregation (one partition holding the value). */
  readonly plan: BagPlan;
  declare readonly __type?: R;

  /** @internal made by Bag's aggregations */
  constructor(plan: BagPlan) {
    this.plan = plan;
  }

  /** Runs the aggregation and returns its value. */
  async compute(options: RunOptions = {}): Promise<R> {
    const [value] = await computeParts(this.plan, options);
    return value as R;
  }
}
