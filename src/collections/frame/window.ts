/**
 * The window verb: columns computed over the rows of each window partition in the order of a
 * key (dask.dataframe's cumsum/shift/rank/rolling, Polars' `.over(partition_by, order_by)`,
 * SQL's `fn() OVER (PARTITION BY .. ORDER BY .. ROWS ..)`). The plan node, its validation and
 * output schema, and the hooks the optimiser and explain use; lowering is in window-exec.ts.
 */
import { OptionError } from "../../errors.js";
import type { Field, Schema } from "../../kernels/batch.js";
import { isOrderedNumberType } from "../../kernels/numeric.js";
import type { RankMethod } from "../../kernels/window.js";
import { fieldOf, typeMismatch } from "./errors.js";
import type { Plan } from "./plan.js";

/** A window function. */
export type WindowFn =
  | "cumsum"
  | "cummax"
  | "cummin"
  | "cumcount"
  | "shift"
  | "rank"
  | "rollingSum"
  | "rollingMean";

/** One output of `window()`, as the user writes it. */
export type WindowEntry =
  | { readonly fn: "cumsum" | "cummax" | "cummin"; readonly column: string }
  | { readonly fn: "cumcount" }
  | { readonly fn: "shift"; readonly column: string; readonly periods?: number | undefined }
  | { readonly fn: "rank"; readonly method?: RankMethod | undefined }
  | {
      readonly fn: "rollingSum" | "rollingMean";
      readonly column: string;
      readonly window: number;
      readonly minPeriods?: number | undefined;
    };

/** One output of a window node (plain data in the plan). */
export interface WindowSpec {
  readonly fn: WindowFn;
  /** The column read; null for cumcount and rank (which read the order key). */
  readonly column: string | null;
  readonly output: string;
  /** shift: rows back (negative: ahead). rolling: the window's rows. */
  readonly n: number;
  /** rolling: the fewest non-null values that give a value. */
  readonly minPeriods: number;
  readonly method: RankMethod;
}

/** How `window()` orders and partitions the rows. */
export interface WindowOptions {
  /** The order key: one column or several. */
  readonly orderBy: string | readonly string[];
  /** The window partitions (Polars' `over`, SQL's PARTITION BY); default: the whole frame. */
  readonly partitionBy?: string | readonly string[] | undefined;
  /** Ascending (default) or not, one value or one per order column. Nulls come last. */
  readonly ascending?: boolean | readonly boolean[] | undefined;
}

/** The window plan node. */
export interface WindowNode {
  readonly kind: "window";
  readonly schema: Schema;
  readonly npartitions: number;
  readonly input: Plan;
  readonly partitionBy: readonly string[];
  readonly orderBy: readonly string[];
  readonly ascending: readonly boolean[];
  readonly specs: readonly WindowSpec[];
}

const FNS: readonly WindowFn[] = [
  "cumsum",
  "cummax",
  "cummin",
  "cumcount",
  "shift",
  "rank",
  "rollingSum",
  "rollingMean",
];
const METHODS: readonly RankMethod[] = ["average", "min", "max", "dense", "first"];
const ENTRY_KEYS: Readonly<Record<WindowFn, readonly string[]>> = {
  cumsum: ["column"],
  cummax: ["column"],
  cummin: ["column"],
  cumcount: [],
  shift: ["column", "periods"],
  rank: ["method"],
  rollingSum: ["column", "window", "minPeriods"],
  rollingMean: ["column", "window", "minPeriods"],
};

const list = (x: string | readonly string[] | undefined): readonly string[] =>
  x === undefined ? [] : typeof x === "string" ? [x] : x;

/** The window node computing `entries` over `input`, validated. */
export function windowPlan(
  input: Plan,
  entries: Readonly<Record<string, WindowEntry>>,
  options: WindowOptions,
): Plan {
  if (typeof options !== "object" || options === null)
    throw new OptionError('window: give the order, as window(outputs, { orderBy: "t" })');
  for (const k of Object.keys(options)) {
    if (!["orderBy", "partitionBy", "ascending"].includes(k))
      throw new OptionError(
        `window: unknown option ${JSON.stringify(k)}; use orderBy, partitionBy or ascending`,
      );
  }
  const orderBy = list(options.orderBy);
  const partitionBy = list(options.partitionBy);
  if (orderBy.length === 0)
    throw new OptionError('window: give the order key, as { orderBy: "t" } (one column or a list)');
  for (const c of [...orderBy, ...partitionBy]) fieldOf(input.schema, c, "window");
  const asc = options.ascending ?? true;
  const ascending = typeof asc === "boolean" ? orderBy.map(() => asc) : asc;
  if (ascending.length !== orderBy.length || ascending.some((a) => typeof a !== "boolean"))
    throw new OptionError(
      `window: ascending must be a boolean or one per order column (${orderBy.length})`,
    );
  const specs = Object.entries(entries).map(([output, e]) => windowSpec(output, e));
  if (specs.length === 0)
    throw new OptionError(
      'window: give at least one output, e.g. { total: { fn: "cumsum", column: "x" } }',
    );
  const fields = specs.map((s) => windowField(input.schema, s));
  const names = [...input.schema.map((f) => f.name), ...fields.map((f) => f.name)];
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined)
    throw new OptionError(
      `window: the output ${JSON.stringify(dup)} is already a column; give it another name`,
    );
  const node: WindowNode = {
    kind: "window",
    input,
    partitionBy,
    orderBy,
    ascending,
    specs,
    schema: [...input.schema, ...fields],
    npartitions: input.npartitions,
  };
  return node;
}

