/**
 * Partials of a reduction whose expression reads one square-gridded 2-d array X both as X and
 * as X.T (`x.add(x.T).mean({ axis: 0 })`): blocks (i, j) and (j, i) of the expression read the
 * same two chunks, X[i, j] and X[j, i], so one task makes both blocks' partials and every
 * element of X is read (or, for a random X, generated) once instead of twice. A diagonal block
 * reads its one chunk once the same way, tile (p, q) beside tile (q, p).
 *
 * The chunks go in 64 x 64 tiles, small enough to stay in cache: tile (r0, c0) of A = X[i, j]
 * and tile (c0, r0) of B = X[j, i] give block (i, j)'s rows r0.. (a 64-row slab, into its
 * columns c0..) and block (j, i)'s rows c0.. (into its columns r0..). Each slot sums at most 64
 * elements of a tile plainly, and tiles meet compensated in slab order, which is exactly the
 * grouping and order of the one-block path (reduce-block.ts), so sums, means and variances
 * along axis 0 come out bit for bit the same as unpaired.
 *
 * The fold over a tile is generated per expression with its strides in the loop (one operand
 * row-major, the other column-major over a tile in cache) and four columns' sums in registers,
 * so an element costs its two loads and the expression's arithmetic, without the general
 * kernels' per-dimension offsets or a store per element. A random X's tiles are made one
 * generator call each, straight into the generator's memory (two tile slots), never copied.
 */
import { type AnyTypedArray, alloc, type DType, isFloat } from "../dtype.js";
import type { AggName, ReduceSpec } from "../reduce-spec.js";
import type { MapSpec } from "./block.js";
import { exprCode } from "./block.js";
import { H } from "./codegen.js";
import { foldSlots, type WasmTileFold, wasmTileFold } from "./fold-wasm.js";
import { uniformRows, uniformTile } from "./random.js";
import { generate, type InlineChunk, isInline } from "./readers.js";
import { addComp, type Partial } from "./reduce.js";
import { PLAIN_IN_SLABS } from "./reduce-block.js";

/** Rows and columns of a tile: the slab height of the one-block path's column sums. */
export const PAIR_TILE = 64;

/**
 * Whether a reduction of values of dtype `t` by `spec` over a 2-d block can go by tiles here:
 * the sums, means and variances over floats (the one-block path's plain slabs), along axis 0 or
 * both axes.
 */
export function pairable(spec: ReduceSpec, t: DType): boolean {
  const axes = spec.axes.join(",");
  return PLAIN_IN_SLABS.has(spec.agg) && isFloat(t) && (axes === "0" || axes === "0,1");
}

/**
 * A tile's fold: for c < w and r < h, the value of the expression with operands read as X at
 * P[po + r * ps + c] and as X.T at Q[qo + c * qs + r], folded into slot c of the accumulators.
 */
type Fold = (
  P: AnyTypedArray,
  po: number,
  ps: number,
  Q: AnyTypedArray,
  qo: number,
  qs: number,
  h: number,
  w: number,
  A: readonly Float64Array[],
  K: readonly unknown[],
) => void;

/**
 * What a fold does per slot, in locals: `init` before a slot's rows (its slot `p#` in scope),
 * `body` per value `v`, `flush` after; `#` is the slot's lane.
 */
interface SlotFold {
  readonly setup: string;
  readonly init: string;
  readonly body: string;
  readonly flush: string;
}

/** Slots folded side by side: four columns' sums stay in registers while their rows go by. */
const LANES = 4;

const folds = new Map<string, Fold>();

/**
 * The fold for operands read as X (`roles[k]` true) or X.T, compiled once per thread. Columns
 * go LANES at a time, each lane summing its slot over the tile's rows in row order (the order
 * of the one-block path), the leftover columns one at a time.
 */
