/**
 * Lowering: a physical plan (physical/nodes.ts) becomes task graph nodes, one key per output
 * partition. Each physical node kind maps to its tasks here, on its own: every choice (fusion,
 * join strategy, shuffle kind, reduction) was made by the physical planner. Shuffles (hash and
 * range) are the task-based kind: every input partition splits into N pieces, and output j
 * concatenates piece j of every input.
 */

import { data, type GraphNode, type Key, ref, task } from "../../graph/spec.js";
import type { AggSpec } from "../../kernels/aggregate.js";
import { TRANSFER_KEY_PREFIX } from "../../protocol/shuffle.js";
import { shipFunction } from "../../shipping/ship.js";
import { frameOps as ops } from "./ops.js";
import { p2pOps } from "./p2p-ops.js";
import type {
  BroadcastJoinNode,
  HashShuffleNode,
  PhysicalNode,
  RangeShuffleNode,
  ScanAggregateNode,
  ScanNode,
  SplitAggregateNode,
} from "./physical/nodes.js";
import type { RowOp } from "./plan.js";
import { readerOf } from "./sources.js";
import { lowerWindow } from "./window-exec.js";

/** The graph being built and the names given so far. */
export interface LowerContext {
  readonly graph: Map<Key, GraphNode>;
  readonly prefix: string;
  counter: number;
  /** A node lowered once, even when reached twice (self-joins, concat of the same frame). */
  readonly memo: Map<PhysicalNode, readonly Key[]>;
}

/** A fresh context; `prefix` makes keys unique per lowering. */
export function newContext(prefix: string): LowerContext {
  return { graph: new Map(), prefix, counter: 0, memo: new Map() };
}

function name(ctx: LowerContext, kind: string): string {
  return `${kind}-${ctx.prefix}-${(ctx.counter++).toString(36)}`;
}

function add(ctx: LowerContext, key: Key, node: GraphNode): Key {
  ctx.graph.set(key, node);
  return key;
}

/** The keys of `node`'s partitions, adding the tasks that compute them to `ctx.graph`. */
export function lower(node: PhysicalNode, ctx: LowerContext): readonly Key[] {
  const hit = ctx.memo.get(node);
  if (hit !== undefined) return hit;
  const keys = lowerNode(node, ctx);
  ctx.memo.set(node, keys);
  return keys;
}

/** One physical node's tasks, its inputs lowered first. */
function lowerNode(node: PhysicalNode, ctx: LowerContext): readonly Key[] {
  switch (node.kind) {
    case "scan":
      return lowerScan(node, ctx);
    case "rows": {
      const { ops: rowOps } = node;
      return each(lower(node.input, ctx), "blockwise", ctx, (k) =>
        task(ops.pipeline, ref(k), rowOps),
      );
    }
    case "map": {
      const { fn, args } = node;
      return each(lower(node.input, ctx), fn, ctx, (k) => task(ops[fn], ref(k), ...args));
    }
    case "partialAggregate": {
      const { steps, keys, aggs } = node;
      return each(lower(node.input, ctx), "agg-partial", ctx, (k) =>
        steps.length === 0
          ? task(ops.aggPartial, ref(k), keys, aggs)
          : task(ops.aggPartialRows, ref(k), steps, keys, aggs),
      );
    }
    case "scanAggregate":
      return lowerScanAggregate(node, ctx);
    case "treeAggregate": {
      const top = treeCombine([...lower(node.input, ctx)], node.aggs, node.splitEvery, ctx);
      return [add(ctx, name(ctx, "agg-finalize"), task(ops.aggFinalize, top.map(ref), node.aggs))];
    }
    case "splitAggregate":
      return lowerSplitAggregate(node, ctx);
    case "broadcast": {
      const input = lower(node.input, ctx);
      if (input.length === 1) return input;
      return [add(ctx, name(ctx, "broadcast"), task(ops.concatAll, input.map(ref)))];
    }
    case "broadcastJoin":
      return lowerBroadcastJoin(node, ctx);
    case "hashShuffle":
      return lowerHashShuffle(node, ctx);
    case "shuffleJoin": {
      const { leftOn, rightOn, how, suffix } = node;
      const ls = lower(node.left, ctx);
      const rs = lower(node.right, ctx);
      return ls.map((l, j) =>
        add(
          ctx,
          `${name(ctx, "join")}-${j}`,
          task(ops.join, ref(l), ref(rs[j]!), leftOn, rightOn, how, suffix),
        ),
      );
    }
    case "rangeShuffle":
      return lowerRangeShuffle(node, ctx);
    case "sortPartitions": {
      const { by, ascending, nullsFirst } = node;
      return each(lower(node.input, ctx), "sort", ctx, (k) =>
        task(ops.sortPart, ref(k), by, ascending, nullsFirst),
      );
    }
    case "repartition":
      return lowerRepartition(lower(node.input, ctx), node.npartitions, ctx);
    case "concat":
      return node.inputs.flatMap((p) => lower(p, ctx));
    case "mapPartitions": {
      const shipped = shipFunction(node.fn);
      const { arrow, inputSchema } = node;
      return each(lower(node.input, ctx), shipped.name, ctx, (k) =>
        task(ops.applyUser, shipped, arrow, inputSchema, ref(k)),
      );
    }
    case "sample": {
      const { size, seed } = node;
      const input = lower(node.input, ctx);
      if ("frac" in size) {
        return input.map((k, part) =>
          add(ctx, name(ctx, "sample"), task(ops.samplePart, ref(k), size.frac, seed, part)),
        );
      }
      const parts = input.map((k, part) =>
        add(ctx, name(ctx, "sample"), task(ops.sampleCandidates, ref(k), size.n, seed, part)),
      );
      return [add(ctx, name(ctx, "sample"), task(ops.sampleTake, parts.map(ref), size.n))];
    }
    case "limit": {
      const n = node.n;
      const parts = each(lower(node.input, ctx), "limit", ctx, (k) => task(ops.limit, ref(k), n));
      if (parts.length === 1) return parts;
      return [add(ctx, name(ctx, "head"), task(ops.limitAll, parts.map(ref), n))];
    }
    case "window":
      return lowerWindow(node, lower(node.input, ctx), ctx);
    default:
      return node satisfies never;
  }
}

