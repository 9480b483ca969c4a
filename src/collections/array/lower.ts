/**
 * Lowering an array's plan to a task graph: one key per chunk, in C order of the chunk grid.
 * A plan node reached twice (x and x.T in one expression) is lowered once. A map is one task
 * per chunk whatever its expression; a reduction over a map folds the map into its per-chunk
 * partial task, so `x.add(x.T).mean({ axis: 0 })` never holds x + x.T. Sources that are pure
 * functions of the chunk's place (random numbers, fills, ranges) are made inside the map or
 * partial task that reads them, into reused scratch memory, rather than as tasks of their own.
 */
import { data, type GraphNode, ref, task } from "../../graph/spec.js";
import { type Chunks, chunkIndices, chunkShape, flatIndex, offsets } from "./chunks.js";
import { isFloat } from "./dtype.js";
import type { MapSpec } from "./exec/block.js";
import type { Piece } from "./exec/copy.js";
import { type InlineChunk, isGenerated } from "./exec/readers.js";
import type { Expr } from "./expr.js";
import { lowerReduce } from "./lower-reduce.js";
import { arrayOps } from "./ops.js";
import type { ArrayPlan, ChunkInfo, Operand } from "./plan.js";

/** The graph under construction. */
export interface LowerContext {
  readonly graph: Map<string, GraphNode>;
  readonly prefix: string;
  readonly memo: Map<ArrayPlan, string[]>;
  /** A source's read tasks made so far, by flat chunk index (sourceChunk). */
  readonly reads: Map<ArrayPlan, Map<number, string>>;
  count: number;
}

export function newContext(prefix: string): LowerContext {
  return { graph: new Map(), prefix, memo: new Map(), reads: new Map(), count: 0 };
}

/** A node added to the graph under a fresh key; its key. */
export function add(ctx: LowerContext, name: string, node: GraphNode): string {
  const key = `array-${name}-${ctx.prefix}-${(ctx.count++).toString(36)}`;
  ctx.graph.set(key, node);
  return key;
}

/** Where chunk `idx` of an array sits. */
export function infoOf(plan: ArrayPlan, idx: readonly number[]): ChunkInfo {
  return {
    index: [...idx],
    shape: chunkShape(plan.chunks, idx),
    start: idx.map((i, d) => offsets(plan.chunks[d]!)[i]!),
    arrayShape: plan.shape,
    dtype: plan.dtype,
  };
}

/** One key per chunk of `plan`, C order. */
export function lowerKeys(plan: ArrayPlan, ctx: LowerContext): string[] {
  const done = ctx.memo.get(plan);
  if (done !== undefined) return done;
  const keys = lowerNode(plan, ctx);
  ctx.memo.set(plan, keys);
  return keys;
}

function lowerNode(plan: ArrayPlan, ctx: LowerContext): string[] {
  switch (plan.kind) {
    case "source":
      if (plan.reader.r === "blocks")
        return plan.reader.blocks.map((b) => add(ctx, "from-array", data(b)));
      return chunkIndices(plan.chunks).map((idx) => sourceChunk(plan, idx, ctx));
    case "keys":
      for (const [k, node] of plan.graph ?? []) ctx.graph.set(k, node as GraphNode);
      return [...plan.keys];
    case "map":
      return lowerMap(plan, ctx);
    case "reduce":
      return lowerReduce(plan, ctx);
    case "rechunk":
      return lowerRechunk(plan.input, plan.chunks, ctx);
    case "slice":
      return lowerSlice(plan, ctx);
    case "take":
      return lowerTake(plan, ctx);
    case "reshape":
      return lowerReshape(plan, ctx);
    case "concat":
      return lowerConcat(plan, ctx);
    case "matmul":
      return lowerMatmul(plan, ctx);
    case "cumulative":
      return lowerCumulative(plan, ctx);
    case "histogram":
      return [lowerHistogram(plan, ctx)];
    case "blocks": {
      const inputs = plan.inputs.map((p) => lowerKeys(p, ctx));
      return chunkIndices(plan.chunks).map((idx, f) => {
        const shapes = plan.inputs.map((p) => chunkShape(p.chunks, idx));
        return add(
          ctx,
          plan.fn.name,
          task(
            arrayOps.userBlocks,
            plan.fn,
            inputs.map((k) => ref(k[f]!)),
            shapes,
            infoOf(plan, idx),
          ),
        );
      });
    }
    default:
      return plan satisfies never;
  }
}

