/** The pure parts of the P2P shuffle: which byte ranges to read from whom, bound keys, names. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  isSafeShuffleFile,
  isShuffleManifest,
  isWorkerBound,
  offsetsOf,
  readsByWorker,
  type ShuffleManifest,
  TRANSFER_KEY_PREFIX,
} from "../../../src/protocol/shuffle.js";

const manifest = (worker: string, file: string, lengths: number[]): ShuffleManifest => ({
  barnShuffle: 1,
  worker,
  file,
  offsets: offsetsOf(lengths),
});

test("offsets are the running sums of the piece lengths", () => {
  assert.deepEqual(offsetsOf([]), [0]);
  assert.deepEqual(offsetsOf([3, 0, 5]), [0, 3, 3, 8]);
});

test("piece j of every manifest is read once, grouped by holder, each back at its index", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          worker: fc.constantFrom("a", "b", "c"),
          lengths: fc.array(fc.nat(1000), { minLength: 4, maxLength: 4 }),
        }),
        { maxLength: 12 },
      ),
      fc.integer({ min: 0, max: 3 }),
      (specs, j) => {
        const ms = specs.map((s, i) => manifest(s.worker, `f${i}`, s.lengths));
        const groups = readsByWorker(ms, j);
        const seen = new Set<number>();
        for (const [w, list] of groups) {
          for (const { index, read } of list) {
            assert.equal(ms[index]!.worker, w);
            assert.equal(read.file, `f${index}`);
            assert.equal(read.length, specs[index]!.lengths[j]);
            assert.equal(
              read.offset,
              specs[index]!.lengths.slice(0, j).reduce((a, b) => a + b, 0),
            );
            assert.ok(!seen.has(index));
            seen.add(index);
          }
          const order = list.map((l) => l.index);
          assert.deepEqual(
            order,
            [...order].sort((a, b) => a - b),
          );
        }
        assert.equal(seen.size, ms.length);
      },
    ),
  );
});

test("a piece index past the manifest's pieces is an error, not an empty read", () => {
  assert.throws(() => readsByWorker([manifest("a", "f", [1, 2])], 2), RangeError);
});

test("transfer keys are bound to their worker; others are not", () => {
  assert.ok(isWorkerBound(`${TRANSFER_KEY_PREFIX}shuffle-ab-3-0`));
  assert.ok(!isWorkerBound("p2p-unpack-ab-4-0"));
  assert.ok(!isWorkerBound("hash-split-ab-1-0"));
});

test("manifests are recognised; peers may name only plain files", () => {
  assert.ok(isShuffleManifest(manifest("a", "f", [1])));
  assert.ok(!isShuffleManifest({ worker: "a" }));
  assert.ok(!isShuffleManifest(null));
  assert.ok(isSafeShuffleFile("shuffle-ab-1.3.a1b2c31.bsh"));
  for (const bad of ["../x", "/etc/passwd", "a/b", "..", ".", ""]) {
    assert.ok(!isSafeShuffleFile(bad), bad);
  }
});