function foldOf(roles: readonly boolean[], nconst: number, expr: string, s: SlotFold): Fold {
  const key = `${roles.map((r) => (r ? "x" : "t")).join("")}|${nconst}|${expr}|${s.setup}|${s.init}|${s.body}|${s.flush}`;
  let f = folds.get(key);
  if (f !== undefined) return f;
  const lane = (l: number) => {
    const offs = roles
      .map((x, k) => `const o${k} = ${x ? `ix + ${l}` : l === 0 ? "it" : `it + q${l}`};`)
      .join(" ");
    return `{ ${offs} const v = ${expr}; ${s.body.replaceAll("#", String(l))} }`;
  };
  const block = (n: number) => {
    const ls = Array.from({ length: n }, (_, l) => l);
    const each = (t: string) => ls.map((l) => t.replaceAll("#", String(l))).join(" ");
    const slots = ls.map((l) => `const p${l} = c + ${l};`).join(" ");
    return `${slots} ${each(s.init)} let ix = po + c; let it = qo + c * qs; for (let r = 0; r < h; r++) { ${ls.map(lane).join(" ")} ix += ps; it++; } ${each(s.flush)}`;
  };
  const lines: string[] = [];
  for (const [k, x] of roles.entries()) lines.push(`const in${k} = ${x ? "P" : "Q"};`);
  for (let j = 0; j < nconst; j++) lines.push(`const k${j} = K[${j}];`);
  for (let l = 1; l < LANES; l++) lines.push(`const q${l} = ${l} * qs;`);
  lines.push(s.setup);
  lines.push(
    "let c = 0;",
    `for (; c + ${LANES} <= w; c += ${LANES}) { ${block(LANES)} }`,
    `for (; c < w; c++) { ${block(1)} }`,
  );
  const fn = new Function(
    "H",
    "P",
    "po",
    "ps",
    "Q",
    "qo",
    "qs",
    "h",
    "w",
    "A",
    "K",
    lines.join("\n"),
  ) as (h: typeof H, ...rest: Parameters<Fold>) => void;
  f = (P, po, ps, Q, qo, qs, h, w, A, K) => fn(H, P, po, ps, Q, qo, qs, h, w, A, K);
  folds.set(key, f);
  return f;
}

/** The folds of one reduction and its accumulators, made once per task. */
interface Folder {
  readonly agg: AggName;
  readonly moments: boolean;
  /** Slots count their non-NaN values (otherwise every slot counts the tile's rows). */
  readonly counted: boolean;
  /** Pass 1: plain sums (and counts of non-NaN values for nanmean, nanvar, nanstd). */
  readonly sum: Fold;
  /** Pass 2 of var/std: squared deviations from the tile's slot means. */
  readonly dev: Fold | undefined;
  /** The same passes in WebAssembly, for tiles in the generator's memory (fold-wasm.ts). */
  readonly wsum: WasmTileFold | undefined;
  readonly wdev: WasmTileFold | undefined;
  readonly K: readonly unknown[];
  /** Pass 1's accumulators [sum, count] and pass 2's [mean, m2], one tile wide. */
  readonly a: Float64Array[];
  readonly d: Float64Array[];
}

/**
 * The one-block path's plain bodies (reduce.ts firstPass with plain adds; reduceRows' second
 * pass), with each slot's sum in a local from zero: the same additions in the same order.
 */
function folderOf(map: MapSpec, spec: ReduceSpec): Folder {
  const roles = map.dims.map((d) => d[0] === 0);
  const code = exprCode(map.expr);
  const agg = spec.agg;
  const counted = agg === "nanmean" || agg === "nanvar" || agg === "nanstd";
  const moments = agg.includes("var") || agg.includes("std");
  const guard = agg.startsWith("nan") ? "if (v === v) " : "";
  const sum = foldOf(roles, code.consts.length, code.src, {
    setup: "const a = A[0], m = A[1];",
    init: counted ? "let s# = 0, n# = 0;" : "let s# = 0;",
    body: counted ? `${guard}{ s# += v; n# += 1; }` : `${guard}s# += v;`,
    flush: counted ? "a[p#] = s#; m[p#] = n#;" : "a[p#] = s#;",
  });
  const dev = moments
    ? foldOf(roles, code.consts.length, code.src, {
        setup: "const mu = A[0], s2 = A[1];",
        init: "const mu# = mu[p#]; let d# = 0;",
        body: `${guard}{ const d = v - mu#; d# += d * d; }`,
        flush: "s2[p#] = d#;",
      })
    : undefined;
  const T = PAIR_TILE;
  // NaN-skipping reductions count per slot: the JavaScript fold only.
  const wsum = counted ? null : wasmTileFold(map.expr, roles, "sum");
  const wdev = wsum !== null && moments ? wasmTileFold(map.expr, roles, "dev") : null;
  return {
    agg,
    moments,
    counted,
    sum,
    dev,
    wsum: wsum ?? undefined,
    wdev: wdev ?? undefined,
    K: code.consts,
    a: [new Float64Array(T), new Float64Array(T)],
    d: [new Float64Array(T), new Float64Array(T)],
  };
}

/**
 * A block's running partial over its columns: [sum, compensation] for sums, [sum,
 * compensation, count] for means, [count, mean, m2] for var and std.
 */
