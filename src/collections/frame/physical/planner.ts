/**
 * Physical planning: a pure function from the optimised logical plan to the physical plan
 * (nodes.ts). Every choice of how to run a node is made here, once, by looking at the node and
 * the ones under it: which reader fuses read, steps and partial aggregation into one task, tree
 * reduction or split_out, broadcast or shuffle join, local or sampled range sort. Lowering then
 * maps each physical node to its tasks without looking around.
 *
 * To give a new logical node its physical form: add a case to `planNode` that builds the
 * physical nodes it runs as (a `map` node when it is one frame task per partition, else a node
 * kind of its own in nodes.ts, with its lowering in lower.ts and its line in explain.ts).
 */
import type { DType } from "../../../kernels/batch.js";
import { inputsOf, type Plan, type RowOp, rowOpsOf, type SourceNode } from "../plan.js";
import { readerOf } from "../sources.js";
import { sort } from "../verbs.js";
import type { WindowNode } from "../window.js";
import type {
  BroadcastNode,
  HashShuffleNode,
  MapNode,
  PartialAggregateNode,
  PhysicalNode,
  ScanAggregateNode,
  ScanNode,
  ShuffleChoice,
  ShuffleMethod,
} from "./nodes.js";

/** How many keys each partition contributes to a range shuffle's boundaries. */
const SORT_SAMPLES = 64;

/**
 * Input partitions (both sides of a join together) from which a shuffle the user left to the
 * planner goes P2P: the task shuffle keeps every split partition as a result until each output
 * has picked its piece (the whole data set at once, read back m times once it spills).
 */
export const P2P_MIN_PARTITIONS = 32;

/** The method of a shuffle of `inputs` partitions: the user's, else by size. */
function shuffleChoice(given: ShuffleMethod | undefined, inputs: number): ShuffleChoice {
  if (given !== undefined) return { method: given, methodWhy: `shuffle: "${given}" was given` };
  return inputs >= P2P_MIN_PARTITIONS
    ? { method: "p2p", methodWhy: `${inputs} input partitions (P2P from ${P2P_MIN_PARTITIONS})` }
    : { method: "tasks", methodWhy: `${inputs} input partitions (P2P from ${P2P_MIN_PARTITIONS})` };
}

/** The physical plan of an (optimised) logical plan. A node reached twice is planned once. */
export function physicalPlan(plan: Plan): PhysicalNode {
  const memo = new Map<Plan, PhysicalNode>();
  const go = (p: Plan): PhysicalNode => {
    const hit = memo.get(p);
    if (hit !== undefined) return hit;
    const node = planNode(p, go);
    memo.set(p, node);
    return node;
  };
  return go(plan);
}

type Go = (p: Plan) => PhysicalNode;

function planNode(p: Plan, go: Go): PhysicalNode {
  switch (p.kind) {
    case "source":
      return scanOf(p);
    case "filter":
    case "project":
    case "withColumns":
    case "rename":
    case "blockwise":
      return { kind: "rows", input: go(p.input), ops: rowOpsOf(p)!, npartitions: p.npartitions };
    case "groupAgg":
      return planAggregate(p, go);
    case "join":
      return planJoin(p, go);
    case "sort":
      return planSort(p, go);
    case "dropDuplicates": {
      const { subset, keep } = p;
      const label = `dedupe [${subset.join(", ")}]${keep === "last" ? " keep=last" : ""}`;
      const dedupe = (input: PhysicalNode): MapNode => ({
        kind: "map",
        input,
        fn: "dedupe",
        args: [subset, keep],
        label,
        npartitions: input.npartitions,
      });
      const local = dedupe(go(p.input));
      if (local.npartitions === 1) return local;
      // The shuffle keeps the rows' order (pieces are appended in partition order), so "last"
      // is still the last after it.
      const choice = shuffleChoice(undefined, local.npartitions);
      return dedupe(hashShuffle(local, subset, [], local.npartitions, choice));
    }
    case "repartition": {
      const input = go(p.input);
      if (p.on === undefined) return { kind: "repartition", input, npartitions: p.npartitions };
      const choice = shuffleChoice(p.shuffle, input.npartitions);
      return hashShuffle(input, p.on, [], p.npartitions, choice);
    }
    case "concat":
      return { kind: "concat", inputs: p.inputs.map(go), npartitions: p.npartitions };
    case "mapPartitions":
      return {
        kind: "mapPartitions",
        input: go(p.input),
        fn: p.fn,
        arrow: p.arrow,
        inputSchema: p.input.schema,
        npartitions: p.npartitions,
      };
    case "head":
      return { kind: "limit", input: go(p.input), n: p.n, npartitions: 1 };
    case "sample": {
      const input = go(p.input);
      const npartitions = "n" in p.size ? 1 : input.npartitions;
      return { kind: "sample", input, size: p.size, seed: p.seed, npartitions };
    }
    case "window":
      return planWindow(p, go);
    default:
      return p satisfies never;
  }
}

