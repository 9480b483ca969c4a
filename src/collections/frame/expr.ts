/**
 * Column expressions: `col("x").gt(0.5).and(col("s").str.startsWith("a"))`. An Expr is a thin
 * builder over a plain-data tree (`ExprNode`) that plans store and workers evaluate. The type
 * parameter `N` collects the column names an expression reads, so a typed frame's `filter` and
 * `withColumns` reject an expression over a column it does not have at compile time; `T` is a
 * type-level tree of the value it computes (expr-values.ts), which a typed frame's
 * `withColumns` turns into the new column's type.
 */

import { OptionError } from "../../errors.js";
import type { ArithOp } from "../../kernels/arith.js";
import type { DType } from "../../kernels/batch.js";
import type { CompareOp } from "../../kernels/compare.js";
import type { DatePart } from "../../kernels/dates.js";
import type { StringPredicate, StringTransform } from "../../kernels/string-ops.js";
import type {
  ArithV,
  CaseV,
  CoalesceV,
  ColsOf,
  ColV,
  LitV,
  MapV,
  ValOf,
  ValueOfType,
} from "./expr-values.js";

/** A literal value in an expression (a Date is a timestamp in ms). */
export type Literal = number | string | boolean | bigint | null | Date;

/** The plain-data tree of an expression. */
export type ExprNode =
  | { readonly e: "col"; readonly name: string }
  | {
      readonly e: "lit";
      readonly value: number | string | boolean | bigint | null;
      readonly ts?: boolean;
    }
  | { readonly e: "cmp"; readonly op: CompareOp; readonly left: ExprNode; readonly right: ExprNode }
  | { readonly e: "arith"; readonly op: ArithOp; readonly left: ExprNode; readonly right: ExprNode }
  | { readonly e: "and" | "or"; readonly left: ExprNode; readonly right: ExprNode }
  | { readonly e: "not" | "isNull" | "notNull"; readonly arg: ExprNode }
  | {
      readonly e: "strTest";
      readonly op: StringPredicate;
      readonly arg: ExprNode;
      readonly pattern: string;
    }
  | { readonly e: "strMap"; readonly op: StringTransform; readonly arg: ExprNode }
  | { readonly e: "strLen"; readonly arg: ExprNode }
  | { readonly e: "dt"; readonly part: DatePart; readonly arg: ExprNode }
  | { readonly e: "alias"; readonly name: string; readonly arg: ExprNode }
  | { readonly e: "cast"; readonly arg: ExprNode; readonly to: DType }
  | {
      /** SQL's CASE WHEN cond THEN value ELSE otherwise (a null cond takes otherwise). */
      readonly e: "case";
      readonly cond: ExprNode;
      readonly value: ExprNode;
      readonly otherwise: ExprNode;
    };

/** An expression or a literal, where an operand is expected. */
export type Operand<M extends string> = Expr<M, unknown> | Literal;

/** A comparison (or and/or) of `this` (columns N, value T) with operand O: a boolean. */
type Cmp<N extends string, T, O> = Expr<N | ColsOf<O>, MapV<boolean, [T, ValOf<O>]>>;
/** Arithmetic `op` of `this` with operand O. */
type Arith<N extends string, T, Op extends string, O> = Expr<
  N | ColsOf<O>,
  ArithV<Op, T, ValOf<O>>
>;

function nodeOf(x: Operand<string>): ExprNode {
  if (x instanceof Expr) return x.node;
  if (x instanceof Date) return { e: "lit", value: x.getTime(), ts: true };
  return { e: "lit", value: x };
}

/** A column expression over columns `N`, computing `T`. Immutable; every method returns a new Expr. */
export class Expr<N extends string = string, T = unknown> {
  /** The plain-data tree this expression stands for. */
  readonly node: ExprNode;
  /** Phantom: the columns this expression reads (compile time only). */
  declare readonly __columns?: N;
  /** Phantom: the value-type tree of what it computes (compile time only; expr-values.ts). */
  declare readonly __value?: T;

  /** @internal use col() or lit() */
  constructor(node: ExprNode) {
    this.node = node;
  }

