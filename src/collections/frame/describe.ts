/**
 * `describe()`: count, mean, std, min, 25%, 50%, 75% and max of every numeric column. The
 * moments come from one global aggregation (the same tree reduction as groupby); the quartiles
 * from a per-partition sketch (each partition's sorted values, or `SKETCH` evenly spaced ranks
 * of them with weights), merged on the client. With at most `SKETCH` values per partition the
 * quartiles are exact (linear interpolation, as pandas); beyond that they are approximate.
 */
import type * as A from "apache-arrow";
import { OptionError } from "../../errors.js";
import { ref, task } from "../../graph/spec.js";
import type { AggFn, AggSpec } from "../../kernels/aggregate.js";
import type { Batch, Column } from "../../kernels/batch.js";
import { isValid } from "../../kernels/bitmap.js";
import { numbersOf } from "../../kernels/numeric.js";
import { utf8Column } from "../../kernels/strings.js";
import { batchesToTable } from "./arrow.js";
import { frameOps, type Sketch } from "./ops.js";
import type { Plan } from "./plan.js";
import { computeBatches, graphOfPlan, type RunOptions, withClient } from "./run.js";
import { groupAgg, project } from "./verbs.js";

const MOMENTS: readonly AggFn[] = ["count", "mean", "std", "min"];
const STATS = ["count", "mean", "std", "min", "25%", "50%", "75%", "max"] as const;
const SKETCH = 4096;

/** The describe() table of a plan: a `statistic` column, then one float64 column per numeric column. */
export async function describeFrame(plan: Plan, options: RunOptions): Promise<A.Table> {
  const numeric = plan.schema.filter(
    (f) => f.type === "int32" || f.type === "float64" || f.type === "int64",
  );
  if (numeric.length === 0) {
    throw new OptionError("describe: the frame has no numeric columns to describe");
  }
  const names = numeric.map((f) => f.name);
  const specs: AggSpec[] = names.flatMap((name) =>
    [...MOMENTS, "max" as const].map((fn) => ({ fn, column: name, output: `${name}\u0000${fn}` })),
  );
  const [row] = await computeBatches(groupAgg(plan, [], specs), options);
  const sketches = await sketchesOf(project(plan, names), names, options);
  const columns: Column[] = [utf8Column([...STATS])];
  names.forEach((name, j) => {
    const data = new Float64Array(STATS.length);
    const valid = new Uint8Array(1);
    const put = (k: number, v: number | undefined) => {
      if (v === undefined) return;
      data[k] = v;
      valid[0]! |= 1 << k;
    };
    const stat = (fn: AggFn) => {
      const c = row!.columns[row!.names.indexOf(`${name}\u0000${fn}`)]!;
      return isValid(c.valid, 0) ? numbersOf(c)[0]! : undefined;
    };
    MOMENTS.forEach((fn, k) => {
      put(k, stat(fn));
    });
    [0.25, 0.5, 0.75].forEach((q, k) => {
      put(
        4 + k,
        quantile(
          sketches.map((sk) => sk[j]!),
          q,
        ),
      );
    });
    put(7, stat("max"));
    columns.push({ type: "float64", length: STATS.length, data, valid });
  });
  const batch: Batch = { names: ["statistic", ...names], columns, length: STATS.length };
  const schema = batch.names.map((n, j) => ({ name: n, type: columns[j]!.type, nullable: j > 0 }));
  return batchesToTable([batch], schema);
}

async function sketchesOf(
  plan: Plan,
  names: readonly string[],
  options: RunOptions,
): Promise<Sketch[][]> {
  const { graph, keys } = graphOfPlan(plan);
  const out = keys.map((k) => {
    const key = `quantile-sketch-${k}`;
    graph.set(key, task(frameOps.quantileSketch, ref(k), names, SKETCH));
    return key;
  });
  return withClient(options, async (c) => (await c.get(graph, out)) as Sketch[][]);
}

/** The q-quantile of weighted sorted samples (linear interpolation between ranks). */
function quantile(parts: readonly Sketch[], q: number): number | undefined {
  const pairs: [number, number][] = [];
  for (const p of parts) for (const v of p.values) pairs.push([v, p.weight]);
  if (pairs.length === 0) return undefined;
  pairs.sort((a, b) => a[0] - b[0]);
  const total = pairs.reduce((s, [, w]) => s + w, 0);
  const pos = q * (total - 1);
  // The i-th sample covers ranks [start, start + w); within one sample the value is constant.
  let start = 0;
  for (let i = 0; i < pairs.length; i++) {
    const [v, w] = pairs[i]!;
    if (pos <= start + w - 1) return v;
    if (pos < start + w) {
      const next = pairs[i + 1]?.[0] ?? v;
      return v + (next - v) * (pos - (start + w - 1));
    }
    start += w;
  }
  return pairs[pairs.length - 1]![0];
}