function windowSpec(output: string, e: WindowEntry): WindowSpec {
  const where = `window output ${JSON.stringify(output)}`;
  if (typeof e !== "object" || e === null || !FNS.includes(e.fn))
    throw new OptionError(
      `${where}: give { fn, ... } with fn one of ${FNS.join(", ")}, got ${JSON.stringify(e)}`,
    );
  const allowed = ENTRY_KEYS[e.fn];
  for (const k of Object.keys(e)) {
    if (k !== "fn" && !allowed.includes(k))
      throw new OptionError(
        `${where}: ${e.fn} takes ${allowed.length === 0 ? "no options" : allowed.join(", ")}, not ${JSON.stringify(k)}`,
      );
  }
  const o = e as Partial<Record<string, unknown>>;
  const column = allowed.includes("column") ? o.column : null;
  if (column !== null && typeof column !== "string")
    throw new OptionError(`${where}: ${e.fn} needs the column it reads, as { column: "x" }`);
  let n = 0;
  let minPeriods = 0;
  if (e.fn === "shift") {
    n = (o.periods as number | undefined) ?? 1;
    if (!Number.isSafeInteger(n))
      throw new OptionError(`${where}: periods must be an integer, got ${String(o.periods)}`);
  }
  if (e.fn === "rollingSum" || e.fn === "rollingMean") {
    n = o.window as number;
    if (!Number.isSafeInteger(n) || n < 1)
      throw new OptionError(
        `${where}: window must be a positive integer (rows), got ${String(o.window)}`,
      );
    minPeriods = (o.minPeriods as number | undefined) ?? n;
    if (!Number.isSafeInteger(minPeriods) || minPeriods < 1 || minPeriods > n)
      throw new OptionError(
        `${where}: minPeriods must be an integer from 1 to the window (${n}), got ${String(o.minPeriods)}`,
      );
  }
  const method = (o.method as RankMethod | undefined) ?? "average";
  if (!METHODS.includes(method))
    throw new OptionError(
      `${where}: method must be one of ${METHODS.join(", ")}, got ${String(method)}`,
    );
  return { fn: e.fn, column: column as string | null, output, n, minPeriods, method };
}

function windowField(schema: Schema, s: WindowSpec): Field {
  const out = (type: Field["type"]): Field => ({ name: s.output, type, nullable: true });
  if (s.fn === "cumcount" || s.fn === "rank") return out("float64");
  const f = fieldOf(schema, s.column!, `window ${s.fn}(${s.column})`);
  if (s.fn === "shift") return out(f.type === "dict" ? "utf8" : f.type);
  const numeric =
    s.fn === "cummax" || s.fn === "cummin" ? isOrderedNumberType(f.type) : isSum(f.type);
  if (!numeric)
    throw typeMismatch(
      `window ${s.fn}(${s.column})`,
      `column ${JSON.stringify(s.column)} (${f.type})`,
      s.fn,
      `${s.fn} needs a ${s.fn === "cummax" || s.fn === "cummin" ? "numeric, date or timestamp" : "numeric"} column`,
    );
  if (s.fn === "cummax" || s.fn === "cummin") return out(f.type);
  if (s.fn === "rollingMean") return out("float64");
  // Sums of int64 stay exact int64 (as barn's sum); others are float64.
  return out(f.type === "int64" ? "int64" : "float64");
}

const isSum = (t: Field["type"]) =>
  t === "int32" || t === "int64" || t === "float64" || t === "bool";

/** The outputs `need` asks for (all when null). */
function neededSpecs(p: WindowNode, need: ReadonlySet<string> | null): readonly WindowSpec[] {
  return need === null ? p.specs : p.specs.filter((s) => need.has(s.output));
}

/** The columns of its input a window node reads for the outputs `need` wants, and those. */
export function windowInputNeed(
  p: WindowNode,
  need: ReadonlySet<string> | null,
): ReadonlySet<string> | null {
  if (need === null) return null;
  const outputs = new Set(p.specs.map((s) => s.output));
  const s = new Set([...need].filter((n) => !outputs.has(n)));
  for (const c of [...p.partitionBy, ...p.orderBy]) s.add(c);
  for (const spec of neededSpecs(p, need)) if (spec.column !== null) s.add(spec.column);
  return s;
}

/**
 * The window node over a narrowed input, computing only the outputs `need` wants (the rows
 * are still ordered and partitioned the same).
 */
export function withWindowInput(
  p: WindowNode,
  input: Plan,
  need: ReadonlySet<string> | null = null,
): Plan {
  const specs = neededSpecs(p, need);
  const outputs = p.schema.slice(p.schema.length - p.specs.length);
  const kept = outputs.filter((f) => specs.some((s) => s.output === f.name));
  return { ...p, input, specs, schema: [...input.schema, ...kept] };
}

/** The node's line in explain(). */
export function windowLine(p: WindowNode): string {
  const over = p.partitionBy.length > 0 ? `partitionBy [${p.partitionBy.join(", ")}] ` : "";
  const order = p.orderBy.map((c, i) => `${c}${p.ascending[i] ? "" : " desc"}`).join(", ");
  const fns = p.specs.map((s) => `${s.fn}(${s.column ?? ""}) as ${s.output}`).join(", ");
  return `window ${over}orderBy [${order}] ${fns}  partitions=${p.npartitions}`;
}
