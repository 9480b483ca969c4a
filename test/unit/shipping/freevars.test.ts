import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { freeVariables } from "../../../src/shipping/freevars.js";

// Real functions: their toString() is what tsc emits, i.e. what users' compiled code gives.
const threshold = 0.5;
const scaleA = 2;
const offsetB = 1;
const DEFAULT = 7;
const fallback = 3;
const suffix = "!";
const KEY = "k";
let counter = 0;
const helper = (x: number) => x + 1;
class Base {}

class Holder {
  factor = 2;
  make() {
    return (x: number) => x * this.factor;
  }
}

const methods = {
  double(x: number) {
    return x * 2;
  },
  async *items(n: number) {
    for (let i = 0; i < n; i++) yield i;
  },
  get size() {
    return 42;
  },
  [KEY]() {
    return 1;
  },
  viaSuper() {
    return super.toString();
  },
  factor: 2,
  scaled(x: number) {
    return x * this.factor;
  },
};

class Statics {
  readonly kind = "statics";
  static triple(x: number) {
    return 3 * x;
  }
}

type Case = readonly [label: string, fn: Function | string, captured: readonly string[]];

const CASES: readonly Case[] = [
  ["arrow", (x: number) => x + 1, []],
  ["function declaration", add, []],
  ["async arrow", async (x: number) => (await Promise.resolve(x)) + 1, []],
  ["generator", gen, []],
  ["default parameter from a parameter", (x: number, y = x * 2) => x + y, []],
  [
    "destructuring and rest",
    ({ a, b: [c, ...rest] }: { a: number; b: number[] }, ...more: number[]) =>
      a + (c ?? 0) + rest.length + more.length,
    [],
  ],
  ["class inside", classInside, []],
  ["catch clause", tryParse, []],
  ["labels", labels, []],
  ["shorthand method", methods.double, []],
  ["async generator method", methods.items, []],
  ["getter", Object.getOwnPropertyDescriptor(methods, "size")?.get ?? "", []],
  ["static method", Statics.triple, []],
  ["arguments in a function", usesArguments, []],
  ["arguments in a top-level arrow", "() => arguments[0]", ["arguments"]],
  ["this in a function", usesThis, ["this"]],
  ["this in a method", methods.scaled, ["this"]],
  ["this in a function inside", thisInside, []],
  ["this in an arrow from a method", new Holder().make(), ["this"]],
  ["recursion by own name", fact, []],
  ["safe globals", (xs: number[]) => Math.max(...xs) + JSON.stringify([...new Map()]).length, []],
  ["dynamic import", async () => (await import("node:path")).sep, []],
  ["parameter shadows outer", (threshold: number) => threshold + 1, []],
  ["nested closure", (x: number) => [1].map((v) => v * x * 2), []],
  ["private fields in an inner class", privateFields, []],
  ["new.target", usesNewTarget, []],
  ["captured constant", (x: number) => x > threshold, ["threshold"]],
  ["two captured, in order of use", (x: number) => x * scaleA + offsetB, ["scaleA", "offsetB"]],
  ["captured function", (x: number) => helper(x), ["helper"]],
  ["imported binding", (p: string) => join(p, "x"), ["join"]],
  ["assignment to outer", () => counter++, ["counter"]],
  ["optional chaining and ??", (o?: { a?: number }) => o?.a ?? DEFAULT, ["DEFAULT"]],
  ["class extends outer", () => new (class extends Base {})(), ["Base"]],
  ["default parameter from outer", (x = DEFAULT) => x, ["DEFAULT"]],
  ["destructuring default from outer", ({ a = fallback }: { a?: number }) => a, ["fallback"]],
  ["template literal", (x: number) => `${x}${suffix}`, ["suffix"]],
  ["computed method key", methods[KEY], ["KEY"]],
  ["super in a detached method", methods.viaSuper, ["super"]],
  ["import.meta", () => import.meta.url, ["import.meta"]],
  ["trailing line comment", "(x) => x // done", []],
];

for (const [label, fn, captured] of CASES) {
  test(`freeVariables: ${label}`, () => {
    const source = typeof fn === "string" ? fn : fn.toString();
    assert.deepEqual(freeVariables(source), captured, source);
  });
}

test("freeVariables: text that is not a function throws SyntaxError", () => {
  assert.throws(() => freeVariables("#private() {}"), SyntaxError);
});

function add(a: number, b: number) {
  return a + b;
}
function* gen(n: number) {
  for (let i = 0; i < n; i++) yield i;
}
function classInside(x: number) {
  class P {
    constructor(readonly v: number) {}
    get twice() {
      return this.v * 2;
    }
  }
  return new P(x).twice;
}
function tryParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch (e) {
    return String(e);
  }
}
function labels(n: number) {
  let count = 0;
  outer: for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (j > i) continue outer;
      if (i > 5) break outer;
      count++;
    }
  }
  return count;
}
function usesArguments() {
  // biome-ignore lint/complexity/noArguments: the case under test.
  return arguments.length;
}
function usesThis(this: unknown) {
  return this;
}
function thisInside(xs: number[]) {
  return xs.map(
    function (this: { k: number }, x) {
      return x * this.k;
    },
    { k: 2 },
  );
}
function fact(n: number): number {
  return n <= 1 ? 1 : n * fact(n - 1);
}
function privateFields() {
  class C {
    #x = 1;
    get x() {
      return this.#x;
    }
  }
  return new C().x;
}
function usesNewTarget() {
  return new.target;
}
