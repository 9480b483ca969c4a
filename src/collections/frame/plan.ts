/**
 * The logical plan: an immutable tree of plain-data nodes that a DataFrame stands for. Verbs
 * add nodes (validated against the input's schema when they are added), the optimiser rewrites
 * the tree, and lowering turns it into a task graph. Every node carries its output schema and
 * partition count, so nothing needs to be recomputed while building.
 */
import type { AggSpec } from "../../kernels/aggregate.js";
import type { Batch, Schema } from "../../kernels/batch.js";
import type { CompareOp, Scalar } from "../../kernels/compare.js";
import type { JoinHow } from "../../kernels/join.js";
import type { ExprNode } from "./expr.js";
import type { WindowNode } from "./window.js";

/** A simple comparison a reader may use to skip data (row groups, files). */
export interface SourceFilter {
  readonly column: string;
  readonly op: CompareOp;
  readonly value: Scalar;
}

/**
 * A broadcast join run inside a task: the rows so far joined with the whole small side `right`
 * (inner or left joins, the small side on the right).
 */
export interface JoinOp<R> {
  readonly op: "join";
  readonly right: R;
  readonly leftOn: readonly string[];
  readonly rightOn: readonly string[];
  readonly how: JoinHow;
  readonly suffix: string;
}

/**
 * A row-wise step fused into a task: the one type of every fused chain (blockwise nodes, the
 * physical plan's fused tasks, what pipeline.ts runs). `R` is a join's small side: `never` in
 * the logical plan (fusion makes no joins), a physical node in the physical plan, and the
 * concatenated Batch when the task runs (lowering puts a graph reference to it there).
 */
export type RowOp<R = Batch> =
  | { readonly op: "filter"; readonly predicate: ExprNode }
  | { readonly op: "project"; readonly columns: readonly string[] }
  | { readonly op: "with"; readonly exprs: readonly (readonly [string, ExprNode])[] }
  | { readonly op: "rename"; readonly mapping: readonly (readonly [string, string])[] }
  | JoinOp<R>;

interface Base {
  /** The output columns. */
  readonly schema: Schema;
  /** The number of output partitions. */
  readonly npartitions: number;
}

/** Data read by a registered reader: one part per partition. */
export interface SourceNode extends Base {
  readonly kind: "source";
  /** The reader's registered name ("memory", "persisted", "parquet", ...). */
  readonly reader: string;
  /** Per partition, what the reader needs to read it (plain data, or a Batch for memory). */
  readonly parts: readonly unknown[];
  /** Columns to read (projection pushdown); undefined reads all. */
  readonly columns?: readonly string[] | undefined;
  /** Conjunctive filters a reader may use to skip data; the frame re-applies them exactly. */
  readonly filters?: readonly SourceFilter[] | undefined;
  /** Total rows when known (memory sources): lets joins broadcast a small side. */
  readonly rows?: number | undefined;
  /** Partition boundaries of the index when known. */
  readonly divisions?: readonly unknown[] | undefined;
}

