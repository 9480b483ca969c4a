/**
 * The uniform generator's kernels (exec/random-wasm.ts): the WebAssembly kernel, the 32-bit JS
 * fallback and a BigInt statement of splitmix64 give the same doubles, for any start and
 * length (edge sizes around the kernel's 4-element turns and its 4096-element calls); ranges
 * split anywhere join into the same values; and the values look uniform. The i64x2 SIMD kernel
 * (bench/random-simd.ts, not in the library: slower on V8) gives the same doubles too.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { simdFill } from "../../../bench/random-simd.js";
import { randomChunk, uniformRange } from "../../../src/collections/array/exec/random.js";
import {
  fillJS,
  fillRowsUniform,
  fillUniform,
  GAMMA,
  keyOf,
  mix64,
  randomModuleBytes,
  stateAt,
  tileInBox,
  wasmFill,
} from "../../../src/collections/array/exec/random-wasm.js";

/** Element g of key k, straight from the definition. */
function reference(key: bigint, g: number): number {
  const z = mix64(key + (BigInt(g) + 1n) * GAMMA);
  return Number(z >> 11n) / 2 ** 53;
}

const LENGTHS = [0, 1, 2, 3, 4, 5, 7, 63, 64, 65, 4095, 4096, 4097, 9000];
const STARTS = [0, 1, 5, 2 ** 32 - 3, 2 ** 40 + 7, 2 ** 53 - 10_000];

