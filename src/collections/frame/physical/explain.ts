/**
 * `explain({ physical: true })`: the physical plan as an indented tree, one node a line: the
 * tasks that run (fused reads, fused row-wise steps, partial aggregations), the join strategy
 * and which side is broadcast, the shuffle kind, and why each choice was made.
 */
import { aggsText, filterText, stepText } from "../optimize/explain.js";
import type { RowOp } from "../plan.js";
import { type PhysicalNode, physicalInputs, type ScanNode, type SortKeys } from "./nodes.js";

function scanText(s: ScanNode): string {
  const cols = s.columns === null ? "*" : `[${s.columns.join(", ")}]`;
  const filters =
    s.filters.length > 0 ? `  filters=[${s.filters.map(filterText).join(" AND ")}]` : "";
  return `columns=${cols}${filters}`;
}

function stepsText(steps: readonly RowOp<unknown>[]): string {
  return steps.map(stepText).join(" | ");
}

function keysText(k: SortKeys): string {
  return k.by
    .map(
      (b, i) => `${b} ${k.ascending[i] ? "asc" : "desc"}${k.nullsFirst[i] ? " nulls first" : ""}`,
    )
    .join(", ");
}

/** How many combine levels a tree reduction of `n` partials `every` at a time takes. */
function levels(n: number, every: number): number {
  let depth = 1;
  for (let m = n; m > every; m = Math.ceil(m / every)) depth++;
  return depth;
}

function line(p: PhysicalNode): string {
  const parts = `partitions=${p.npartitions}`;
  switch (p.kind) {
    case "scan": {
      const what =
        p.access === "memory"
          ? "scan memory"
          : p.access === "persisted"
            ? "scan persisted"
            : `read ${p.reader}`;
      return `${what}  ${parts}  ${scanText(p)}`;
    }
    case "rows":
      return `fused rows [${stepsText(p.ops)}]  ${parts}  (one task per partition)`;
    case "map":
      return `map ${p.label}  ${parts}`;
    case "window": {
      const fns = p.specs.map((s) => `${s.fn}(${s.column ?? ""}) as ${s.output}`).join(", ");
      const by = p.partitionBy.length > 0 ? `partitionBy [${p.partitionBy.join(", ")}] ` : "";
      return `window ${by}orderBy [${keysText({ by: p.orderBy, ascending: p.ascending, nullsFirst: [] })}] ${fns}  ${parts}  (${p.why})`;
    }
    case "partialAggregate": {
      const steps = p.steps.length > 0 ? `${stepsText(p.steps)} | ` : "";
      return `partial-aggregate [${steps}groupby [${p.keys.join(", ")}] ${aggsText(p.aggs)}]  ${parts}  (one task per partition)`;
    }
    case "scanAggregate": {
      const steps = p.steps.length > 0 ? `${stepsText(p.steps)} | ` : "";
      return `fused read+aggregate [read ${p.scan.reader} | ${steps}partial groupby [${p.keys.join(", ")}] ${aggsText(p.aggs)}]  ${parts}  ${scanText(p.scan)}  (one task per part: ${p.why})`;
    }
    case "treeAggregate": {
      const depth = levels(p.input.npartitions, p.splitEvery);
      return `tree-reduce aggregate  splitEvery=${p.splitEvery}  levels=${depth}  ${parts}  (${p.why})`;
    }
    case "splitAggregate":
      return `split-out aggregate  shuffle=hash (${p.method}: ${p.methodWhy}; of partial states)  splitEvery=${p.splitEvery}  ${parts}  (${p.why})`;
    case "broadcast": {
      const n = p.input.npartitions;
      const what = n === 1 ? "its one partition" : `${n} partitions concatenated into one`;
      return `broadcast (${what}, read whole by every task that joins it)`;
    }
    case "broadcastJoin":
      return `join ${p.how} on [${p.leftOn.join(", ")}] = [${p.rightOn.join(", ")}]  strategy=broadcast  broadcast=${p.broadcast}  ${parts}  (${p.why})`;
    case "hashShuffle":
      return `shuffle=hash (${p.method}: ${p.methodWhy}) by [${p.keys.join(", ")}]  ${parts}`;
    case "shuffleJoin":
      return `join ${p.how} on [${p.leftOn.join(", ")}] = [${p.rightOn.join(", ")}]  strategy=hash-shuffle  ${parts}  (${p.why})`;
    case "rangeShuffle":
      return `shuffle=range (${p.method}: ${p.methodWhy}; boundaries from ${p.samples} sampled keys per partition) by [${keysText(p)}]  ${parts}`;
    case "sortPartitions":
      return `sort partitions by [${keysText(p)}]  ${parts}  (${p.why})`;
    case "repartition": {
      const m = p.input.npartitions;
      const how = p.npartitions <= m ? "neighbours concatenated" : "each split into pieces";
      return `repartition ${m} -> ${p.npartitions} (${how})  ${parts}`;
    }
    case "concat":
      return `concat  ${parts}`;
    case "mapPartitions":
      return `mapPartitions ${p.fn.name || "lambda"}${p.arrow ? " (arrow)" : ""}  ${parts}`;
    case "limit":
      return `limit ${p.n} (per partition, then the first ${p.n} of those)  ${parts}`;
    case "sample":
      return `sample ${"n" in p.size ? `n=${p.size.n}` : `frac=${p.size.frac}`} seed=${p.seed}  ${parts}`;
    default:
      return p satisfies never;
  }
}

/** The physical plan as an indented tree (two spaces per level). */
export function explainPhysical(plan: PhysicalNode): string {
  const out: string[] = [];
  const walk = (p: PhysicalNode, depth: number) => {
    out.push(`${"  ".repeat(depth)}${line(p)}`);
    for (const i of physicalInputs(p)) walk(i, depth + 1);
  };
  walk(plan, 0);
  return out.join("\n");
}
