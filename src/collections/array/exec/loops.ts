/**
 * Strided loops over a chunk, generated once per (expression, body, ndim, tiling) and cached
 * per thread. Each operand is read through its own strides (0 along a broadcast dimension,
 * swapped for a transposed operand), so broadcasting and transposes cost no copy. When an
 * operand's innermost stride is not 1 (a transpose), the last two dimensions run in tiles of
 * 64 x 64 so both sides stay in cache: the blocked transpose. `body` sees the element's value
 * `v`, its slot `p` in the output (strides Q) and, when it asks for `pos`, a position
 * `G0 + sum(i_d * G[d])` (argmin/argmax's global index).
 */
import { H } from "./codegen.js";

export type Kernel = (
  ins: readonly ArrayLike<unknown>[],
  S: readonly number[],
  N: readonly number[],
  Q: readonly number[],
  K: readonly unknown[],
  A: readonly unknown[],
  G: readonly number[],
  G0: number,
  B?: readonly number[],
  P0?: number,
) => void;

const TILE = 64;
const cache = new Map<string, Kernel>();

/**
 * The kernel for: `nin` operands, `ndim` loops, `expr` (source of the value from `in{i}[o{i}]`
 * and `k{j}`), `nconst` constants, `body` (statements over v, p, pos and A[...]) and `setup`
 * (statements before the loops, e.g. `const out = A[0];`).
 */
export function kernel(
  nin: number,
  ndim: number,
  nconst: number,
  expr: string,
  setup: string,
  body: string,
  tiled: boolean,
  row?: RowFold,
): Kernel {
  const r = row !== undefined && ndim >= 1 ? row : undefined;
  const key = `${nin}|${ndim}|${nconst}|${tiled ? 1 : 0}|${expr}|${setup}|${body}|${r === undefined ? "" : `${r.init}|${r.body}|${r.turn ?? ""}|${r.flush}`}`;
  let k = cache.get(key);
  if (k === undefined) {
    k = compile(
      nin,
      ndim,
      nconst,
      expr,
      setup,
      r === undefined ? body : r.body,
      tiled && ndim >= 2,
      r,
    );
    cache.set(key, k);
  }
  return k;
}

/**
 * A fold along the innermost dimension when that dimension is reduced (its output stride is
 * 0): `init` runs before each run of the innermost loop with the run's slot `p` in scope,
 * `body` per element (into locals, so the sum stays in a register), `flush` after the run.
 * When `body` contains `#`, the loop runs LANES elements per turn with `#` replaced by the
 * element's lane (0..LANES-1), so a sum keeps LANES independent accumulators (one add's
 * latency, not its throughput, bounds a single-accumulator loop: about 4x slower); `turn`
 * runs after each full turn, and the leftover elements use lane 0.
 */
export interface RowFold {
  readonly init: string;
  readonly body: string;
  readonly turn?: string;
  readonly flush: string;
}

/** Accumulators of a laned row fold. */
export const LANES = 4;

