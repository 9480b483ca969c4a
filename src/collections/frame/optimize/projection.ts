/**
 * Projection pushdown: walking down from the root with the set of columns each node's parent
 * needs, every node asks its inputs only for what it needs itself, so sources read only the
 * columns the query uses. Output schemas are recomputed on the way back up.
 */
import type { Field, Schema } from "../../../kernels/batch.js";
import { columnsOf } from "../expr.js";
import { joinSchema } from "../join-exec.js";
import type { Plan } from "../plan.js";
import { windowInputNeed, withWindowInput } from "../window.js";

/** Columns a parent needs; null means all of them. */
type Need = ReadonlySet<string> | null;

function union(need: Need, more: Iterable<string>): Need {
  if (need === null) return null;
  const s = new Set(need);
  for (const m of more) s.add(m);
  return s;
}

function keep(schema: Schema, need: Need): Schema {
  return need === null ? schema : schema.filter((f) => need.has(f.name));
}

/** `plan` with every node reading only the columns needed above it. */
export function pushProjections(plan: Plan, need: Need = null): Plan {
  switch (plan.kind) {
    case "source": {
      if (need === null) return plan;
      const schema = keep(plan.schema, need);
      if (schema.length === plan.schema.length) return plan;
      return { ...plan, schema, columns: schema.map((f) => f.name) };
    }
    case "project": {
      const columns = need === null ? plan.columns : plan.columns.filter((c) => need.has(c));
      const input = pushProjections(plan.input, new Set(columns));
      return {
        ...plan,
        input,
        columns,
        schema: columns.map((c) => input.schema.find((f) => f.name === c)!),
      };
    }
    case "filter": {
      const input = pushProjections(plan.input, union(need, columnsOf(plan.predicate)));
      return { ...plan, input, schema: input.schema };
    }
    case "withColumns": {
      const exprs = need === null ? plan.exprs : plan.exprs.filter(([n]) => need.has(n));
      const written = new Set(exprs.map(([n]) => n));
      let inputNeed: Need =
        need === null ? null : new Set([...need].filter((n) => !written.has(n)));
      for (const [, e] of exprs) inputNeed = union(inputNeed, columnsOf(e));
      if (inputNeed !== null && need !== null) {
        // Columns rewritten but not needed above may still be read by other expressions.
        for (const [n] of plan.exprs)
          if (!written.has(n) && need.has(n)) (inputNeed as Set<string>).add(n);
      }
      const input = pushProjections(plan.input, inputNeed);
      const byName = new Map(plan.schema.map((f) => [f.name, f]));
      const schema: Field[] = input.schema.map((f) =>
        written.has(f.name) ? byName.get(f.name)! : f,
      );
      for (const [n] of exprs)
        if (!input.schema.some((f) => f.name === n)) schema.push(byName.get(n)!);
      if (exprs.length === 0) return input;
      return { ...plan, input, exprs, schema };
    }
    case "rename": {
      const back = new Map(plan.mapping.map(([from, to]) => [to, from]));
      const inputNeed = need === null ? null : new Set([...need].map((n) => back.get(n) ?? n));
      const input = pushProjections(plan.input, inputNeed);
      const fwd = new Map(plan.mapping);
      return {
        ...plan,
        input,
        schema: input.schema.map((f) => ({ ...f, name: fwd.get(f.name) ?? f.name })),
      };
    }
    case "blockwise":
      return { ...plan, input: pushProjections(plan.input, null) };
    case "groupAgg": {
      const cols = [
        ...plan.keys,
        ...plan.aggs.flatMap((a) => (a.column === null ? [] : [a.column])),
      ];
      return { ...plan, input: pushProjections(plan.input, new Set(cols)) };
    }
    case "join": {
      const leftNames = new Set(plan.left.schema.map((f) => f.name));
      const rightNames = new Set(plan.right.schema.map((f) => f.name));
      const leftNeed: Need =
        need === null
          ? null
          : new Set(
              [...leftNames].filter(
                (n) => need.has(n) || plan.leftOn.includes(n) || rightNames.has(n),
              ),
            );
      const outOf = new Map(
        plan.schema
          .slice(plan.left.schema.length)
          .map((f, k) => [rightOutputName(plan, k), f.name]),
      );
      const rightNeed: Need =
        need === null
          ? null
          : new Set(
              [...rightNames].filter(
                (n) => plan.rightOn.includes(n) || leftNames.has(n) || need.has(outOf.get(n) ?? n),
              ),
            );
      const left = pushProjections(plan.left, leftNeed);
      const right = pushProjections(plan.right, rightNeed);
      const schema = joinSchema(
        left.schema,
        right.schema,
        plan.leftOn,
        plan.rightOn,
        plan.how,
        plan.suffix,
      );
      return { ...plan, left, right, schema };
    }
    case "sort": {
      const input = pushProjections(plan.input, union(need, plan.by));
      return { ...plan, input, schema: input.schema };
    }
    case "dropDuplicates": {
      const input = pushProjections(plan.input, union(need, plan.subset));
      return { ...plan, input, schema: input.schema };
    }
    case "repartition": {
      const input = pushProjections(plan.input, union(need, plan.on ?? []));
      return { ...plan, input, schema: input.schema };
    }
    case "sample":
    case "head": {
      const input = pushProjections(plan.input, need);
      return { ...plan, input, schema: input.schema };
    }
    case "concat": {
      const inputs = plan.inputs.map((p) => pushProjections(p, need));
      return { ...plan, inputs, schema: inputs[0]!.schema };
    }
    case "mapPartitions":
      return { ...plan, input: pushProjections(plan.input, null) };
    case "window":
      return withWindowInput(plan, pushProjections(plan.input, windowInputNeed(plan, need)), need);
    default:
      return plan satisfies never;
  }
}

/** The right-side source column behind the k-th right output column of a join. */
function rightOutputName(plan: Plan & { kind: "join" }, k: number): string {
  const merged = new Set(plan.rightOn.filter((r, i) => plan.leftOn[i] === r));
  return plan.right.schema.map((f) => f.name).filter((n) => !merged.has(n))[k]!;
}
