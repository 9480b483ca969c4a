/**
 * Predicate pushdown: the simple conjuncts of a filter (`column op literal`) travel down the
 * chain of row-wise nodes below it (through renames, projections and other filters; not past a
 * withColumns that rewrites the column) into the source's `filters`, where a reader may use
 * them to skip row groups or files. The filter itself stays: readers may prune coarsely, and
 * the frame's answer must not depend on how well they do.
 */
import { flipCompare } from "../../../kernels/compare.js";
import type { ExprNode } from "../expr.js";
import { inputsOf, type Plan, type SourceFilter, withInputs } from "../plan.js";

/** The `column op literal` conjuncts of a predicate (other conjuncts are skipped). */
export function simpleConjuncts(node: ExprNode, out: SourceFilter[] = []): SourceFilter[] {
  if (node.e === "and") {
    simpleConjuncts(node.left, out);
    simpleConjuncts(node.right, out);
  } else if (node.e === "cmp") {
    const { left: l, right: r } = node;
    if (l.e === "col" && r.e === "lit" && r.value !== null && !r.ts)
      out.push({ column: l.name, op: node.op, value: r.value });
    else if (r.e === "col" && l.e === "lit" && l.value !== null && !l.ts)
      out.push({ column: r.name, op: flipCompare(node.op), value: l.value });
  }
  return out;
}

function attach(plan: Plan, filters: readonly SourceFilter[]): Plan {
  if (filters.length === 0) return plan;
  switch (plan.kind) {
    case "source": {
      const have = plan.filters ?? [];
      const fresh = filters.filter(
        (f) => !have.some((h) => h.column === f.column && h.op === f.op && h.value === f.value),
      );
      return fresh.length === 0 ? plan : { ...plan, filters: [...have, ...fresh] };
    }
    case "project":
    case "filter":
    case "repartition":
      return { ...plan, input: attach(plan.input, filters) };
    case "rename": {
      const back = new Map(plan.mapping.map(([from, to]) => [to, from]));
      const moved = filters.map((f) => ({ ...f, column: back.get(f.column) ?? f.column }));
      return { ...plan, input: attach(plan.input, moved) };
    }
    case "withColumns": {
      const written = new Set(plan.exprs.map(([n]) => n));
      return {
        ...plan,
        input: attach(
          plan.input,
          filters.filter((f) => !written.has(f.column)),
        ),
      };
    }
    default:
      return plan;
  }
}

/** `plan` with filters pushed into its sources. */
export function pushPredicates(plan: Plan): Plan {
  const inputs = inputsOf(plan).map(pushPredicates);
  const p = inputs.length === 0 ? plan : withInputs(plan, inputs);
  if (p.kind !== "filter") return p;
  return { ...p, input: attach(p.input, simpleConjuncts(p.predicate)) };
}
