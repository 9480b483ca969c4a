/**
 * The verbs as free functions from plan to plan: each validates its arguments against the
 * input's schema (unknown columns, type mismatches, bad options fail here, when the query is
 * built) and returns the new node with its output schema. DataFrame's methods are thin
 * facades over these.
 */

import { BarnError, OptionError } from "../../errors.js";
import { AGG_FNS, type AggFn, type AggSpec } from "../../kernels/aggregate.js";
import type { Batch, Column, Field, Schema } from "../../kernels/batch.js";
import { groupIds } from "../../kernels/group-ids.js";
import type { JoinHow } from "../../kernels/join.js";
import { FrameErrorCodes, fieldOf, typeMismatch } from "./errors.js";
import { type ExprNode, exprToString } from "./expr.js";
import { checkPredicate, columnTypeOf } from "./expr-types.js";
import { joinKeyType, joinSchema } from "./join-exec.js";
import type { Plan } from "./plan.js";
import { type ShuffleOption, shuffleOption } from "./shuffle-option.js";

export { type ShuffleOption, shuffleOption };

/** Every name is a column of `schema`, else the error naming it (fieldOf). */
export function checkColumns(schema: Schema, names: readonly string[], where: string): void {
  for (const n of names) fieldOf(schema, n, where);
}

