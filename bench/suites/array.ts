/**
 * The array benchmark (issue 12), each case side by side in one run: barn/array on the default
 * thread cluster, dask.array with NumPy (Debian's python3-dask, run by /usr/bin/python3 with
 * OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset) as the peer, and a single-thread plain-JS loop
 * doing the same work (`loop_s`) as the scale-in reference. Cases:
 * - `add-transpose-mean`: x = random.random([N, N], chunks [C, C], seed 1);
 *   x.add(x.T).mean({ axis: 0 }).sum()   (N = 20000, C = 2000 by default)
 * - `std`: x.std() of the same x
 * - `matmul`: a 4000 x 4000 float64 random matrix times itself, chunks 1000 (summed); no loop
 *   peer (a single-thread triple loop of 6.4e10 multiply-adds takes minutes)
 * Random generation is inside every timing, on every side, as the issue asks. Each side is
 * warmed up first, as the other suites do: Barn computes a case once untimed in its client
 * (worker threads' JIT and WebAssembly tiers, functions shipped), and the dask.array script
 * runs its case once before the timed run (thread pool started).
 * `gb_per_s`: the bytes of x the expression reads (x's size times the times it reads x: 2 for
 * x + x.T, 1 for std) over Barn's seconds. x is generated inside the tasks a slab at a time,
 * so these bytes are values made and consumed in cache, never a pass over main memory; the
 * figure says how fast the values go by next to a memory copy. Std's two passes per slab read
 * the cached slab twice but count once. `copy_gb_per_s`: this machine's copy bandwidth,
 * measured here (a warm 256 MiB Float64Array copied with set(), bytes read plus written per
 * second, best of 5), and `of_copy`: gb_per_s as a share of it. `gflop_per_s` (matmul):
 * 2 n^3 over Barn's seconds.
 * Sizes: BARN_BENCH_ARRAY_N, BARN_BENCH_ARRAY_CHUNK, BARN_BENCH_MATMUL_N.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as ba from "../../src/array.js";
import { uniformRange } from "../../src/collections/array/exec/random.js";
import { Client } from "../../src/index.js";
import type { BenchCase, CaseResult, Suite } from "../harness.js";

const run = promisify(execFile);
const PY = "/usr/bin/python3";
const SCRIPT = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "bench",
  "array-dask.py",
);
const N = Number(process.env.BARN_BENCH_ARRAY_N ?? 20_000);
const C = Number(process.env.BARN_BENCH_ARRAY_CHUNK ?? 2000);
const M = Number(process.env.BARN_BENCH_MATMUL_N ?? 4000);

let copyBandwidth: number | undefined;

/** Bytes read plus written per second by a warm typed-array copy (best of 5). */
function measureCopy(): number {
  if (copyBandwidth !== undefined) return copyBandwidth;
  const n = 32 * 2 ** 20;
  const a = new Float64Array(n).fill(1);
  const b = new Float64Array(n).fill(2);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    b.set(a);
    best = Math.min(best, (performance.now() - t) / 1000);
  }
  copyBandwidth = (2 * n * 8) / best / 1e9;
  return copyBandwidth;
}

