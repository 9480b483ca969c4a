/**
 * Evaluating an expression tree over one batch, on the worker: each node becomes a kernel call
 * over whole columns. Literals stay scalars where a kernel takes one; elsewhere they are
 * broadcast to a column.
 */
import { arith } from "../../kernels/arith.js";
import type { Batch, Column, DType } from "../../kernels/batch.js";
import { isValid } from "../../kernels/bitmap.js";
import {
  allocData,
  columnOf,
  concatColumns,
  projectBatch,
  takeColumn,
} from "../../kernels/column.js";
import { compare, flipCompare, type Scalar } from "../../kernels/compare.js";
import { datePart } from "../../kernels/dates.js";
import { and, isNull, not, notNull, or } from "../../kernels/logic.js";
import { isOrderedNumberType, toFloat64 } from "../../kernels/numeric.js";
import { filterBatch, filterCompare } from "../../kernels/select.js";
import { stringLength, stringPredicate, stringTransform } from "../../kernels/string-ops.js";
import { dictToUtf8, utf8Column } from "../../kernels/strings.js";
import { castColumn } from "./cast.js";
import { overflowToBarn } from "./errors.js";
import type { ExprNode } from "./expr.js";
import { commonType, literalType } from "./expr-types.js";

/** A column, or a scalar that stands for a column of one repeated value. */
type Value = Column | { readonly scalar: Scalar; readonly ts: boolean };

function isColumn(v: Value): v is Column {
  return (v as Column).type !== undefined;
}

/** A scalar repeated `n` times as a column. */
export function broadcast(s: Scalar, ts: boolean, n: number): Column {
  if (s === null)
    return {
      type: "float64",
      length: n,
      data: new Float64Array(n),
      valid: new Uint8Array((n + 7) >> 3),
    };
  if (typeof s === "number")
    return { type: ts ? "timestamp" : "float64", length: n, data: new Float64Array(n).fill(s) };
  if (typeof s === "boolean")
    return { type: "bool", length: n, data: new Uint8Array(n).fill(s ? 1 : 0) };
  if (typeof s === "bigint")
    return { type: "int64", length: n, data: new BigInt64Array(n).fill(s) };
  return { type: "dict", length: n, data: new Int32Array(n), dictionary: utf8Column([s]) };
}

function asColumn(v: Value, n: number): Column {
  return isColumn(v) ? v : broadcast(v.scalar, v.ts, n);
}

/**
 * An arithmetic operand: a column, or a scalar. A whole-number literal facing an int64 operand
 * is an int64 (as in DuckDB and Polars, `col("x").add(1)` stays int64); other numbers stay
 * float64 (arith.ts and expr-types.ts agree on this).
 */
function arithOperand(v: Value, other: Value): Column | number | bigint | null {
  if (isColumn(v)) return v;
  const s = v.scalar;
  if (typeof s === "bigint" || s === null) return s;
  if (typeof s !== "number") return Number(s);
  const otherInt64 = isColumn(other) ? other.type === "int64" : typeof other.scalar === "bigint";
  return otherInt64 && Number.isSafeInteger(s) ? BigInt(s) : s;
}

function broadcastArith(s: number | bigint | null, n: number): Column {
  return broadcast(s, false, n);
}

/** A timestamp literal against a date column is compared in days. */
function scalarFor(c: Column, s: { readonly scalar: Scalar; readonly ts: boolean }): Scalar {
  return s.ts && c.type === "date" && typeof s.scalar === "number"
    ? s.scalar / 86_400_000
    : s.scalar;
}

function evalValue(node: ExprNode, batch: Batch): Value {
  const n = batch.length;
  switch (node.e) {
    case "col":
      return columnOf(batch, node.name)!;
    case "lit":
      return { scalar: node.value, ts: node.ts === true };
    case "cmp": {
      const l = evalValue(node.left, batch);
      const r = evalValue(node.right, batch);
      if (isColumn(l)) return compare(node.op, l, isColumn(r) ? r : scalarFor(l, r));
      if (isColumn(r)) return compare(flipCompare(node.op), r, scalarFor(r, l));
      return compare(node.op, asColumn(l, n), r.scalar);
    }
    case "arith": {
      const l = evalValue(node.left, batch);
      const r = evalValue(node.right, batch);
      const lo = arithOperand(l, r);
      const ro = arithOperand(r, l);
      const left = typeof lo === "object" && lo !== null ? lo : broadcastArith(lo, n);
      return overflowToBarn(() => arith(node.op, left, ro));
    }
    case "and":
      return and(evalColumn(node.left, batch), evalColumn(node.right, batch));
    case "or":
      return or(evalColumn(node.left, batch), evalColumn(node.right, batch));
    case "not":
      return not(evalColumn(node.arg, batch));
    case "isNull":
      return isNull(evalColumn(node.arg, batch));
    case "notNull":
      return notNull(evalColumn(node.arg, batch));
    case "strTest":
      return stringPredicate(node.op, evalColumn(node.arg, batch), node.pattern);
    case "strMap":
      return stringTransform(node.op, evalColumn(node.arg, batch));
    case "strLen":
      return stringLength(evalColumn(node.arg, batch));
    case "dt":
      return datePart(node.part, evalColumn(node.arg, batch));
    case "alias":
      return evalValue(node.arg, batch);
    case "case":
      return evalCase(node, batch);
    case "cast":
      return castColumn(evalColumn(node.arg, batch), node.to);
    default:
      return node satisfies never;
  }
}

