/**
 * A paired reduction's tile fold (reduce-pair.ts) in WebAssembly SIMD, compiled per expression:
 * for each column c < w of a tile, over rows r < h in order, the expression's value with
 * operands read as X at P(r, c) and as X.T at Q(c, r), summed into slot c ("sum"), or its
 * squared deviations from slot c's mean ("dev", var and std's second pass). Two columns share
 * a vector, eight are folded side by side, so a column's additions are the JavaScript fold's,
 * in the same order: the results are bit for bit the same.
 *
 * The module imports the random generator's memory (random-wasm.ts) and works on the tiles the
 * generator left there (tileInBox), so a random X goes from generator to partial sums without
 * a copy. Its slots live in the generator's scratch page: `out` (sums, or squared deviations),
 * `mu` (the means "dev" reads).
 *
 * Expressions of float64 values made of operands, number constants, + - * /, neg, abs, sqrt,
 * floor and ceil compile; anything else (other functions, other dtypes, NaN-skipping
 * reductions) keeps the JavaScript fold.
 */
import type { Expr } from "../expr.js";
import { SCRATCH_AT, wasmFill } from "./random-wasm.js";
import {
  encodeModule,
  F64,
  f64bytes,
  I32,
  instantiate,
  op,
  simd,
  sleb,
  uleb,
  V128,
} from "./wasm-encode.js";

export type FoldMode = "sum" | "dev";

/** fold(po, ps, qo, qs, h, w): offsets and row strides in bytes of the generator's memory. */
export type WasmTileFold = (
  po: number,
  ps: number,
  qo: number,
  qs: number,
  h: number,
  w: number,
) => void;

/** Byte offsets of the slots in the scratch page (64 doubles each). */
const OUT = SCRATCH_AT;
const MU = SCRATCH_AT + 512;
/** Columns per turn of the main loop: four vectors of two. */
const WIDE = 4;

const UNARY_V: Record<string, readonly number[]> = {
  neg: simd.f64x2Neg,
  abs: simd.f64x2Abs,
  sqrt: simd.f64x2Sqrt,
  floor: simd.f64x2Floor,
  ceil: simd.f64x2Ceil,
};
const UNARY_S: Record<string, number> = {
  neg: op.f64Neg,
  abs: op.f64Abs,
  sqrt: op.f64Sqrt,
  floor: op.f64Floor,
  ceil: op.f64Ceil,
};
const BINARY_V: Record<string, readonly number[]> = {
  add: simd.f64x2Add,
  sub: simd.f64x2Sub,
  mul: simd.f64x2Mul,
  div: simd.f64x2Div,
};
const BINARY_S: Record<string, number> = {
  add: op.f64Add,
  sub: op.f64Sub,
  mul: op.f64Mul,
  div: op.f64Div,
};

/** Whether `e` compiles here: float64 all through, of the operations above. */
export function foldable(e: Expr): boolean {
  if (e.t !== "float64") return false;
  switch (e.e) {
    case "in":
      return true;
    case "const":
      return typeof e.v === "number";
    case "un":
      return (e.op === "cast" || UNARY_S[e.op] !== undefined) && foldable(e.x);
    case "bin":
      return BINARY_S[e.op] !== undefined && foldable(e.a) && foldable(e.b);
    default:
      return false;
  }
}

// Locals: the parameters, then these.
const PO = 0;
const PS = 1;
const QO = 2;
const QS = 3;
const H = 4;
const W = 5;
const C = 6;
const R = 7;
const PA = 8;
const PQ = 9;
/** q(j) = j * qs, for the eight columns of a turn. */
const q = (j: number) => 10 + j;
const TMP = 18;
const acc = (k: number) => 19 + k;
const mu = (k: number) => 19 + WIDE + k;
const SACC = 19 + 2 * WIDE;
const SMU = SACC + 1;
/** A scalar temporary for the last column's deviation. */
const TMP_F = SMU + 1;
const LOCALS = [
  ...new Array<number>(4 + 8).fill(I32),
  ...new Array<number>(1 + 2 * WIDE).fill(V128),
  F64,
  F64,
  F64,
];
/** The generator's memory reaches the scratch page. */
const PAGES_NEEDED = SCRATCH_AT / 65536 + 1;

const i32 = (n: number) => [op.i32Const, ...sleb(BigInt(n))];

