/** Reductions: their names, the dtype each gives, and which need a non-empty input. */
import { type DType, floatOf, sumOf } from "./dtype.js";

export type AggName =
  | "sum"
  | "nansum"
  | "prod"
  | "nanprod"
  | "min"
  | "max"
  | "nanmin"
  | "nanmax"
  | "mean"
  | "nanmean"
  | "var"
  | "nanvar"
  | "std"
  | "nanstd"
  | "argmin"
  | "argmax"
  | "nanargmin"
  | "nanargmax"
  | "any"
  | "all";

/** A reduction over `axes` of the input (sorted, non-negative). */
export interface ReduceSpec {
  readonly agg: AggName;
  readonly axes: readonly number[];
  /** The input's dtype. */
  readonly dtype: DType;
  /** Delta degrees of freedom of var and std. */
  readonly ddof: number;
}

export function aggDType(agg: AggName, d: DType): DType {
  switch (agg) {
    case "sum":
    case "nansum":
    case "prod":
    case "nanprod":
      return sumOf(d);
    case "min":
    case "max":
    case "nanmin":
    case "nanmax":
      return d;
    case "mean":
    case "nanmean":
    case "var":
    case "nanvar":
    case "std":
    case "nanstd":
      return floatOf(d);
    case "argmin":
    case "argmax":
    case "nanargmin":
    case "nanargmax":
      return "int64";
    case "any":
    case "all":
      return "bool";
    default:
      return agg satisfies never;
  }
}

/** Reductions without an identity: NumPy refuses them over an empty axis. */
export function needsElements(agg: AggName): boolean {
  return (
    agg === "min" ||
    agg === "max" ||
    agg === "argmin" ||
    agg === "argmax" ||
    agg === "nanargmin" ||
    agg === "nanargmax" ||
    agg === "nanmin" ||
    agg === "nanmax"
  );
}

/** Whether the kernel reads the value as a float (moments are computed in float64). */
export function isMoment(agg: AggName): boolean {
  return (
    agg === "mean" ||
    agg === "nanmean" ||
    agg === "var" ||
    agg === "nanvar" ||
    agg === "std" ||
    agg === "nanstd"
  );
}