let hasDask: boolean | undefined;
async function dask(
  name: string,
  n: number,
  c: number,
): Promise<{ seconds: number; value: number } | undefined> {
  if (hasDask === undefined) {
    hasDask =
      existsSync(PY) &&
      (await run(PY, ["-c", "import dask.array"]).then(
        () => true,
        () => false,
      ));
  }
  if (!hasDask) return undefined;
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const { stdout } = await run(PY, [SCRIPT, name, String(n), String(c)], {
    env,
    timeout: 600_000,
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split("\n").pop()!) as { seconds: number; value: number };
}

let client: Client | undefined;
/** Cases computed once untimed in this process's client (the warm-up). */
const warmed = new Set<string>();

async function barnClient(): Promise<Client> {
  client ??= await Client.connect({ setAsDefault: false });
  return client;
}

/** One tile of x (rows r0.., cols c0..) from the same counter-based generator Barn uses. */
function tile(
  out: Float64Array,
  r0: number,
  c0: number,
  rows: number,
  cols: number,
  n: number,
): void {
  for (let r = 0; r < rows; r++) uniformRange(out, r * cols, (r0 + r) * n + c0, cols, 1);
}

/** The single-thread loop of case (a): tiles of x and x.T, column sums, then the total. */
function loopAddTransposeMean(n: number, c: number): number {
  const a = new Float64Array(c * c);
  const b = new Float64Array(c * c);
  const col = new Float64Array(n);
  for (let i = 0; i < n; i += c) {
    for (let j = 0; j < n; j += c) {
      tile(a, i, j, c, c, n);
      tile(b, j, i, c, c, n);
      for (let r = 0; r < c; r++)
        for (let k = 0; k < c; k++) col[j + k] = col[j + k]! + a[r * c + k]! + b[k * c + r]!;
    }
  }
  let s = 0;
  for (const v of col) s += v / n;
  return s;
}

/** The single-thread loop of case (b): two passes over x's rows. */
function loopStd(n: number): number {
  const row = new Float64Array(n);
  let sum = 0;
  for (let r = 0; r < n; r++) {
    uniformRange(row, 0, r * n, n, 1);
    for (const v of row) sum += v;
  }
  const mean = sum / (n * n);
  let m2 = 0;
  for (let r = 0; r < n; r++) {
    uniformRange(row, 0, r * n, n, 1);
    for (const v of row) m2 += (v - mean) ** 2;
  }
  return Math.sqrt(m2 / (n * n));
}

function close(a: number, b: number, tol: number): boolean {
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
}

function arrayCase(
  name: string,
  n: number,
  c: number,
  passes: number,
  barn: (x: ba.Array<"float64">) => ba.Scalar<"float64">,
  loop: (() => number) | undefined,
  check: (barn: number, other: number) => boolean,
  flops = 0,
): BenchCase {
  return {
    name,
    async run(): Promise<CaseResult> {
      const copy = measureCopy();
      const cl = await barnClient();
      const x = ba.random.random([n, n], { chunks: [c, c], seed: 1 });
      if (!warmed.has(name)) {
        warmed.add(name);
        await barn(x).compute({ client: cl });
      }
      const t = performance.now();
      const value = await barn(x).compute({ client: cl });
      const barn_s = (performance.now() - t) / 1000;
      const peer = await dask(name, n, c);
      let loop_s: number | undefined;
      if (loop !== undefined) {
        const tl = performance.now();
        const lv = loop();
        loop_s = (performance.now() - tl) / 1000;
        if (!check(value, lv))
          throw new Error(`${name}: Barn's ${value} differs from the loop's ${lv}`);
      }
      const gb = (n * n * 8 * passes) / 1e9;
      const tasks = x.numblocks.reduce((a, b) => a * b, 1);
      return {
        n: n * n,
        tasks,
        barn_s,
        ...(peer === undefined ? {} : { peer: "dask.array", peer_s: peer.seconds }),
        extra: {
          ...(loop_s === undefined ? {} : { loop_s, ratio_loop: barn_s / loop_s }),
          gb_per_s: Number((gb / barn_s).toFixed(3)),
          ...(flops > 0 ? { gflop_per_s: Number((flops / barn_s / 1e9).toFixed(2)) } : {}),
          copy_gb_per_s: Number(copy.toFixed(2)),
          of_copy: Number((gb / barn_s / copy).toFixed(3)),
          value,
          ...(peer === undefined ? {} : { peer_value: peer.value }),
        },
      };
    },
  };
}

export const arraySuite: Suite = {
  name: "array",
  cases: [
    arrayCase(
      "add-transpose-mean",
      N,
      C,
      2,
      (x) => x.add(x.T).mean({ axis: 0 }).sum(),
      () => loopAddTransposeMean(N, C),
      (a, b) => close(a, b, 1e-9),
    ),
    arrayCase(
      "std",
      N,
      C,
      1,
      (x) => x.std(),
      () => loopStd(N),
      (a, b) => close(a, b, 1e-9),
    ),
    arrayCase(
      "matmul",
      M,
      Math.min(M, 1000),
      0,
      (x) => x.matmul(x).sum() as ba.Scalar<"float64">,
      undefined,
      (a, b) => close(a, b, 1e-9),
      2 * M ** 3,
    ),
  ],
};

process.on("exit", () => {
  void client?.close();
});
