import assert from "node:assert/strict";
import { test } from "node:test";
import { giveBack, takeScratch, takeScratchInt32 } from "../../../src/kernels/scratch.js";

test("scratch buffers given back are reused by the next take that fits, best fit first", () => {
  const big = takeScratch(3 << 20);
  const small = takeScratch(100_000);
  assert.equal(big.length, 3 << 20);
  giveBack(big);
  giveBack(small);
  giveBack(small); // twice: kept once
  const again = takeScratch(90_000);
  assert.equal(again.buffer, small.buffer, "the smaller buffer that fits");
  assert.equal(again.length, 90_000);
  const ints = takeScratchInt32(1000);
  assert.equal(ints.buffer, big.buffer, "the other one is still pooled");
  assert.equal(ints.byteOffset, 0);
  const fresh = takeScratch(10);
  assert.notEqual(fresh.buffer, big.buffer);
  assert.notEqual(fresh.buffer, small.buffer);
  // The pool is empty again: both its buffers are taken.
});

test("the pool keeps at most 8 buffers, dropping the smallest", () => {
  const views = Array.from({ length: 10 }, (_, i) => takeScratch((i + 1) * 70_000));
  for (const v of views) giveBack(v);
  // The two smallest were dropped: takes of their sizes get one of the larger buffers.
  const got = Array.from({ length: 8 }, () => takeScratch(1).buffer.byteLength).sort(
    (a, b) => a - b,
  );
  assert.deepEqual(
    got,
    views
      .slice(2)
      .map((v) => v.buffer.byteLength)
      .sort((a, b) => a - b),
  );
});

test("buffers under 64 KiB are not pooled", () => {
  const tiny = new Uint8Array(1000);
  giveBack(tiny);
  assert.notEqual(takeScratch(10).buffer, tiny.buffer);
});