/** One task per input key, made by `make`. */
function each(
  inputs: readonly Key[],
  kind: string,
  ctx: LowerContext,
  make: (k: Key, i: number) => GraphNode,
): Key[] {
  const base = name(ctx, kind);
  return inputs.map((k, i) => add(ctx, `${base}-${i}`, make(k, i)));
}

function lowerScan(node: ScanNode, ctx: LowerContext): Key[] {
  const { columns, filters } = node;
  const base = name(ctx, node.access === "memory" ? "from-records" : `read-${node.reader}`);
  return node.parts.map((part, i) => {
    switch (node.access) {
      case "memory": {
        const d = add(ctx, `${base}-data-${i}`, data(part));
        return add(ctx, `${base}-${i}`, task(ops.readMemory, ref(d), columns));
      }
      case "persisted":
        return add(ctx, `${base}-${i}`, task(ops.readMemory, ref(part as Key), columns));
      case "reader":
        return add(ctx, `${base}-${i}`, task(readerOf(node.reader).read, part, columns, filters));
      default:
        return node.access satisfies never;
    }
  });
}

/**
 * A P2P shuffle's two layers: a transfer task per input (its key bound to its worker: the
 * manifest names files there; protocol/shuffle.ts), then an output task per partition that
 * reads piece j of every manifest. O(n + m) tasks; the pieces never become task results.
 */
function p2pLayers(
  inputs: readonly Key[],
  n: number,
  ctx: LowerContext,
  transfer: (k: Key, shuffle: string, part: number) => GraphNode,
  unpack: (manifests: readonly unknown[], j: number) => GraphNode = (refs, j) =>
    task(p2pOps.p2pUnpack, refs, j),
): Key[] {
  const shuffle = name(ctx, "shuffle");
  const base = `${TRANSFER_KEY_PREFIX}${shuffle}`;
  const manifests = inputs.map((k, i) => add(ctx, `${base}-${i}`, transfer(k, shuffle, i)));
  const refs = manifests.map(ref);
  const out = name(ctx, "p2p-unpack");
  return Array.from({ length: n }, (_, j) => add(ctx, `${out}-${j}`, unpack(refs, j)));
}

/** Map side and reduce side of a hash shuffle into `npartitions` by `keys`. */
function lowerHashShuffle(node: HashShuffleNode, ctx: LowerContext): Key[] {
  const { keys, asFloat, npartitions: n } = node;
  if (node.method === "p2p") {
    return p2pLayers(lower(node.input, ctx), n, ctx, (k, shuffle, part) =>
      task(p2pOps.p2pHashTransfer, ref(k), keys, n, asFloat, shuffle, part),
    );
  }
  const splits = each(lower(node.input, ctx), "hash-split", ctx, (k) =>
    task(ops.hashSplit, ref(k), keys, n, asFloat),
  );
  const base = name(ctx, "shuffle");
  const refs = splits.map(ref);
  return Array.from({ length: n }, (_, j) =>
    add(ctx, `${base}-${j}`, task(ops.pickConcat, refs, j)),
  );
}

/** Keys reduced `every` at a time until at most `every` remain. */
function treeCombine(
  level: Key[],
  aggs: readonly AggSpec[],
  every: number,
  ctx: LowerContext,
): Key[] {
  while (level.length > every) {
    const base = name(ctx, "agg-combine");
    const next: Key[] = [];
    for (let i = 0; i < level.length; i += every) {
      next.push(
        add(
          ctx,
          `${base}-${next.length}`,
          task(ops.aggCombine, level.slice(i, i + every).map(ref), aggs),
        ),
      );
    }
    level = next;
  }
  return level;
}

/**
 * The reader's aggregate task per part: read, steps and partial aggregation in one task. A
 * join step's small side is lowered on its own, and the step given a graph reference to it,
 * which the graph resolves to the concatenated batch before the task runs.
 */