function scanOf(p: SourceNode): ScanNode {
  const access =
    p.reader === "memory" ? "memory" : p.reader === "persisted" ? "persisted" : "reader";
  return {
    kind: "scan",
    access,
    reader: p.reader,
    parts: p.parts,
    columns: p.columns ?? null,
    filters: p.filters ?? [],
    npartitions: p.parts.length,
  };
}

function hashShuffle(
  input: PhysicalNode,
  keys: readonly string[],
  asFloat: readonly boolean[],
  npartitions: number,
  choice: ShuffleChoice,
): HashShuffleNode {
  return { kind: "hashShuffle", input, keys, asFloat, npartitions, ...choice };
}

function broadcastOf(input: PhysicalNode): BroadcastNode {
  return { kind: "broadcast", input, npartitions: 1 };
}

function planAggregate(p: Plan & { kind: "groupAgg" }, go: Go): PhysicalNode {
  const { aggs, splitEvery, splitOut } = p;
  const input = partialOf(p, go);
  if (splitOut <= 1) {
    const why = `splitOut is 1: ${input.npartitions} partials combined ${splitEvery} at a time into one`;
    return { kind: "treeAggregate", input, aggs, splitEvery, why, npartitions: 1 };
  }
  const why = `splitOut is ${splitOut}: partials hash-partitioned by key into ${splitOut} outputs`;
  const choice = shuffleChoice(p.shuffle, input.npartitions);
  return { kind: "splitAggregate", input, aggs, splitEvery, why, npartitions: splitOut, ...choice };
}

/**
 * The partial aggregation: fused into the read when a reader with an `aggregate` task is under
 * row-wise steps and broadcast joins, else after the row-wise steps right under the groupby
 * (so a trailing filter gathers only the columns the aggregation reads), in one task.
 */
function partialOf(
  p: Plan & { kind: "groupAgg" },
  go: Go,
): PartialAggregateNode | ScanAggregateNode {
  const { keys, aggs } = p;
  const fused = fusedScan(p.input, go);
  if (fused !== undefined) {
    const { scan, steps } = fused;
    const why = `the ${scan.reader} reader has an aggregate task, which recycles the memory it read`;
    return { kind: "scanAggregate", scan, steps, keys, aggs, why, npartitions: scan.npartitions };
  }
  const rows = rowOpsOf(p.input);
  const below = rows !== undefined ? inputsOf(p.input)[0]! : p.input;
  const input = go(below);
  return {
    kind: "partialAggregate",
    input,
    steps: rows ?? [],
    keys,
    aggs,
    npartitions: input.npartitions,
  };
}

/**
 * A file source under row-wise steps and broadcast joins (inner or left, the right side
 * broadcast) whose reader has an `aggregate` task: the scan and the steps from it up to `plan`.
 */