  #cmp<O extends Operand<string>>(op: CompareOp, other: O): Cmp<N, T, O> {
    return new Expr({ e: "cmp", op, left: this.node, right: nodeOf(other) });
  }
  #arith<Op extends ArithOp, O extends Operand<string>>(op: Op, other: O): Arith<N, T, Op, O> {
    return new Expr({ e: "arith", op, left: this.node, right: nodeOf(other) });
  }

  /** `this == other` (null when either side is null). */
  eq<O extends Operand<string>>(other: O): Cmp<N, T, O> {
    return this.#cmp("eq", other);
  }
  /** `this != other`. */
  ne<O extends Operand<string>>(other: O): Cmp<N, T, O> {
    return this.#cmp("ne", other);
  }
  /** `this < other`. */
  lt<O extends Operand<string>>(other: O): Cmp<N, T, O> {
    return this.#cmp("lt", other);
  }
  /** `this <= other`. */
  le<O extends Operand<string>>(other: O): Cmp<N, T, O> {
    return this.#cmp("le", other);
  }
  /** `this > other`. */
  gt<O extends Operand<string>>(other: O): Cmp<N, T, O> {
    return this.#cmp("gt", other);
  }
  /** `this >= other`. */
  ge<O extends Operand<string>>(other: O): Cmp<N, T, O> {
    return this.#cmp("ge", other);
  }
  /** `this + other` (float64; int64 + int64 stays int64). */
  add<O extends Operand<string>>(other: O): Arith<N, T, "add", O> {
    return this.#arith("add", other);
  }
  /** `this - other`. */
  sub<O extends Operand<string>>(other: O): Arith<N, T, "sub", O> {
    return this.#arith("sub", other);
  }
  /** `this * other`. */
  mul<O extends Operand<string>>(other: O): Arith<N, T, "mul", O> {
    return this.#arith("mul", other);
  }
  /** `this / other` (float64). */
  div<O extends Operand<string>>(other: O): Arith<N, T, "div", O> {
    return this.#arith("div", other);
  }
  /** Kleene AND: false AND null is false. */
  and<O extends Expr<string, unknown>>(other: O): Cmp<N, T, O> {
    return new Expr({ e: "and", left: this.node, right: other.node });
  }
  /** Kleene OR: true OR null is true. */
  or<O extends Expr<string, unknown>>(other: O): Cmp<N, T, O> {
    return new Expr({ e: "or", left: this.node, right: other.node });
  }
  /** NOT (null stays null). */
  not(): Expr<N, MapV<boolean, [T]>> {
    return new Expr({ e: "not", arg: this.node });
  }
  /** True where the value is null. */
  isNull(): Expr<N, boolean> {
    return new Expr({ e: "isNull", arg: this.node });
  }
  /** True where the value is not null. */
  notNull(): Expr<N, boolean> {
    return new Expr({ e: "notNull", arg: this.node });
  }
  /**
   * True where the value is one of `values` (SQL's IN): null when the value is null, or when it
   * matches none and `values` holds a null; false for an empty list. Built as equalities joined
   * by OR, so it type-checks, pushes down and evaluates as they do.
   */
  isin<const L extends readonly Literal[]>(
    values: L,
  ): Expr<N, MapV<boolean, [T, LitV<L[number]>]>> {
    if (!Array.isArray(values)) {
      throw new OptionError(
        `isin(values): values must be an array of literals, got ${String(values)}`,
      );
    }
    if (values.length === 0) return new Expr({ e: "lit", value: false });
    const eqs = values.map((v: Literal) => this.eq(v).node);
    return new Expr(eqs.reduce((a, b) => ({ e: "or", left: a, right: b })));
  }
  /**
   * The value, or `value` where it is null (SQL's coalesce, pandas' fillna, Polars' fill_null).
   * The result has the column's type (a whole number fills an int64 column as int64).
   */
  fillNull<O extends Operand<string>>(value: O): Expr<N | ColsOf<O>, CoalesceV<T, ValOf<O>>> {
    return new Expr({
      e: "case",
      cond: { e: "notNull", arg: this.node },
      value: this.node,
      otherwise: nodeOf(value),
    });
  }
  /**
   * The value as another type (SQL's CAST): between int32, int64, float64 and bool (a float
   * rounds to the nearest integer, half to even, as DuckDB; out of range is BARN_FRAME_OVERFLOW), from strings
   * by parsing (a text that is not a value is BARN_FRAME_TYPE_MISMATCH), date <-> timestamp.
   */
  cast<D extends DType>(to: D): Expr<N, MapV<ValueOfType<D>, [T]>> {
    return new Expr({ e: "cast", arg: this.node, to });
  }
  /** The same expression under an output name (used by select-like verbs). */
  alias(name: string): Expr<N, T> {
    return new Expr({ e: "alias", name, arg: this.node });
  }
  /** String functions (utf8 columns). */
  get str(): StringOps<N, T> {
    return new StringOps(this.node);
  }
  /** Date parts (timestamp and date columns). */
  get dt(): DateOps<N, T> {
    return new DateOps(this.node);
  }
  /** A readable form, as explain() prints it. */
  toString(): string {
    return exprToString(this.node);
  }
}

