/**
 * Blockwise fusion: a chain of row-wise nodes (filter, project, withColumns, rename) becomes one
 * `blockwise` node holding their steps in order, which lowers to ONE task per partition. The
 * graph's linear fusion then merges that task with the read below it.
 */
import { inputsOf, type Plan, type RowOp, withInputs } from "../plan.js";

function asRowOp(p: Plan): RowOp | undefined {
  switch (p.kind) {
    case "filter":
      return { op: "filter", predicate: p.predicate };
    case "project":
      return { op: "project", columns: p.columns };
    case "withColumns":
      return { op: "with", exprs: p.exprs };
    case "rename":
      return { op: "rename", mapping: p.mapping };
    case "blockwise":
      return undefined;
    default:
      return undefined;
  }
}

/** `plan` with its row-wise chains fused into blockwise nodes. */
export function fuseBlockwise(plan: Plan): Plan {
  const first = asRowOp(plan);
  if (first === undefined) {
    const inputs = inputsOf(plan);
    return inputs.length === 0 ? plan : withInputs(plan, inputs.map(fuseBlockwise));
  }
  const steps: RowOp[] = [];
  let p: Plan = plan;
  for (let op = asRowOp(p); op !== undefined; op = asRowOp(p)) {
    steps.push(op);
    p = (p as Plan & { input: Plan }).input;
  }
  return {
    kind: "blockwise",
    input: fuseBlockwise(p),
    ops: steps.reverse(),
    schema: plan.schema,
    npartitions: plan.npartitions,
  };
}
