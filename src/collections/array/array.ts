/**
 * `BArray<D>`: a lazy, immutable, chunked n-dimensional array (dask.array's model). Each method
 * returns a new array over a plan of plain data; nothing runs before compute() or persist().
 * Element-wise methods, transposes and broadcasts fuse into one task per chunk (view.ts).
 */
import type { Client } from "../../client/client.js";
import type { Future } from "../../client/future.js";
import { BarnError } from "../../errors.js";
import { checkOptionKeys } from "../../io/options.js";
import { shipUserFn } from "../bag/fns.js";
import type { ChunkSpec, Chunks } from "./chunks.js";
import { normalizeChunks } from "./chunks.js";
import { checkDType, type DType, type FloatOf, itemsize, type SumOf } from "./dtype.js";
import { ArrayErrorCodes } from "./errors.js";
import { type BinaryOp, binaryDType, type Expr, type UnaryOp, unaryDType } from "./expr.js";
import { matmul } from "./matmul-nd.js";
import { NDArray } from "./ndarray.js";
import type { ArrayPlan, ChunkInfo } from "./plan.js";
import type { AggName } from "./reduce-spec.js";
import { type ReduceOptions, reducePlan } from "./reductions.js";
import {
  expandDimsPlan,
  rechunkPlan,
  reshapePlan,
  squeezePlan,
  transposePlan,
} from "./reshaping.js";
import { computePlan, persistPlan, type RunOptions } from "./run.js";
import { Scalar } from "./scalar.js";
import { select } from "./select.js";
import { normAxis, sizeOf } from "./shape.js";
import { compressPlan, type IndexItem, slicePlan, takePlan } from "./slicing.js";
import { compressLazy, takeLazy } from "./take-lazy.js";
import { tensordot } from "./tensordot.js";
import { broadcastValues, type Value } from "./view.js";
import type { ZarrArrayInfo } from "./zarr/info.js";
import { type ToZarrOptions, toZarr } from "./zarr-sink.js";

/** What element-wise methods accept besides arrays: plain numbers, bigints and booleans. */
export type Operand = BArray<DType> | number | bigint | boolean;

/** The dtype of a binary operation where it is known statically; DType otherwise. */
export type Binary<D extends DType, O> =
  O extends BArray<infer E>
    ? [D] extends [E]
      ? [E] extends [D]
        ? D
        : DType
      : DType
    : O extends number
      ? D extends "float64" | "float32"
        ? D
        : DType
      : DType;

/** Options of reductions that give one value per remaining position. */
export type AxisOptions = ReduceOptions & { readonly axis: number | readonly number[] };
/** Options of reductions over every axis. */
export type AllOptions = Omit<ReduceOptions, "axis" | "keepdims"> & {
  readonly axis?: undefined;
  readonly keepdims?: false | undefined;
};

/** Options of persist(). */
export interface PersistOptions {
  /** The client to keep the chunks on. Default: Client.current(). */
  readonly client?: Client | undefined;
}

/** Options of mapBlocks. */
export interface MapBlocksOptions {
  /** The dtype the function returns (default: the input's). */
  readonly dtype?: DType | undefined;
}

/** One block as a mapBlocks function receives it. */
export interface Block<D extends DType = DType> {
  readonly data: import("./dtype.js").TypedArrayOf<D>;
  readonly shape: readonly number[];
}

function planOf(v: Operand): Value {
  return v instanceof BArray ? v.plan : v;
}

export class BArray<D extends DType = DType> {
  /** The logical plan (plain data). */
  readonly plan: ArrayPlan;
  /** Futures of persisted chunks, kept so the cluster keeps them while this array lives. */
  readonly #held: readonly Future[];

  /** @internal made by the creation functions */
  constructor(plan: ArrayPlan, held: readonly Future[] = []) {
    this.plan = plan;
    this.#held = held;
  }

  get shape(): readonly number[] {
    return this.plan.shape;
  }
  /** Chunk lengths along each dimension. */
  get chunks(): Chunks {
    return this.plan.chunks;
  }
  get dtype(): D {
    return this.plan.dtype as D;
  }
  get ndim(): number {
    return this.plan.shape.length;
  }
  get size(): number {
    return sizeOf(this.plan.shape);
  }
  get nbytes(): number {
    return this.size * itemsize(this.plan.dtype);
  }
  /** The number of chunks along each dimension. */
  get numblocks(): readonly number[] {
    return this.plan.chunks.map((c) => c.length);
  }
  /** @internal the futures this array keeps alive */
  get held(): readonly Future[] {
    return this.#held;
  }

