/**
 * Blockwise fusion: a chain of row-wise nodes (filter, project, withColumns, rename) becomes one
 * `blockwise` node holding their steps in order, which lowers to ONE task per partition. The
 * graph's linear fusion then merges that task with the read below it.
 */
import { inputsOf, type Plan, type RowOp, rowOpsOf, withInputs } from "../plan.js";

/** The one step of a row-wise node not yet fused (a blockwise node ends a chain). */
function asRowOp(p: Plan): RowOp<never> | undefined {
  return p.kind === "blockwise" ? undefined : rowOpsOf(p)?.[0];
}

/** `plan` with its row-wise chains fused into blockwise nodes. */
export function fuseBlockwise(plan: Plan): Plan {
  const first = asRowOp(plan);
  if (first === undefined) {
    const inputs = inputsOf(plan);
    return inputs.length === 0 ? plan : withInputs(plan, inputs.map(fuseBlockwise));
  }
  const steps: RowOp<never>[] = [];
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
