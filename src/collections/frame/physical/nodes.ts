/**
 * The physical plan: what runs, as a tree of plain-data nodes between the optimised logical
 * plan and the task graph. Each node is one way of computing its output (a fused read and
 * aggregate, a tree reduction, a broadcast or a shuffle join, a task shuffle, a sampled range
 * sort) and carries what was chosen and why (`why`), so that lowering maps ONE node to its
 * tasks with no look at the nodes around it, and explain({ physical: true }) can show it.
 *
 * A node's output is one value per partition: a Batch, except for the partial aggregations
 * (`partialAggregate`, `scanAggregate`), whose outputs are partial states that only the
 * aggregation nodes above them read.
 */
import type { AggSpec } from "../../../kernels/aggregate.js";
import type { Schema } from "../../../kernels/batch.js";
import type { JoinHow } from "../../../kernels/join.js";
import type { frameOps } from "../ops.js";
import type { RowOp, SourceFilter } from "../plan.js";
import type { WindowSpec } from "../window.js";

interface Base {
  /** Output partitions (one task key each once lowered). */
  readonly npartitions: number;
}

/** Reading a source: one task per part (the data node itself for memory parts). */
export interface ScanNode extends Base {
  readonly kind: "scan";
  /**
   * How a part is reached: a batch held in the graph ("memory"), a key on the cluster
   * ("persisted"), or the registered reader's read task ("reader").
   */
  readonly access: "memory" | "persisted" | "reader";
  /** The reader's registered name. */
  readonly reader: string;
  readonly parts: readonly unknown[];
  /** Columns read; null reads all. */
  readonly columns: readonly string[] | null;
  /** Pushed-down filters the reader may use to skip data (re-applied exactly above). */
  readonly filters: readonly SourceFilter[];
}

/** Row-wise steps fused into one task per partition (which the graph fuses with the one below). */
export interface RowsNode extends Base {
  readonly kind: "rows";
  readonly input: PhysicalNode;
  readonly ops: readonly RowOp<never>[];
}

/** One task per partition running a frame task function: `frameOps[fn](batch, ...args)`. */
export interface MapNode extends Base {
  readonly kind: "map";
  readonly input: PhysicalNode;
  readonly fn: keyof typeof frameOps;
  readonly args: readonly unknown[];
  /** How it reads in explain, e.g. `dedupe [k] keep=first`. */
  readonly label: string;
}

/** The partial aggregation of each partition, after the row-wise steps under the groupby, in one task. */
export interface PartialAggregateNode extends Base {
  readonly kind: "partialAggregate";
  readonly input: PhysicalNode;
  readonly steps: readonly RowOp<never>[];
  readonly keys: readonly string[];
  readonly aggs: readonly AggSpec[];
}

/**
 * Read, steps and partial aggregation of each part in ONE task of the reader's (its
 * `aggregate` task), so the columns read go back to scratch memory: the fused scan. The steps'
 * broadcast joins name their small side, a `broadcast` node lowered on its own.
 */
export interface ScanAggregateNode extends Base {
  readonly kind: "scanAggregate";
  readonly scan: ScanNode & { readonly access: "reader" };
  readonly steps: readonly RowOp<PhysicalNode>[];
  readonly keys: readonly string[];
  readonly aggs: readonly AggSpec[];
  readonly why: string;
}

/** The partials combined `splitEvery` at a time down to one task, then finalized: one partition. */
export interface TreeAggregateNode extends Base {
  readonly kind: "treeAggregate";
  /** A partialAggregate or scanAggregate node. */
  readonly input: PhysicalNode;
  readonly aggs: readonly AggSpec[];
  readonly splitEvery: number;
  readonly why: string;
}

/**
 * split_out: each partial split into `npartitions` pieces by key hash (a shuffle of the
 * partial states, as tasks or P2P); piece j of every partial is tree-combined and finalized
 * into output j.
 */
export interface SplitAggregateNode extends Base, ShuffleChoice {
  readonly kind: "splitAggregate";
  readonly input: PhysicalNode;
  readonly aggs: readonly AggSpec[];
  readonly splitEvery: number;
  readonly why: string;
}

/** All partitions of the input concatenated into one (the small side of a broadcast join). */
export interface BroadcastNode extends Base {
  readonly kind: "broadcast";
  readonly input: PhysicalNode;
}

/** A join where one side is concatenated and sent whole to every partition of the other. */
export interface BroadcastJoinNode extends Base {
  readonly kind: "broadcastJoin";
  /** Which side is broadcast; output partition i joins partition i of the other side. */
  readonly broadcast: "left" | "right";
  readonly left: PhysicalNode;
  readonly right: PhysicalNode;
  readonly how: JoinHow;
  readonly leftOn: readonly string[];
  readonly rightOn: readonly string[];
  readonly suffix: string;
  readonly why: string;
}

/**
 * How a shuffle moves its pieces: as task results ("tasks": every split partition is a result
 * until all outputs have picked their piece) or through the workers' disks and peer links
 * ("p2p": a transfer task per input partition writes its pieces to its worker's shuffle
 * directory, an output task per partition reads piece j of every one; docs/memory.md).
 */