/** `v` as an integer >= 1, else an OptionError naming `what`. */
export function positiveInt(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    throw new OptionError(`${what} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

/** Keep `columns`, in that order. */
export function project(input: Plan, columns: readonly string[]): Plan {
  checkColumns(input.schema, columns, "select");
  if (new Set(columns).size !== columns.length) {
    throw new OptionError(`select: a column is named twice in [${columns.join(", ")}]`);
  }
  const schema = columns.map((c) => fieldOf(input.schema, c, "select"));
  return { kind: "project", input, columns, schema, npartitions: input.npartitions };
}

/** Drop `columns`. */
export function drop(input: Plan, columns: readonly string[]): Plan {
  checkColumns(input.schema, columns, "drop");
  const gone = new Set(columns);
  return project(
    input,
    input.schema.map((f) => f.name).filter((n) => !gone.has(n)),
  );
}

/** Rename columns by `mapping` (old -> new). */
export function rename(input: Plan, mapping: Readonly<Record<string, string>>): Plan {
  const pairs = Object.entries(mapping);
  checkColumns(
    input.schema,
    pairs.map(([from]) => from),
    "rename",
  );
  const m = new Map(pairs);
  const schema = input.schema.map((f) => ({ ...f, name: m.get(f.name) ?? f.name }));
  const names = schema.map((f) => f.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) {
    throw new OptionError(
      `rename: two columns would be named ${JSON.stringify(dup)}; pick distinct new names`,
    );
  }
  return { kind: "rename", input, mapping: pairs, schema, npartitions: input.npartitions };
}

/** Keep rows where `predicate` is true. */
export function filter(input: Plan, predicate: ExprNode): Plan {
  checkPredicate(predicate, input.schema, "filter");
  return { kind: "filter", input, predicate, schema: input.schema, npartitions: input.npartitions };
}

/** Add or replace columns computed from expressions (all read the input's columns). */
export function withColumns(input: Plan, exprs: readonly (readonly [string, ExprNode])[]): Plan {
  const schema: Field[] = [...input.schema];
  for (const [name, e] of exprs) {
    const type = columnTypeOf(e, input.schema, `withColumns(${name})`);
    const f: Field = { name, type, nullable: true };
    const at = schema.findIndex((x) => x.name === name);
    if (at >= 0) schema[at] = f;
    else schema.push(f);
  }
  return { kind: "withColumns", input, exprs, schema, npartitions: input.npartitions };
}

/** What `.agg()` accepts for one entry. */
export type AggEntry =
  | AggFn
  | readonly AggFn[]
  | readonly [string, AggFn]
  | { readonly column: string; readonly fn: AggFn; readonly q?: number | undefined }
  | QuantileEntry;

/** A quantile of the key's column (`["quantile", 0.9]`) or of a named one (`["x", "quantile", 0.9]`). */
export type QuantileEntry = readonly ["quantile", number] | readonly [string, "quantile", number];

function checkFn(fn: unknown, where: string): AggFn {
  if (!AGG_FNS.includes(fn as AggFn)) {
    throw new OptionError(
      `${where}: unknown aggregation ${JSON.stringify(fn)}; use one of ${AGG_FNS.join(", ")}`,
    );
  }
  return fn as AggFn;
}

/** The AggSpecs of an `.agg({...})` argument: `{ x: "mean" }`, `{ x: ["min", "max"] }`, `{ out: ["x", "mean"] }`. */
export function aggSpecs(schema: Schema, spec: Readonly<Record<string, AggEntry>>): AggSpec[] {
  const out: AggSpec[] = [];
  for (const [key, v] of Object.entries(spec)) {
    const quantile = quantileSpec(key, v);
    if (quantile !== undefined) out.push(quantile);
    else if (typeof v === "string") out.push({ fn: checkFn(v, "agg"), column: key, output: key });
    else if (
      Array.isArray(v) &&
      v.length === 2 &&
      !AGG_FNS.includes(v[0]) &&
      AGG_FNS.includes(v[1])
    ) {
      out.push({ fn: v[1] as AggFn, column: v[0] as string, output: key });
    } else if (Array.isArray(v)) {
      for (const fn of v) out.push({ fn: checkFn(fn, "agg"), column: key, output: `${key}_${fn}` });
    } else if (typeof v === "object" && v !== null) {
      const o = v as { column: string; fn: AggFn; q?: number };
      const fn = checkFn(o.fn, "agg");
      out.push(
        fn === "quantile"
          ? { fn, column: o.column, output: key, q: checkQ(o.q, key) }
          : { fn, column: o.column, output: key },
      );
    } else {
      throw new OptionError(
        `agg: entry ${JSON.stringify(key)} must be a function name, a list of them, or [column, fn]`,
      );
    }
  }
  for (const s of out) {
    if (s.fn === "quantile" && s.q === undefined) {
      throw new OptionError(
        `agg: quantile for ${JSON.stringify(s.output)} needs its q: write ["quantile", 0.9], [column, "quantile", 0.9] or { column, fn: "quantile", q: 0.9 }`,
      );
    }
  }
  return out.map((s) =>
    s.fn === "size"
      ? {
          ...s,
          column: s.column !== null && schema.some((f) => f.name === s.column) ? s.column : null,
        }
      : s,
  );
}

/** The quantile AggSpec of a `["quantile", q]` or `[column, "quantile", q]` entry, if it is one. */
function quantileSpec(key: string, v: unknown): AggSpec | undefined {
  if (!Array.isArray(v)) return undefined;
  if (v.length === 2 && v[0] === "quantile")
    return { fn: "quantile", column: key, output: key, q: checkQ(v[1], key) };
  if (v.length === 3 && typeof v[0] === "string" && v[1] === "quantile")
    return { fn: "quantile", column: v[0], output: key, q: checkQ(v[2], key) };
  return undefined;
}

function checkQ(q: unknown, key: string): number {
  if (typeof q !== "number" || !(q >= 0 && q <= 1)) {
    throw new OptionError(
      `agg: the quantile for ${JSON.stringify(key)} must be a number from 0 to 1, got ${String(q)}`,
    );
  }
  return q;
}

const NUMERIC_AGGS: ReadonlySet<AggFn> = new Set([
  "sum",
  "mean",
  "std",
  "var",
  "median",
  "quantile",
]);

function aggField(schema: Schema, s: AggSpec): Field {
  if (s.fn === "size" || s.fn === "count" || s.fn === "nunique")
    return { name: s.output, type: "float64", nullable: false };
  const f = fieldOf(schema, s.column!, `agg ${s.fn}(${s.column})`);
  if (NUMERIC_AGGS.has(s.fn)) {
    if (f.type !== "int32" && f.type !== "float64" && f.type !== "int64" && f.type !== "bool") {
      throw typeMismatch(
        `agg ${s.fn}(${s.column})`,
        `column ${JSON.stringify(s.column)} (${f.type})`,
        s.fn,
        `${s.fn} needs a numeric column; use count, nunique, min, max, first or last for ${f.type}`,
      );
    }
    // The sum of an int64 is an exact int64 (as Polars; DuckDB widens to int128); mean, std
    // and var are float64.
    const exact = s.fn === "sum" && f.type === "int64";
    return { name: s.output, type: exact ? "int64" : "float64", nullable: true };
  }
  return { name: s.output, type: f.type, nullable: true };
}

/** Options of a grouped aggregation. */
export interface AggOptions {
  /**
   * Output partitions, hash-partitioned by key (for many groups). Default: 1, or more when the
   * input is in memory and its first partition suggests over 100,000 groups.
   */
  readonly splitOut?: number | undefined;
  /** How many partials each combine task merges (the tree's fan-in). Default 8. */
  readonly splitEvery?: number | undefined;
  /**
   * How a split-out aggregation moves its partial states: "p2p" (through the workers' disks
   * and peer links) or "tasks" (pieces as task results). Default: the frame.shuffle setting
   * (put by the facade), else P2P from 32 input partitions (docs/memory.md). Ignored when
   * splitOut is 1.
   */
  readonly shuffle?: ShuffleOption | undefined;
}

/** Group by `keys` and aggregate. */
export function groupAgg(
  input: Plan,
  keys: readonly string[],
  aggs: readonly AggSpec[],
  options: AggOptions = {},
): Plan {
  checkColumns(input.schema, keys, "groupby");
  if (aggs.length === 0)
    throw new OptionError('agg: give at least one aggregation, e.g. .agg({ x: "mean" })');
  const fields = aggs.map((s) => aggField(input.schema, s));
  const names = [...keys, ...fields.map((f) => f.name)];
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined)
    throw new OptionError(
      `agg: two output columns are named ${JSON.stringify(dup)}; name them with { out: [column, fn] }`,
    );
  const splitOut = positiveInt(options.splitOut ?? autoSplitOut(input, keys), "splitOut");
  const splitEvery = Math.max(2, positiveInt(options.splitEvery ?? 8, "splitEvery"));
  const schema = [...keys.map((k) => fieldOf(input.schema, k, "groupby")), ...fields];
  const shuffle = shuffleOption("agg", options.shuffle);
  return {
    kind: "groupAgg",
    input,
    keys,
    aggs,
    splitOut,
    splitEvery,
    schema,
    npartitions: splitOut,
    ...(shuffle === undefined ? {} : { shuffle }),
  };
}

/** Groups above which an aggregation's output is split (when the estimate is known). */
const MANY_GROUPS = 100_000;

/** The output partitions for an aggregation whose group count can be estimated up front. */
function autoSplitOut(input: Plan, keys: readonly string[]): number {
  const est = estimateGroups(input, keys);
  if (est === undefined || est <= MANY_GROUPS) return 1;
  return Math.max(2, Math.min(input.npartitions, Math.ceil(est / MANY_GROUPS)));
}

/**
 * Groups of `keys` estimated from the first partition of an in-memory source under row-wise
 * nodes: its distinct count when keys repeat, extrapolated to every row when most are distinct.
 */
export function estimateGroups(plan: Plan, keys: readonly string[]): number | undefined {
  let p = plan;
  let names = keys;
  for (;;) {
    if (p.kind === "filter" || p.kind === "project") p = p.input;
    else if (p.kind === "rename") {
      const back = new Map(p.mapping.map(([from, to]) => [to, from]));
      names = names.map((n) => back.get(n) ?? n);
      p = p.input;
    } else if (p.kind === "withColumns" && !p.exprs.some(([n]) => names.includes(n))) p = p.input;
    else break;
  }
  if (p.kind !== "source" || p.reader !== "memory" || p.rows === undefined) return undefined;
  const first = p.parts[0] as Batch;
  if (first.length === 0) return undefined;
  const cols = names.map((n) => first.columns[first.names.indexOf(n)]);
  if (cols.some((c) => c === undefined)) return undefined;
  const g = groupIds(cols as Column[], first.length);
  const ratio = g.count / first.length;
  return ratio > 0.5 ? ratio * p.rows : g.count;
}

/** An upper bound on a plan's rows, when one is known without reading data. */
export function rowsBound(p: Plan): number | undefined {
  switch (p.kind) {
    case "source":
      return p.rows;
    case "head":
      return Math.min(p.n, rowsBound(p.input) ?? p.n);
    case "join":
    case "concat":
    case "mapPartitions":
      return undefined;
    default:
      return rowsBound(p.input);
  }
}

/** Options of a join. */
export interface MergeOptions {
  /** Key columns with the same name on both sides. */
  readonly on?: string | readonly string[] | undefined;
  /** Key columns of the left side (with rightOn). */
  readonly leftOn?: string | readonly string[] | undefined;
  /** Key columns of the right side (with leftOn). */
  readonly rightOn?: string | readonly string[] | undefined;
  /** inner (default), left, right or outer. */
  readonly how?: JoinHow | undefined;
  /** Added to right-side names that clash with left ones. Default "_right". */
  readonly suffix?: string | undefined;
  /** Output partitions of a hash join. Default: the larger side's. */
  readonly npartitions?: number | undefined;
  /** Force (true) or forbid (false) broadcasting the small side. Default: broadcast when one side is one partition or has at most `broadcastRows` rows. */
  readonly broadcast?: boolean | undefined;
  /** Row count under which a side counts as small. Default 100,000. */
  readonly broadcastRows?: number | undefined;
  /**
   * How a hash join shuffles: "p2p" (through the workers' disks and peer links, memory
   * bounded whatever the size) or "tasks" (pieces as task results). Default: P2P from 32 input
   * partitions (docs/memory.md).
   */
  readonly shuffle?: ShuffleOption | undefined;
}

/** The keys of MergeOptions, for checkOptionKeys. */
export const MERGE_KEYS: readonly string[] = [
  "on",
  "leftOn",
  "rightOn",
  "how",
  "suffix",
  "npartitions",
  "broadcast",
  "broadcastRows",
  "shuffle",
];

const list = (x: string | readonly string[] | undefined): readonly string[] | undefined =>
  x === undefined ? undefined : typeof x === "string" ? [x] : x;

/** Join `left` with `right`. */
export function join(left: Plan, right: Plan, o: MergeOptions): Plan {
  const how = o.how ?? "inner";
  if (!["inner", "left", "right", "outer"].includes(how))
    throw new OptionError(
      `merge: how must be inner, left, right or outer, got ${JSON.stringify(how)}`,
    );
  const on = list(o.on);
  const leftOn = on ?? list(o.leftOn);
  const rightOn = on ?? list(o.rightOn);
  if (leftOn === undefined || rightOn === undefined || leftOn.length === 0) {
    throw new OptionError(
      'merge: give the key columns, as { on: "key" } or { leftOn: "a", rightOn: "b" }',
    );
  }
  if (leftOn.length !== rightOn.length)
    throw new OptionError(
      `merge: leftOn has ${leftOn.length} columns but rightOn has ${rightOn.length}`,
    );
  checkColumns(left.schema, leftOn, "merge (left side)");
  checkColumns(right.schema, rightOn, "merge (right side)");
  leftOn.forEach((l, k) => {
    const a = fieldOf(left.schema, l, "merge").type;
    const b = fieldOf(right.schema, rightOn[k]!, "merge").type;
    const t = joinKeyType(a, b);
    const str = (x: string) => x === "utf8" || x === "dict";
    if ((str(a) || str(b)) && t !== "utf8") {
      throw typeMismatch(
        `merge on ${l} = ${rightOn[k]}`,
        `column ${JSON.stringify(l)} (${a})`,
        `column ${JSON.stringify(rightOn[k])} (${b})`,
        "join keys must both be strings or both be numbers",
      );
    }
  });
  const shuffle = shuffleOption("merge", o.shuffle);
  const suffix = o.suffix ?? "_right";
  const schema = joinSchema(left.schema, right.schema, leftOn, rightOn, how, suffix);
  const small = o.broadcastRows ?? 100_000;
  const isSmall = (p: Plan) =>
    p.npartitions === 1 || (rowsBound(p) ?? Number.POSITIVE_INFINITY) <= small;
  let strategy: "broadcast-right" | "broadcast-left" | "hash" = "hash";
  if (o.broadcast !== false) {
    if ((how === "inner" || how === "left") && (o.broadcast === true || isSmall(right)))
      strategy = "broadcast-right";
    else if ((how === "inner" || how === "right") && (o.broadcast === true || isSmall(left)))
      strategy = "broadcast-left";
  }
  const why = joinWhy(strategy, how, o.broadcast, left, right, small);
  const npartitions =
    strategy === "broadcast-right"
      ? left.npartitions
      : strategy === "broadcast-left"
        ? right.npartitions
        : positiveInt(
            o.npartitions ?? Math.max(left.npartitions, right.npartitions),
            "npartitions",
          );
  return {
    kind: "join",
    left,
    right,
    how,
    leftOn,
    rightOn,
    suffix,
    strategy,
    why,
    schema,
    npartitions,
    ...(shuffle === undefined ? {} : { shuffle }),
  };
}

/** Why a join got its strategy, in words (explain({ physical: true }) shows it). */
function joinWhy(
  strategy: "broadcast-right" | "broadcast-left" | "hash",
  how: JoinHow,
  broadcast: boolean | undefined,
  left: Plan,
  right: Plan,
  small: number,
): string {
  if (strategy === "hash") {
    if (broadcast === false) return "broadcast: false was given";
    if (how === "outer") return "an outer join keeps unmatched rows of both sides";
    return `no side it may broadcast (${how === "left" ? "the right" : how === "right" ? "the left" : "either"}) is one partition or known to hold at most ${small} rows`;
  }
  const side = strategy === "broadcast-right" ? right : left;
  const name = strategy === "broadcast-right" ? "the right side" : "the left side";
  if (broadcast === true) return "broadcast: true was given";
  if (side.npartitions === 1) return `${name} is one partition`;
  return `${name} holds at most ${rowsBound(side)} rows (broadcastRows ${small})`;
}

/** Sort by `by` (range partitions from sampled quantiles, then a sort within each). */
export function sort(
  input: Plan,
  by: readonly string[],
  ascending: boolean | readonly boolean[],
  nullsPosition: NullsPosition | readonly NullsPosition[] = "last",
  shuffle?: ShuffleOption,
): Plan {
  if (by.length === 0) throw new OptionError("sortValues: give at least one column");
  checkColumns(input.schema, by, "sortValues");
  const asc = typeof ascending === "boolean" ? by.map(() => ascending) : ascending;
  if (asc.length !== by.length)
    throw new OptionError(
      `sortValues: ascending has ${asc.length} entries for ${by.length} columns`,
    );
  const pos = typeof nullsPosition === "string" ? by.map(() => nullsPosition) : nullsPosition;
  if (pos.length !== by.length || pos.some((p) => p !== "first" && p !== "last"))
    throw new OptionError(
      `sortValues: nullsPosition must be "first" or "last", or one of those per column (${by.length}), got ${JSON.stringify(nullsPosition)}`,
    );
  return {
    kind: "sort",
    input,
    by,
    ascending: asc,
    nullsFirst: pos.map((p) => p === "first"),
    schema: input.schema,
    npartitions: input.npartitions,
    ...(shuffle === undefined ? {} : { shuffle: shuffleOption("sortValues", shuffle) }),
  };
}

/** Where a sort puts nulls: after the values (the default, as pandas) or before them. */
export type NullsPosition = "first" | "last";

/** Drop rows whose `subset` columns repeat an earlier row's. */
export function dropDuplicates(
  input: Plan,
  subset?: readonly string[],
  keep: "first" | "last" = "first",
  where = "dropDuplicates",
): Plan {
  const s = subset ?? input.schema.map((f) => f.name);
  checkColumns(input.schema, s, where);
  if (keep !== "first" && keep !== "last") {
    throw new OptionError(
      `dropDuplicates: keep must be "first" or "last", got ${JSON.stringify(keep)}`,
    );
  }
  return {
    kind: "dropDuplicates",
    input,
    keep,
    subset: s,
    schema: input.schema,
    npartitions: input.npartitions,
  };
}

/** Frames with the same columns, one after another. */
export function concat(inputs: readonly Plan[]): Plan {
  if (inputs.length === 0) throw new OptionError("concat: give at least one frame");
  const s0 = inputs[0]!.schema;
  for (const p of inputs) {
    const same =
      p.schema.length === s0.length &&
      p.schema.every((f, i) => f.name === s0[i]!.name && sameType(f.type, s0[i]!.type));
    if (!same) {
      throw new BarnError(
        FrameErrorCodes.SCHEMA_MISMATCH,
        `concat: frames have different columns: [${describe(s0)}] vs [${describe(p.schema)}]. Fix: select and rename them to the same names and types first.`,
      );
    }
  }
  return {
    kind: "concat",
    inputs,
    schema: s0,
    npartitions: inputs.reduce((s, p) => s + p.npartitions, 0),
  };
}

function sameType(a: string, b: string): boolean {
  return a === b || ((a === "utf8" || a === "dict") && (b === "utf8" || b === "dict"));
}

function describe(s: Schema): string {
  return s.map((f) => `${f.name}: ${f.type}`).join(", ");
}

/** The first `n` rows, as one partition. */
export function head(input: Plan, n: number): Plan {
  if (!Number.isInteger(n) || n < 0)
    throw new OptionError(`head(n): n must be a non-negative integer, got ${n}`);
  return { kind: "head", input, n, schema: input.schema, npartitions: 1 };
}

/**
 * Rows chosen at random without replacement under `seed`: `n` rows in all (one partition; all
 * rows when there are fewer), or `frac` of each partition's rows, rounded (as Dask).
 */
export function sample(
  input: Plan,
  size: { readonly n: number } | { readonly frac: number },
  seed: number,
): Plan {
  const s = size as { n?: unknown; frac?: unknown };
  if ((s.n === undefined) === (s.frac === undefined)) {
    throw new OptionError("sample: give exactly one of { n } and { frac }");
  }
  if (s.n !== undefined && !(Number.isSafeInteger(s.n) && (s.n as number) >= 0)) {
    throw new OptionError(`sample: n must be a non-negative integer, got ${String(s.n)}`);
  }
  if (
    s.frac !== undefined &&
    !(typeof s.frac === "number" && (s.frac as number) >= 0 && (s.frac as number) <= 1)
  ) {
    throw new OptionError(`sample: frac must be a number from 0 to 1, got ${String(s.frac)}`);
  }
  if (!Number.isSafeInteger(seed)) {
    throw new OptionError(`sample: seed must be an integer, got ${String(seed)}`);
  }
  const npartitions = s.n !== undefined ? 1 : input.npartitions;
  return { kind: "sample", input, size, seed, schema: input.schema, npartitions };
}

/** A user function over each partition. */
export function mapPartitions(input: Plan, fn: Function, arrow: boolean, schema: Schema): Plan {
  return { kind: "mapPartitions", input, fn, arrow, schema, npartitions: input.npartitions };
}

/** Readable form of an expression for messages. */
export const show = exprToString;