/** The read task of one chunk of a source, made once per lowering. */
function sourceChunk(
  plan: ArrayPlan & { kind: "source" },
  idx: readonly number[],
  ctx: LowerContext,
): string {
  let made = ctx.reads.get(plan);
  if (made === undefined) ctx.reads.set(plan, (made = new Map()));
  const f = flatIndex(plan.chunks, idx);
  let key = made.get(f);
  if (key === undefined) {
    key = readChunk(plan, idx, ctx);
    made.set(f, key);
  }
  return key;
}

/** The task (or tasks) that read chunk `idx` of a source; the key of the chunk. */
function readChunk(
  plan: ArrayPlan & { kind: "source" },
  idx: readonly number[],
  ctx: LowerContext,
): string {
  const info = infoOf(plan, idx);
  if (plan.reader.r === "call") {
    // The reader is the task's function itself, so it ships by its module reference; its
    // chunk is checked by the task that reads it (ops.ts `checked`).
    const { fn, arg } = plan.reader;
    const raw = add(ctx, fn.name || "reader", task(fn, arg, info));
    return add(ctx, "checked", task(arrayOps.checked, ref(raw), info));
  }
  return add(ctx, plan.reader.r, task(arrayOps.read, plan.reader, info));
}

/**
 * The key of chunk `idx` of `plan`. A source read per chunk (a Zarr store, a user function)
 * gets only that chunk's task, so a slice of a large store lowers to the reads it needs.
 */
function chunkKey(plan: ArrayPlan, idx: readonly number[], ctx: LowerContext): string {
  if (plan.kind === "source" && plan.reader.r !== "blocks" && !ctx.memo.has(plan))
    return sourceChunk(plan, idx, ctx);
  return lowerKeys(plan, ctx)[flatIndex(plan.chunks, idx)]!;
}

/** The chunk of operand `op` that output chunk `idx` reads (0 along broadcast dimensions). */
function operandChunk(op: Operand, idx: readonly number[]): number[] {
  return op.dims.map((outDim, j) =>
    outDim < 0 || op.plan.chunks[j]!.length === 1 ? 0 : idx[outDim]!,
  );
}

/** The ref of chunk `c` of `plan`, or the inline chunk its consumer makes itself. */
export function chunkRef(plan: ArrayPlan, c: readonly number[], ctx: LowerContext): unknown {
  if (plan.kind === "source" && isGenerated(plan.reader))
    // Made inside the consuming task: no task, no transfer, no fresh memory.
    return { inline: plan.reader, info: infoOf(plan, c) } satisfies InlineChunk;
  return ref(lowerKeys(plan, ctx)[flatIndex(plan.chunks, c)]!);
}

/** For each output chunk: the refs and shapes of its operands' chunks. */
export function operandInputs(
  operands: readonly Operand[],
  idx: readonly number[],
  ctx: LowerContext,
) {
  const refs: unknown[] = [];
  const shapes: number[][] = [];
  for (const op of operands) {
    const c = operandChunk(op, idx);
    shapes.push(chunkShape(op.plan.chunks, c));
    refs.push(chunkRef(op.plan, c, ctx));
  }
  return { refs, shapes };
}

