import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { joinBatches } from "../../../src/collections/frame/join-exec.js";
import { columnCells, columnFromCells } from "../../../src/io/columns.js";
import type { Batch } from "../../../src/kernels/batch.js";

function batch(
  cols: Record<string, { type: "int32" | "float64"; values: (number | null)[] }>,
): Batch {
  const names = Object.keys(cols);
  const columns = names.map((n) => columnFromCells(cols[n]!.type, cols[n]!.values));
  return { names, columns, length: columns[0]?.length ?? 0 };
}

function rows(b: Batch): unknown[][] {
  const cells = b.columns.map((c) => columnCells(c));
  return Array.from({ length: b.length }, (_, i) => cells.map((c) => c[i]));
}

test("many-to-one joins (every left row matching one right row, kept as they are) and the others equal a nested loop", () => {
  fc.assert(
    fc.property(
      fc.array(fc.option(fc.integer({ min: 0, max: 6 }), { nil: null, freq: 8 }), {
        maxLength: 30,
      }),
      fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { maxLength: 7 }),
      fc.constantFrom("inner", "left") as fc.Arbitrary<"inner" | "left">,
      (lk, rk, how) => {
        const left = batch({
          k: { type: "int32", values: lk },
          v: { type: "float64", values: lk.map((_, i) => i / 2) },
        });
        const right = batch({
          k: { type: "int32", values: rk },
          w: { type: "float64", values: rk.map((k) => k * 10 + 0.5) },
        });
        const got = rows(joinBatches(left, right, ["k"], ["k"], how, "_r"));
        const want: unknown[][] = [];
        lk.forEach((k, i) => {
          const j = k === null ? -1 : rk.indexOf(k);
          if (j >= 0) want.push([k, i / 2, rk[j]! * 10 + 0.5]);
          else if (how === "left") want.push([k, i / 2, null]);
        });
        assert.deepEqual(got, want);
      },
    ),
  );
});

test("joins on a dict key (pairs through the dictionary, branch-free when right keys are unique) equal a nested loop, for every how", () => {
  const key = fc.constantFrom("a", "b", "c", "d", "e");
  fc.assert(
    fc.property(
      fc.array(key, { maxLength: 30 }),
      fc.oneof(fc.uniqueArray(key, { maxLength: 5 }), fc.array(key, { maxLength: 6 })),
      fc.constantFrom("inner", "left", "right", "outer") as fc.Arbitrary<
        "inner" | "left" | "right" | "outer"
      >,
      (lk, rk, how) => {
        const left: Batch = {
          names: ["k", "v"],
          columns: [
            columnFromCells("dict", lk),
            columnFromCells(
              "int32",
              lk.map((_, i) => i),
            ),
          ],
          length: lk.length,
        };
        const right: Batch = {
          names: ["r", "w"],
          columns: [
            columnFromCells("dict", rk),
            columnFromCells(
              "int32",
              rk.map((_, j) => 100 + j),
            ),
          ],
          length: rk.length,
        };
        const got = rows(joinBatches(left, right, ["k"], ["r"], how, "_r"));
        const want: unknown[][] = [];
        const matchedRight = new Set<number>();
        lk.forEach((k, i) => {
          let any = false;
          rk.forEach((r, j) => {
            if (r !== k) return;
            any = true;
            matchedRight.add(j);
            want.push([k, i, r, 100 + j]);
          });
          if (!any && (how === "left" || how === "outer")) want.push([k, i, null, null]);
        });
        if (how === "right" || how === "outer")
          rk.forEach((r, j) => {
            if (!matchedRight.has(j)) want.push([null, null, r, 100 + j]);
          });
        const order = (a: unknown[][]) => a.map((r) => JSON.stringify(r)).sort();
        assert.deepEqual(order(got), order(want));
      },
    ),
    { numRuns: 200 },
  );
});