function totals(f: Folder, n: number): Float64Array[] {
  const k = f.agg === "sum" || f.agg === "nansum" ? 2 : 3;
  return Array.from({ length: k }, () => new Float64Array(n));
}

/**
 * Folds one tile into `tot` at columns [at, at + w): h rows of the expression with X read at
 * P (row stride ps) and X.T at Q (row stride qs). `first`: the tile is the slot's first, so
 * the slot takes its values as they are (the one-block path starts from its first slab's).
 */
function foldTile(
  f: Folder,
  P: AnyTypedArray,
  po: number,
  ps: number,
  Q: AnyTypedArray,
  qo: number,
  qs: number,
  h: number,
  w: number,
  tot: Float64Array[],
  at: number,
  first: boolean,
): void {
  // Tiles the generator left in its memory fold there, into its scratch slots.
  const S = f.wsum !== undefined ? foldSlots() : null;
  const wasm =
    S !== null &&
    P.buffer === S.buffer &&
    Q.buffer === S.buffer &&
    (!f.moments || f.wdev !== undefined);
  const a = wasm ? S.out : f.a[0]!;
  const m = f.a[1]!;
  if (!f.counted) m.fill(h, 0, w);
  const B = P.BYTES_PER_ELEMENT;
  if (wasm) f.wsum!(P.byteOffset + po * B, ps * B, Q.byteOffset + qo * B, qs * B, h, w);
  else f.sum(P, po, ps, Q, qo, qs, h, w, f.a, f.K);
  if (!f.moments) {
    const ts = tot[0]!;
    const tc = tot[1]!;
    for (let p = 0; p < w; p++) {
      if (first) ts[at + p] = a[p]!;
      else addComp(ts, tc, at + p, a[p]!, 0);
    }
    if (tot.length === 3) {
      const tm = tot[2]!;
      for (let p = 0; p < w; p++) tm[at + p] = first ? m[p]! : tm[at + p]! + m[p]!;
    }
    return;
  }
  const mu = wasm ? S.mu : f.d[0]!;
  for (let p = 0; p < w; p++) mu[p] = a[p]! / m[p]! + 0 / m[p]!;
  if (wasm) f.wdev!(P.byteOffset + po * B, ps * B, Q.byteOffset + qo * B, qs * B, h, w);
  else f.dev!(P, po, ps, Q, qo, qs, h, w, f.d, f.K);
  const s2 = wasm ? S.out : f.d[1]!;
  for (let p = 0; p < w; p++) chan(tot, at + p, m[p]!, mu[p]!, s2[p]!);
}

/** Chan's merge of (count, mean, m2) into slot i of [count, mean, m2] (reduce.ts combineSlot). */
function chan(o: Float64Array[], i: number, nb: number, mb: number, m2b: number): void {
  const cnt = o[0]!;
  const mean = o[1]!;
  const m2 = o[2]!;
  if (nb === 0) return;
  const na = cnt[i]!;
  if (na === 0) {
    cnt[i] = nb;
    mean[i] = mb;
    m2[i] = m2b;
    return;
  }
  const n = na + nb;
  const ma = mean[i]!;
  const d = mb - ma;
  cnt[i] = n;
  mean[i] = ma + (d * nb) / n;
  m2[i] = m2[i]! + m2b + (d * d * na * nb) / n;
}

/** A block's partial as the reduction wants it: its columns, or all in one slot. */
function finishBlock(f: Folder, tot: Float64Array[], all: boolean): Partial {
  if (!all) return tot;
  const one = totals(f, 1);
  for (let i = 0; i < tot[0]!.length; i++) {
    if (f.moments) chan(one, 0, tot[0]![i]!, tot[1]![i]!, tot[2]![i]!);
    else {
      addComp(one[0]!, one[1]!, 0, tot[0]![i]!, tot[1]![i]!);
      if (one.length === 3) one[2]![0] = one[2]![0]! + tot[2]![i]!;
    }
  }
  return one;
}

/**
 * A chunk's values one tile at a time, made in place (inline) or read where they lie: `tile`
 * sets `arr`, `off` and `stride` (its row stride) to where tile rows [r0, r0 + h) x columns
 * [c0, c0 + w) lie.
 */
interface TileSource {
  arr: AnyTypedArray;
  off: number;
  stride: number;
  tile(r0: number, h: number, c0: number, w: number): void;
}

/**
 * `slots`: the generator's tile slots this source may leave its tiles in, taking turns (one per
 * tile it holds at once; sources held at once take different slots).
 */
