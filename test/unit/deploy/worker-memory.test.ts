import assert from "node:assert/strict";
import { test } from "node:test";
import { MALLOC_ENV, workerProcessEnv } from "../../../src/deploy/worker-env.js";
import {
  heapLimits,
  processHeapFlags,
  youngGenerationMb,
} from "../../../src/deploy/worker-memory.js";

test("a worker process gets glibc's malloc thresholds fixed, so freed buffers go back to the OS", () => {
  const env = workerProcessEnv({ PATH: "/bin", BARN_TOKEN: "t" });
  assert.equal(env.MALLOC_MMAP_THRESHOLD_, "131072");
  assert.equal(env.MALLOC_TRIM_THRESHOLD_, "131072");
  assert.equal(env.PATH, "/bin");
  assert.equal(env.BARN_TOKEN, "t");
  assert.deepEqual(Object.keys(MALLOC_ENV).sort(), [
    "MALLOC_MMAP_THRESHOLD_",
    "MALLOC_TRIM_THRESHOLD_",
  ]);
});

test("a threshold the user set is kept, and the parent's environment is not changed", () => {
  const parent = { MALLOC_TRIM_THRESHOLD_: "0" };
  const env = workerProcessEnv(parent);
  assert.equal(env.MALLOC_TRIM_THRESHOLD_, "0");
  assert.equal(env.MALLOC_MMAP_THRESHOLD_, "131072");
  assert.deepEqual(parent, { MALLOC_TRIM_THRESHOLD_: "0" });
});

test("a worker with a small memory limit gets a young generation sized to it; large limits keep V8's", () => {
  const MiB = 2 ** 20;
  assert.equal(youngGenerationMb(256 * MiB), 16);
  assert.equal(youngGenerationMb(64 * MiB), 8, "at least 8 MiB");
  assert.equal(youngGenerationMb(760 * MiB), 47);
  assert.equal(youngGenerationMb(768 * MiB), undefined);
  assert.equal(youngGenerationMb(8 * 1024 * MiB), undefined);
  assert.deepEqual(heapLimits(256 * MiB), {
    maxOldGenerationSizeMb: 256,
    maxYoungGenerationSizeMb: 16,
  });
  assert.deepEqual(heapLimits(2048 * MiB), { maxOldGenerationSizeMb: 2048 });
  assert.equal(heapLimits(undefined), undefined, "no limit set: V8's defaults");
  assert.deepEqual(processHeapFlags(256 * MiB), ["--max-semi-space-size=5"]);
  assert.deepEqual(processHeapFlags(undefined), []);
  assert.deepEqual(processHeapFlags(4096 * MiB), []);
});
