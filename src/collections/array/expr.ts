/**
 * Element-wise expressions as plain data. A `map` node of the plan holds one expression tree
 * over its operands; building an operation over a map inlines that map's tree, so a chain of
 * element-wise operations (and transposes and broadcasts, which only change how an operand is
 * indexed) is one tree, one kernel and one task per chunk. Every node carries its dtype `t`.
 */
import { BarnError } from "../../errors.js";
import { type DType, floatOf, isFloat, isInt, promote } from "./dtype.js";
import { ArrayErrorCodes } from "./errors.js";

export type UnaryOp =
  | "neg"
  | "abs"
  | "sqrt"
  | "exp"
  | "log"
  | "sin"
  | "cos"
  | "floor"
  | "ceil"
  | "round"
  | "isnan"
  | "not"
  | "cast";

export type BinaryOp =
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "pow"
  | "maximum"
  | "minimum"
  | "lt"
  | "le"
  | "gt"
  | "ge"
  | "eq"
  | "ne"
  | "and"
  | "or";

export type Expr =
  | { readonly e: "in"; readonly i: number; readonly t: DType }
  | { readonly e: "const"; readonly v: number | string; readonly t: DType }
  | { readonly e: "un"; readonly op: UnaryOp; readonly x: Expr; readonly t: DType }
  | {
      readonly e: "bin";
      readonly op: BinaryOp;
      readonly a: Expr;
      readonly b: Expr;
      readonly t: DType;
    }
  | {
      readonly e: "where";
      readonly c: Expr;
      readonly a: Expr;
      readonly b: Expr;
      readonly t: DType;
    };

const COMPARE = new Set<BinaryOp>(["lt", "le", "gt", "ge", "eq", "ne"]);
const FLOAT_UNARY = new Set<UnaryOp>(["sqrt", "exp", "log", "sin", "cos"]);

export function isComparison(op: BinaryOp): boolean {
  return COMPARE.has(op);
}

/** The dtype NumPy gives `op` on operands of dtypes a and b. */
export function binaryDType(op: BinaryOp, a: DType, b: DType): DType {
  if (COMPARE.has(op) || op === "and" || op === "or") return "bool";
  const p = promote(a, b);
  if (op === "div") return floatOf(p);
  if (p === "bool" && (op === "sub" || op === "pow")) {
    throw new BarnError(
      ArrayErrorCodes.DTYPE,
      `${op}: NumPy does not ${op === "sub" ? "subtract" : "raise"} booleans. Fix: convert first, e.g. x.astype("int8")`,
    );
  }
  return p;
}

/** The dtype of a unary op on dtype d (math functions of small integers give float32). */
export function unaryDType(op: UnaryOp, d: DType): DType {
  if (op === "isnan" || op === "not") return "bool";
  if (FLOAT_UNARY.has(op)) {
    if (isFloat(d)) return d;
    return d === "int8" || d === "uint8" || d === "int16" || d === "uint16" || d === "bool"
      ? "float32"
      : "float64";
  }
  if (op === "neg" && d === "bool") {
    throw new BarnError(
      ArrayErrorCodes.DTYPE,
      `neg: NumPy does not negate booleans. Fix: use logical not, x.not()`,
    );
  }
  if ((op === "floor" || op === "ceil") && !isFloat(d) && !isInt(d)) return "int8";
  return d;
}

/** The operand numbers an expression reads. */
export function inputsOf(e: Expr, out: Set<number> = new Set()): Set<number> {
  switch (e.e) {
    case "in":
      out.add(e.i);
      break;
    case "const":
      break;
    case "un":
      inputsOf(e.x, out);
      break;
    case "bin":
      inputsOf(e.a, out);
      inputsOf(e.b, out);
      break;
    case "where":
      inputsOf(e.c, out);
      inputsOf(e.a, out);
      inputsOf(e.b, out);
      break;
    default:
      return e satisfies never;
  }
  return out;
}

/** The expression with operand i renamed to `rename(i)` (or replaced by the tree it returns). */
export function substitute(e: Expr, rename: (i: number) => Expr): Expr {
  switch (e.e) {
    case "in":
      return rename(e.i);
    case "const":
      return e;
    case "un":
      return { ...e, x: substitute(e.x, rename) };
    case "bin":
      return { ...e, a: substitute(e.a, rename), b: substitute(e.b, rename) };
    case "where":
      return {
        ...e,
        c: substitute(e.c, rename),
        a: substitute(e.a, rename),
        b: substitute(e.b, rename),
      };
    default:
      return e satisfies never;
  }
}

/** A stable text of the tree: the kernel cache's key on the worker. */
export function exprKey(e: Expr): string {
  switch (e.e) {
    case "in":
      return `$${e.i}:${e.t}`;
    case "const":
      return `#${e.t}`;
    case "un":
      return `${e.op}:${e.t}(${exprKey(e.x)})`;
    case "bin":
      return `${e.op}:${e.t}(${exprKey(e.a)},${exprKey(e.b)})`;
    case "where":
      return `where:${e.t}(${exprKey(e.c)},${exprKey(e.a)},${exprKey(e.b)})`;
    default:
      return e satisfies never;
  }
}

/** The constants of a tree in the order exprKey meets them (they are the kernel's arguments). */
export function constsOf(e: Expr, out: (number | bigint)[] = []): (number | bigint)[] {
  switch (e.e) {
    case "in":
      break;
    case "const":
      out.push(e.t === "int64" ? BigInt(e.v) : Number(e.v));
      break;
    case "un":
      constsOf(e.x, out);
      break;
    case "bin":
      constsOf(e.a, out);
      constsOf(e.b, out);
      break;
    case "where":
      constsOf(e.c, out);
      constsOf(e.a, out);
      constsOf(e.b, out);
      break;
    default:
      return e satisfies never;
  }
  return out;
}
