/** Values of every type Barn sends, for round-trip tests, and a fast-check arbitrary of them. */
import fc from "fast-check";

/** A fresh message holding one of each supported type (small binary inline). */
export function everyType() {
  return {
    obj: { a: 1, b: "two", c: [3, { d: null }] },
    arr: [1, "a", null, undefined, true, false],
    str: "héllo wörld ✓ 日本",
    empty: "",
    int: 42,
    neg: -(2 ** 31),
    big53: Number.MAX_SAFE_INTEGER,
    float: Math.PI,
    nan: Number.NaN,
    inf: Number.POSITIVE_INFINITY,
    bigint: 12345678901234567890n,
    hugeBigint: -(2n ** 200n) + 17n,
    smallBigint: 5n,
    undef: undefined,
    nul: null,
    map: new Map<unknown, unknown>([
      [1, "one"],
      ["k", { v: [1, 2] }],
    ]),
    set: new Set<unknown>([1, "a", 2n]),
    date: new Date(Date.UTC(2024, 1, 29, 12, 30, 15, 123)),
    f64: new Float64Array([1.5, -2, Number.NaN]),
    f32: new Float32Array([0.25, 8]),
    i8: new Int8Array([-128, 127]),
    u8: new Uint8Array([0, 255]),
    u8c: new Uint8ClampedArray([1, 2]),
    i16: new Int16Array([-3]),
    u16: new Uint16Array([65535]),
    i32: new Int32Array([-(2 ** 31)]),
    u32: new Uint32Array([2 ** 32 - 1]),
    bi64: new BigInt64Array([-(2n ** 63n)]),
    bu64: new BigUint64Array([2n ** 64n - 1n]),
    ab: new Uint8Array([9, 8, 7]).buffer,
    buf: Buffer.from("buffer"),
    nested: { deeper: { deepest: [new Map([["s", new Set(["x"])]])] } },
  };
}

const key = fc.string({ maxLength: 8 }).filter((k) => k !== "__proto__");
const leaf = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.bigInt(),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.date({ noInvalidDate: true }),
  fc.float64Array({ maxLength: 8 }),
  fc.int32Array({ maxLength: 8 }),
  fc.uint8Array({ maxLength: 8 }),
  fc.bigInt64Array({ maxLength: 4 }),
);

/** Random nested values of the supported types. */
export const valueArb: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("v"), { maxLength: 5 }),
    fc.dictionary(key, tie("v"), { maxKeys: 5 }),
    fc
      .array(fc.tuple(fc.oneof(fc.string({ maxLength: 5 }), fc.integer()), tie("v")), {
        maxLength: 4,
      })
      .map((es) => new Map(es)),
    fc
      .array(fc.oneof(fc.string({ maxLength: 5 }), fc.integer()), { maxLength: 4 })
      .map((xs) => new Set(xs)),
  ),
})).v;

/** What msgpack makes of a value: -0 becomes 0 (everything else comes back as it went). */
export function normalize(v: unknown): unknown {
  if (Object.is(v, -0)) return 0;
  if (typeof v !== "object" || v === null || ArrayBuffer.isView(v) || v instanceof Date) return v;
  if (Array.isArray(v)) return v.map(normalize);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [normalize(k), normalize(x)]));
  if (v instanceof Set) return new Set([...v].map(normalize));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
}
