/**
 * Memory management's pure parts: how much to spill, which results (least recently used),
 * when to pause; the worker state machine paused; the store and spill files against a real
 * directory (small values, fast).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ErrorCodes } from "../../../src/errors.js";
import { MemoryMonitor } from "../../../src/worker/memory-monitor.js";
import {
  bytesToSpill,
  chooseSpill,
  DEFAULT_MEMORY_FRACTIONS as F,
  shouldPause,
} from "../../../src/worker/memory-policy.js";
import { SpillDisk } from "../../../src/worker/spill-disk.js";
import { ResultStore } from "../../../src/worker/store.js";
import { ct, ok, run, worker } from "./helpers.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "barn-memory-test-"));
  dirs.push(d);
  return d;
}

test("bytesToSpill: managed bytes above the target, or the whole worker above spill", () => {
  const limit = 1000;
  assert.equal(bytesToSpill({ limit, managed: 500, total: 550 }, F), 0);
  assert.equal(bytesToSpill({ limit, managed: 700, total: 700 }, F), 100);
  // Above the spill fraction (0.7) by unmanaged memory: spill down to the target (0.6).
  assert.equal(bytesToSpill({ limit, managed: 300, total: 750 }, F), 150);
  // Never more than what is in memory.
  assert.equal(bytesToSpill({ limit, managed: 50, total: 990 }, F), 50);
  assert.equal(bytesToSpill({ limit, managed: 900, total: 900 }, { ...F, target: false }), 0);
});

test("shouldPause: above the pause fraction, with results worth spilling", () => {
  assert.equal(shouldPause({ limit: 1000, managed: 500, total: 800 }, F), false);
  assert.equal(shouldPause({ limit: 1000, managed: 500, total: 801 }, F), true);
  // A baseline above the line with (almost) no results: pausing could never end.
  assert.equal(shouldPause({ limit: 1000, managed: 50, total: 900 }, F), false);
  assert.equal(
    shouldPause({ limit: 1000, managed: 500, total: 999 }, { ...F, pause: false }),
    false,
  );
});

test("chooseSpill: least recently used first, skipping pinned, until the bytes are reached", () => {
  const lru: [string, number][] = [
    ["a", 10],
    ["b", 10],
    ["c", 10],
    ["d", 10],
  ];
  assert.deepEqual(
    chooseSpill(lru, 15, () => false),
    ["a", "b"],
  );
  assert.deepEqual(
    chooseSpill(lru, 15, (k) => k === "a"),
    ["b", "c"],
  );
  assert.deepEqual(
    chooseSpill(lru, 1000, () => false),
    ["a", "b", "c", "d"],
  );
  assert.deepEqual(
    chooseSpill(lru, 0, () => false),
    [],
  );
});

test("a paused worker starts no task and fetches no input until resumed", () => {
  const ws = worker();
  assert.deepEqual(run(ws, { type: "set-paused", stimulusId: "m1", paused: true }), []);
  assert.deepEqual(run(ws, ct("x"), ct("y", { deps: { z: ["w1"] } })), []);
  assert.equal(ws.stateOf("x"), "ready");
  assert.equal(ws.stateOf("z"), "fetch");
  assert.deepEqual(run(ws, { type: "set-paused", stimulusId: "m2", paused: false }), [
    "execute x",
    "gather w1 z",
  ]);
  // What already runs finishes while paused; the next task waits.
  run(ws, ct("v"));
  run(ws, { type: "set-paused", stimulusId: "m3", paused: true });
  assert.deepEqual(run(ws, ok("x")), ["finished x"], "v does not start");
  assert.equal(ws.stateOf("v"), "ready");
  assert.equal(ws.dump().paused, true);
});

test("the store spills least recently used results and reads them back, typed arrays intact", async () => {
  const store = new ResultStore(new SpillDisk(join(tempDir(), "w0")));
  const big = new Float64Array(20_000).map((_, i) => i * 0.5); // 160 kB: a raw buffer on disk
  const nested = {
    cols: [new Int32Array(30_000).fill(7), new Uint8Array(3)],
    n: 5n,
    m: new Map([["k", "v"]]),
  };
  store.set("big", big, big.byteLength);
  store.set("nested", nested, 120_012);
  store.set("small", "hello", 26);
  store.get("big"); // used: now the most recent
  const changed = new Promise<void>((r) => (store.onChange = r));
  store.spill(100_000);
  assert.equal(store.writingBytes, 120_012, "the least recently used (nested) is written first");
  await changed;
  assert.equal(store.inMemory("nested"), false);
  assert.equal(store.spilled, 120_012);
  assert.equal(store.managed, big.byteLength + 26);
  await store.pinAndLoad(["nested"]);
  const back = store.get("nested") as typeof nested;
  store.unpin(["nested"]);
  assert.deepEqual(back, nested);
  assert.ok(back.cols[0] instanceof Int32Array && back.cols[0].byteOffset === 0);
  assert.ok(back.cols[0].buffer instanceof SharedArrayBuffer, "read back into shared memory");
  assert.equal(store.spilled, 0);
  // Read back, it keeps its file: moving it out again needs no write.
  store.get("small");
  store.get("big");
  store.spill(1);
  assert.equal(store.inMemory("nested"), false);
  assert.equal(store.writingBytes, 0);
});

test("a spill directory that cannot be made: SPILL_FAILED names it, the value stays in memory", async () => {
  const parent = tempDir();
  const file = join(parent, "not-a-dir");
  writeFileSync(file, "x");
  const store = new ResultStore(new SpillDisk(join(file, "w0")));
  const v = new Float64Array(10_000).fill(3);
  store.set("a", v, v.byteLength);
  const changed = new Promise<void>((r) => (store.onChange = r));
  store.spill(1);
  await changed;
  assert.equal(store.spillError?.name, "BarnError");
  assert.equal((store.spillError as { code?: string }).code, ErrorCodes.SPILL_FAILED);
  assert.match(store.spillError!.message, /not-a-dir/);
  assert.equal(store.inMemory("a"), true);
  assert.equal(store.get("a"), v);
});

test("afterStore: a result that takes the worker past the pause line pauses it before the call returns", () => {
  const MiB = 2 ** 20;
  const store = new ResultStore(undefined);
  const calls: boolean[] = [];
  const init = { limit: 8 * MiB, localDirectory: "/nonexistent", ownProcess: false, fractions: F };
  const monitor = new MemoryMonitor(init, store, { send() {}, setPaused: (p) => calls.push(p) });
  try {
    // Small results first: no pause (below a MiB stored, storing measures nothing).
    store.set("small", "x", 100);
    monitor.afterStore();
    assert.deepEqual(calls, []);
    // 7 MiB of results on an 8 MiB worker: past 80% whatever its heap.
    store.set("big", new Uint8Array(8), 7 * MiB);
    monitor.afterStore();
    assert.deepEqual(calls, [true], "paused at once, ahead of the success the shell sends next");
    store.delete("big");
    monitor.check();
    assert.deepEqual(calls, [true, false], "resumed once the result is gone");
  } finally {
    monitor.stop();
  }
});

test("reserve: room promised to a read under way is not offered twice, and comes back once on release", () => {
  const MiB = 2 ** 20;
  const store = new ResultStore(undefined);
  const init = {
    limit: 1024 * MiB,
    localDirectory: "/nonexistent",
    ownProcess: false,
    fractions: F,
  };
  const monitor = new MemoryMonitor(init, store, { send() {}, setPaused() {} });
  try {
    const near = (a: number, b: number) => Math.abs(a - b) < 16 * MiB; // the heap moves a little
    const before = monitor.headroom();
    const release = monitor.reserve(300 * MiB);
    const second = monitor.reserve(200 * MiB);
    assert.ok(near(monitor.headroom(), before - 500 * MiB), "both reads' bytes are taken");
    release();
    release(); // a second call gives nothing back twice
    assert.ok(near(monitor.headroom(), before - 200 * MiB));
    second();
    assert.ok(near(monitor.headroom(), before));
  } finally {
    monitor.stop();
  }
});