function lowerMap(plan: ArrayPlan & { kind: "map" }, ctx: LowerContext): string[] {
  const spec: MapSpec = { expr: plan.expr, dims: plan.operands.map((o) => o.dims) };
  const shared = add(ctx, "map-spec", data(spec));
  return chunkIndices(plan.chunks).map((idx) => {
    const { refs, shapes } = operandInputs(plan.operands, idx, ctx);
    return add(
      ctx,
      "map",
      task(arrayOps.map, ref(shared), refs, shapes, chunkShape(plan.chunks, idx)),
    );
  });
}

/** A plan as a map spec: a map's own, or the identity over its chunks. */
export function asMap(plan: ArrayPlan): { operands: readonly Operand[]; expr: Expr } {
  if (plan.kind === "map") return { operands: plan.operands, expr: plan.expr };
  return {
    operands: [{ plan, dims: plan.shape.map((_, d) => d) }],
    expr: { e: "in", i: 0, t: plan.dtype },
  };
}

/** For one output range [a, b) along a dimension: the input chunks it overlaps and where. */
function overlaps(
  inLens: readonly number[],
  a: number,
  b: number,
): { chunk: number; from: number; to: number; at: number }[] {
  const off = offsets(inLens);
  const out: { chunk: number; from: number; to: number; at: number }[] = [];
  for (let c = 0; c < inLens.length; c++) {
    const lo = Math.max(a, off[c]!);
    const hi = Math.min(b, off[c + 1]!);
    if (hi > lo || (a === b && c === 0))
      out.push({ chunk: c, from: lo - off[c]!, to: hi - off[c]!, at: lo - a });
  }
  return out;
}

/** Every combination of one entry per dimension. */
function product<T>(lists: readonly (readonly T[])[]): T[][] {
  let acc: T[][] = [[]];
  for (const l of lists) acc = acc.flatMap((prefix) => l.map((x) => [...prefix, x]));
  return acc;
}

/** `input` cut into `chunks` (same shape): each output chunk assembled from the pieces it overlaps. */
export function lowerRechunk(input: ArrayPlan, chunks: Chunks, ctx: LowerContext): string[] {
  const keys = lowerKeys(input, ctx);
  const outOff = chunks.map(offsets);
  return chunkIndices(chunks).map((idx) => {
    const perDim = idx.map((i, d) =>
      overlaps(input.chunks[d]!, outOff[d]![i]!, outOff[d]![i + 1]!),
    );
    const srcs: unknown[] = [];
    const pieces: Piece[] = product(perDim).map((combo, s) => {
      const cidx = combo.map((o) => o.chunk);
      srcs.push(ref(keys[flatIndex(input.chunks, cidx)]!));
      return {
        src: s,
        srcShape: chunkShape(input.chunks, cidx),
        srcStart: combo.map((o) => o.from),
        dstStart: combo.map((o) => o.at),
        count: combo.map((o) => o.to - o.from),
      };
    });
    return add(
      ctx,
      "rechunk",
      task(arrayOps.gather, srcs, pieces, chunkShape(chunks, idx), input.dtype),
    );
  });
}

/** Each output chunk of a slice comes from exactly one input chunk (slice.ts chose the grid so). */
function lowerSlice(plan: ArrayPlan & { kind: "slice" }, ctx: LowerContext): string[] {
  const input = plan.input;
  const inOff = input.chunks.map(offsets);
  const outOff = plan.chunks.map(offsets);
  return chunkIndices(plan.chunks).map((idx) => {
    const cidx: number[] = [];
    const start: number[] = [];
    idx.forEach((i, d) => {
      const s = plan.slices[d]!;
      const first = s.start + s.step * outOff[d]![i]!;
      const c = Math.max(0, offsets(input.chunks[d]!).findIndex((o, k) => k > 0 && first < o) - 1);
      cidx.push(plan.shape[d] === 0 ? 0 : c);
      start.push(plan.shape[d] === 0 ? 0 : first - inOff[d]![c]!);
    });
    return add(
      ctx,
      "slice",
      task(
        arrayOps.slice,
        ref(chunkKey(input, cidx, ctx)),
        chunkShape(input.chunks, cidx),
        start,
        plan.slices.map((s) => s.step),
        chunkShape(plan.chunks, idx),
        plan.dtype,
      ),
    );
  });
}

