/** `Scalar<D>`: a lazy reduction to one value; compute() gives a number, bigint or boolean. */
import type { DType, ScalarOf } from "./dtype.js";
import type { ArrayPlan } from "./plan.js";
import { computePlan, type RunOptions } from "./run.js";

export class Scalar<D extends DType = DType> {
  /** The 0-dimensional plan. */
  readonly plan: ArrayPlan;

  /** @internal made by the reductions */
  constructor(plan: ArrayPlan) {
    this.plan = plan;
  }

  get dtype(): D {
    return this.plan.dtype as D;
  }

  /** The value (a bigint for int64 results, a boolean for any/all). */
  async compute(options: RunOptions = {}): Promise<ScalarOf<D>> {
    const data = await computePlan(this.plan, options);
    const v = data[0]!;
    return (this.plan.dtype === "bool" ? v !== 0 : v) as ScalarOf<D>;
  }
}
