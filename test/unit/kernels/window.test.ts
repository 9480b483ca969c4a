/**
 * The pure window and quantile kernels against plain-JS references: running sums carried in
 * from earlier rows equal the running sum over the whole (one batch or split anywhere), exact
 * int64 running sums and their overflow, segments restart, ranks of ties by each method, and
 * quantiles of int64 beyond 2^53 ordered exactly.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Column } from "../../../src/kernels/batch.js";
import { Int64OverflowError } from "../../../src/kernels/int64.js";
import { quantileOf } from "../../../src/kernels/quantile.js";
import { cumulative, rankRows, rolling } from "../../../src/kernels/window.js";

const int64 = (vs: readonly bigint[]): Column => ({
  type: "int64",
  length: vs.length,
  data: BigInt64Array.from(vs),
});
const f64 = (vs: readonly number[]): Column => ({
  type: "float64",
  length: vs.length,
  data: Float64Array.from(vs),
});
const all = (n: number) => Int32Array.of(0, n);

test("a running sum split anywhere, with the state carried, equals the whole one", () => {
  fc.assert(
    fc.property(
      fc.array(fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }), { maxLength: 40 }),
      fc.nat(),
      (vs, cut) => {
        const at = vs.length === 0 ? 0 : cut % (vs.length + 1);
        const whole = cumulative(int64(vs), "cumsum", all(vs.length), null, false);
        const a = cumulative(int64(vs.slice(0, at)), "cumsum", all(at), null, false);
        const b = cumulative(int64(vs.slice(at)), "cumsum", all(vs.length - at), a.state, false);
        assert.deepEqual(
          [...(a.column.data as BigInt64Array), ...(b.column.data as BigInt64Array)],
          [...(whole.column.data as BigInt64Array)],
        );
        let s = 0n;
        assert.deepEqual(
          [...(whole.column.data as BigInt64Array)],
          vs.map((v) => (s += v)),
        );
      },
    ),
  );
});

test("an int64 running sum outside int64 throws; segments restart", () => {
  assert.throws(
    () => cumulative(int64([2n ** 63n - 1n, 1n]), "cumsum", all(2), null),
    Int64OverflowError,
  );
  const c = cumulative(f64([1, 2, 3, 4]), "cummax", Int32Array.of(0, 2, 4), 10);
  // The carry applies to the first segment only.
  assert.deepEqual([...(c.column.data as Float64Array)], [10, 10, 3, 4]);
});

test("ranks of peers by method, continuing after earlier rows", () => {
  const keys = [f64([1, 1, 2, 3, 3, 3])];
  const rank = (m: "average" | "min" | "max" | "dense" | "first") => [
    ...(rankRows(keys, [true], m, all(6), 10, 4).data as Float64Array),
  ];
  assert.deepEqual(rank("min"), [11, 11, 13, 14, 14, 14]);
  assert.deepEqual(rank("max"), [12, 12, 13, 16, 16, 16]);
  assert.deepEqual(rank("average"), [11.5, 11.5, 13, 15, 15, 15]);
  assert.deepEqual(rank("dense"), [5, 5, 6, 7, 7, 7]);
  assert.deepEqual(rank("first"), [11, 12, 13, 14, 15, 16]);
});

test("rolling sums count non-null values against minPeriods", () => {
  const c: Column = { ...f64([1, 0, 3, 4]), valid: Uint8Array.of(0b1101) };
  const out = rolling(c, "rollingSum", 2, 2, all(4));
  assert.deepEqual(
    [0, 1, 2, 3].map((i) => ((out.valid![0]! >> i) & 1 ? (out.data as Float64Array)[i] : null)),
    [null, null, null, 7],
  );
  const mean = rolling(c, "rollingMean", 3, 1, all(4));
  assert.deepEqual([...(mean.data as Float64Array)], [1, 1, 2, 3.5]);
});

test("quantiles of int64 beyond 2^53 are taken in exact order", () => {
  const big = 2n ** 60n;
  // The middle value in exact order (big + 1n), as its nearest float64.
  const c = int64([big + 2n, big, big + 1n]);
  assert.equal(quantileOf(c, Int32Array.of(0, 1, 2), 0.5), Number(big + 1n));
  const edges = int64([-(2n ** 63n), 2n ** 63n - 1n]);
  assert.equal(quantileOf(edges, Int32Array.of(0, 1), 0.5), 0);
  assert.equal(quantileOf(edges, Int32Array.of(), 0.5), null);
});