function lowerScanAggregate(node: ScanAggregateNode, ctx: LowerContext): Key[] {
  const { scan, keys, aggs } = node;
  const aggregate = readerOf(scan.reader).aggregate!;
  const steps = node.steps.map(
    (s): RowOp =>
      s.op === "join" ? ({ ...s, right: ref(lower(s.right, ctx)[0]!) } as unknown as RowOp) : s,
  );
  const base = name(ctx, "agg-partial");
  return scan.parts.map((part, i) =>
    add(ctx, `${base}-${i}`, task(aggregate, part, scan.columns, scan.filters, steps, keys, aggs)),
  );
}

function lowerSplitAggregate(node: SplitAggregateNode, ctx: LowerContext): Key[] {
  const { aggs, splitEvery, npartitions: splitOut } = node;
  const partials = lower(node.input, ctx);
  if (node.method === "p2p") {
    return p2pLayers(
      partials,
      splitOut,
      ctx,
      (k, shuffle, part) => task(p2pOps.p2pAggTransfer, ref(k), splitOut, shuffle, part),
      (refs, j) => task(p2pOps.p2pAggUnpack, refs, j, aggs, splitEvery),
    );
  }
  const splits = each(partials, "agg-split", ctx, (k) => task(ops.aggSplit, ref(k), splitOut));
  const out: Key[] = [];
  for (let j = 0; j < splitOut; j++) {
    const base = name(ctx, `agg-pick${j}`);
    const first: Key[] = [];
    for (let i = 0; i < splits.length; i += splitEvery) {
      const chunk = splits.slice(i, i + splitEvery).map(ref);
      first.push(add(ctx, `${base}-${first.length}`, task(ops.aggCombinePick, chunk, j, aggs)));
    }
    const top = treeCombine(first, aggs, splitEvery, ctx);
    out.push(add(ctx, name(ctx, "agg-finalize"), task(ops.aggFinalize, top.map(ref), aggs)));
  }
  return out;
}

/** Each partition of the other side joined with the broadcast side's one batch. */
function lowerBroadcastJoin(node: BroadcastJoinNode, ctx: LowerContext): Key[] {
  const { leftOn, rightOn, how, suffix } = node;
  const left = lower(node.left, ctx);
  const right = lower(node.right, ctx);
  const joinTask = (l: Key, r: Key) => task(ops.join, ref(l), ref(r), leftOn, rightOn, how, suffix);
  if (node.broadcast === "right") return each(left, "join", ctx, (l) => joinTask(l, right[0]!));
  return each(right, "join", ctx, (r) => joinTask(left[0]!, r));
}

/**
 * Sampled boundaries, then each partition split by range; output j concatenates piece j of
 * every partition (each output is then sorted by the node above).
 */
function lowerRangeShuffle(node: RangeShuffleNode, ctx: LowerContext): Key[] {
  const { by, ascending, nullsFirst, samples: perPart } = node;
  const inputs = lower(node.input, ctx);
  const n = node.npartitions;
  const samples = each(inputs, "sort-sample", ctx, (k) =>
    task(ops.sampleKeys, ref(k), by, perPart),
  );
  const bounds = add(
    ctx,
    name(ctx, "sort-bounds"),
    task(ops.boundaries, samples.map(ref), by, ascending, n, nullsFirst),
  );
  if (node.method === "p2p") {
    return p2pLayers(inputs, n, ctx, (k, shuffle, part) =>
      task(
        p2pOps.p2pRangeTransfer,
        ref(k),
        ref(bounds),
        by,
        ascending,
        n,
        nullsFirst,
        shuffle,
        part,
      ),
    );
  }
  const splits = each(inputs, "range-split", ctx, (k) =>
    task(ops.rangeSplit, ref(k), ref(bounds), by, ascending, n, nullsFirst),
  );
  const base = name(ctx, "sort-gather");
  return Array.from({ length: n }, (_, j) =>
    add(ctx, `${base}-${j}`, task(ops.pickConcat, splits.map(ref), j)),
  );
}

function lowerRepartition(inputs: readonly Key[], n: number, ctx: LowerContext): Key[] {
  const m = inputs.length;
  const base = name(ctx, "repartition");
  if (n <= m) {
    return Array.from({ length: n }, (_, j) => {
      const group = inputs.slice(Math.floor((j * m) / n), Math.floor(((j + 1) * m) / n));
      return add(ctx, `${base}-${j}`, task(ops.concatAll, group.map(ref)));
    });
  }
  const out: Key[] = [];
  inputs.forEach((k, i) => {
    const pieces = Math.floor(((i + 1) * n) / m) - Math.floor((i * n) / m);
    const split = add(ctx, `${base}-split-${i}`, task(ops.splitRows, ref(k), pieces));
    for (let p = 0; p < pieces; p++) {
      out.push(add(ctx, `${base}-${out.length}`, task(ops.pickConcat, [ref(split)], p)));
    }
  });
  return out;
}
