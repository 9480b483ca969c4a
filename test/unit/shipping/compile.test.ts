import assert from "node:assert/strict";
import { test } from "node:test";
import { BarnError, ErrorCodes } from "../../../src/errors.js";
import { FunctionCache } from "../../../src/shipping/compile.js";
import { type ShippedFn, shipFunction } from "../../../src/shipping/ship.js";
import { ops } from "./fixtures/ops.js";

/** What a worker does: the shipped data crosses a thread boundary, then is rebuilt. */
function roundTrip(fn: Function, cache = new FunctionCache()): Function {
  const rebuilt = cache.resolve(structuredClone(shipFunction(fn)));
  assert.equal(typeof rebuilt, "function", "source must resolve synchronously");
  return rebuilt as Function;
}

const methods = {
  double(x: number) {
    return x * 2;
  },
  *upTo(n: number) {
    for (let i = 0; i < n; i++) yield i;
  },
  get answer() {
    return 42;
  },
};

test("round trip: an arrow gives the same result", () => {
  const fn = (a: number, b: number) => a * 10 + b;
  assert.equal(roundTrip(fn)(4, 2), fn(4, 2));
});

test("round trip: async function and dynamic import", async () => {
  const fn = async (p: string) => (await import("node:path")).basename(p);
  assert.equal(await roundTrip(fn)("/a/b.txt"), "b.txt");
});

test("round trip: shorthand method, generator method and getter", () => {
  assert.equal(roundTrip(methods.double)(21), 42);
  assert.deepEqual([...roundTrip(methods.upTo)(3)], [0, 1, 2]);
  const getter = Object.getOwnPropertyDescriptor(methods, "answer")?.get;
  assert.ok(getter);
  assert.equal(roundTrip(getter)(), 42);
});

test("round trip: recursion by own name and arguments work after compiling", () => {
  function fact(n: number): number {
    return n <= 1 ? 1 : n * fact(n - 1);
  }
  function count() {
    // biome-ignore lint/complexity/noArguments: the case under test.
    return arguments.length;
  }
  assert.equal(roundTrip(fact)(5), 120);
  assert.equal(roundTrip(count)(1, 2, 3), 3);
});

test("round trip: compiled code is strict, like the ES module it came from", () => {
  function self() {
    // An inner function called plainly: `this` is undefined only in strict code.
    return (function (this: unknown) {
      return this;
    })();
  }
  assert.equal(roundTrip(self)(), undefined);
});

test("FunctionCache: compiles once per id", () => {
  const cache = new FunctionCache();
  const shipped = shipFunction((x: number) => x - 1);
  assert.equal(cache.getSync(shipped.id), undefined);
  const first = cache.resolve(structuredClone(shipped));
  assert.equal(cache.resolve(structuredClone(shipped)), first);
  assert.equal(cache.getSync(shipped.id), first);
  assert.equal(cache.size, 1);
});

test("FunctionCache: source that does not compile is a BarnError with a code", () => {
  const bad: ShippedFn = { kind: "source", id: "bad", name: "broken", source: "(x) => {" };
  assert.throws(
    () => new FunctionCache().resolve(bad),
    (err: unknown) =>
      err instanceof BarnError &&
      err.code === ErrorCodes.FUNCTION_NOT_SHIPPABLE &&
      /cannot compile shipped function "broken"/.test(err.message),
  );
});

test("FunctionCache: a module reference resolves to the registered function, then sync", async () => {
  const cache = new FunctionCache();
  const shipped = structuredClone(shipFunction(ops.scale));
  assert.equal(await cache.resolve(shipped), ops.scale);
  assert.equal(cache.getSync(shipped.id), ops.scale);
});