/** A case: each branch brought to the common type, then chosen row by row. */
function evalCase(node: ExprNode & { e: "case" }, batch: Batch): Column {
  const n = batch.length;
  const cond = evalColumn(node.cond, batch);
  const a = evalValue(node.value, batch);
  const b = evalValue(node.otherwise, batch);
  const typeOfValue = (v: Value) => (isColumn(v) ? v.type : literalType(v.scalar, v.ts));
  const t = commonType(node.value, typeOfValue(a), node.otherwise, typeOfValue(b));
  const type: DType = t === undefined || t === "null" ? "float64" : t;
  return choose(cond, asType(a, type, n), asType(b, type, n));
}

/** Rows of `a` where `cond` is true (and not null), of `b` elsewhere; a and b share a type. */
function choose(cond: Column, a: Column, b: Column): Column {
  const n = cond.length;
  const both = concatColumns([a, b]);
  const sel = new Int32Array(n);
  const x = cond.data as Uint8Array;
  for (let i = 0; i < n; i++) sel[i] = (x[i]! & 1) === 1 && isValid(cond.valid, i) ? i : n + i;
  return takeColumn(both, sel);
}

/** A value as a column of `type` (numbers widened, dict as utf8, a scalar repeated). */
function asType(v: Value, type: DType, n: number): Column {
  if (!isColumn(v)) {
    const s = v.scalar;
    if (s === null) return nullColumn(type, n);
    if (type === "int64") return { type, length: n, data: new BigInt64Array(n).fill(BigInt(s)) };
    if (type === "int32") return { type, length: n, data: new Int32Array(n).fill(Number(s)) };
    if (type === "float64" || type === "timestamp")
      return { type, length: n, data: new Float64Array(n).fill(Number(s)) };
    return asType(broadcast(s, v.ts, n), type, n);
  }
  if (v.type === type) return v;
  if (v.type === "dict" && type === "utf8") return dictToUtf8(v);
  if (type === "float64") return toFloat64(v);
  if (type === "int64") {
    const src = v.data as ArrayLike<number>;
    const data = new BigInt64Array(v.length);
    for (let i = 0; i < v.length; i++) data[i] = BigInt(src[i]!);
    return { type, length: v.length, data, valid: v.valid };
  }
  return v;
}

/** A column of `type` whose rows are all null. */
function nullColumn(type: DType, n: number): Column {
  const valid = new Uint8Array((n + 7) >> 3);
  if (type === "utf8" || type === "dict")
    return {
      type: "utf8",
      length: n,
      data: new Uint8Array(0),
      offsets: new Int32Array(n + 1),
      valid,
    };
  return { type, length: n, data: allocData(type, n), valid };
}

/** The column `node` evaluates to over `batch`. */
export function evalColumn(node: ExprNode, batch: Batch): Column {
  return asColumn(evalValue(node, batch), batch.length);
}

/**
 * The rows of `batch` where `predicate` holds, of the columns named in `keep` (all by default).
 * A numeric, date, timestamp or bool column compared with a number selects the rows directly (no bool column in
 * between); any other predicate is evaluated to a bool column first. With `scratch`, the
 * gathered columns are in scratch memory (see takeColumn).
 */
export function filterRows(
  batch: Batch,
  predicate: ExprNode,
  options: { readonly scratch?: boolean; readonly keep?: readonly string[] } = {},
): Batch {
  const scratch = options.scratch ?? false;
  const out = options.keep === undefined ? batch : projectBatch(batch, options.keep);
  if (predicate.e === "cmp") {
    const { left, right } = predicate;
    const l = left.e === "col" ? columnOf(batch, left.name) : undefined;
    const r = right.e === "col" ? columnOf(batch, right.name) : undefined;
    if (l !== undefined && right.e === "lit" && isOrderedNumberType(l.type)) {
      const v = scalarFor(l, { scalar: right.value, ts: right.ts === true });
      if (typeof v === "number" || typeof v === "bigint")
        return filterCompare(out, predicate.op, l, v, scratch);
    }
    if (r !== undefined && left.e === "lit" && isOrderedNumberType(r.type)) {
      const v = scalarFor(r, { scalar: left.value, ts: left.ts === true });
      if (typeof v === "number" || typeof v === "bigint")
        return filterCompare(out, flipCompare(predicate.op), r, v, scratch);
    }
  }
  return filterBatch(out, evalColumn(predicate, batch), scratch);
}