function stripChars(what: string, chars: string | undefined): string | null {
  if (chars === undefined) return null;
  if (typeof chars !== "string") {
    throw new OptionError(`str.${what}(chars): chars must be a string, got ${String(chars)}`);
  }
  return chars;
}

/** How a string transform reads in explain(). */
function transformToString(t: StringTransform): string {
  if (typeof t === "string") return `${t}()`;
  switch (t.op) {
    case "strip":
    case "lstrip":
    case "rstrip":
      return `${t.op}(${t.chars === null ? "" : JSON.stringify(t.chars)})`;
    case "replace":
      return `replace(${JSON.stringify(t.pattern)}, ${JSON.stringify(t.replacement)})`;
    case "slice":
      return `slice(${t.start}${t.length === null ? "" : `, ${t.length}`})`;
    case "splitPart":
      return `splitPart(${JSON.stringify(t.sep)}, ${t.index})`;
    default:
      return t satisfies never;
  }
}

/** `expr.str.*`: string functions. */
export class StringOps<N extends string, T = unknown> {
  readonly #node: ExprNode;
  /** @internal */
  constructor(node: ExprNode) {
    this.#node = node;
  }
  /** True where the string starts with `prefix`. */
  startsWith(prefix: string): Expr<N, MapV<boolean, [T]>> {
    return new Expr({ e: "strTest", op: "startsWith", arg: this.#node, pattern: prefix });
  }
  /** True where the string ends with `suffix`. */
  endsWith(suffix: string): Expr<N, MapV<boolean, [T]>> {
    return new Expr({ e: "strTest", op: "endsWith", arg: this.#node, pattern: suffix });
  }
  /** True where the string contains `part` (plain text, not a pattern). */
  contains(part: string): Expr<N, MapV<boolean, [T]>> {
    return new Expr({ e: "strTest", op: "contains", arg: this.#node, pattern: part });
  }
  /** Lower-cased. */
  lower(): Expr<N, MapV<string, [T]>> {
    return new Expr({ e: "strMap", op: "lower", arg: this.#node });
  }
  /** Upper-cased. */
  upper(): Expr<N, MapV<string, [T]>> {
    return new Expr({ e: "strMap", op: "upper", arg: this.#node });
  }
  /**
   * Without leading and trailing whitespace (as JS `trim`: spaces, tabs, line breaks and the
   * other Unicode white space), or, given `chars`, without any of those characters.
   */
  strip(chars?: string): Expr<N, MapV<string, [T]>> {
    return this.#map({ op: "strip", chars: stripChars("strip", chars) });
  }
  /** Without leading whitespace, or leading characters of `chars` (see strip). */
  lstrip(chars?: string): Expr<N, MapV<string, [T]>> {
    return this.#map({ op: "lstrip", chars: stripChars("lstrip", chars) });
  }
  /** Without trailing whitespace, or trailing characters of `chars` (see strip). */
  rstrip(chars?: string): Expr<N, MapV<string, [T]>> {
    return this.#map({ op: "rstrip", chars: stripChars("rstrip", chars) });
  }
  /**
   * Every occurrence of `pattern` replaced by `replacement`. Both are plain text, not regular
   * expressions (no regex is supported, and `$` in the replacement is literal), as DuckDB's
   * replace and pandas' str.replace(regex=False).
   */
  replace(pattern: string, replacement: string): Expr<N, MapV<string, [T]>> {
    if (typeof pattern !== "string" || pattern.length === 0 || typeof replacement !== "string") {
      throw new OptionError(
        `str.replace(pattern, replacement): pattern must be a non-empty string and replacement a string, got ${JSON.stringify(pattern)}, ${JSON.stringify(replacement)}`,
      );
    }
    return this.#map({ op: "replace", pattern, replacement });
  }
  /**
   * `length` characters (Unicode code points) from position `start`, counted from 0 (Polars'
   * str.slice; SQL's substring counts from 1); a negative `start` counts from the end, and
   * without `length` the slice runs to the end. Positions outside the string are clamped, so
   * the result may be shorter or empty.
   */
  slice(start: number, length?: number): Expr<N, MapV<string, [T]>> {
    if (!Number.isSafeInteger(start)) {
      throw new OptionError(`str.slice(start): start must be an integer, got ${String(start)}`);
    }
    if (length !== undefined && !(Number.isSafeInteger(length) && length >= 0)) {
      throw new OptionError(
        `str.slice(start, length): length must be a non-negative integer, got ${String(length)}`,
      );
    }
    return this.#map({ op: "slice", start, length: length ?? null });
  }
  /**
   * Part `index` of the string split at every `sep` (DuckDB's and Postgres' split_part: counted
   * from 1, a negative index from the end; "" where there is no such part; an empty `sep`
   * splits into characters). barn/frame has no list type, so one part is taken per call.
   */
  splitPart(sep: string, index: number): Expr<N, MapV<string, [T]>> {
    if (typeof sep !== "string" || !Number.isSafeInteger(index)) {
      throw new OptionError(
        `str.splitPart(sep, index): sep must be a string and index an integer, got ${JSON.stringify(sep)}, ${String(index)}`,
      );
    }
    return this.#map({ op: "splitPart", sep, index });
  }
  #map(op: StringTransform): Expr<N, MapV<string, [T]>> {
    return new Expr({ e: "strMap", op, arg: this.#node });
  }
  /** Length in UTF-16 code units (as JS `.length`). */
  length(): Expr<N, MapV<number, [T]>> {
    return new Expr({ e: "strLen", arg: this.#node });
  }
}

/** `expr.dt.*`: date parts of timestamp and date columns (UTC). */
export class DateOps<N extends string, T = unknown> {
  readonly #node: ExprNode;
  /** @internal */
  constructor(node: ExprNode) {
    this.#node = node;
  }
  #part(part: DatePart): Expr<N, MapV<number, [T]>> {
    return new Expr({ e: "dt", part, arg: this.#node });
  }
  /** The year. */
  year(): Expr<N, MapV<number, [T]>> {
    return this.#part("year");
  }
  /** The month, 1-12. */
  month(): Expr<N, MapV<number, [T]>> {
    return this.#part("month");
  }
  /** The day of the month, 1-31. */
  day(): Expr<N, MapV<number, [T]>> {
    return this.#part("day");
  }
  /** The hour, 0-23. */
  hour(): Expr<N, MapV<number, [T]>> {
    return this.#part("hour");
  }
  /** The day of the week, 0 = Monday ... 6 = Sunday. */
  weekday(): Expr<N, MapV<number, [T]>> {
    return this.#part("weekday");
  }
}

/** The column named `name`. */
export function col<N extends string>(name: N): Expr<N, ColV<N>> {
  return new Expr({ e: "col", name });
}

/** A literal value. */
export function lit<const V extends Literal>(value: V): Expr<never, LitV<V>> {
  return new Expr(nodeOf(value));
}

/**
 * `when(cond).then(a).otherwise(b)`: a where cond is true, else b (a null cond counts as not
 * true, as in SQL's CASE); chain `.when(c2).then(a2)` before `otherwise` for more branches.
 */
export function when<N extends string>(cond: Expr<N, unknown>): When<N, []> {
  return new When<N, []>([], cond.node);
}

/** A `when(cond)` waiting for its `then` (`Bs`: the value types of the branches so far). */
export class When<N extends string, Bs extends readonly unknown[] = unknown[]> {
  /** Phantom: the branches' value types (compile time only). */
  declare readonly __branches?: Bs;
  /** @internal */
  constructor(
    readonly branches: readonly (readonly [ExprNode, ExprNode])[],
    readonly cond: ExprNode,
  ) {}
  /** The value where the condition holds. */
  // biome-ignore lint/suspicious/noThenProperty: Polars' and Spark's name for the branch; a When is never awaited
  then<O extends Operand<string>>(value: O): Then<N | ColsOf<O>, [...Bs, ValOf<O>]> {
    return new Then<N | ColsOf<O>, [...Bs, ValOf<O>]>([
      ...this.branches,
      [this.cond, nodeOf(value)],
    ]);
  }
}

/** Branches of a `when`, waiting for another `when` or the `otherwise`. */
export class Then<N extends string, Bs extends readonly unknown[] = unknown[]> {
  /** Phantom: the branches' value types (compile time only). */
  declare readonly __branches?: Bs;
  /** @internal */
  constructor(readonly branches: readonly (readonly [ExprNode, ExprNode])[]) {}
  /** Another branch, tried when the earlier ones do not hold. */
  when<M extends string>(cond: Expr<M, unknown>): When<N | M, Bs> {
    return new When<N | M, Bs>(this.branches, cond.node);
  }
  /** The value where no branch holds (use `lit(null)` for null). */
  otherwise<O extends Operand<string>>(value: O): Expr<N | ColsOf<O>, CaseV<[...Bs, ValOf<O>]>> {
    let node = nodeOf(value);
    for (let k = this.branches.length - 1; k >= 0; k--) {
      const [cond, then] = this.branches[k]!;
      node = { e: "case", cond, value: then, otherwise: node };
    }
    return new Expr(node);
  }
}

/** How operators read in explain(): the one place comparison and arithmetic symbols live. */
const SYMBOLS: Readonly<Record<CompareOp | ArithOp, string>> = {
  eq: "==",
  ne: "!=",
  lt: "<",
  le: "<=",
  gt: ">",
  ge: ">=",
  add: "+",
  sub: "-",
  mul: "*",
  div: "/",
};

/** The symbol an operator reads as (`gt` reads `>`). */
export function opSymbol(op: CompareOp | ArithOp): string {
  return SYMBOLS[op];
}

/** A readable form of an expression tree. */
export function exprToString(n: ExprNode): string {
  switch (n.e) {
    case "col":
      return n.name;
    case "lit":
      return n.ts
        ? `timestamp(${new Date(n.value as number).toISOString()})`
        : typeof n.value === "string"
          ? JSON.stringify(n.value)
          : String(n.value);
    case "cmp":
    case "arith":
      return `(${exprToString(n.left)} ${opSymbol(n.op)} ${exprToString(n.right)})`;
    case "and":
    case "or":
      return `(${exprToString(n.left)} ${n.e.toUpperCase()} ${exprToString(n.right)})`;
    case "not":
      return `NOT ${exprToString(n.arg)}`;
    case "isNull":
    case "notNull":
      return `${n.e}(${exprToString(n.arg)})`;
    case "strTest":
      return `${exprToString(n.arg)}.str.${n.op}(${JSON.stringify(n.pattern)})`;
    case "strMap":
      return `${exprToString(n.arg)}.str.${transformToString(n.op)}`;
    case "strLen":
      return `${exprToString(n.arg)}.str.length()`;
    case "dt":
      return `${exprToString(n.arg)}.dt.${n.part}()`;
    case "alias":
      return `${exprToString(n.arg)} AS ${n.name}`;
    case "cast":
      return `CAST(${exprToString(n.arg)} AS ${n.to})`;
    case "case":
      return `CASE WHEN ${exprToString(n.cond)} THEN ${exprToString(n.value)} ELSE ${exprToString(n.otherwise)} END`;
    default:
      return n satisfies never;
  }
}

/** The column names an expression reads. */
export function columnsOf(n: ExprNode, out: Set<string> = new Set()): Set<string> {
  switch (n.e) {
    case "col":
      out.add(n.name);
      break;
    case "lit":
      break;
    case "cmp":
    case "arith":
    case "and":
    case "or":
      columnsOf(n.left, out);
      columnsOf(n.right, out);
      break;
    case "case":
      columnsOf(n.cond, out);
      columnsOf(n.value, out);
      columnsOf(n.otherwise, out);
      break;
    default:
      columnsOf(n.arg, out);
  }
  return out;
}
