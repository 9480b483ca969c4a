/**
 * Building map nodes: an array seen through a mapping of its dimensions onto an output's
 * (broadcast, transposed, squeezed or expanded), and operands unified to one chunk grid. A
 * map input is inlined (its operands composed with the mapping, its expression reused), which
 * is how element-wise chains, transposes and broadcasts fuse into one task per chunk.
 */
import { type Chunks, sameChunks, unifyDim } from "./chunks.js";
import { type DType, promote as promoteLoose, scalarDType } from "./dtype.js";
import { type Expr, substitute } from "./expr.js";
import type { ArrayPlan, Operand } from "./plan.js";
import { broadcastShapes } from "./shape.js";

/** A map under construction: operands and leaves of the expression that read them. */
export class MapBuilder {
  readonly operands: Operand[] = [];
  readonly #index = new Map<ArrayPlan, Map<string, number>>();

  /** The operand number of (plan, dims), adding it once. */
  #operand(plan: ArrayPlan, dims: readonly number[]): number {
    let byDims = this.#index.get(plan);
    if (byDims === undefined) {
      byDims = new Map();
      this.#index.set(plan, byDims);
    }
    const key = dims.join(",");
    let i = byDims.get(key);
    if (i === undefined) {
      i = this.operands.length;
      this.operands.push({ plan, dims: [...dims] });
      byDims.set(key, i);
    }
    return i;
  }

  /**
   * The expression of `plan` read through `dims` (its dimension k runs along output dimension
   * dims[k], -1: a length-1 dimension the output drops). A map is inlined.
   */
  leaf(plan: ArrayPlan, dims: readonly number[]): Expr {
    if (plan.kind === "map") {
      const renumber = plan.operands.map((op) =>
        this.#operand(
          op.plan,
          op.dims.map((od) => (od < 0 ? -1 : dims[od]!)),
        ),
      );
      return substitute(plan.expr, (i) => ({
        e: "in",
        i: renumber[i]!,
        t: plan.operands[i]!.plan.dtype,
      }));
    }
    return { e: "in", i: this.#operand(plan, dims), t: plan.dtype };
  }

  build(expr: Expr, shape: readonly number[], chunks: Chunks): ArrayPlan {
    return { kind: "map", operands: this.operands, expr, shape, chunks, dtype: expr.t };
  }
}

export type Value = ArrayPlan | number | bigint | boolean;

export function isPlan(v: Value): v is ArrayPlan {
  return typeof v === "object";
}

/** Rechunked to `chunks` (same shape), or itself when it already is. */
export function rechunkTo(plan: ArrayPlan, chunks: Chunks): ArrayPlan {
  if (sameChunks(plan.chunks, chunks)) return plan;
  return { kind: "rechunk", input: plan, shape: plan.shape, chunks, dtype: plan.dtype };
}

/**
 * Arrays and scalars broadcast together: the output shape and grid (dask's common refinement
 * of the operands' chunks), and each value as an expression leaf. Scalars take their dtype by
 * NEP 50 against the arrays' result type `base`.
 */
export function broadcastValues(
  where: string,
  values: readonly Value[],
): { b: MapBuilder; leaves: Expr[]; shape: number[]; chunks: Chunks } {
  const arrays = values.filter(isPlan);
  const shape = broadcastShapes(
    where,
    arrays.map((a) => a.shape),
  );
  const nd = shape.length;
  const chunks: number[][] = shape.map((n) => [n]);
  const set = new Array<boolean>(nd).fill(false);
  for (const a of arrays) {
    a.shape.forEach((n, j) => {
      const d = j + nd - a.shape.length;
      if (n !== shape[d] || (n === 1 && set[d])) return;
      chunks[d] = set[d] ? unifyDim(chunks[d]!, a.chunks[j]!) : [...a.chunks[j]!];
      set[d] = true;
    });
  }
  const base =
    arrays
      .map((a) => a.dtype)
      .reduce<DType | undefined>(
        (acc, d) => (acc === undefined ? d : promoteLoose(acc, d)),
        undefined,
      ) ?? "float64";
  const b = new MapBuilder();
  const leaves = values.map((v): Expr => {
    if (!isPlan(v)) {
      const t = scalarDType(where, v, base);
      const value = typeof v === "boolean" ? Number(v) : v;
      return {
        e: "const",
        v:
          t === "int64"
            ? String(typeof value === "bigint" ? value : Math.trunc(value))
            : Number(value),
        t,
      };
    }
    const off = nd - v.shape.length;
    const want = v.shape.map((n, j) => (n === 1 && shape[j + off] !== 1 ? [1] : chunks[j + off]!));
    const plan = rechunkTo(v, want);
    return b.leaf(
      plan,
      v.shape.map((_, j) => j + off),
    );
  });
  return { b, leaves, shape, chunks };
}