function fusedScan(
  plan: Plan,
  go: Go,
): { scan: ScanNode & { access: "reader" }; steps: RowOp<PhysicalNode>[] } | undefined {
  const levels: (readonly RowOp<never>[] | (Plan & { kind: "join" }))[] = [];
  let node = plan;
  for (;;) {
    const rows = rowOpsOf(node);
    if (rows !== undefined) {
      levels.push(rows);
      node = inputsOf(node)[0]!;
    } else if (
      node.kind === "join" &&
      node.strategy === "broadcast-right" &&
      (node.how === "inner" || node.how === "left")
    ) {
      levels.push(node);
      node = node.left;
    } else break;
  }
  if (node.kind !== "source") return undefined;
  const scan = scanOf(node);
  if (scan.access !== "reader" || readerOf(node.reader).aggregate === undefined) return undefined;
  const steps: RowOp<PhysicalNode>[] = [];
  for (const level of levels.reverse()) {
    if (Array.isArray(level)) steps.push(...(level as readonly RowOp<never>[]));
    else {
      const { leftOn, rightOn, how, suffix } = level as Plan & { kind: "join" };
      const right = broadcastOf(go((level as Plan & { kind: "join" }).right));
      steps.push({ op: "join", right, leftOn, rightOn, how, suffix });
    }
  }
  return { scan: scan as ScanNode & { access: "reader" }, steps };
}

function planJoin(p: Plan & { kind: "join" }, go: Go): PhysicalNode {
  const { how, leftOn, rightOn, suffix, why, npartitions } = p;
  const left = go(p.left);
  const right = go(p.right);
  const join = { how, leftOn, rightOn, suffix, why, npartitions };
  if (p.strategy === "broadcast-right")
    return { kind: "broadcastJoin", broadcast: "right", left, right: broadcastOf(right), ...join };
  if (p.strategy === "broadcast-left")
    return { kind: "broadcastJoin", broadcast: "left", left: broadcastOf(left), right, ...join };
  const typeOf = (q: Plan, c: string) => q.schema.find((f) => f.name === c)!.type;
  const isInt = (t: DType) => t !== "float64" && t !== "utf8" && t !== "dict";
  const asFloat = leftOn.map((l, k) => {
    const a = typeOf(p.left, l);
    const b = typeOf(p.right, rightOn[k]!);
    return a !== b && (isInt(a) || isInt(b));
  });
  const choice = shuffleChoice(p.shuffle, left.npartitions + right.npartitions);
  return {
    kind: "shuffleJoin",
    left: hashShuffle(left, leftOn, asFloat, npartitions, choice),
    right: hashShuffle(right, rightOn, asFloat, npartitions, choice),
    ...join,
  };
}

/**
 * A window per group runs after a hash shuffle by the partition key; over the whole frame, after
 * the range sort by the order key (which never splits equal keys, so ranks carry exactly).
 */
function planWindow(p: WindowNode, go: Go): PhysicalNode {
  const { partitionBy, orderBy, ascending, specs } = p;
  const base = { kind: "window", partitionBy, orderBy, ascending, specs } as const;
  if (partitionBy.length > 0) {
    const local = go(p.input);
    const n = local.npartitions;
    const input =
      n > 1 ? hashShuffle(local, partitionBy, [], n, shuffleChoice(undefined, n)) : local;
    const why =
      n > 1
        ? `per group: hash-shuffled by [${partitionBy.join(", ")}], each partition sorted and computed`
        : "per group: one partition, sorted and computed";
    return { ...base, input, over: "groups", why, npartitions: n };
  }
  const input = go(sort(p.input, orderBy, ascending));
  const why =
    input.npartitions > 1
      ? "whole frame: range-sorted, each partition computed with what the ones before carry"
      : "whole frame: one partition";
  return { ...base, input, over: "frame", why, npartitions: input.npartitions };
}

function planSort(p: Plan & { kind: "sort" }, go: Go): PhysicalNode {
  const { by, ascending, nullsFirst } = p;
  const input = go(p.input);
  const n = input.npartitions;
  const keys = { by, ascending, nullsFirst, npartitions: n };
  if (n === 1)
    return { kind: "sortPartitions", input, ...keys, why: "one partition: sorted as is" };
  return {
    kind: "sortPartitions",
    input: {
      kind: "rangeShuffle",
      input,
      samples: SORT_SAMPLES,
      ...keys,
      ...shuffleChoice(p.shuffle, n),
    },
    ...keys,
    why: `${n} partitions: range-partitioned by sampled boundaries, then each sorted`,
  };
}
