/**
 * Type checking of expressions against a schema, when a query is built: an unknown column or
 * an operation on types that do not fit throws a BarnError there, naming the column or both
 * types, instead of failing deep inside a worker. Also gives each expression's result type.
 */
import type { DType, Schema } from "../../kernels/batch.js";
import { fieldOf, typeMismatch } from "./errors.js";
import { type ExprNode, exprToString } from "./expr.js";

/** The type of a literal, or "null" for a null literal (fits anything). */
export type ExprType = DType | "null";

const NUMERIC: ReadonlySet<ExprType> = new Set(["int32", "float64", "int64"]);
const TEMPORAL: ReadonlySet<ExprType> = new Set(["timestamp", "date"]);
const STRING: ReadonlySet<ExprType> = new Set(["utf8", "dict"]);

function comparable(a: ExprType, b: ExprType): boolean {
  if (a === "null" || b === "null") return true;
  if (STRING.has(a)) return STRING.has(b);
  if (NUMERIC.has(a) || TEMPORAL.has(a)) return NUMERIC.has(b) || TEMPORAL.has(b);
  return a === b;
}

/** The result type of `node` over `schema`; throws at the first problem. */
export function typeOf(node: ExprNode, schema: Schema, where: string): ExprType {
  switch (node.e) {
    case "col":
      return fieldOf(schema, node.name, where).type;
    case "lit":
      return literalType(node.value, node.ts === true);
    case "cmp": {
      const l = typeOf(node.left, schema, where);
      const r = typeOf(node.right, schema, where);
      if (!comparable(l, r)) {
        throw typeMismatch(
          `${where}: ${exprToString(node)}`,
          describeSide(node.left, l),
          describeSide(node.right, r),
          "compare a column with a value of its own kind (numbers with numbers, strings with strings)",
        );
      }
      return "bool";
    }
    case "arith": {
      const l = typeOf(node.left, schema, where);
      const r = typeOf(node.right, schema, where);
      const ok = (t: ExprType) => NUMERIC.has(t) || t === "null";
      if (!ok(l) || !ok(r)) {
        throw typeMismatch(
          `${where}: ${exprToString(node)}`,
          describeSide(node.left, l),
          describeSide(node.right, r),
          "arithmetic needs numeric columns (int32, int64, float64)",
        );
      }
      return node.op !== "div" &&
        (l === "int64" || r === "int64") &&
        intOperand(node.left, l) &&
        intOperand(node.right, r)
        ? "int64"
        : "float64";
    }
    case "and":
    case "or": {
      for (const side of [node.left, node.right]) expectBool(side, schema, where, node);
      return "bool";
    }
    case "not":
      expectBool(node.arg, schema, where, node);
      return "bool";
    case "isNull":
    case "notNull":
      typeOf(node.arg, schema, where);
      return "bool";
    case "strTest":
    case "strMap":
    case "strLen": {
      const t = typeOf(node.arg, schema, where);
      if (!STRING.has(t)) {
        throw typeMismatch(
          `${where}: ${exprToString(node)}`,
          describeSide(node.arg, t),
          "a string function",
          "use .str functions on utf8 columns only",
        );
      }
      return node.e === "strTest" ? "bool" : node.e === "strLen" ? "int32" : t;
    }
    case "dt": {
      const t = typeOf(node.arg, schema, where);
      if (!TEMPORAL.has(t)) {
        throw typeMismatch(
          `${where}: ${exprToString(node)}`,
          describeSide(node.arg, t),
          "a date part",
          "use .dt functions on timestamp or date columns only",
        );
      }
      return "int32";
    }
    case "alias":
      return typeOf(node.arg, schema, where);
    case "cast": {
      const t = typeOf(node.arg, schema, where);
      if (!castable(t, node.to)) {
        throw typeMismatch(
          `${where}: ${exprToString(node)}`,
          describeSide(node.arg, t),
          node.to,
          "cast between int32, int64, float64 and bool, from strings to any type, from any type to utf8, or between date and timestamp",
        );
      }
      return node.to;
    }
    case "case": {
      expectBool(node.cond, schema, where, node);
      const a = typeOf(node.value, schema, where);
      const b = typeOf(node.otherwise, schema, where);
      const t = commonType(node.value, a, node.otherwise, b);
      if (t === undefined) {
        throw typeMismatch(
          `${where}: ${exprToString(node)}`,
          describeSide(node.value, a),
          describeSide(node.otherwise, b),
          "give both branches (or the column and its fill value) the same kind of value",
        );
      }
      return t;
    }
    default:
      return node satisfies never;
  }
}

