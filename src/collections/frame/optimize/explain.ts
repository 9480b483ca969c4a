/**
 * `explain()`: the plan as an indented tree, one node a line, with what the optimiser decided
 * (columns read, filters pushed, fused steps, join strategy, partitions).
 */
import type { AggSpec } from "../../../kernels/aggregate.js";
import { exprToString, opSymbol } from "../expr.js";
import { inputsOf, type Plan, type RowOp, type SourceFilter } from "../plan.js";
import { windowLine } from "../window.js";

/** A pushed-down filter as it reads: `x > 0.5`. */
export function filterText(f: SourceFilter): string {
  return `${f.column} ${opSymbol(f.op)} ${exprToString({ e: "lit", value: f.value })}`;
}

/** Aggregations as they read: `sum(x) as x, size(*) as n`. */
export function aggsText(aggs: readonly AggSpec[]): string {
  return aggs.map((a) => `${a.fn}(${a.column ?? "*"}) as ${a.output}`).join(", ");
}

/** A fused row-wise step as it reads. */
export function stepText(s: RowOp<unknown>): string {
  switch (s.op) {
    case "filter":
      return `filter ${exprToString(s.predicate)}`;
    case "project":
      return `project [${s.columns.join(", ")}]`;
    case "with":
      return `with ${s.exprs.map(([n, e]) => `${n} = ${exprToString(e)}`).join(", ")}`;
    case "rename":
      return `rename ${s.mapping.map(([a, b]) => `${a} -> ${b}`).join(", ")}`;
    case "join":
      return `broadcast-join ${s.how} on [${s.leftOn.join(", ")}] = [${s.rightOn.join(", ")}]`;
    default:
      return s satisfies never;
  }
}

function line(p: Plan): string {
  const parts = `partitions=${p.npartitions}`;
  switch (p.kind) {
    case "source": {
      const cols = p.columns === undefined ? "*" : `[${p.columns.join(", ")}]`;
      const filters = p.filters?.length
        ? `  filters=[${p.filters.map(filterText).join(" AND ")}]`
        : "";
      return `source ${p.reader}  ${parts}  columns=${cols}${filters}`;
    }
    case "blockwise":
      return `blockwise (${p.ops.length} fused: ${p.ops.map(stepText).join(" | ")})  ${parts}`;
    case "filter":
      return `filter ${exprToString(p.predicate)}  ${parts}`;
    case "project":
      return `project [${p.columns.join(", ")}]  ${parts}`;
    case "withColumns":
      return `withColumns ${stepText({ op: "with", exprs: p.exprs }).slice(5)}  ${parts}`;
    case "rename":
      return `${stepText({ op: "rename", mapping: p.mapping })}  ${parts}`;
    case "groupAgg":
      return `groupby [${p.keys.join(", ")}] agg ${aggsText(p.aggs)}  ${parts}  splitEvery=${p.splitEvery}`;
    case "join":
      return `join ${p.how} on [${p.leftOn.join(", ")}] = [${p.rightOn.join(", ")}]  strategy=${p.strategy}  ${parts}`;
    case "sort":
      return `sort by [${p.by.map((b, i) => `${b} ${p.ascending[i] ? "asc" : "desc"}${p.nullsFirst[i] ? " nulls first" : ""}`).join(", ")}]  ${parts}`;
    case "dropDuplicates":
      return `dropDuplicates [${p.subset.join(", ")}]${p.keep === "last" ? " keep=last" : ""}  ${parts}`;
    case "repartition":
      return `repartition${p.on === undefined ? "" : ` on [${p.on.join(", ")}]`}  ${parts}`;
    case "concat":
      return `concat  ${parts}`;
    case "mapPartitions":
      return `mapPartitions ${p.fn.name || "lambda"}${p.arrow ? " (arrow)" : ""}  ${parts}`;
    case "head":
      return `head ${p.n}  ${parts}`;
    case "sample":
      return `sample ${"n" in p.size ? `n=${p.size.n}` : `frac=${p.size.frac}`} seed=${p.seed}  ${parts}`;
    case "window":
      return windowLine(p);
    default:
      return p satisfies never;
  }
}

/** The plan as an indented tree (two spaces per level). */
export function explainPlan(plan: Plan): string {
  const out: string[] = [];
  const walk = (p: Plan, depth: number) => {
    out.push(`${"  ".repeat(depth)}${line(p)}`);
    for (const i of inputsOf(p)) walk(i, depth + 1);
  };
  walk(plan, 0);
  return out.join("\n");
}
