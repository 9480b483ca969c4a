import assert from "node:assert/strict";
import { test } from "node:test";
import { delayed } from "../../../src/client/delayed.js";
import { ErrorCodes, ShippingError } from "../../../src/errors.js";

const threshold = 0.5;

function isShippingError(captured: readonly string[]) {
  return (err: unknown) => {
    assert.ok(err instanceof ShippingError, `expected ShippingError, got ${String(err)}`);
    assert.equal(err.code, ErrorCodes.FUNCTION_NOT_SHIPPABLE);
    assert.deepEqual(err.captured, captured);
    assert.match(err.message, /Fix:/);
    return true;
  };
}

test("delayed: a closure is refused when it is wrapped, before any call or compute()", () => {
  assert.throws(() => delayed((x: number) => x > threshold), isShippingError(["threshold"]));
});

test("delayed: a method that uses `this` is refused when it is wrapped", () => {
  const counter = {
    step: 2,
    next(x: number) {
      return x + this.step;
    },
  };
  assert.throws(() => delayed(counter.next), isShippingError(["this"]));
});

test("delayed: a shippable function records calls as before", () => {
  const inc = delayed((x: number) => x + 1);
  assert.equal(inc(inc(1)).graph().size, 2);
  assert.equal(delayed(threshold).graph().size, 1, "a value, not a function, is data");
});
