/**
 * The histogram kernel's equal-bin path (a guess by arithmetic, then corrected against the
 * edges) gives the bins the binary search over the same edges gives, values on the edges and
 * a rounding away from them included.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { binCounts } from "../../../src/collections/array/exec/histogram.js";

test("equal bins: the guessed bins agree with the binary search", { timeout: 60_000 }, () => {
  fc.assert(
    fc.property(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.double({ min: 1e-9, max: 1e6, noNaN: true }),
      fc.integer({ min: 1, max: 50 }),
      fc.array(fc.tuple(fc.integer({ min: -1, max: 51 }), fc.integer({ min: -2, max: 2 }))),
      fc.array(fc.double({ noDefaultInfinity: true })),
      (lo, width, bins, near, free) => {
        const hi = lo + width;
        const step = (hi - lo) / bins;
        const edges = Float64Array.from({ length: bins + 1 }, (_, i) =>
          i === bins ? hi : i * step + lo,
        );
        // Values on an edge, or a few ulps beside it, are where a guess can miss.
        const values = Float64Array.from([
          ...near.map(([i, ulps]) => {
            const e = edges[Math.max(0, Math.min(bins, i))]!;
            return e + ulps * Number.EPSILON * Math.max(1, Math.abs(e));
          }),
          ...free,
        ]);
        const guessed = binCounts(values, null, edges, true);
        const searched = binCounts(values, null, edges, false);
        assert.deepEqual([...guessed], [...searched]);
      },
    ),
    { numRuns: 500 },
  );
});