function sourceOf(x: unknown, shape: readonly number[], slots: readonly number[]): TileSource {
  if (!isInline(x)) {
    const cols = shape[1]!;
    const src: TileSource = {
      arr: x as AnyTypedArray,
      off: 0,
      stride: cols,
      tile: (r0, _h, c0) => {
        src.off = r0 * cols + c0;
      },
    };
    return src;
  }
  const chunk = x as InlineChunk;
  const info = chunk.info;
  const T = PAIR_TILE;
  // Two buffers taking turns: a diagonal block holds tile (p, q) and tile (q, p) at once.
  const bufs = [alloc(info.dtype, T * T), alloc(info.dtype, T * T)];
  let turn = 0;
  const src: TileSource = { arr: bufs[0]!, off: 0, stride: 0, tile: () => {} };
  const reader = chunk.inline;
  if (reader.r === "random" && reader.d.dist === "random" && info.dtype === "float64") {
    // Uniforms straight from the generator: tile row r is a run of the array's row.
    const rowLen = info.arrayShape[1]!;
    const g0 = info.start[0]! * rowLen + info.start[1]!;
    let slot = 0;
    src.tile = (r0, h, c0, w) => {
      const g = g0 + r0 * rowLen + c0;
      // In the generator's memory where it can (no copy), else into a buffer.
      const view = uniformTile(slots[slot]!, g, rowLen, h, w, reader.seed);
      slot = (slot + 1) % slots.length;
      if (view !== null) src.arr = view;
      else {
        const buf = bufs[turn]! as Float64Array;
        turn ^= 1;
        uniformRows(buf, g, rowLen, h, w, reader.seed);
        src.arr = buf;
      }
      src.stride = w;
    };
    return src;
  }
  src.tile = (r0, h, c0, w) => {
    const buf = bufs[turn]!;
    turn ^= 1;
    const view = h * w === buf.length ? buf : buf.subarray(0, h * w);
    generate(
      reader,
      { ...info, shape: [h, w], start: [info.start[0]! + r0, info.start[1]! + c0] },
      view,
    );
    src.arr = view;
    src.stride = w;
  };
  return src;
}

/**
 * The partials of blocks (i, j) and (j, i) of the expression (`inputs`: chunks X[i, j] and
 * X[j, i], arrays or inline chunks; `shape`: X[i, j]'s), or of diagonal block (i, i) when
 * `inputs` holds X[i, i] alone.
 */
export function reducePair(
  map: MapSpec,
  spec: ReduceSpec,
  inputs: readonly unknown[],
  shape: readonly number[],
): Partial[] {
  const f = folderOf(map, spec);
  const all = spec.axes.length === 2;
  const [m, n] = shape as [number, number];
  const T = PAIR_TILE;
  if (inputs.length === 1) {
    const src = sourceOf(inputs[0], shape, [0, 1]);
    const tot = totals(f, n);
    for (let p = 0; p < m; p += T) {
      const h = Math.min(T, m - p);
      for (let q = p; q < n; q += T) {
        const w = Math.min(T, n - q);
        src.tile(p, h, q, w);
        const P = src.arr;
        const po = src.off;
        const ps = src.stride;
        if (q === p) {
          foldTile(f, P, po, ps, P, po, ps, h, w, tot, q, p === 0);
          continue;
        }
        src.tile(q, w, p, h);
        // Block rows p.. into columns q.., then rows q.. into columns p..: each column meets
        // its slabs in order (see the file's comment).
        foldTile(f, P, po, ps, src.arr, src.off, src.stride, h, w, tot, q, p === 0);
        foldTile(f, src.arr, src.off, src.stride, P, po, ps, w, h, tot, p, false);
      }
    }
    return [finishBlock(f, tot, all)];
  }
  const a = sourceOf(inputs[0], shape, [0]);
  const b = sourceOf(inputs[1], [n, m], [1]);
  const t1 = totals(f, n);
  const t2 = totals(f, m);
  for (let r0 = 0; r0 < m; r0 += T) {
    const h = Math.min(T, m - r0);
    for (let c0 = 0; c0 < n; c0 += T) {
      const w = Math.min(T, n - c0);
      a.tile(r0, h, c0, w);
      b.tile(c0, w, r0, h);
      foldTile(f, a.arr, a.off, a.stride, b.arr, b.off, b.stride, h, w, t1, c0, r0 === 0);
      foldTile(f, b.arr, b.off, b.stride, a.arr, a.off, a.stride, w, h, t2, r0, c0 === 0);
    }
  }
  return [finishBlock(f, t1, all), finishBlock(f, t2, all)];
}
