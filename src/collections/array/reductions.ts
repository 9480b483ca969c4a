/** Reduction nodes: axes checked, the output's shape and grid, NumPy's refusals of empty input. */
import { BarnError, OptionError } from "../../errors.js";
import { ArrayErrorCodes } from "./errors.js";
import type { ArrayPlan } from "./plan.js";
import { type AggName, aggDType, needsElements } from "./reduce-spec.js";
import { fmt, normAxes } from "./shape.js";

/** Options of the reductions. */
export interface ReduceOptions {
  /** The axis or axes to reduce (default: all, giving a scalar). */
  readonly axis?: number | readonly number[] | undefined;
  /** Keep reduced axes with length 1 (default false). */
  readonly keepdims?: boolean | undefined;
  /** How many partials each combine task takes (default 8). */
  readonly splitEvery?: number | undefined;
  /** var and std: delta degrees of freedom (default 0, as NumPy). */
  readonly ddof?: number | undefined;
}

export function reducePlan(agg: AggName, input: ArrayPlan, options: ReduceOptions): ArrayPlan {
  const where = `${agg}()`;
  for (const k of Object.keys(options)) {
    if (!["axis", "keepdims", "splitEvery", "ddof"].includes(k))
      throw new OptionError(
        `${where}: unknown option ${JSON.stringify(k)}; options are axis, keepdims, splitEvery, ddof`,
      );
  }
  const axes = normAxes(where, options.axis, input.shape.length);
  if (agg.includes("arg") && options.axis !== undefined && axes.length !== 1) {
    throw new BarnError(
      ArrayErrorCodes.AXIS,
      `${where}: give one axis or none (NumPy's rule), got ${JSON.stringify(options.axis)}`,
    );
  }
  if (needsElements(agg) && axes.some((d) => input.shape[d] === 0)) {
    throw new BarnError(
      ArrayErrorCodes.SHAPE,
      `${where}: cannot reduce an empty axis of shape ${fmt(input.shape)} (${agg} has no identity; NumPy refuses it too). Fix: check the array is not empty, or use a reduction with an identity such as sum`,
    );
  }
  const splitEvery = options.splitEvery ?? 8;
  if (!Number.isInteger(splitEvery) || splitEvery < 2)
    throw new OptionError(
      `${where}: splitEvery must be an integer >= 2, got ${String(splitEvery)}`,
    );
  const ddof = options.ddof ?? 0;
  if (typeof ddof !== "number" || !Number.isInteger(ddof) || ddof < 0)
    throw new OptionError(`${where}: ddof must be a non-negative integer, got ${String(ddof)}`);
  const keepdims = options.keepdims === true;
  const keep = (d: number) => !axes.includes(d);
  const shape = input.shape.flatMap((n, d) => (keep(d) ? [n] : keepdims ? [1] : []));
  const chunks = input.chunks.flatMap((c, d) => (keep(d) ? [c] : keepdims ? [[1]] : []));
  return {
    kind: "reduce",
    input,
    spec: { agg, axes, dtype: input.dtype, ddof },
    keepdims,
    splitEvery,
    shape,
    chunks,
    dtype: aggDType(agg, input.dtype),
  };
}
