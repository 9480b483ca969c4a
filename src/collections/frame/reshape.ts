/**
 * `melt` (pandas' melt, DuckDB's UNPIVOT) and `pivotTable` (pandas' pivot_table, DuckDB's
 * PIVOT), built from existing nodes, so they need no task of their own:
 * - melt is one projection per value column (the id columns, the column's name as a literal,
 *   its values), concatenated: rows come by variable, then in row order (pandas' order), and
 *   the output has one partition per (value column, input partition).
 * - pivotTable is SQL's PIVOT written out: per listed value `v` of the `columns` column, the
 *   `values` column masked to the rows where `columns` equals `v` (`when(...).then(...)`), then
 *   one grouped aggregation by `index`, so it runs as any groupby does (tree reduction,
 *   splitOut). A lazy frame must know its columns before reading data, so the values that
 *   become columns are listed (`columnValues`), as Dask needs known categories and Polars'
 *   lazy pivot its `on_columns`; rows with other values are left out.
 */
import { OptionError } from "../../errors.js";
import { AGG_FNS, type AggFn, type AggSpec } from "../../kernels/aggregate.js";
import type { DType, Schema } from "../../kernels/batch.js";
import { fieldOf, typeMismatch } from "./errors.js";
import { col, type Literal, lit, when } from "./expr.js";
import type { Plan } from "./plan.js";
import { type AggOptions, concat, groupAgg, project, withColumns } from "./verbs.js";

/** Options of melt. */
export interface MeltOptions {
  /** Columns kept on every output row (default none). */
  readonly idVars?: string | readonly string[] | undefined;
  /** Columns unpivoted into rows (default: every column not in idVars). */
  readonly valueVars?: string | readonly string[] | undefined;
  /** The name of the column holding the unpivoted column's name. Default "variable". */
  readonly varName?: string | undefined;
  /** The name of the column holding the values. Default "value". */
  readonly valueName?: string | undefined;
}

/** Options of pivotTable. */
export interface PivotOptions {
  /** The row keys: one output row per distinct value (null is a value, as in groupby). */
  readonly index: string | readonly string[];
  /** The column whose values become output columns. */
  readonly columns: string;
  /** The values of `columns` that become output columns (named by their text), in order. */
  readonly columnValues: readonly Exclude<Literal, null>[];
  /** The column aggregated into the cells. */
  readonly values: string;
  /** How a cell's values are aggregated (a groupby function; default "mean", as pandas). */
  readonly aggfunc?: AggFn | undefined;
}

const list = (x: string | readonly string[] | undefined): readonly string[] | undefined =>
  x === undefined ? undefined : typeof x === "string" ? [x] : x;

function checkKeys(where: string, o: object, keys: readonly string[]): void {
  if (typeof o !== "object" || o === null)
    throw new OptionError(`${where}: give an options object`);
  for (const k of Object.keys(o)) {
    if (!keys.includes(k))
      throw new OptionError(
        `${where}: unknown option ${JSON.stringify(k)}; use ${keys.join(", ")}`,
      );
  }
}

/** The unpivoted frame: idVars, varName, valueName. */
export function meltPlan(input: Plan, o: MeltOptions = {}): Plan {
  checkKeys("melt", o, ["idVars", "valueVars", "varName", "valueName"]);
  const ids = list(o.idVars) ?? [];
  const values =
    list(o.valueVars) ?? input.schema.map((f) => f.name).filter((n) => !ids.includes(n));
  for (const c of [...ids, ...values]) fieldOf(input.schema, c, "melt");
  const varName = o.varName ?? "variable";
  const valueName = o.valueName ?? "value";
  if (values.length === 0) throw new OptionError("melt: there is no column to unpivot (valueVars)");
  if (varName === valueName || [varName, valueName].some((n) => ids.includes(n))) {
    throw new OptionError(
      `melt: varName (${JSON.stringify(varName)}) and valueName (${JSON.stringify(valueName)}) must differ from each other and from idVars`,
    );
  }
  const type = commonType(input.schema, values);
  const parts = values.map((v) => {
    const value = fieldOf(input.schema, v, "melt").type === type ? col(v) : col(v).cast(type);
    const withBoth = withColumns(input, [
      [varName, lit(v).node],
      [valueName, value.node],
    ]);
    return project(withBoth, [...ids, varName, valueName]);
  });
  return parts.length === 1 ? parts[0]! : concat(parts);
}

/** The type the value columns share: their own, utf8 for strings, int64 or float64 for numbers. */
function commonType(schema: Schema, names: readonly string[]): DType {
  const types = new Set(names.map((n) => fieldOf(schema, n, "melt").type));
  if (types.size === 1) return [...types][0]!;
  const all = (ok: readonly DType[]) => [...types].every((t) => ok.includes(t));
  if (all(["utf8", "dict"])) return "utf8";
  if (all(["int32", "int64"])) return "int64";
  if (all(["int32", "int64", "float64", "bool"])) return "float64";
  throw typeMismatch(
    "melt",
    `value columns of types ${[...types].join(", ")}`,
    "one column",
    "unpivot columns of one kind (numbers or strings), or cast them to one type first",
  );
}

/** The pivoted frame: index, then one column per value of columnValues. */
export function pivotPlan(input: Plan, o: PivotOptions, options: AggOptions = {}): Plan {
  checkKeys("pivotTable", o, ["index", "columns", "columnValues", "values", "aggfunc"]);
  const index = list(o.index) ?? [];
  if (index.length === 0)
    throw new OptionError(
      'pivotTable: give the row keys, as { index: "k" } (one column or a list)',
    );
  for (const c of [...index, o.columns, o.values]) fieldOf(input.schema, c, "pivotTable");
  const fn = o.aggfunc ?? "mean";
  if (!AGG_FNS.includes(fn) || fn === "quantile") {
    throw new OptionError(
      `pivotTable: aggfunc must be one of ${AGG_FNS.filter((f) => f !== "quantile").join(", ")}, got ${JSON.stringify(fn)}`,
    );
  }
  if (!Array.isArray(o.columnValues) || o.columnValues.length === 0) {
    throw new OptionError(
      "pivotTable: list the values of `columns` that become columns, as { columnValues: [...] } (a lazy frame knows its columns before it reads data)",
    );
  }
  const masked: (readonly [string, ReturnType<typeof col>["node"]])[] = [];
  const specs: AggSpec[] = [];
  o.columnValues.forEach((v, i) => {
    if (v === null || v === undefined) {
      throw new OptionError("pivotTable: columnValues cannot hold null (null matches no row)");
    }
    const name = `__pivot${i}`;
    const hit = col(o.columns).eq(v);
    // size counts rows, so it counts a mark on the matching rows.
    const cell = fn === "size" ? lit(1) : col(o.values);
    masked.push([name, when(hit).then(cell).otherwise(lit(null)).node]);
    specs.push({ fn: fn === "size" ? "count" : fn, column: name, output: String(v) });
  });
  return groupAgg(withColumns(input, masked), index, specs, options);
}
