import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCodes, ShippingError } from "../../../src/errors.js";
import { functionName, shipFunction } from "../../../src/shipping/ship.js";
import { ops } from "./fixtures/ops.js";

const threshold = 0.5;
const scaleA = 2;
const offsetB = 1;

function score(x: number) {
  return x > threshold;
}

function shippingError(fn: Function): ShippingError {
  try {
    shipFunction(fn);
  } catch (err) {
    assert.ok(err instanceof ShippingError, `expected ShippingError, got ${String(err)}`);
    assert.equal(err.code, ErrorCodes.FUNCTION_NOT_SHIPPABLE);
    return err;
  }
  assert.fail("expected shipFunction to throw");
}

test("shipFunction: an inline function ships as its source", () => {
  const fn = (x: number) => x + 1;
  const shipped = shipFunction(fn);
  assert.equal(shipped.kind, "source");
  assert.equal(shipped.kind === "source" && shipped.source, fn.toString());
  assert.equal(shipped.name, "fn");
  assert.match(shipped.id, /^[0-9a-f]{32}$/);
});

test("shipFunction: a captured variable fails with the name and both fixes", () => {
  const err = shippingError(score);
  assert.deepEqual(err.captured, ["threshold"]);
  assert.equal(
    err.message,
    'cannot ship function "score" to workers: it uses "threshold", which is defined outside it. ' +
      "Fix: pass it as an argument (client.submit((x, threshold) => ..., x, threshold)), or " +
      "declare the function in a module with tasks(import.meta.url, { score }) and submit ops.score.",
  );
});

test("shipFunction: several captured variables are all named", () => {
  const err = shippingError([(x: number) => x * scaleA + offsetB][0]!);
  assert.deepEqual(err.captured, ["scaleA", "offsetB"]);
  assert.match(err.message, /anonymous function `\(x\) => x \* scaleA \+ offsetB`/);
  assert.match(err.message, /"scaleA" and "offsetB", which are defined outside it/);
  assert.match(
    err.message,
    /client\.submit\(\(x, scaleA, offsetB\) => \.\.\., x, scaleA, offsetB\)/,
  );
  assert.match(err.message, /tasks\(import\.meta\.url, \{ myTask \}\) and submit ops\.myTask/);
});

test("shipFunction: `this` from an enclosing method is reported", () => {
  const obj = {
    k: 3,
    make() {
      return (x: number) => x * this.k;
    },
  };
  const err = shippingError(obj.make());
  assert.deepEqual(err.captured, ["this"]);
  assert.match(err.message, /uses "this"/);
});

test("shipFunction: a method that uses its own `this` is refused, naming `this` and the fix", () => {
  const shape = {
    width: 2,
    height: 3,
    area() {
      return this.width * this.height;
    },
  };
  const err = shippingError(shape.area);
  assert.deepEqual(err.captured, ["this"]);
  assert.match(err.message, /cannot ship function "area" to workers: it uses "this"/);
  assert.match(err.message, /with no object as `this`/);
  assert.match(
    err.message,
    /Fix: pass it as an argument \(client\.submit\(\(x, self\) => \.\.\., x, self\)\)/,
  );
  class Box {
    constructor(readonly side: number) {}
    volume() {
      return this.side ** 3;
    }
  }
  assert.deepEqual(shippingError(new Box(2).volume).captured, ["this"]);
  assert.deepEqual(
    shippingError(function named(this: { k: number }) {
      return this.k;
    }).captured,
    ["this"],
  );
});

test("shipFunction: class constructors are not shippable", () => {
  class Model {}
  const err = shippingError(Model);
  assert.match(err.message, /cannot ship class "Model".*makeModel/);
});

test("shipFunction: native and bound functions are not shippable", () => {
  assert.match(shippingError(Math.max).message, /native or bound function/);
  assert.match(shippingError(((x: number) => x).bind(null)).message, /native or bound function/);
});

test("shipFunction: source that does not parse is a ShippingError, not a SyntaxError", () => {
  class WithPrivate {
    #secret() {
      return 1;
    }
    get secret() {
      return this.#secret;
    }
  }
  const err = shippingError(new WithPrivate().secret);
  assert.match(err.message, /could not be parsed/);
});

test("shipFunction: the same function object gives the same object back", () => {
  const fn = (x: number) => x * 2;
  assert.equal(shipFunction(fn), shipFunction(fn));
  const twin = (x: number) => x * 2;
  assert.notEqual(shipFunction(twin), shipFunction(fn));
  assert.equal(shipFunction(twin).id, shipFunction(fn).id, "same source, same content id");
});

test("shipFunction: a repeated call costs about a WeakMap lookup", () => {
  const fn = (x: number) => x + 1;
  shipFunction(fn);
  const start = performance.now();
  for (let i = 0; i < 100_000; i++) shipFunction(fn);
  const ms = performance.now() - start;
  assert.ok(ms < 100, `100,000 cached calls took ${ms.toFixed(1)} ms`);
});

test("shipFunction: a function declared with tasks() ships as a module reference", () => {
  const shipped = shipFunction(ops.label);
  assert.equal(shipped.kind, "module");
  assert.equal(shipped.name, "label");
  assert.equal(
    shipped.kind === "module" && shipped.url,
    new URL("./fixtures/ops.js", import.meta.url).href,
  );
  assert.notEqual(shipFunction(ops.scale).id, shipped.id);
});

test("functionName: the function's name, or lambda", () => {
  assert.equal(functionName(score), "score");
  assert.equal(functionName([() => 1][0]!), "lambda");
});
