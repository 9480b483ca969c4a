/**
 * The paired reduction's tile fold in WebAssembly (exec/fold-wasm.ts) against plain JavaScript
 * over tiles the generator left in its memory: bit for bit, for every tile shape's column
 * groups (eight, two, the odd last one), both passes, the operations it compiles; and what it
 * must leave to the JavaScript fold.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  foldable,
  foldSlots,
  wasmTileFold,
} from "../../../src/collections/array/exec/fold-wasm.js";
import { keyOf, tileInBox } from "../../../src/collections/array/exec/random-wasm.js";
import type { Expr } from "../../../src/collections/array/expr.js";

const F = "float64" as const;
const x = (i: number): Expr => ({ e: "in", i, t: F });
const k = (v: number): Expr => ({ e: "const", v, t: F });
const bin = (op: "add" | "sub" | "mul" | "div", a: Expr, b: Expr): Expr => ({
  e: "bin",
  op,
  a,
  b,
  t: F,
});
const un = (op: "neg" | "abs" | "sqrt" | "floor" | "ceil", e: Expr): Expr => ({
  e: "un",
  op,
  x: e,
  t: F,
});

/** Each expression with its plain-JS value, operand 0 read as X, operand 1 as X.T. */
const CASES: [string, Expr, (a: number, b: number) => number][] = [
  ["x + x.T", bin("add", x(0), x(1)), (a, b) => a + b],
  ["x.T - x", bin("sub", x(1), x(0)), (a, b) => b - a],
  [
    "|x - 2.5 x.T| / sqrt(x.T + 1)",
    bin(
      "div",
      un("abs", bin("sub", x(0), bin("mul", x(1), k(2.5)))),
      un("sqrt", bin("add", x(1), k(1))),
    ),
    (a, b) => Math.abs(a - b * 2.5) / Math.sqrt(b + 1),
  ],
  [
    "floor(10 x) - ceil(-10 x.T)",
    bin(
      "sub",
      un("floor", bin("mul", x(0), k(10))),
      un("ceil", un("neg", bin("mul", x(1), k(10)))),
    ),
    (a, b) => Math.floor(a * 10) - Math.ceil(-(b * 10)),
  ],
  ["x * x (X twice)", bin("mul", x(0), x(1)), (a, b) => a * b],
];

test("fold-wasm: sums and squared deviations bit for bit those of plain JavaScript, any tile shape", () => {
  if (process.env.BARN_NO_WASM === "1") return; // asked for the JavaScript fold only
  const slots = foldSlots();
  assert.ok(slots !== null, "Node 20 and later have WebAssembly SIMD");
  const key = keyOf(11);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: CASES.length - 1 }),
      fc.integer({ min: 1, max: 64 }),
      fc.integer({ min: 1, max: 64 }),
      fc.boolean(),
      fc.integer({ min: 0, max: 1_000_000 }),
      (which, h, w, dev, g) => {
        const [, e, js] = CASES[which]!;
        const roles = which === 4 ? [true, true] : [true, false];
        const fold = wasmTileFold(e, roles, dev ? "dev" : "sum");
        assert.ok(fold !== null);
        const P = tileInBox(0, g, 3000, h, w, key)!; // h x w, row stride w
        const Q = tileInBox(1, g + 7_000_000, 3000, w, h, key)!; // w x h: X.T reads Q[c * h + r]
        const mu = Float64Array.from({ length: 64 }, (_, c) => (c % 7) / 3);
        slots.mu.set(mu);
        fold(P.byteOffset, w * 8, Q.byteOffset, h * 8, h, w);
        for (let c = 0; c < w; c++) {
          let s = 0;
          for (let r = 0; r < h; r++) {
            const v = js(P[r * w + c]!, roles[1] ? P[r * w + c]! : Q[c * h + r]!);
            if (dev) {
              const d = v - mu[c]!;
              s += d * d;
            } else s += v;
          }
          assert.ok(
            Object.is(slots.out[c], s),
            `column ${c} of ${h} x ${w}: ${slots.out[c]} vs ${s}`,
          );
        }
      },
    ),
    { numRuns: 300 },
  );
});

test("fold-wasm: what it does not compile is left to the JavaScript fold", () => {
  assert.ok(foldable(bin("add", x(0), x(1))));
  assert.ok(!foldable({ e: "un", op: "exp", x: x(0), t: F }), "exp needs Math.exp");
  assert.ok(!foldable({ e: "in", i: 0, t: "float32" }), "float32 rounds every step");
  assert.ok(!foldable(bin("add", x(0), { e: "in", i: 1, t: "int64" } as Expr)));
  assert.ok(!foldable({ e: "bin", op: "maximum", a: x(0), b: x(1), t: F }));
  assert.equal(wasmTileFold({ e: "un", op: "log", x: x(0), t: F }, [true], "sum"), null);
});

test("fold-wasm: constants JSON cannot tell apart (NaN, Infinity, -Infinity, -0) get folds of their own", () => {
  if (process.env.BARN_NO_WASM === "1") return;
  const slots = foldSlots();
  assert.ok(slots !== null);
  const P = tileInBox(0, 5, 100, 2, 2, keyOf(3))!;
  const Q = tileInBox(1, 500, 100, 2, 2, keyOf(3))!;
  const sums = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0].map((c) => {
    const fold = wasmTileFold(bin("add", bin("add", x(0), x(1)), k(c)), [true, false], "sum")!;
    fold(P.byteOffset, 16, Q.byteOffset, 16, 2, 2);
    return slots.out[0]!;
  });
  assert.ok(Number.isNaN(sums[0]));
  assert.equal(sums[1], Number.POSITIVE_INFINITY);
  assert.equal(sums[2], Number.NEGATIVE_INFINITY);
  assert.ok(Number.isFinite(sums[3]) && sums[3] === sums[4]);
});
