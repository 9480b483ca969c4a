/**
 * The optimiser: predicate pushdown, then projection pushdown, then blockwise fusion. Each pass
 * is a pure function from plan to plan.
 */
import type { Plan } from "../plan.js";
import { fuseBlockwise } from "./fuse.js";
import { pushPredicates } from "./predicates.js";
import { pushProjections } from "./projection.js";

export { explainPlan } from "./explain.js";

/** The optimised form of `plan` (same answer, less work). */
export function optimize(plan: Plan): Plan {
  return fuseBlockwise(pushProjections(pushPredicates(plan)));
}
