/**
 * `describe()`: count, mean, std, min and max of every numeric column, computed as one global
 * aggregation (the same tree reduction as groupby), then turned into one row per statistic.
 */
import type * as A from "apache-arrow";
import { OptionError } from "../../errors.js";
import type { AggFn, AggSpec } from "../../kernels/aggregate.js";
import type { Batch, Column } from "../../kernels/batch.js";
import { isValid } from "../../kernels/bitmap.js";
import { numbersOf } from "../../kernels/numeric.js";
import { utf8Column } from "../../kernels/strings.js";
import { batchesToTable } from "./arrow.js";
import type { Plan } from "./plan.js";
import { computeBatches, type RunOptions } from "./run.js";
import { groupAgg } from "./verbs.js";

const STATS: readonly AggFn[] = ["count", "mean", "std", "min", "max"];

/** The describe() table of a plan: a `statistic` column, then one float64 column per numeric column. */
export async function describeFrame(plan: Plan, options: RunOptions): Promise<A.Table> {
  const numeric = plan.schema.filter(
    (f) => f.type === "int32" || f.type === "float64" || f.type === "int64",
  );
  if (numeric.length === 0)
    throw new OptionError("describe: the frame has no numeric columns to describe");
  const specs: AggSpec[] = numeric.flatMap((f) =>
    STATS.map((fn) => ({ fn, column: f.name, output: `${f.name}\u0000${fn}` })),
  );
  const [row] = await computeBatches(groupAgg(plan, [], specs), options);
  const columns: Column[] = [utf8Column([...STATS])];
  for (const f of numeric) {
    const data = new Float64Array(STATS.length);
    const valid = new Uint8Array(1);
    STATS.forEach((fn, k) => {
      const c = row!.columns[row!.names.indexOf(`${f.name}\u0000${fn}`)]!;
      if (isValid(c.valid, 0)) {
        data[k] = numbersOf(c)[0]!;
        valid[0]! |= 1 << k;
      }
    });
    columns.push({ type: "float64", length: STATS.length, data, valid });
  }
  const batch: Batch = {
    names: ["statistic", ...numeric.map((f) => f.name)],
    columns,
    length: STATS.length,
  };
  const schema = batch.names.map((name, j) => ({ name, type: columns[j]!.type, nullable: j > 0 }));
  return batchesToTable([batch], schema);
}
