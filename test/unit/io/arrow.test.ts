import assert from "node:assert/strict";
import { test } from "node:test";
import { Null, Table, tableFromArrays, tableFromJSON, Uint32, vectorFromArray } from "apache-arrow";
import fc from "fast-check";
import { batchFromArrow, batchFromRecords, batchToArrow } from "../../../src/io/arrow.js";
import { columnCells } from "../../../src/io/columns.js";
import { batchArb, cellsOf } from "./helpers.js";

test("batch -> arrow -> batch keeps every type, value and null", () => {
  fc.assert(
    fc.property(batchArb(), (batch) => {
      const table = batchToArrow(batch);
      assert.equal(table.numRows, batch.length);
      const back = batchFromArrow(table);
      assert.deepEqual(
        back.columns.map((c) => c.type),
        batch.columns.map((c) => c.type),
      );
      assert.deepEqual(cellsOf(back), cellsOf(batch));
    }),
    { numRuns: 60 },
  );
});

test("batchToArrow wraps numeric and string buffers without copying", () => {
  const batch = batchFromRecords([
    { a: 1, s: "x" },
    { a: 2, s: "yy" },
  ]);
  const table = batchToArrow(batch);
  assert.equal(table.getChild("a")!.data[0]!.values, batch.columns[0]!.data);
  assert.equal(table.getChild("s")!.data[0]!.values.buffer, batch.columns[1]!.data.buffer);
  assert.equal(table.getChild("s")!.data[0]!.valueOffsets, batch.columns[1]!.offsets);
  assert.equal(table.getChild("s")!.get(1), "yy");
});

test("batchFromArrow reads tables built by arrow itself (several types, several chunks)", () => {
  const t1 = tableFromArrays({
    x: Float64Array.from([1, 2]),
    n: Int32Array.from([3, 4]),
    s: ["a", "b"],
  });
  const t2 = tableFromArrays({ x: Float64Array.from([5]), n: Int32Array.from([6]), s: ["c"] });
  const b = batchFromArrow(t1.concat(t2));
  assert.deepEqual(cellsOf(b), { x: [1, 2, 5], n: [3, 4, 6], s: ["a", "b", "c"] });
  const j = batchFromArrow(
    tableFromJSON([
      { k: "p", v: null },
      { k: null, v: 2.5 },
    ]),
  );
  assert.deepEqual(cellsOf(j), { k: ["p", null], v: [null, 2.5] });
});

test("batchFromRecords infers types from values, and rejects mixed kinds naming the column", () => {
  const b = batchFromRecords([
    { i: 1, f: 1.5, s: "a", b: true, t: new Date(5), l: 2n ** 40n, z: null },
    { i: null, f: 2, s: null, b: false, t: null, l: 1n },
  ]);
  assert.deepEqual(
    b.columns.map((c) => c.type),
    ["int32", "float64", "utf8", "bool", "timestamp", "int64", "float64"],
  );
  assert.deepEqual(columnCells(b.columns[4]!), [5, null]);
  assert.deepEqual(columnCells(b.columns[6]!), [null, null]);
  assert.throws(
    () => batchFromRecords([{ m: 1 }, { m: "x" }]),
    /column "m" mixes number and string/,
  );
  const typed = batchFromRecords([{ k: "x" }], [{ name: "k", type: "dict", nullable: false }]);
  assert.equal(typed.columns[0]!.type, "dict");
});

test("batchFromArrow: Uint32 beyond int32 becomes float64, a Null column all-null float64", () => {
  const t = new Table({
    u: vectorFromArray([1, 4_000_000_000, null], new Uint32()),
    z: vectorFromArray([null, null], new Null()).concat(vectorFromArray([null], new Null())),
  });
  const b = batchFromArrow(t);
  assert.deepEqual(
    b.columns.map((c) => c.type),
    ["float64", "float64"],
  );
  assert.deepEqual(cellsOf(b), { u: [1, 4_000_000_000, null], z: [null, null, null] });
});
