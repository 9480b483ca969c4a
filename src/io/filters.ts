/**
 * Simple predicates a reader can push down (an AND of `column op value`), and the test that
 * decides from a row group's min/max statistics whether any of its rows can match. Pruning must
 * never drop a matching row, so every rule errs towards "may match".
 */

import type { DType, Schema } from "../kernels/batch.js";
import type { CompareOp } from "../kernels/compare.js";
import { unknownColumnError } from "./schema.js";

/** The operators a pushed-down predicate can use: the kernels' comparisons, and null tests. */
export type PredicateOp = CompareOp | "isNull" | "notNull";

/** A value a predicate compares with: numbers for int32/float64, ms or Date for timestamp, days or Date for date. */
export type PredicateValue = number | bigint | string | boolean | Date | null;

/** One predicate; a list of them is their AND. */
export interface Predicate {
  readonly column: string;
  readonly op: PredicateOp;
  readonly value?: PredicateValue;
}

/** Row-group statistics in the units a batch uses (ms for timestamps, days for dates). */
export interface ColumnStats {
  readonly min?: number | bigint | string | boolean | undefined;
  readonly max?: number | bigint | string | boolean | undefined;
  /** True when `max` may be a truncated prefix of the real maximum (long strings). */
  readonly maxInexact?: boolean;
  readonly nullCount?: bigint | undefined;
  readonly numRows: bigint;
}

/** Throws BARN_UNKNOWN_COLUMN when a predicate names a column the schema lacks. */
export function checkPredicates(filters: readonly Predicate[], schema: Schema): void {
  for (const p of filters) {
    if (!schema.some((f) => f.name === p.column))
      throw unknownColumnError(p.column, schema, "filters");
  }
}

/** A predicate's value in the units of a column of `type`. */
function normalizeValue(
  value: PredicateValue | undefined,
  type: DType,
): PredicateValue | undefined {
  if (value instanceof Date)
    return type === "date" ? Math.floor(value.getTime() / 86_400_000) : value.getTime();
  return value;
}

/** False only when the statistics prove no row can satisfy the predicate. */
export function mayMatch(p: Predicate, type: DType, stats: ColumnStats | undefined): boolean {
  if (stats === undefined) return true;
  const { nullCount, numRows } = stats;
  if (p.op === "isNull") return nullCount === undefined || nullCount > 0n;
  const allNull = nullCount !== undefined && nullCount === numRows;
  if (p.op === "notNull") return !allNull;
  if (allNull) return false; // comparisons with null are never true
  const v = normalizeValue(p.value, type);
  if (v === null || v === undefined || typeof v === "boolean") return true;
  const { min, max } = stats;
  if (
    min === undefined ||
    max === undefined ||
    typeof min === "boolean" ||
    typeof max === "boolean"
  ) {
    return true;
  }
  if ((typeof v === "string") !== (typeof min === "string")) return true;
  if (typeof v === "number" && Number.isNaN(v)) return p.op === "ne";
  // A truncated string max is a prefix of the real max: values above it may share that prefix.
  const maxBelow = (x: typeof v) =>
    max < x && !(stats.maxInexact === true && typeof x === "string" && x.startsWith(max as string));
  switch (p.op) {
    case "eq":
      return !(v < min || maxBelow(v));
    case "ne":
      return !(min === v && max === v && stats.maxInexact !== true);
    case "lt":
      return min < v;
    case "le":
      return min <= v;
    case "gt":
      return !(max <= v) || (stats.maxInexact === true && typeof v === "string");
    case "ge":
      return !maxBelow(v);
  }
}