export type ShuffleMethod = "tasks" | "p2p";

/** The method a shuffle uses and why it was chosen. */
export interface ShuffleChoice {
  readonly method: ShuffleMethod;
  readonly methodWhy: string;
}

/**
 * A shuffle by key hash: every input partition splits into `npartitions` pieces, output
 * j concatenates piece j of all (no rows are ever sent twice; one task per piece pick).
 */
export interface HashShuffleNode extends Base, ShuffleChoice {
  readonly kind: "hashShuffle";
  readonly input: PhysicalNode;
  readonly keys: readonly string[];
  /** Keys hashed as float64, so an int key meets a float64 key of the other join side. */
  readonly asFloat: readonly boolean[];
}

/** Partition j of both (co-partitioned) shuffled sides joined. */
export interface ShuffleJoinNode extends Base {
  readonly kind: "shuffleJoin";
  readonly left: HashShuffleNode;
  readonly right: HashShuffleNode;
  readonly how: JoinHow;
  readonly leftOn: readonly string[];
  readonly rightOn: readonly string[];
  readonly suffix: string;
  readonly why: string;
}

/** Sort keys of a sort, per key direction and null placement. */
export interface SortKeys {
  readonly by: readonly string[];
  readonly ascending: readonly boolean[];
  readonly nullsFirst: readonly boolean[];
}

/**
 * A task shuffle by key range: `samples` keys from each partition, one task picks the
 * boundaries at their quantiles, every partition splits by them and output j concatenates
 * piece j of all. Output j holds only keys between boundaries j-1 and j.
 */
export interface RangeShuffleNode extends Base, SortKeys, ShuffleChoice {
  readonly kind: "rangeShuffle";
  readonly input: PhysicalNode;
  readonly samples: number;
}

/** Each partition sorted on its own. */
export interface SortPartitionsNode extends Base, SortKeys {
  readonly kind: "sortPartitions";
  readonly input: PhysicalNode;
  readonly why: string;
}

/** Neighbouring partitions concatenated (fewer) or each split into even pieces (more). */
export interface RepartitionNode extends Base {
  readonly kind: "repartition";
  readonly input: PhysicalNode;
}

/** The partitions of every input, in order. */
export interface ConcatNode extends Base {
  readonly kind: "concat";
  readonly inputs: readonly PhysicalNode[];
}

/** The user's function on each partition. */
export interface MapPartitionsNode extends Base {
  readonly kind: "mapPartitions";
  readonly input: PhysicalNode;
  readonly fn: Function;
  readonly arrow: boolean;
  /** The input's columns (an empty partition is given this schema). */
  readonly inputSchema: Schema;
}

/** The first `n` rows: `n` of each partition, then (over several) the first `n` of those. */
export interface LimitNode extends Base {
  readonly kind: "limit";
  readonly input: PhysicalNode;
  readonly n: number;
}

/** A seeded sample: `frac` of each partition, or `n` in all (candidates per partition, then one pick). */
export interface SampleNode extends Base {
  readonly kind: "sample";
  readonly input: PhysicalNode;
  readonly size: { readonly n: number } | { readonly frac: number };
  readonly seed: number;
}

/** The physical plan's node types. */
/**
 * Window columns (window.ts, run by window-exec.ts): per group (`over: "groups"`, its input
 * hash-shuffled by `partitionBy` so each group is whole in one partition), or over the whole
 * frame (`over: "frame"`, its input range-sorted by `orderBy`; each partition gets what the
 * ones before it carry: a summary task per partition, one context task, a task per partition).
 */
export interface WindowExecNode extends Base {
  readonly kind: "window";
  readonly input: PhysicalNode;
  readonly over: "groups" | "frame";
  readonly partitionBy: readonly string[];
  readonly orderBy: readonly string[];
  readonly ascending: readonly boolean[];
  readonly specs: readonly WindowSpec[];
  readonly why: string;
}

export type PhysicalNode =
  | ScanNode
  | RowsNode
  | MapNode
  | PartialAggregateNode
  | ScanAggregateNode
  | TreeAggregateNode
  | SplitAggregateNode
  | BroadcastNode
  | BroadcastJoinNode
  | HashShuffleNode
  | ShuffleJoinNode
  | RangeShuffleNode
  | SortPartitionsNode
  | RepartitionNode
  | ConcatNode
  | MapPartitionsNode
  | LimitNode
  | SampleNode
  | WindowExecNode;

/** The nodes a node's tasks read (a scanAggregate's broadcast sides included). */
export function physicalInputs(p: PhysicalNode): readonly PhysicalNode[] {
  switch (p.kind) {
    case "scan":
      return [];
    case "scanAggregate":
      return p.steps.flatMap((s) => (s.op === "join" ? [s.right] : []));
    case "broadcastJoin":
    case "shuffleJoin":
      return [p.left, p.right];
    case "concat":
      return p.inputs;
    default:
      return [p.input];
  }
}
