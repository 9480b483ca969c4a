import assert from "node:assert/strict";
import { test } from "node:test";
import { Future } from "../../../src/client/future.js";
import { KeyRecord } from "../../../src/client/key-record.js";
import {
  parseBytes,
  validateConnectOptions,
  validateTaskOptions,
} from "../../../src/client/options.js";
import { collectFutures, rebuild } from "../../../src/client/walk.js";
import { BarnError, ErrorCodes } from "../../../src/errors.js";
import { SHARE_THRESHOLD, shareLargeBuffers } from "../../../src/worker/share.js";
import { sizeof } from "../../../src/worker/sizeof.js";

const owner = {
  resultOf: async () => undefined,
  cancelKeys: async () => {},
  releaseRecord: () => {},
  waiting: () => {},
};

test("sizeof is exact for binary data and bounded for big arrays", () => {
  assert.equal(sizeof(new Float64Array(10)), 80);
  assert.equal(sizeof(new ArrayBuffer(7)), 7);
  assert.equal(sizeof(1), 8);
  const big = Array.from({ length: 100_000 }, () => 1.5);
  assert.equal(sizeof(big), 16 + 8 * 100_000);
  assert.ok(sizeof({ a: "xx", b: [1, 2] }) > 0);
});

test("shareLargeBuffers moves big buffers to shared memory once and keeps small ones", () => {
  const small = new Float64Array(4);
  assert.equal(shareLargeBuffers(small), small);
  const big = new Float64Array(SHARE_THRESHOLD / 8).fill(2);
  const s = shareLargeBuffers(big) as Float64Array;
  assert.ok(s.buffer instanceof SharedArrayBuffer);
  assert.deepEqual(Array.from(s.subarray(0, 3)), [2, 2, 2]);
  assert.equal(shareLargeBuffers(s), s);
  const nested = { a: [big], n: 1 };
  const ns = shareLargeBuffers(nested) as { a: Float64Array[]; n: number };
  assert.notEqual(ns, nested);
  assert.ok(ns.a[0]!.buffer instanceof SharedArrayBuffer);
  assert.equal(nested.a[0], big, "the input is not mutated");
});

test("KeyRecord wakes waiters once when settled", () => {
  const r = new KeyRecord("k", owner);
  let n = 0;
  r.onDone(() => n++);
  r.onDone(() => n++);
  assert.equal(n, 0);
  r.settle("finished");
  assert.equal(n, 2);
  r.onDone(() => n++);
  assert.equal(n, 3);
});

test("collectFutures and rebuild keep the shape", () => {
  const a = new Future(new KeyRecord("a", owner));
  const b = new Future(new KeyRecord("b", owner));
  const x = { one: a, list: [b, a, 3], s: "text" };
  assert.deepEqual(
    collectFutures(x).map((f) => f.key),
    ["a", "b"],
  );
  const values = new Map<string, unknown>([
    ["a", 1],
    ["b", 2],
  ]);
  assert.deepEqual(rebuild(x, values), { one: 1, list: [2, 1, 3], s: "text" });
});

test("options are validated with errors that name the option", () => {
  assert.equal(parseBytes("memoryLimit", "4GiB"), 4 * 2 ** 30);
  assert.equal(parseBytes("memoryLimit", "512MB"), 512e6);
  const bad = (f: () => void, name: string) =>
    assert.throws(
      f,
      (e: unknown) =>
        e instanceof BarnError && e.code === ErrorCodes.INVALID_OPTION && e.message.includes(name),
    );
  bad(() => parseBytes("memoryLimit", "lots"), "memoryLimit");
  bad(() => validateConnectOptions({ workers: 0 }), "workers");
  bad(() => validateConnectOptions({ scheduler: "fast" as "sync" }), "scheduler");
  bad(() => validateConnectOptions({ resources: { GPU: -1 } }), "resources");
  bad(() => validateTaskOptions({ priority: Number.NaN }), "priority");
  bad(() => validateTaskOptions({ workers: "w0" as unknown as string[] }), "workers");
  validateTaskOptions({
    priority: 1,
    retries: 2,
    resources: { GPU: 1 },
    workers: ["a"],
    pure: true,
  });
});
