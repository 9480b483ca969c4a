/** Matrix products by blocks: C[i, j] sums A[i, p] B[p, j] over the inner blocks in one task. */
import { BarnError } from "../../errors.js";
import { promote } from "./dtype.js";
import { ArrayErrorCodes } from "./errors.js";
import type { ArrayPlan } from "./plan.js";
import { fmt } from "./shape.js";
import { rechunkTo } from "./view.js";

/** a @ b for 2-D arrays (callers reshape 1-D operands). */
export function matmulPlan(
  a: ArrayPlan,
  b: ArrayPlan,
  cast: (p: ArrayPlan, d: ArrayPlan["dtype"]) => ArrayPlan,
): ArrayPlan {
  if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[1] !== b.shape[0]) {
    throw new BarnError(
      ArrayErrorCodes.SHAPE,
      `matmul: shapes ${fmt(a.shape)} and ${fmt(b.shape)} do not fit (the inner dimensions must be equal). Fix: transpose or reshape one side`,
    );
  }
  const dtype = promote(a.dtype, b.dtype);
  const out = dtype === "bool" ? "bool" : dtype;
  const ac = a.dtype === dtype ? a : cast(a, dtype);
  const bc0 = b.dtype === dtype ? b : cast(b, dtype);
  const bc = rechunkTo(bc0, [ac.chunks[1]!, bc0.chunks[1]!]);
  return {
    kind: "matmul",
    a: ac,
    b: bc,
    shape: [a.shape[0]!, b.shape[1]!],
    chunks: [ac.chunks[0]!, bc.chunks[1]!],
    dtype: out,
  };
}