/** The plan's node types. */
export type Plan =
  | SourceNode
  | (Base & { readonly kind: "project"; readonly input: Plan; readonly columns: readonly string[] })
  | (Base & { readonly kind: "filter"; readonly input: Plan; readonly predicate: ExprNode })
  | (Base & {
      readonly kind: "withColumns";
      readonly input: Plan;
      readonly exprs: readonly (readonly [string, ExprNode])[];
    })
  | (Base & {
      readonly kind: "rename";
      readonly input: Plan;
      readonly mapping: readonly (readonly [string, string])[];
    })
  | (Base & {
      readonly kind: "blockwise";
      readonly input: Plan;
      readonly ops: readonly RowOp<never>[];
    })
  | (Base & {
      readonly kind: "groupAgg";
      readonly input: Plan;
      readonly keys: readonly string[];
      readonly aggs: readonly AggSpec[];
      /** Output partitions (hash-partitioned by key when > 1). */
      readonly splitOut: number;
      /** How many partials each combine step merges. */
      readonly splitEvery: number;
      /** The split-out shuffle's method, when the user chose it (else the planner does). */
      readonly shuffle?: "p2p" | "tasks" | undefined;
    })
  | (Base & {
      readonly kind: "join";
      readonly left: Plan;
      readonly right: Plan;
      readonly how: JoinHow;
      readonly leftOn: readonly string[];
      readonly rightOn: readonly string[];
      /** Added to right columns whose names clash with left ones. */
      readonly suffix: string;
      readonly strategy: "broadcast-right" | "broadcast-left" | "hash";
      /** Why the strategy was chosen, in words. */
      readonly why: string;
      /** The shuffle of a hash join, when the user chose it (else the planner does). */
      readonly shuffle?: "p2p" | "tasks" | undefined;
    })
  | (Base & {
      readonly kind: "sort";
      readonly input: Plan;
      readonly by: readonly string[];
      readonly ascending: readonly boolean[];
      /** Per key: nulls before the values (else after), in either direction. */
      readonly nullsFirst: readonly boolean[];
      /** The range shuffle's method, when the user chose it (else the planner does). */
      readonly shuffle?: "p2p" | "tasks" | undefined;
    })
  | (Base & {
      readonly kind: "dropDuplicates";
      readonly input: Plan;
      readonly subset: readonly string[];
      /** Which of the repeated rows stays: the first or the last in row order. */
      readonly keep: "first" | "last";
    })
  | (Base & {
      readonly kind: "repartition";
      readonly input: Plan;
      /** Hash-partitioned by these columns when given (shuffle(on)); else by row count. */
      readonly on?: readonly string[] | undefined;
      /** The hash shuffle's method, when the user chose it (else the planner does). */
      readonly shuffle?: "p2p" | "tasks" | undefined;
    })
  | (Base & { readonly kind: "concat"; readonly inputs: readonly Plan[] })
  | (Base & {
      readonly kind: "mapPartitions";
      readonly input: Plan;
      /** The user's function (shipped like any task function). */
      readonly fn: Function;
      /** Whether `fn` takes and returns an apache-arrow Table instead of a Batch. */
      readonly arrow: boolean;
    })
  | (Base & { readonly kind: "head"; readonly input: Plan; readonly n: number })
  | (Base & {
      readonly kind: "sample";
      readonly input: Plan;
      /** `n` rows in all (one partition), or `frac` of each partition's rows. */
      readonly size: { readonly n: number } | { readonly frac: number };
      readonly seed: number;
    })
  | WindowNode;

/** The inputs of a node. */
export function inputsOf(p: Plan): readonly Plan[] {
  switch (p.kind) {
    case "source":
      return [];
    case "join":
      return [p.left, p.right];
    case "concat":
      return p.inputs;
    default:
      return [p.input];
  }
}

/** A node with its inputs replaced (same count and order as inputsOf). */
export function withInputs(p: Plan, inputs: readonly Plan[]): Plan {
  switch (p.kind) {
    case "source":
      return p;
    case "join":
      return { ...p, left: inputs[0]!, right: inputs[1]! };
    case "concat":
      return { ...p, inputs };
    default:
      return { ...p, input: inputs[0]! };
  }
}

/** Whether the node keeps rows in place (partition i of the output comes from partition i). */
export function isRowWise(p: Plan): boolean {
  return (
    p.kind === "project" ||
    p.kind === "filter" ||
    p.kind === "withColumns" ||
    p.kind === "rename" ||
    p.kind === "blockwise"
  );
}

/**
 * The row-wise steps a node stands for (one for filter, project, withColumns and rename; a
 * blockwise node's fused steps), or undefined when it is not row-wise.
 */
export function rowOpsOf(p: Plan): readonly RowOp<never>[] | undefined {
  switch (p.kind) {
    case "filter":
      return [{ op: "filter", predicate: p.predicate }];
    case "project":
      return [{ op: "project", columns: p.columns }];
    case "withColumns":
      return [{ op: "with", exprs: p.exprs }];
    case "rename":
      return [{ op: "rename", mapping: p.mapping }];
    case "blockwise":
      return p.ops;
    default:
      return undefined;
  }
}
