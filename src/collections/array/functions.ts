/**
 * barn/array's functions of several arrays (or of one, outside the class): where,
 * concatenate, stack, blockwise. Each builds a plan from its inputs' plans and keeps their
 * held futures alive.
 */
import { OptionError } from "../../errors.js";
import { shipUserFn } from "../bag/fns.js";
import { BArray, castPlan, type Operand } from "./array.js";
import { checkDType, type DType } from "./dtype.js";
import { binaryDType, type Expr } from "./expr.js";
import { concatPlan } from "./reshaping.js";
import { broadcastValues } from "./view.js";

function planOf(v: Operand) {
  return v instanceof BArray ? v.plan : v;
}

/** Element-wise choice: x where cond is true, else y (broadcast together). */
export function where<D extends DType>(
  cond: Operand,
  x: BArray<D> | number,
  y: BArray<D> | number,
): BArray<D> {
  const { b, leaves, shape, chunks } = broadcastValues("where", [
    planOf(cond),
    planOf(x),
    planOf(y),
  ]);
  const [c, l, r] = leaves as [Expr, Expr, Expr];
  const t = binaryDType("add", l.t === "bool" && r.t === "bool" ? "bool" : l.t, r.t);
  const held = [cond, x, y].flatMap((v) => (v instanceof BArray ? v.held : []));
  return new BArray<D>(b.build({ e: "where", c, a: l, b: r, t }, shape, chunks), held);
}

/** Arrays joined along an existing axis. */
export function concatenate<D extends DType>(arrays: readonly BArray<D>[], axis = 0): BArray<D> {
  const plan = concatPlan(
    arrays.map((a) => a.plan),
    axis,
    castPlan,
  );
  return new BArray<D>(
    plan,
    arrays.flatMap((a) => a.held),
  );
}

/** Arrays of one shape stacked along a new axis. */
export function stack<D extends DType>(arrays: readonly BArray<D>[], axis = 0): BArray<D> {
  return concatenate(
    arrays.map((a) => a.expandDims(axis)),
    axis,
  );
}

/** A function of several arrays' blocks (same shape; rechunked to the first's grid). */
export function blockwise<E extends DType>(
  fn: (...args: unknown[]) => unknown,
  arrays: readonly BArray<DType>[],
  options: { readonly dtype: E },
): BArray<E> {
  if (arrays.length === 0) throw new OptionError("blockwise: give at least one array");
  const first = arrays[0]!;
  const plans = arrays.map((a) => {
    if (a.shape.length !== first.ndim || a.shape.some((n, d) => n !== first.shape[d])) {
      throw new OptionError(
        `blockwise: every array must have shape [${first.shape.join(", ")}]; got [${a.shape.join(", ")}]`,
      );
    }
    return a.rechunk(first.chunks as number[][]).plan;
  });
  const dtype = checkDType("blockwise", options.dtype);
  return new BArray<E>(
    {
      kind: "blocks",
      inputs: plans,
      fn: shipUserFn("blockwise", fn),
      shape: first.shape,
      chunks: first.chunks,
      dtype,
    },
    arrays.flatMap((a) => a.held),
  );
}
