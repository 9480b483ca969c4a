/**
 * Whole-frame aggregations: `df.agg(spec)`, and `df.quantile(q)` / `df.median()` over numeric
 * columns. Both are a grouped aggregation with no keys (one group), so quantiles and medians
 * gather their values like grouped ones (kernels/quantile.ts).
 */
import { OptionError } from "../../errors.js";
import { isNumericType } from "../../kernels/numeric.js";
import { fieldOf } from "./errors.js";
import type { Plan } from "./plan.js";
import { type AggEntry, aggSpecs, groupAgg } from "./verbs.js";

/** The whole frame aggregated by `spec` into one row. */
export function wholeFrameAgg(input: Plan, spec: Readonly<Record<string, AggEntry>>): Plan {
  return groupAgg(input, [], aggSpecs(input.schema, spec));
}

/** The q-quantile of each of `columns` (default: every numeric column), one row. */
export function quantileFrame(
  input: Plan,
  q: number,
  columns: readonly string[] | undefined,
): Plan {
  if (typeof q !== "number" || !(q >= 0 && q <= 1)) {
    throw new OptionError(`quantile: q must be a number from 0 to 1, got ${String(q)}`);
  }
  const names = columns ?? input.schema.filter((f) => isNumericType(f.type)).map((f) => f.name);
  for (const n of names) fieldOf(input.schema, n, "quantile");
  if (names.length === 0) {
    throw new OptionError("quantile: the frame has no numeric column; name the columns to use");
  }
  return groupAgg(
    input,
    [],
    names.map((n) => ({ fn: "quantile", column: n, output: n, q })),
  );
}
