/**
 * barn/array's kernels on one thread, timed in CPU time (process.cpuUsage), so a machine loaded
 * by other work inflates them less than wall time (it still shares caches and cores): not a
 * test; run `node dist/bench/array-kernels.js` after `npm run build`. Prints one JSON line per
 * measurement, the median of 5 runs:
 * - `uniform`: ns per double of the random generator, into a 4096-double block and into a
 *   2000 x 2000 chunk of a 20000-wide array (the chunk includes writing 32 MB); and of the
 *   i64x2 SIMD kernel (same values, not used: V8 emulates i64x2.mul) into the 4096-double block;
 * - `tile`: ns per element of a paired task's two steps on one 64 x 64 tile of a 20000-wide
 *   array: generating it in place (`tileInBox`), and the WebAssembly SIMD fold of x + x.T's
 *   column sums over two such tiles (exec/fold-wasm.ts);
 * - `partial-a` / `partial-b`: ms of CPU for one partial task of the array bench's cases (a)
 *   x.add(x.T).mean({ axis: 0 }) and (b) x.std(), on a 2000 x 2000 chunk off the diagonal,
 *   taken from the real graph (random generation included);
 * - `matmul`: GFLOP/s of the matmul kernels on n x n blocks (500 and 1000): WebAssembly SIMD in
 *   float64 and float32, and the plain-JS fallback (float64).
 */
import * as ba from "../src/array.js";
import { wasmTileFold } from "../src/collections/array/exec/fold-wasm.js";
import { matmulBlock, useJsMatmul } from "../src/collections/array/exec/matmul.js";
import { randomChunk } from "../src/collections/array/exec/random.js";
import { keyOf, tileInBox, wasmFill } from "../src/collections/array/exec/random-wasm.js";
import type { Expr } from "../src/collections/array/expr.js";
import { usePairing } from "../src/collections/array/lower-reduce.js";
import { graphOf } from "../src/collections/array/run.js";
import { TaskRef } from "../src/graph/spec.js";
import { simdFill } from "./random-simd.js";

function cpuMs(f: () => unknown): number {
  const a = process.cpuUsage();
  f();
  const b = process.cpuUsage(a);
  return (b.user + b.system) / 1000;
}

function median(f: () => unknown, runs = 5): number {
  f();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) t.push(cpuMs(f));
  t.sort((x, y) => x - y);
  return t[runs >> 1]!;
}

function out(o: Record<string, unknown>): void {
  console.log(JSON.stringify(o));
}

const w = wasmFill();
if (w !== null) {
  const k = keyOf(1);
  w.setKey(k);
  w.key = k;
  const ms = median(() => {
    for (let i = 0; i < 1000; i++) w.fill(4096, i * 4096);
  });
  out({ kernel: "uniform", into: "4096-double block", ns_per_double: (ms * 1e6) / 4096e3 });
  const simd = simdFill()!;
  simd.setKey(k);
  const sms = median(() => {
    for (let i = 0; i < 1000; i++) simd.fill(4096, i * 4096);
  });
  out({ kernel: "uniform-simd", into: "4096-double block", ns_per_double: (sms * 1e6) / 4096e3 });
}
const chunk = new Float64Array(2000 * 2000);
const ms = median(() =>
  randomChunk({ dist: "random" }, 1, [2000, 2000], [2000, 4000], [20000, 20000], chunk),
);
out({ kernel: "uniform", into: "2000 x 2000 chunk", ns_per_double: (ms * 1e6) / 4e6 });

if (w !== null) {
  const key = keyOf(1);
  const T = 64;
  const gen = median(() => {
    for (let i = 0; i < 2000; i++) tileInBox(i & 1, 1000 + i * T, 20000, T, T, key);
  });
  out({ kernel: "tile", step: "generate 64 x 64", ns_per_element: (gen * 1e6) / (2000 * T * T) });
  const F = "float64" as const;
  const sum: Expr = {
    e: "bin",
    op: "add",
    a: { e: "in", i: 0, t: F },
    b: { e: "in", i: 1, t: F },
    t: F,
  };
  const fold = wasmTileFold(sum, [true, false], "sum")!;
  const P = tileInBox(0, 1000, 20000, T, T, key)!;
  const Q = tileInBox(1, 5_000_000, 20000, T, T, key)!;
  const fms = median(() => {
    for (let i = 0; i < 2000; i++) fold(P.byteOffset, 8 * T, Q.byteOffset, 8 * T, T, T);
  });
  out({
    kernel: "tile",
    step: "wasm fold of x + x.T",
    ns_per_element: (fms * 1e6) / (2000 * T * T),
  });
}

/**
 * A partial task of `a`'s graph (the second found: off the diagonal for case (a)); `pattern`
 * matches the task's key.
 */
function partialTask(a: ba.Array | ba.Scalar, pattern: RegExp): () => unknown {
  const g = graphOf(a.plan).graph;
  const resolve = (v: unknown): unknown => {
    if (v instanceof TaskRef) {
      const node = g.get(v.key);
      return node?.kind === "data" ? node.value : v;
    }
    return Array.isArray(v) ? v.map(resolve) : v;
  };
  const found = [...g].filter(([k, n]) => n.kind === "task" && pattern.test(k));
  const node = found[1]![1] as unknown as { fn: Function; args: unknown[] };
  const args = node.args.map(resolve);
  return () => node.fn(...args);
}
const x = ba.random.random([20000, 20000], { chunks: [2000, 2000], seed: 1 });
const caseA = "x.add(x.T).mean({ axis: 0 })";
/** ns of CPU per element of x + x.T for a task of `ms` over `blocks` 2000 x 2000 blocks. */
const perElement = (ms: number, blocks: number) => (ms * 1e6) / (blocks * 4e6);
usePairing(false);
const single = median(
  partialTask(x.add(x.T).mean({ axis: 0 }), /-mean-partial-[0-9a-f]+-[0-9a-z]+$/),
);
out({ kernel: "partial-a", case: caseA, ms: single, ns_per_element: perElement(single, 1) });
usePairing(true);
const pair = median(partialTask(x.add(x.T).mean({ axis: 0 }), /-mean-partial-pair-/));
out({
  kernel: "partial-a-pair",
  case: `${caseA}, blocks (i, j) and (j, i) in one task`,
  ms: pair,
  ns_per_element: perElement(pair, 2),
});
const diag = median(
  partialTask(x.add(x.T).mean({ axis: 0 }), /-mean-partial-[0-9a-f]+-[0-9a-z]+$/),
);
out({ kernel: "partial-a-diagonal", case: caseA, ms: diag, ns_per_element: perElement(diag, 1) });
out({ kernel: "partial-b", case: "x.std()", ms: median(partialTask(x.std(), /-std-partial-/)) });

for (const [kernel, dtype] of [
  ["wasm-simd", "float64"],
  ["wasm-simd", "float32"],
  ["js", "float64"],
] as const) {
  useJsMatmul(kernel === "js");
  for (const n of [500, 1000]) {
    const a64 = new Float64Array(n * n).map((_, i) => (i % 17) / 17);
    const a = dtype === "float64" ? a64 : Float32Array.from(a64);
    const t = median(() => matmulBlock([a], [a], n, [n], n, dtype), 3);
    out({ kernel: "matmul", impl: kernel, dtype, n, gflop_per_s: (2 * n ** 3) / t / 1e6 });
  }
}
useJsMatmul(false);
