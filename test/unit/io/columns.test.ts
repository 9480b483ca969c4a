// Column-building helpers shared by the readers, against their plain definitions.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { validFrom, validFromNullFlags } from "../../../src/io/columns.js";

test("validFromNullFlags builds the bitmap validFrom builds (every length, tails, no nulls)", () => {
  fc.assert(
    fc.property(fc.array(fc.boolean(), { maxLength: 90 }), (flags) => {
      const nulls = Uint8Array.from(flags, (f) => (f ? 1 : 0));
      const want = validFrom(nulls.length, (i) => nulls[i] === 1);
      assert.deepEqual(validFromNullFlags(nulls, nulls.length), want);
    }),
    { numRuns: 500 },
  );
  // Flags past `length` (a pooled buffer is longer than its rows) are not read.
  const pooled = Uint8Array.from([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
  assert.deepEqual(validFromNullFlags(pooled, 10), Uint8Array.from([0b11111101, 0b11]));
  assert.equal(validFromNullFlags(pooled.subarray(2), 8), undefined);
});
