/** Shapes: checks, sizes, C-order strides, broadcasting and axes, with errors that name them. */
import { BarnError, OptionError } from "../../errors.js";
import { ArrayErrorCodes } from "./errors.js";

export type Shape = readonly number[];

export function fmt(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** C-order strides in elements. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** A shape given by a user: an array of non-negative integers (or one integer). */
export function checkShape(where: string, shape: unknown): number[] {
  const s = typeof shape === "number" ? [shape] : shape;
  if (!Array.isArray(s) || s.some((d) => typeof d !== "number" || !Number.isInteger(d) || d < 0)) {
    throw new BarnError(
      ArrayErrorCodes.SHAPE,
      `${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`,
    );
  }
  return [...s];
}

/** NumPy's broadcast of several shapes, or ARRAY_BROADCAST naming them. */
export function broadcastShapes(where: string, shapes: readonly Shape[]): number[] {
  const ndim = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(ndim).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = ndim - s.length + i;
      const d = s[i]!;
      if (d === 1) continue;
      if (out[j] === 1) out[j] = d;
      else if (out[j] !== d) {
        throw new BarnError(
          ArrayErrorCodes.BROADCAST,
          `${where}: shapes ${shapes.map(fmt).join(" and ")} do not broadcast (dimension ${j}: ${out[j]} vs ${d}). Fix: make each dimension equal or 1, e.g. with expandDims or reshape`,
        );
      }
    }
  }
  return out;
}

/** An axis in [-ndim, ndim) made non-negative, or ARRAY_AXIS. */
export function normAxis(where: string, axis: unknown, ndim: number): number {
  if (typeof axis !== "number" || !Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    throw new BarnError(
      ArrayErrorCodes.AXIS,
      `${where}: axis ${String(axis)} is out of range for an array of ${ndim} dimension${ndim === 1 ? "" : "s"}. Fix: give an axis in [${-ndim}, ${ndim - 1}]`,
    );
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Axes option (undefined: all), sorted and without repeats. */
export function normAxes(where: string, axis: unknown, ndim: number): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = Array.isArray(axis) ? axis : [axis];
  const out = list.map((a) => normAxis(where, a, ndim));
  if (new Set(out).size !== out.length) {
    throw new OptionError(`${where}: repeated axis in ${JSON.stringify(axis)}`);
  }
  return out.sort((a, b) => a - b);
}
