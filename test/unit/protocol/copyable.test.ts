/** What a task may return: the result check and the Buffer marks that cross threads. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { uncopyablePart } from "../../../src/protocol/copyable.js";
import { markBuffers, shareLargeBuffers, unmarkBuffers } from "../../../src/worker/share.js";

test("plain data, binary, dates, maps and shared references are copyable", () => {
  const shared = { x: 1 };
  const ok: unknown[] = [
    1,
    "s",
    null,
    undefined,
    10n,
    [1, [2, { a: "b" }]],
    new Float64Array(4),
    Buffer.from("hi"),
    new ArrayBuffer(8),
    new Date(0),
    /re/,
    new Error("e"),
    new Map([["k", { v: [1] }]]),
    new Set([1, "a"]),
    { a: shared, b: shared, c: [shared] },
    Object.create(null),
    new (class Point {
      x = 1;
      norm(): number {
        return this.x;
      }
    })(),
  ];
  for (const [i, v] of ok.entries()) assert.equal(uncopyablePart(v), undefined, `case ${i}`);
});

test("functions, symbols, promises, weak collections and cycles are named with their path", () => {
  const cyc: Record<string, unknown> = { a: [1] };
  (cyc.a as unknown[]).push(cyc);
  const cases: [unknown, string][] = [
    [() => 1, "a function"],
    [Symbol("s"), "a symbol"],
    [{ f: () => 1 }, "a function at .f"],
    [{ a: [0, { b: Symbol() }] }, "a symbol at .a[1].b"],
    [new Map([["k", () => 1]]), 'a function at .get("k")'],
    [new Set([Promise.resolve(1)]), "a promise (await it inside the task) at .<set item>"],
    [{ w: new WeakMap() }, "a weak collection at .w"],
    [cyc, "a circular reference at .a[1]"],
  ];
  for (const [v, want] of cases) assert.equal(uncopyablePart(v), want);
});

test("Buffers cross a structured clone as Buffers over the same memory", () => {
  const big = shareLargeBuffers(Buffer.alloc(70_000, 5)) as Buffer;
  assert.ok(Buffer.isBuffer(big), "sharing keeps the Buffer type");
  assert.ok(big.buffer instanceof SharedArrayBuffer);
  const value = { top: big, list: [Buffer.from("a"), 3], plain: new Uint8Array(2) };
  const back = unmarkBuffers(structuredClone(markBuffers(value))) as typeof value;
  assert.ok(Buffer.isBuffer(back.top) && back.top.length === 70_000 && back.top[0] === 5);
  assert.ok(Buffer.isBuffer(back.list[0]));
  assert.equal(back.list[1], 3);
  assert.ok(!Buffer.isBuffer(back.plain), "a Uint8Array stays a Uint8Array");
  assert.equal(markBuffers(value.plain), value.plain, "nothing to mark: the same object");
  assert.equal(markBuffers(7), 7);
});