/**
 * An operand that keeps int64 arithmetic exact: an int32 or int64, or a whole-number literal
 * (eval.ts reads it as an int64 when the other side is one, as DuckDB and Polars do).
 */
function intOperand(n: ExprNode, t: ExprType): boolean {
  if (t === "int64" || t === "int32") return true;
  if (n.e === "case") return intBranch(n.value) && intBranch(n.otherwise);
  return n.e === "lit" && typeof n.value === "number" && Number.isSafeInteger(n.value);
}

/** A case branch of whole-number literals or nulls (typed float64 alone, but an integer beside one). */
function intBranch(n: ExprNode): boolean {
  if (n.e === "case") return intBranch(n.value) && intBranch(n.otherwise);
  return n.e === "lit" && (n.value === null || Number.isSafeInteger(n.value));
}

const CAST_NUMERIC: ReadonlySet<ExprType> = new Set(["int32", "int64", "float64", "bool"]);

/** Whether a value of type `from` can be cast to `to` (cast.ts does it). */
function castable(from: ExprType, to: DType): boolean {
  if (from === "null" || from === to) return true;
  // Every type has a text form (cast-string.ts).
  if (to === "utf8") return true;
  if (STRING.has(from)) return to !== "dict";
  if (CAST_NUMERIC.has(from)) return CAST_NUMERIC.has(to);
  return TEMPORAL.has(from) && TEMPORAL.has(to);
}

/**
 * The type both branches of a case become, or undefined when they do not fit: the same type;
 * strings as utf8; an int64 or int32 with an integer column or a whole-number literal stays an
 * integer (int64 when either is); other numbers float64; a null fits anything.
 */
export function commonType(
  an: ExprNode,
  a: ExprType,
  bn: ExprNode,
  b: ExprType,
): ExprType | undefined {
  if (a === "null") return b;
  if (b === "null") return a;
  if (STRING.has(a) && STRING.has(b)) return "utf8";
  if (NUMERIC.has(a) && NUMERIC.has(b)) {
    if (intOperand(an, a) && intOperand(bn, b)) {
      if (a === "int64" || b === "int64") return "int64";
      const fits = (n: ExprNode, t: ExprType) =>
        t === "int32" || (n.e === "lit" && (n.value as number) === ((n.value as number) | 0));
      if (fits(an, a) && fits(bn, b) && (a === "int32" || b === "int32")) return "int32";
    }
    return "float64";
  }
  return a === b ? a : undefined;
}

function expectBool(side: ExprNode, schema: Schema, where: string, node: ExprNode): void {
  const t = typeOf(side, schema, where);
  if (t !== "bool" && t !== "null") {
    throw typeMismatch(
      `${where}: ${exprToString(node)}`,
      describeSide(side, t),
      "bool",
      "boolean logic needs boolean expressions (comparisons, isNull, str.startsWith, ...)",
    );
  }
}

function describeSide(n: ExprNode, t: ExprType): string {
  return n.e === "col"
    ? `column ${JSON.stringify(n.name)} (${t})`
    : n.e === "lit"
      ? `a ${t} literal`
      : `${exprToString(n)} (${t})`;
}

/** The type of a literal value ("null" for null). */
export function literalType(v: unknown, ts: boolean): ExprType {
  if (ts) return "timestamp";
  if (v === null) return "null";
  if (typeof v === "number") return "float64";
  if (typeof v === "string") return "utf8";
  if (typeof v === "boolean") return "bool";
  return "int64";
}

/** The output type of an expression that becomes a column ("null" becomes float64). */
export function columnTypeOf(node: ExprNode, schema: Schema, where: string): DType {
  const t = typeOf(node, schema, where);
  return t === "null" ? "float64" : t;
}

/** Checks that `node` is a boolean predicate over `schema`. */
export function checkPredicate(node: ExprNode, schema: Schema, where: string): void {
  const t = typeOf(node, schema, where);
  if (t !== "bool") {
    throw typeMismatch(
      `${where}: ${exprToString(node)}`,
      t,
      "a filter (which needs bool)",
      'filter with a comparison or another boolean expression, e.g. col("x").gt(0)',
    );
  }
}
