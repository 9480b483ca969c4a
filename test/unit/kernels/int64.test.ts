/**
 * The exact int64 kernels against BigInt arithmetic: comparisons, arithmetic (with overflow),
 * radix sort keys and per-group sums, on random values across the whole int64 range, and a
 * sum over more rows than one normalisation chunk holds.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { arith } from "../../../src/kernels/arith.js";
import type { Column } from "../../../src/kernels/batch.js";
import { compare } from "../../../src/kernels/compare.js";
import { Int64OverflowError, int64Sums, sumInt64By } from "../../../src/kernels/int64.js";
import { radixArgsort } from "../../../src/kernels/radix.js";

const int64 = (vs: readonly bigint[]): Column => ({
  type: "int64",
  length: vs.length,
  data: BigInt64Array.from(vs),
});
const valueArb = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.bigInt({ min: -(2n ** 54n), max: 2n ** 54n }),
  fc.constantFrom(0n, -1n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n)),
);
const MIN = -(2n ** 63n);
const MAX = 2n ** 63n - 1n;

test("int64 comparisons, arithmetic and sort agree with BigInt", () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(valueArb, valueArb), { maxLength: 40 }), (pairs) => {
      const a = int64(pairs.map((p) => p[0]));
      const b = int64(pairs.map((p) => p[1]));
      const gt = compare("gt", a, b).data as Uint8Array;
      const le = compare("le", a, pairs[0]?.[1] ?? 0n).data as Uint8Array;
      pairs.forEach(([x, y], i) => {
        assert.equal(gt[i], x > y ? 1 : 0);
        assert.equal(le[i], x <= (pairs[0]?.[1] ?? 0n) ? 1 : 0);
      });
      for (const op of ["add", "sub", "mul"] as const) {
        const want = pairs.map(([x, y]) => (op === "add" ? x + y : op === "sub" ? x - y : x * y));
        if (want.some((v) => v < MIN || v > MAX)) {
          assert.throws(() => arith(op, a, b), Int64OverflowError);
        } else {
          assert.deepEqual([...(arith(op, a, b).data as BigInt64Array)], want);
        }
      }
      for (const asc of [true, false]) {
        const order = radixArgsort(a, a.length, asc);
        const got = [...order].map((i) => pairs[i]![0]);
        const want = pairs.map((p) => p[0]).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
        assert.deepEqual(got, asc ? want : want.reverse());
      }
    }),
    { numRuns: 200 },
  );
});

test("an int64 sum over more rows than one chunk is exact", () => {
  const n = 3_000_000;
  const v = 2n ** 40n + 2n ** 32n - 1n; // low word all ones
  const col = int64(new Array<bigint>(n).fill(v));
  const s = sumInt64By(new Int32Array(n), 1, col);
  assert.deepEqual([...int64Sums(s.hi, s.lo, "sum")], [v * BigInt(n)]);
  const neg = int64(new Array<bigint>(n).fill(-v));
  const t = sumInt64By(new Int32Array(n), 1, neg);
  assert.deepEqual([...int64Sums(t.hi, t.lo, "sum")], [-v * BigInt(n)]);
  const big = int64([MAX, MAX]);
  const u = sumInt64By(new Int32Array(2), 1, big);
  assert.throws(() => int64Sums(u.hi, u.lo, "sum"), Int64OverflowError);
});