function compile(
  nin: number,
  ndim: number,
  nconst: number,
  expr: string,
  setup: string,
  body: string,
  tiled: boolean,
  row?: RowFold,
): Kernel {
  const usePos = body.includes("pos");
  const ins = Array.from({ length: nin }, (_, k) => k);
  const dims = Array.from({ length: ndim }, (_, d) => d);
  const lines: string[] = [];
  for (const k of ins)
    lines.push(`const in${k} = ins[${k}]; const b${k} = B === undefined ? 0 : B[${k}];`);
  lines.push("const P = P0 === undefined ? 0 : P0;");
  for (let j = 0; j < nconst; j++) lines.push(`const k${j} = K[${j}];`);
  for (const d of dims) {
    lines.push(`const n${d} = N[${d}], q${d} = Q[${d}];`);
    if (usePos) lines.push(`const g${d} = G[${d}];`);
    for (const k of ins) lines.push(`const s${k}_${d} = S[${k * ndim + d}];`);
  }
  lines.push(setup);
  // Offsets after dimension d: o{k}_{d}, p_{d}, pos_{d}; "before dimension 0" are 0 / G0.
  const prev = (name: string, d: number, zero: string) => (d === 0 ? zero : `${name}_${d - 1}`);
  const enter = (d: number): string => {
    const parts = ins.map(
      (k) => `const o${k}_${d} = ${prev(`o${k}`, d, `b${k}`)} + i${d} * s${k}_${d};`,
    );
    parts.push(`const p_${d} = ${prev("p", d, "P")} + i${d} * q${d};`);
    if (usePos) parts.push(`const pos_${d} = ${prev("pos", d, "G0")} + i${d} * g${d};`);
    return parts.join(" ");
  };
  const inner = (): string => {
    const last = ndim - 1;
    const alias = ins.map((k) => `const o${k} = ${last < 0 ? `b${k}` : `o${k}_${last}`};`);
    alias.push(`const p = ${last < 0 ? "P" : `p_${last}`};`);
    if (usePos) alias.push(`const pos = ${last < 0 ? "G0" : `pos_${last}`};`);
    return `${alias.join(" ")} const v = ${expr}; ${body}`;
  };
  let code = inner();
  // The innermost loop, wrapped in a row fold when there is one.
  const innermost = (d: number, from: string, to: string): string => {
    const loop = `for (let i${d} = ${from}; i${d} < ${to}; i${d}++) { ${enter(d)} ${code.replaceAll("#", "0")} }`;
    if (row === undefined) return loop;
    if (!row.body.includes("#"))
      return `{ const p = ${prev("p", d, "P")}; ${row.init} ${loop} ${row.flush} }`;
    const lanes = Array.from(
      { length: LANES },
      (_, l) => `{ const i${d} = j${d} + ${l}; ${enter(d)} ${code.replaceAll("#", String(l))} }`,
    ).join(" ");
    const turns = `for (; j${d} + ${LANES} <= ${to}; j${d} += ${LANES}) { ${lanes} ${row.turn ?? ""} }`;
    const tail = `for (let i${d} = j${d}; i${d} < ${to}; i${d}++) { ${enter(d)} ${code.replaceAll("#", "0")} }`;
    return `{ const p = ${prev("p", d, "P")}; ${row.init} let j${d} = ${from}; ${turns} ${tail} ${row.flush} }`;
  };
  if (tiled) {
    const a = ndim - 2;
    const b = ndim - 1;
    code =
      `for (let t${a} = 0; t${a} < n${a}; t${a} += ${TILE}) { const e${a} = Math.min(n${a}, t${a} + ${TILE});` +
      ` for (let t${b} = 0; t${b} < n${b}; t${b} += ${TILE}) { const e${b} = Math.min(n${b}, t${b} + ${TILE});` +
      ` for (let i${a} = t${a}; i${a} < e${a}; i${a}++) { ${enter(a)}` +
      ` ${innermost(b, `t${b}`, `e${b}`)} } } }`;
    for (let d = ndim - 3; d >= 0; d--)
      code = `for (let i${d} = 0; i${d} < n${d}; i${d}++) { ${enter(d)} ${code} }`;
  } else if (ndim > 0) {
    code = innermost(ndim - 1, "0", `n${ndim - 1}`);
    for (let d = ndim - 2; d >= 0; d--)
      code = `for (let i${d} = 0; i${d} < n${d}; i${d}++) { ${enter(d)} ${code} }`;
  }
  lines.push(code);
  const fn = new Function(
    "H",
    "ins",
    "S",
    "N",
    "Q",
    "K",
    "A",
    "G",
    "G0",
    "B",
    "P0",
    lines.join("\n"),
  ) as (h: typeof H, ...rest: Parameters<Kernel>) => void;
  return (ins_, S, N, Q, K, A, G, G0, B, P0) => fn(H, ins_, S, N, Q, K, A, G, G0, B, P0);
}
