/** `NDArray`: an array in memory, what compute() returns: a typed array in C order and a shape. */
import { BarnError } from "../../errors.js";
import type { DType, ScalarOf, TypedArrayOf } from "./dtype.js";
import { ArrayErrorCodes } from "./errors.js";
import { fmt, sizeOf, stridesOf } from "./shape.js";

/** A nested JavaScript array of an NDArray's elements (a scalar for 0 dimensions). */
export type Nested<T> = T | Nested<T>[];

export class NDArray<D extends DType = DType> {
  /** The elements in C order (booleans as 0 and 1). */
  readonly data: TypedArrayOf<D>;
  readonly shape: readonly number[];
  readonly dtype: D;

  constructor(data: TypedArrayOf<D>, shape: readonly number[], dtype: D) {
    if (data.length !== sizeOf(shape)) {
      throw new BarnError(
        ArrayErrorCodes.SHAPE,
        `NDArray: ${data.length} elements do not fill shape ${fmt(shape)}`,
      );
    }
    this.data = data;
    this.shape = shape;
    this.dtype = dtype;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get size(): number {
    return this.data.length;
  }

  /** The element at `idx` (negative indices count from the end). */
  get(...idx: number[]): ScalarOf<D> {
    if (idx.length !== this.shape.length) {
      throw new BarnError(
        ArrayErrorCodes.INDEX,
        `get: give ${this.shape.length} indices for shape ${fmt(this.shape)}, got ${idx.length}`,
      );
    }
    const st = stridesOf(this.shape);
    let at = 0;
    idx.forEach((i, d) => {
      const n = this.shape[d]!;
      const j = i < 0 ? i + n : i;
      if (!Number.isInteger(i) || j < 0 || j >= n) {
        throw new BarnError(
          ArrayErrorCodes.INDEX,
          `get: index ${i} is out of range for dimension ${d} of shape ${fmt(this.shape)}`,
        );
      }
      at += j * st[d]!;
    });
    return this.#scalar(at);
  }

  #scalar(at: number): ScalarOf<D> {
    const v = this.data[at]!;
    return (this.dtype === "bool" ? v !== 0 : v) as ScalarOf<D>;
  }

  /** The elements as nested arrays (for small arrays: printing, tests, JSON). */
  toNested(): Nested<ScalarOf<D>> {
    const st = stridesOf(this.shape);
    const build = (d: number, at: number): Nested<ScalarOf<D>> => {
      if (d === this.shape.length) return this.#scalar(at);
      return Array.from({ length: this.shape[d]! }, (_, i) => build(d + 1, at + i * st[d]!));
    };
    return build(0, 0);
  }
}