describe("random kernels", () => {
  test("the module validates and the WebAssembly kernel is used here", () => {
    const W = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } })
      .WebAssembly;
    assert.ok(W.validate(randomModuleBytes()));
    assert.notEqual(wasmFill(), null);
  });

  test("WebAssembly, the JS fallback and the BigInt definition agree", () => {
    for (const seed of [0, 1, 12345, 2 ** 53 - 1]) {
      const key = keyOf(seed);
      for (const g of STARTS) {
        for (const n of LENGTHS) {
          const a = new Float64Array(n + 2).fill(-1);
          const b = new Float64Array(n + 2).fill(-1);
          fillUniform(a, 1, g, n, key);
          fillJS(b, 1, n, stateAt(key, g));
          assert.equal(a[0], -1);
          assert.equal(a[n + 1], -1, "writes nothing past the range");
          assert.deepEqual(a, b, `seed ${seed} start ${g} length ${n}`);
          for (const i of [0, n >> 1, n - 1]) {
            if (i >= 0 && i < n) assert.equal(a[1 + i], reference(key, g + i));
          }
        }
      }
    }
  });

  test("the SIMD kernel gives the scalar kernels' doubles, bit for bit", () => {
    const ex = simdFill();
    if (ex === null) return; // BARN_NO_WASM=1
    const view = ex.view;
    for (const seed of [0, 1, 2 ** 53 - 1]) {
      const key = keyOf(seed);
      ex.setKey(key);
      for (const g of STARTS) {
        const want = new Float64Array(4096);
        fillJS(want, 0, 4096, stateAt(key, g));
        ex.fill(4096, g);
        assert.deepEqual(view.subarray(0, 4096), want, `seed ${seed} start ${g}`);
        ex.fillRows(5, 333, g, 1000);
        for (let r = 0; r < 5; r++) {
          fillJS(want, 0, 333, stateAt(key, g + r * 1000));
          assert.deepEqual(view.subarray(r * 333, r * 333 + 333), want.subarray(0, 333));
        }
      }
    }
  });

  test("runs of a box (one kernel call per MiB) equal the runs made one by one", () => {
    const key = keyOf(5);
    for (const [rows, len, stride] of [
      [0, 5, 10],
      [1, 1, 1],
      [7, 1, 3],
      [5, 3, 1000],
      [300, 1000, 20_000],
      [3, 5, 5],
      [2, 131_073, 200_000],
    ] as const) {
      const got = new Float64Array(rows * len + 2).fill(-1);
      const want = new Float64Array(rows * len + 2).fill(-1);
      fillRowsUniform(got, 1, 77, stride, rows, len, key);
      for (let r = 0; r < rows; r++) fillJS(want, 1 + r * len, len, stateAt(key, 77 + r * stride));
      assert.deepEqual(got, want, `rows ${rows} len ${len} stride ${stride}`);
    }
  });

  test("tiles left in the generator's two slots hold their runs, and one slot leaves the other be", () => {
    const key = keyOf(9);
    const want = (g: number, stride: number, rows: number, len: number) => {
      const out = new Float64Array(rows * len);
      for (let r = 0; r < rows; r++) fillJS(out, r * len, len, stateAt(key, g + r * stride));
      return out;
    };
    for (const [rows, len] of [
      [64, 64],
      [64, 16],
      [3, 5],
      [1, 1],
    ] as const) {
      const a = tileInBox(0, 101, 20_000, rows, len, key);
      if (a === null) return; // BARN_NO_WASM=1
      const aCopy = a.slice();
      assert.deepEqual(aCopy, want(101, 20_000, rows, len), `slot 0, ${rows} x ${len}`);
      const b = tileInBox(1, 7_000_000, 20_000, len, rows, key)!;
      assert.deepEqual(b, want(7_000_000, 20_000, len, rows), `slot 1, ${len} x ${rows}`);
      assert.deepEqual(a, aCopy, "slot 0 untouched by slot 1's fill (overrun included)");
    }
    assert.equal(tileInBox(0, 0, 1, 65, 64, key), null, "more than a 64 x 64 tile");
    assert.equal(tileInBox(2, 0, 1, 4, 4, key), null, "no third slot");
  });

  test("a 3-d chunk's values are its elements' global numbers' values", () => {
    const arrayShape = [4, 9, 11];
    const shape = [2, 5, 3];
    const start = [1, 3, 7];
    const out = new Float64Array(2 * 5 * 3);
    randomChunk({ dist: "random" }, 3, shape, start, arrayShape, out);
    const key = keyOf(3);
    let i = 0;
    for (let a = 0; a < 2; a++)
      for (let b = 0; b < 5; b++)
        for (let c = 0; c < 3; c++) {
          const g = (start[0]! + a) * 99 + (start[1]! + b) * 11 + start[2]! + c;
          assert.equal(out[i++], reference(key, g));
        }
  });

  test("a range split anywhere gives the same values", () => {
    const whole = new Float64Array(10_000);
    uniformRange(whole, 0, 777, whole.length, 9);
    const parts = new Float64Array(10_000);
    for (const [a, b] of [
      [0, 1],
      [1, 4],
      [4, 4101],
      [4101, 8192],
      [8192, 10_000],
    ] as const)
      uniformRange(parts, a, 777 + a, b - a, 9);
    assert.deepEqual(parts, whole);
  });

  test("values are uniform on [0, 1): range, moments, bins, seeds differ", () => {
    const n = 1 << 20;
    const v = new Float64Array(n);
    uniformRange(v, 0, 0, n, 1);
    let sum = 0;
    let sq = 0;
    const bins = new Array<number>(64).fill(0);
    for (const x of v) {
      assert.ok(x >= 0 && x < 1);
      sum += x;
      sq += x * x;
      bins[Math.floor(x * 64)]!++;
    }
    const mean = sum / n;
    assert.ok(Math.abs(mean - 0.5) < 0.002, `mean ${mean}`);
    assert.ok(Math.abs(sq / n - mean * mean - 1 / 12) < 0.002);
    const e = n / 64;
    const chi2 = bins.reduce((acc, b) => acc + (b - e) ** 2 / e, 0);
    // 63 degrees of freedom: chi2 above 110 has probability about 1e-4.
    assert.ok(chi2 < 110, `chi2 ${chi2}`);
    const w = new Float64Array(n);
    uniformRange(w, 0, 0, n, 2);
    let same = 0;
    for (let i = 0; i < n; i++) if (v[i] === w[i]) same++;
    assert.equal(same, 0);
  });
});