  #next<E extends DType>(plan: ArrayPlan, ...others: readonly Operand[]): BArray<E> {
    const held = [...this.#held];
    for (const o of others) if (o instanceof BArray) held.push(...o.held);
    return new BArray<E>(plan, held);
  }

  #binary(op: BinaryOp, other: Operand, swap = false): ArrayPlan {
    const values = swap ? [planOf(other), this.plan] : [this.plan, planOf(other)];
    const { b, leaves, shape, chunks } = broadcastValues(op, values);
    const [l, r] = leaves as [Expr, Expr];
    const t = binaryDType(op, l.t, r.t);
    return b.build({ e: "bin", op, a: l, b: r, t }, shape, chunks);
  }

  #unary(op: UnaryOp, t?: DType): ArrayPlan {
    const { b, leaves, shape, chunks } = broadcastValues(op, [this.plan]);
    const x = leaves[0]!;
    return b.build({ e: "un", op, x, t: t ?? unaryDType(op, x.t) }, shape, chunks);
  }

  // ---- element-wise (fused) ----
  add<O extends Operand>(o: O): BArray<Binary<D, O>> {
    return this.#next(this.#binary("add", o), o);
  }
  sub<O extends Operand>(o: O): BArray<Binary<D, O>> {
    return this.#next(this.#binary("sub", o), o);
  }
  mul<O extends Operand>(o: O): BArray<Binary<D, O>> {
    return this.#next(this.#binary("mul", o), o);
  }
  /** True division: integers give float64. */
  div(o: Operand): BArray<FloatOf<D>> {
    return this.#next(this.#binary("div", o), o);
  }
  pow<O extends Operand>(o: O): BArray<Binary<D, O>> {
    if (typeof o === "number" && o < 0 && !["float32", "float64"].includes(this.dtype)) {
      throw new BarnError(
        ArrayErrorCodes.DTYPE,
        `pow: integers to negative integer powers are not allowed (NumPy's rule). Fix: x.astype("float64").pow(${o})`,
      );
    }
    return this.#next(this.#binary("pow", o), o);
  }
  /** Element-wise larger (NaN wins, as in NumPy). */
  maximum<O extends Operand>(o: O): BArray<Binary<D, O>> {
    return this.#next(this.#binary("maximum", o), o);
  }
  minimum<O extends Operand>(o: O): BArray<Binary<D, O>> {
    return this.#next(this.#binary("minimum", o), o);
  }
  lt(o: Operand): BArray<"bool"> {
    return this.#next(this.#binary("lt", o), o);
  }
  le(o: Operand): BArray<"bool"> {
    return this.#next(this.#binary("le", o), o);
  }
  gt(o: Operand): BArray<"bool"> {
    return this.#next(this.#binary("gt", o), o);
  }
  ge(o: Operand): BArray<"bool"> {
    return this.#next(this.#binary("ge", o), o);
  }
  eq(o: Operand): BArray<"bool"> {
    return this.#next(this.#binary("eq", o), o);
  }
  ne(o: Operand): BArray<"bool"> {
    return this.#next(this.#binary("ne", o), o);
  }
  /** Logical and of truth values. */
  and(o: Operand): BArray<"bool"> {
    return this.#next(this.#binary("and", o), o);
  }
  or(o: Operand): BArray<"bool"> {
    return this.#next(this.#binary("or", o), o);
  }
  not(): BArray<"bool"> {
    return this.#next(this.#unary("not"));
  }
  neg(): BArray<D> {
    return this.#next(this.#unary("neg"));
  }
  abs(): BArray<D> {
    return this.#next(this.#unary("abs"));
  }
  sqrt(): BArray<FloatOf<D>> {
    return this.#next(this.#unary("sqrt"));
  }
  exp(): BArray<FloatOf<D>> {
    return this.#next(this.#unary("exp"));
  }
  log(): BArray<FloatOf<D>> {
    return this.#next(this.#unary("log"));
  }
  sin(): BArray<FloatOf<D>> {
    return this.#next(this.#unary("sin"));
  }
  cos(): BArray<FloatOf<D>> {
    return this.#next(this.#unary("cos"));
  }
  floor(): BArray<D> {
    return this.#next(this.#unary("floor"));
  }
  ceil(): BArray<D> {
    return this.#next(this.#unary("ceil"));
  }
  /** Rounds halves to even, as NumPy does. */
  round(): BArray<D> {
    return this.#next(this.#unary("round"));
  }
  isnan(): BArray<"bool"> {
    return this.#next(this.#unary("isnan"));
  }
  /** Values limited to [lo, hi] (either may be undefined). */
  clip(lo: number | bigint | undefined, hi?: number | bigint): BArray<D> {
    let x: BArray<DType> = this;
    if (lo !== undefined) x = x.maximum(lo);
    if (hi !== undefined) x = x.minimum(hi);
    return x as BArray<D>;
  }
  /** The elements converted to `dtype` (floats truncate toward zero into integers). */
  astype<E extends DType>(dtype: E): BArray<E> {
    const d = checkDType("astype", dtype);
    if (d === this.dtype) return this as unknown as BArray<E>;
    return this.#next(this.#unary("cast", d));
  }

  // ---- reductions ----
  #reduce(agg: AggName, options: ReduceOptions): BArray<DType> | Scalar<DType> {
    const plan = reducePlan(agg, this.plan, options);
    if (plan.shape.length === 0 && options.keepdims !== true) return new Scalar(plan);
    return this.#next(plan);
  }
  sum(options?: AllOptions): Scalar<SumOf<D>>;
  sum(options: AxisOptions): BArray<SumOf<D>>;
  sum(options: ReduceOptions = {}): unknown {
    return this.#reduce("sum", options);
  }
  nansum(options?: AllOptions): Scalar<SumOf<D>>;
  nansum(options: AxisOptions): BArray<SumOf<D>>;
  nansum(options: ReduceOptions = {}): unknown {
    return this.#reduce("nansum", options);
  }
  prod(options?: AllOptions): Scalar<SumOf<D>>;
  prod(options: AxisOptions): BArray<SumOf<D>>;
  prod(options: ReduceOptions = {}): unknown {
    return this.#reduce("prod", options);
  }
  nanprod(options?: AllOptions): Scalar<SumOf<D>>;
  nanprod(options: AxisOptions): BArray<SumOf<D>>;
  nanprod(options: ReduceOptions = {}): unknown {
    return this.#reduce("nanprod", options);
  }
  min(options?: AllOptions): Scalar<D>;
  min(options: AxisOptions): BArray<D>;
  min(options: ReduceOptions = {}): unknown {
    return this.#reduce("min", options);
  }
  max(options?: AllOptions): Scalar<D>;
  max(options: AxisOptions): BArray<D>;
  max(options: ReduceOptions = {}): unknown {
    return this.#reduce("max", options);
  }
  nanmin(options?: AllOptions): Scalar<D>;
  nanmin(options: AxisOptions): BArray<D>;
  nanmin(options: ReduceOptions = {}): unknown {
    return this.#reduce("nanmin", options);
  }
  nanmax(options?: AllOptions): Scalar<D>;
  nanmax(options: AxisOptions): BArray<D>;
  nanmax(options: ReduceOptions = {}): unknown {
    return this.#reduce("nanmax", options);
  }
  mean(options?: AllOptions): Scalar<FloatOf<D>>;
  mean(options: AxisOptions): BArray<FloatOf<D>>;
  mean(options: ReduceOptions = {}): unknown {
    return this.#reduce("mean", options);
  }
  nanmean(options?: AllOptions): Scalar<FloatOf<D>>;
  nanmean(options: AxisOptions): BArray<FloatOf<D>>;
  nanmean(options: ReduceOptions = {}): unknown {
    return this.#reduce("nanmean", options);
  }
  var(options?: AllOptions): Scalar<FloatOf<D>>;
  var(options: AxisOptions): BArray<FloatOf<D>>;
  var(options: ReduceOptions = {}): unknown {
    return this.#reduce("var", options);
  }
  nanvar(options?: AllOptions): Scalar<FloatOf<D>>;
  nanvar(options: AxisOptions): BArray<FloatOf<D>>;
  nanvar(options: ReduceOptions = {}): unknown {
    return this.#reduce("nanvar", options);
  }
  std(options?: AllOptions): Scalar<FloatOf<D>>;
  std(options: AxisOptions): BArray<FloatOf<D>>;
  std(options: ReduceOptions = {}): unknown {
    return this.#reduce("std", options);
  }
  nanstd(options?: AllOptions): Scalar<FloatOf<D>>;
  nanstd(options: AxisOptions): BArray<FloatOf<D>>;
  nanstd(options: ReduceOptions = {}): unknown {
    return this.#reduce("nanstd", options);
  }
  /** The position of the smallest element: over one axis, or the flat index. */
  argmin(options?: AllOptions): Scalar<"int64">;
  argmin(options: AxisOptions): BArray<"int64">;
  argmin(options: ReduceOptions = {}): unknown {
    return this.#reduce("argmin", options);
  }
  argmax(options?: AllOptions): Scalar<"int64">;
  argmax(options: AxisOptions): BArray<"int64">;
  argmax(options: ReduceOptions = {}): unknown {
    return this.#reduce("argmax", options);
  }
  /** argmin ignoring NaN (an all-NaN slice is an error when computed, as in NumPy). */
  nanargmin(options?: AllOptions): Scalar<"int64">;
  nanargmin(options: AxisOptions): BArray<"int64">;
  nanargmin(options: ReduceOptions = {}): unknown {
    return this.#reduce("nanargmin", options);
  }
  nanargmax(options?: AllOptions): Scalar<"int64">;
  nanargmax(options: AxisOptions): BArray<"int64">;
  nanargmax(options: ReduceOptions = {}): unknown {
    return this.#reduce("nanargmax", options);
  }
  any(options?: AllOptions): Scalar<"bool">;
  any(options: AxisOptions): BArray<"bool">;
  any(options: ReduceOptions = {}): unknown {
    return this.#reduce("any", options);
  }
  all(options?: AllOptions): Scalar<"bool">;
  all(options: AxisOptions): BArray<"bool">;
  all(options: ReduceOptions = {}): unknown {
    return this.#reduce("all", options);
  }

  // ---- shape and indexing ----
  /** The dimensions reversed (a view: fuses with element-wise work around it). */
  get T(): BArray<D> {
    return this.transpose();
  }
  transpose(axes?: readonly number[]): BArray<D> {
    return this.#next(transposePlan(this.plan, axes));
  }
  /**
   * `x.slice(0, "1:10:2", "::-1", null)`: per dimension an integer (the dimension is dropped),
   * a slice string or `{ start, stop, step }`, or null for all of it.
   */
  slice(...items: IndexItem[]): BArray<D> {
    return this.#next(slicePlan(this.plan, items));
  }
  /**
   * Elements at integer positions along one axis (negative count from the end): positions in
   * memory, or an integer lazy array (any shape, NumPy's take; checked on the workers).
   */
  take(index: readonly number[] | ArrayLike<number> | BArray<DType>, axis = 0): BArray<D> {
    if (index instanceof BArray) return takeLazy(this, index, axis);
    return this.#next(takePlan(this.plan, Array.from(index as ArrayLike<number>), axis));
  }
  /**
   * Elements where a boolean mask is true along an axis: a mask in memory, as long as the axis;
   * or a lazy 1-D bool array, which makes it async (its true values are counted first, as
   * select()'s are), and may be shorter than the axis, as NumPy's.
   */
  compress(mask: BArray<"bool">, axis?: number, options?: RunOptions): Promise<BArray<D>>;
  compress(mask: ArrayLike<unknown> | NDArray<"bool">, axis?: number): BArray<D>;
  compress(
    mask: ArrayLike<unknown> | NDArray<"bool"> | BArray<"bool">,
    axis = 0,
    options: RunOptions = {},
  ): BArray<D> | Promise<BArray<D>> {
    if (mask instanceof BArray) {
      checkOptionKeys("compress", options, ["client", "scheduler"]);
      return compressLazy(this, mask, axis, options);
    }
    const m = mask instanceof NDArray ? mask.data : mask;
    return this.#next(compressPlan(this.plan, m, axis));
  }
  /**
   * NumPy's `x[mask]` for a lazy bool `mask` of x's shape (the elements where it is true, as
   * a 1-D array in C order) or of its first dimensions (the sub-arrays under it). Async: the
   * mask's true values are counted now, so the result's chunk sizes are known (select.ts); the
   * selection itself stays lazy.
   */
  async select(mask: BArray<"bool">, options: RunOptions = {}): Promise<BArray<D>> {
    checkOptionKeys("select", options, ["client", "scheduler"]);
    return select(this, mask, options);
  }
  reshape(...shape: number[] | [readonly number[]]): BArray<D> {
    const s = (Array.isArray(shape[0]) ? shape[0] : shape) as number[];
    return this.#next(reshapePlan(this.plan, s));
  }
  /** Without length-1 dimensions (those given, or all). */
  squeeze(axis?: number | readonly number[]): BArray<D> {
    return this.#next(squeezePlan(this.plan, axis));
  }
  expandDims(axis: number): BArray<D> {
    return this.#next(expandDimsPlan(this.plan, axis));
  }
  /** The same elements cut into a new chunk grid. */
  rechunk(chunks: ChunkSpec): BArray<D> {
    return this.#next(rechunkPlan(this.plan, chunks));
  }
  /** The elements flattened to one dimension. */
  ravel(): BArray<D> {
    return this.reshape([-1]);
  }

  // ---- linear algebra and scans ----
  /**
   * NumPy's matmul (`a @ b`): by blocks; stacks of matrices broadcast their leading axes, a 1-D
   * operand is a row (left) or a column (right) whose axis the result drops (matmul-nd.ts).
   */
  matmul(other: BArray<DType>): BArray<DType> {
    return matmul(this, other);
  }
  /**
   * NumPy's dot: matmul for 1-D and 2-D arrays; beyond, the sum over a's last axis and b's
   * second-to-last (its only one when 1-D), as tensordot.
   */
  dot(other: BArray<DType>): BArray<DType> {
    if (this.ndim <= 2 && other.ndim <= 2) return this.matmul(other);
    return tensordot(this, other, [[-1], [other.ndim >= 2 ? -2 : -1]]);
  }
  /** Running sum along an axis (default: over the flattened array). Integers accumulate in int64. */
  cumsum(axis?: number): BArray<SumOf<D>> {
    return this.#scan("sum", axis);
  }
  cumprod(axis?: number): BArray<SumOf<D>> {
    return this.#scan("prod", axis);
  }
  #scan<E extends DType>(op: "sum" | "prod", axis: number | undefined): BArray<E> {
    const x = axis === undefined ? this.ravel() : this;
    const ax = axis === undefined ? 0 : axis;
    const p = x.plan;
    const a = normAxis(`cum${op}`, ax, p.shape.length);
    const dtype = ["float32", "float64"].includes(p.dtype) ? p.dtype : "int64";
    return this.#next({
      kind: "cumulative",
      input: p,
      op,
      axis: a,
      shape: p.shape,
      chunks: p.chunks,
      dtype,
    });
  }

  // ---- user blocks ----
  /**
   * `fn(block, info)` on every chunk: block is `{ data, shape }`, info the chunk's place; it
   * returns the result chunk's typed array (same shape). The function ships like a task's.
   */
  mapBlocks<E extends DType = D>(
    fn: (block: Block<D>, info: ChunkInfo) => unknown,
    options: MapBlocksOptions = {},
  ): BArray<E> {
    checkOptionKeys("mapBlocks", options, ["dtype"]);
    const dtype = options.dtype === undefined ? this.dtype : checkDType("mapBlocks", options.dtype);
    const shipped = shipUserFn("mapBlocks", fn);
    return this.#next({
      kind: "blocks",
      inputs: [this.plan],
      fn: shipped,
      shape: this.shape,
      chunks: this.chunks,
      dtype,
    });
  }

  // ---- running ----
  /** The whole array in memory. */
  async compute(options: RunOptions = {}): Promise<NDArray<D>> {
    checkOptionKeys("compute", options, ["client", "scheduler"]);
    const data = await computePlan(this.plan, options);
    return new NDArray(data as NDArray<D>["data"], this.shape, this.dtype);
  }
  /** Starts computing every chunk on the cluster and returns an array over them. */
  persist(options: PersistOptions = {}): BArray<D> {
    checkOptionKeys("persist", options, ["client"]);
    const { futures } = persistPlan(this.plan, options.client);
    return new BArray<D>(
      {
        kind: "keys",
        keys: futures.map((f) => f.key),
        shape: this.shape,
        chunks: this.chunks,
        dtype: this.dtype,
      },
      futures,
    );
  }
  /**
   * Writes the array to a Zarr store at `storePath`, one task per chunk (zarr-sink.ts);
   * resolves to the store's ZarrArrayInfo once every chunk is written.
   */
  toZarr(storePath: string, options: ToZarrOptions = {}): Promise<ZarrArrayInfo> {
    return toZarr(this, storePath, options);
  }
  toString(): string {
    return `barn.BArray<${this.dtype}>(shape=[${this.shape.join(", ")}], chunks=[${this.chunks.map((c) => c.length).join(", ")}] blocks)`;
  }
}

/** A plan cast to `dtype` (a map; fuses with what follows). */
export function castPlan(p: ArrayPlan, dtype: DType): ArrayPlan {
  return new BArray(p).astype(dtype).plan;
}

/** Chunks checked against a shape (used by the creation functions). */
export function chunksFor(
  where: string,
  shape: readonly number[],
  chunks: ChunkSpec | undefined,
  dtype: DType,
): number[][] {
  return normalizeChunks(where, shape, chunks, dtype);
}