/** The expression's value for columns c + 2k, c + 2k + 1 of row r, as a vector. */
function vec(e: Expr, roles: readonly boolean[], k: number): number[] {
  switch (e.e) {
    case "in":
      if (roles[e.i]) return [op.localGet, PA, ...simd.load, 3, ...uleb(16 * k)];
      // biome-ignore format: one instruction per line
      return [
        op.localGet, PQ, op.localGet, q(2 * k), op.i32Add, ...simd.load64Zero, 3, 0, op.localSet, TMP,
        op.localGet, PQ, op.localGet, q(2 * k + 1), op.i32Add, op.localGet, TMP,
        ...simd.load64Lane, 3, 0, 1,
      ];
    case "const": {
      const b = f64bytes(e.v as number);
      return [...simd.const, ...b, ...b];
    }
    case "un":
      return e.op === "cast" ? vec(e.x, roles, k) : [...vec(e.x, roles, k), ...UNARY_V[e.op]!];
    case "bin":
      return [...vec(e.a, roles, k), ...vec(e.b, roles, k), ...BINARY_V[e.op]!];
    default:
      throw new Error(`fold-wasm: ${e.e} does not compile`);
  }
}

/** The expression's value for column c of row r. */
function one(e: Expr, roles: readonly boolean[]): number[] {
  switch (e.e) {
    case "in":
      return [op.localGet, roles[e.i] ? PA : PQ, op.f64Load, 3, 0];
    case "const":
      return [op.f64Const, ...f64bytes(e.v as number)];
    case "un":
      return e.op === "cast" ? one(e.x, roles) : [...one(e.x, roles), UNARY_S[e.op]!];
    case "bin":
      return [...one(e.a, roles), ...one(e.b, roles), BINARY_S[e.op]!];
    default:
      throw new Error(`fold-wasm: ${e.e} does not compile`);
  }
}

/** Rows r < h of the current columns, then the next row: pa += ps, pq += 8. */
function rows(body: number[]): number[] {
  // biome-ignore format: one instruction per line
  return [
    ...i32(0), op.localSet, R,
    op.block, op.void, op.loop, op.void,
    op.localGet, R, op.localGet, H, op.i32GeS, op.brIf, 1,
    ...body,
    op.localGet, PA, op.localGet, PS, op.i32Add, op.localSet, PA,
    op.localGet, PQ, ...i32(8), op.i32Add, op.localSet, PQ,
    op.localGet, R, ...i32(1), op.i32Add, op.localSet, R,
    op.br, 0, op.end, op.end,
  ];
}

/** pa, pq at row 0 of column c. */
const columnStart = [
  // biome-ignore format: one instruction per line
  op.localGet,
  PO,
  op.localGet,
  C,
  ...i32(3),
  op.i32Shl,
  op.i32Add,
  op.localSet,
  PA,
  op.localGet,
  QO,
  op.localGet,
  C,
  op.localGet,
  QS,
  op.i32Mul,
  op.i32Add,
  op.localSet,
  PQ,
];

/** While c + 2n <= w: n vectors of two columns folded over the rows, stored, c += 2n. */
function turns(e: Expr, roles: readonly boolean[], mode: FoldMode, n: number): number[] {
  const zero = [...simd.const, ...new Array<number>(16).fill(0)];
  const out: number[] = [
    // biome-ignore format: one instruction per line
    op.block,
    op.void,
    op.loop,
    op.void,
    op.localGet,
    C,
    ...i32(2 * n),
    op.i32Add,
    op.localGet,
    W,
    0x4a /* i32.gt_s */,
    op.brIf,
    1,
  ];
  for (let k = 0; k < n; k++) {
    out.push(...zero, op.localSet, acc(k));
    if (mode === "dev") {
      // biome-ignore format: one instruction per line
      out.push(op.localGet, C, ...i32(3), op.i32Shl, ...simd.load, 3, ...uleb(MU + 16 * k), op.localSet, mu(k));
    }
  }
  out.push(...columnStart);
  const body: number[] = [];
  for (let k = 0; k < n; k++) {
    body.push(op.localGet, acc(k), ...vec(e, roles, k));
    if (mode === "dev") {
      // d = v - mu; acc += d * d
      // biome-ignore format: one instruction per line
      body.push(
        op.localGet, mu(k), ...simd.f64x2Sub, op.localTee, TMP, op.localGet, TMP, ...simd.f64x2Mul,
      );
    }
    body.push(...simd.f64x2Add, op.localSet, acc(k));
  }
  out.push(...rows(body));
  for (let k = 0; k < n; k++) {
    // biome-ignore format: one instruction per line
    out.push(op.localGet, C, ...i32(3), op.i32Shl, op.localGet, acc(k), ...simd.store, 3, ...uleb(OUT + 16 * k));
  }
  out.push(op.localGet, C, ...i32(2 * n), op.i32Add, op.localSet, C, op.br, 0, op.end, op.end);
  return out;
}