function lowerTake(plan: ArrayPlan & { kind: "take" }, ctx: LowerContext): string[] {
  const input = plan.input;
  const keys = lowerKeys(input, ctx);
  const ax = plan.axis;
  const inOff = offsets(input.chunks[ax]!);
  const outOff = offsets(plan.chunks[ax]!);
  return chunkIndices(plan.chunks).map((idx) => {
    const wanted = plan.index.slice(outOff[idx[ax]!]!, outOff[idx[ax]! + 1]!);
    const used = new Map<number, number>();
    const srcs: unknown[] = [];
    const shapes: number[][] = [];
    const picks = wanted.map((g): [number, number] => {
      const c = inOff.findIndex((o, k) => k > 0 && g < o) - 1;
      let s = used.get(c);
      if (s === undefined) {
        s = srcs.length;
        used.set(c, s);
        const cidx = idx.map((i, d) => (d === ax ? c : i));
        srcs.push(ref(keys[flatIndex(input.chunks, cidx)]!));
        shapes.push(chunkShape(input.chunks, cidx));
      }
      return [s, g - inOff[c]!];
    });
    return add(
      ctx,
      "take",
      task(arrayOps.take, srcs, shapes, picks, ax, chunkShape(plan.chunks, idx), plan.dtype),
    );
  });
}

/**
 * Reshape over flat ranges: the input is rechunked along its first axis only (plan.ts makes
 * the output so too), so every chunk on both sides is a contiguous range of the C-order
 * elements, and an output chunk is the input ranges it overlaps, appended.
 */
function lowerReshape(plan: ArrayPlan & { kind: "reshape" }, ctx: LowerContext): string[] {
  const input = plan.input;
  const inner = (shape: readonly number[]) => shape.slice(1).reduce((a, b) => a * b, 1);
  const rows = input.shape.length === 0 ? [1] : input.chunks[0]!;
  const inChunks: number[][] =
    input.shape.length === 0 ? [] : [[...rows], ...input.shape.slice(1).map((n) => [n])];
  const inKeys =
    input.shape.length === 0 ? lowerKeys(input, ctx) : lowerRechunk(input, inChunks, ctx);
  const inFlat = offsets(input.shape.length === 0 ? [1] : rows.map((r) => r * inner(input.shape)));
  const outRows = plan.shape.length === 0 ? [1] : plan.chunks[0]!;
  const outFlat = offsets(
    plan.shape.length === 0 ? [1] : outRows.map((r) => r * inner(plan.shape)),
  );
  return outRows.map((_, i) => {
    const a = outFlat[i]!;
    const b = outFlat[i + 1]!;
    const srcs: unknown[] = [];
    const ranges: [number, number, number][] = [];
    for (let c = 0; c < inKeys.length; c++) {
      const lo = Math.max(a, inFlat[c]!);
      const hi = Math.min(b, inFlat[c + 1]!);
      if (hi <= lo) continue;
      ranges.push([srcs.length, lo - inFlat[c]!, hi - inFlat[c]!]);
      srcs.push(ref(inKeys[c]!));
    }
    return add(ctx, "reshape", task(arrayOps.flatJoin, srcs, ranges, b - a, plan.dtype));
  });
}

function lowerConcat(plan: ArrayPlan & { kind: "concat" }, ctx: LowerContext): string[] {
  const ax = plan.axis;
  const where: [number, number][] = [];
  plan.inputs.forEach((p, k) => {
    for (let j = 0; j < p.chunks[ax]!.length; j++) where.push([k, j]);
  });
  const inputs = plan.inputs.map((p) => lowerKeys(p, ctx));
  return chunkIndices(plan.chunks).map((idx) => {
    const [k, j] = where[idx[ax]!]!;
    const cidx = idx.map((i, d) => (d === ax ? j : i));
    return inputs[k]![flatIndex(plan.inputs[k]!.chunks, cidx)]!;
  });
}