/** The last column when w is odd, in scalars. */
function lastColumn(e: Expr, roles: readonly boolean[], mode: FoldMode): number[] {
  const body = [op.localGet, SACC, ...one(e, roles)];
  if (mode === "dev")
    body.push(op.localGet, SMU, op.f64Sub, op.localTee, TMP_F, op.localGet, TMP_F, op.f64Mul);
  body.push(op.f64Add, op.localSet, SACC);
  // biome-ignore format: one instruction per line
  return [
    op.block, op.void,
    op.localGet, C, op.localGet, W, op.i32GeS, op.brIf, 0,
    op.f64Const, ...f64bytes(0), op.localSet, SACC,
    ...(mode === "dev"
      ? [op.localGet, C, ...i32(3), op.i32Shl, op.f64Load, 3, ...uleb(MU), op.localSet, SMU]
      : []),
    ...columnStart,
    ...rows(body),
    op.localGet, C, ...i32(3), op.i32Shl, op.localGet, SACC, op.f64Store, 3, ...uleb(OUT),
    op.end,
  ];
}

function moduleBytes(e: Expr, roles: readonly boolean[], mode: FoldMode): Uint8Array {
  const setup: number[] = [];
  for (let j = 0; j < 8; j++) {
    setup.push(...i32(j), op.localGet, QS, op.i32Mul, op.localSet, q(j));
  }
  const body = [
    ...setup,
    ...i32(0),
    op.localSet,
    C,
    ...turns(e, roles, mode, WIDE),
    ...turns(e, roles, mode, 1),
    ...lastColumn(e, roles, mode),
  ];
  return encodeModule(
    PAGES_NEEDED,
    [
      {
        name: "fold",
        params: [I32, I32, I32, I32, I32, I32],
        results: [],
        locals: LOCALS,
        body,
      },
    ],
    [],
    true,
  );
}

/** The scratch slots, as views: `out` written by a fold, `mu` read by a "dev" fold. */
export interface FoldSlots {
  readonly buffer: ArrayBuffer;
  readonly out: Float64Array;
  readonly mu: Float64Array;
}

let slots: FoldSlots | null | undefined;

/** The slots in the generator's memory, or null without WebAssembly. */
export function foldSlots(): FoldSlots | null {
  if (slots !== undefined) return slots;
  const g = wasmFill();
  slots =
    g === null
      ? null
      : {
          buffer: g.memory,
          out: new Float64Array(g.memory, OUT, 64),
          mu: new Float64Array(g.memory, MU, 64),
        };
  return slots;
}

const compiled = new Map<string, WasmTileFold | null>();

/** Numbers as their exact text: JSON writes NaN, Infinity and -Infinity all as null, -0 as 0. */
function exact(_key: string, value: unknown): unknown {
  return typeof value === "number" ? (Object.is(value, -0) ? "n-0" : `n${value}`) : value;
}

/**
 * The compiled fold of `e` with operand i read as X where `roles[i]` (else as X.T), or null
 * when it does not compile here (see the file's comment) or there is no WebAssembly.
 */
export function wasmTileFold(
  e: Expr,
  roles: readonly boolean[],
  mode: FoldMode,
): WasmTileFold | null {
  const key = `${mode}|${roles.map((r) => (r ? "x" : "t")).join("")}|${JSON.stringify(e, exact)}`;
  const hit = compiled.get(key);
  if (hit !== undefined) return hit;
  let fold: WasmTileFold | null = null;
  const g = wasmFill();
  if (g !== null && foldable(e)) {
    const m = instantiate(moduleBytes(e, roles, mode), g.memoryObject);
    if (m !== null) fold = m.exports.fold as WasmTileFold;
  }
  if (compiled.size >= 256) compiled.clear();
  compiled.set(key, fold);
  return fold;
}