function lowerMatmul(plan: ArrayPlan & { kind: "matmul" }, ctx: LowerContext): string[] {
  const a = lowerKeys(plan.a, ctx);
  const b = lowerKeys(plan.b, ctx);
  const inner = plan.a.chunks[1]!;
  // Integers and bools are summed exactly, wrapping as NumPy's (exec/matmul-exact.ts).
  const op = isFloat(plan.dtype) ? arrayOps.matmul : arrayOps.matmulExact;
  return chunkIndices(plan.chunks).map(([i, j]) => {
    const as = inner.map((_, p) => ref(a[flatIndex(plan.a.chunks, [i!, p])]!));
    const bs = inner.map((_, p) => ref(b[flatIndex(plan.b.chunks, [p, j!])]!));
    return add(
      ctx,
      "matmul",
      task(op, as, bs, plan.chunks[0]![i!]!, inner, plan.chunks[1]![j!]!, plan.dtype),
    );
  });
}

function lowerCumulative(plan: ArrayPlan & { kind: "cumulative" }, ctx: LowerContext): string[] {
  const input = plan.input;
  const keys = lowerKeys(input, ctx);
  const ax = plan.axis;
  const out = new Array<string>(keys.length);
  const carries = new Map<string, string | null>();
  for (const idx of chunkIndices(input.chunks)) {
    const f = flatIndex(input.chunks, idx);
    const shape = chunkShape(input.chunks, idx);
    const scanned = add(
      ctx,
      `cum${plan.op}-scan`,
      task(arrayOps.scan, ref(keys[f]!), shape, ax, plan.op, plan.dtype),
    );
    const lane = idx.map((i, d) => (d === ax ? "*" : i)).join(",");
    const prev = carries.get(lane) ?? null;
    out[f] = add(
      ctx,
      `cum${plan.op}`,
      task(
        arrayOps.withCarry,
        ref(scanned),
        prev === null ? null : ref(prev),
        shape,
        ax,
        plan.op,
        plan.dtype,
      ),
    );
    const t = add(
      ctx,
      `cum${plan.op}-tail`,
      task(arrayOps.tail, ref(scanned), shape, ax, plan.dtype),
    );
    carries.set(
      lane,
      add(
        ctx,
        `cum${plan.op}-carry`,
        task(arrayOps.carry, prev === null ? null : ref(prev), ref(t), plan.op, plan.dtype),
      ),
    );
  }
  return out;
}

/**
 * One count per chunk (the element-wise work under it fused in, the edges' one chunk and the
 * weights' chunk beside it), then the counts added up in a tree, stored in the result dtype.
 */
function lowerHistogram(plan: ArrayPlan & { kind: "histogram" }, ctx: LowerContext): string {
  const input = plan.input;
  const m = asMap(input);
  const spec: MapSpec = { expr: m.expr, dims: m.operands.map((o) => o.dims) };
  const shared = add(ctx, "histogram-spec", data(spec));
  const edges = ref(lowerKeys(plan.edges, ctx)[0]!);
  const weights = plan.weights === null ? null : lowerKeys(plan.weights, ctx);
  let level = chunkIndices(input.chunks).map((idx) => {
    const { refs, shapes } = operandInputs(m.operands, idx, ctx);
    const w = weights === null ? null : ref(weights[flatIndex(input.chunks, idx)]!);
    return add(
      ctx,
      "histogram-partial",
      task(
        arrayOps.histogram,
        ref(shared),
        refs,
        shapes,
        chunkShape(input.chunks, idx),
        edges,
        plan.equal,
        w,
      ),
    );
  });
  for (;;) {
    const last = level.length <= 8;
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 8) {
      const parts = level.slice(i, i + 8).map(ref);
      next.push(add(ctx, "histogram", task(arrayOps.addCounts, parts, last ? plan.dtype : null)));
    }
    if (last) return next[0]!;
    level = next;
  }
}
