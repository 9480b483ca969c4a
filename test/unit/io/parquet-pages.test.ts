// The page-level pieces of the Parquet fast path, each against an independent implementation:
// the snappy decoder against hyparquet's JavaScript decoder on blocks that hyparquet-writer's
// compressor made, and the dictionary-index unpacker against hyparquet's RLE/bit-packed reader
// on runs that hyparquet-writer's encoder wrote, the definition-level reader the same way, and
// the string store against plain JavaScript strings.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { snappyUncompress } from "hyparquet";
import { readRleBitPackedHybrid } from "hyparquet/src/encoding.js";
import { ByteWriter } from "hyparquet-writer/src/bytewriter.js";
import { writeRleBitPackedHybrid } from "hyparquet-writer/src/encoding.js";
import { snappyCompress } from "hyparquet-writer/src/snappy.js";
import { utf8At, utf8Strings } from "../../../src/io/columns.js";
import { unpackIndices } from "../../../src/io/parquet-indices.js";
import { readLevels } from "../../../src/io/parquet-levels.js";
import { StringEntries } from "../../../src/io/parquet-strings.js";
import { snappyWasm } from "../../../src/io/snappy.js";

/** Bytes that compress in places: random literals, repeats at random distances, runs. */
const blockArb = fc
  .array(
    fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      fc.record({
        back: fc.integer({ min: 1, max: 70_000 }),
        len: fc.integer({ min: 4, max: 200 }),
      }),
      fc.record({ byte: fc.integer({ min: 0, max: 255 }), len: fc.integer({ min: 1, max: 5000 }) }),
    ),
    { maxLength: 60 },
  )
  .map((pieces) => {
    const out: number[] = [];
    for (const p of pieces) {
      if (p instanceof Uint8Array) out.push(...p);
      else if ("back" in p) {
        const from = Math.max(0, out.length - p.back);
        for (let i = 0; i < p.len && out.length > 0; i++)
          out.push(out[from + (i % (out.length - from))]!);
      } else for (let i = 0; i < p.len; i++) out.push(p.byte);
    }
    return Uint8Array.from(out);
  });

test("hysnappy's wasm decoder loads here (the hysnappy version in package.json)", () => {
  assert.ok(
    snappyWasm() !== undefined,
    "the wasm decoder is live; the JS fallback is not what runs",
  );
});

test("snappy: the wasm decoder returns what hyparquet's JavaScript decoder returns", () => {
  const wasm = snappyWasm()!;
  fc.assert(
    fc.property(blockArb, (raw) => {
      const packed = snappyCompress(raw);
      const want = new Uint8Array(raw.length);
      snappyUncompress(packed, want);
      assert.deepEqual(want, raw, "the oracle round-trips");
      assert.deepEqual(Uint8Array.from(wasm(packed, raw.length)), raw);
    }),
    { numRuns: 200 },
  );
  // A block larger than the module's memory grows it; a small one after it still decodes.
  const big = new Uint8Array(3 * 2 ** 20).map((_, i) => (i * 7919) % 251);
  assert.deepEqual(Uint8Array.from(wasm(snappyCompress(big), big.length)), big);
  const small = Uint8Array.from([1, 2, 3, 1, 2, 3, 1, 2, 3]);
  assert.deepEqual(Uint8Array.from(wasm(snappyCompress(small), small.length)), small);
});

test("snappy: a damaged block fails with an error instead of returning bytes", () => {
  const wasm = snappyWasm()!;
  const raw = new Uint8Array(10_000).map((_, i) => (i * 31) % 97);
  const packed = snappyCompress(raw);
  assert.throws(() => wasm(packed, raw.length + 1), /declares 10000 bytes/);
  assert.throws(() => wasm(packed.subarray(0, packed.length >> 1), raw.length), /snappy/);
  assert.throws(() => wasm(new Uint8Array(0), 5), /snappy/);
});

/** Indices of `width` bits: long runs and scattered values, below `limit`. */
function indicesArb(width: number, limit: number) {
  const top = Math.min(2 ** width, limit);
  const value = fc.integer({ min: 0, max: top - 1 });
  return fc
    .array(
      fc.oneof(
        fc.array(value, { minLength: 1, maxLength: 40 }),
        fc.tuple(value, fc.integer({ min: 1, max: 300 })).map(([v, n]) => Array(n).fill(v)),
      ),
      { maxLength: 30 },
    )
    .map((runs) => runs.flat() as number[]);
}

test("dictionary indices: unpackIndices maps the values hyparquet-writer encoded, at widths 1-31", () => {
  // hyparquet-writer writes zeros at width 32, and hyparquet's reader loses bits from width 25
  // on (both seen here), so the encoder's input is the oracle and hyparquet's reader a second
  // one up to width 24. Width 32 is checked by hand below.
  for (let width = 1; width <= 31; width++) {
    const limit = Math.min(2 ** width, 1 << 16);
    fc.assert(
      fc.property(indicesArb(width, limit), fc.integer({ min: 0, max: 5 }), (values, at) => {
        const writer = new ByteWriter();
        writeRleBitPackedHybrid(writer, values, width);
        const runs = new Uint8Array(writer.getBuffer());
        if (width <= 24) {
          const read = new Int32Array(values.length);
          const reader = { view: new DataView(runs.buffer), offset: 0 };
          readRleBitPackedHybrid(reader, width, read, runs.length);
          assert.deepEqual(Array.from(read), values, "hyparquet reads what was written");
        }
        // A map that is not the identity, so a missed lookup shows.
        const map = Int32Array.from({ length: limit }, (_, i) => limit - 1 - i);
        const out = new Int32Array(at + values.length).fill(-7);
        assert.ok(unpackIndices(runs, width, map, out, at, values.length), `width ${width}`);
        const want = [...Array(at).fill(-7), ...values.map((v) => limit - 1 - v)];
        assert.deepEqual(Array.from(out), want, `width ${width}`);
      }),
      { numRuns: 25 },
    );
  }
});

test("dictionary indices: width 0, an index past the dictionary, and runs that end early", () => {
  const out = new Int32Array(4);
  assert.ok(unpackIndices(new Uint8Array(0), 0, Int32Array.of(9), out, 0, 4));
  assert.deepEqual(Array.from(out), [9, 9, 9, 9]);
  assert.equal(unpackIndices(new Uint8Array(0), 0, new Int32Array(0), out, 0, 4), false);

  const writer = new ByteWriter();
  writeRleBitPackedHybrid(writer, [0, 1, 2, 3, 4, 5, 6, 7, 5, 5, 5, 5, 5, 5, 5, 5, 5], 3);
  const runs = new Uint8Array(writer.getBuffer());
  const wide = Int32Array.from({ length: 8 }, (_, i) => i);
  assert.ok(unpackIndices(runs, 3, wide, new Int32Array(17), 0, 17));
  assert.equal(unpackIndices(runs, 3, wide.subarray(0, 5), new Int32Array(17), 0, 17), false);
  assert.equal(unpackIndices(runs, 3, wide, new Int32Array(18), 0, 18), false);
  assert.equal(unpackIndices(runs.subarray(0, 3), 3, wide, new Int32Array(17), 0, 17), false);
  assert.equal(unpackIndices(runs, 33, wide, new Int32Array(17), 0, 17), false);

  // Width 32: one bit-packed group of eight little-endian 32-bit indices.
  const group = Uint32Array.of(5, 0, 7, 1, 6, 2, 4, 3);
  const packed = Uint8Array.of(0b11, ...new Uint8Array(group.buffer));
  const map = Int32Array.from({ length: 8 }, (_, i) => 100 + i);
  const got = new Int32Array(8);
  assert.ok(unpackIndices(packed, 32, map, got, 0, 8));
  assert.deepEqual(
    Array.from(got),
    Array.from(group, (v) => 100 + v),
  );
});

test("definition levels: readLevels reads what hyparquet-writer encoded and counts the values", () => {
  const levelsArb = fc.array(
    fc.oneof(
      fc.record({ v: fc.integer({ min: 0, max: 1 }), n: fc.integer({ min: 1, max: 40 }) }),
      fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: 20 }),
    ),
    { minLength: 1, maxLength: 12 },
  );
  fc.assert(
    fc.property(levelsArb, (pieces) => {
      const values = pieces.flatMap((p) => (Array.isArray(p) ? p : Array(p.n).fill(p.v)));
      const writer = new ByteWriter();
      writeRleBitPackedHybrid(writer, values, 1);
      const runs = new Uint8Array(writer.getBuffer());
      const out = new Uint8Array(values.length);
      const got = readLevels(runs, 0, runs.length, values.length, out);
      assert.ok(got !== undefined);
      const present = values.filter((v) => v === 1).length;
      assert.equal(got.present, present);
      assert.equal(got.all, present === values.length);
      if (!got.all) assert.deepEqual(Array.from(out), values);
    }),
    { numRuns: 300 },
  );
  // One RLE run of 1s covering the page: recognised without expanding it.
  const writer = new ByteWriter();
  writeRleBitPackedHybrid(writer, Array(1000).fill(1), 1);
  const runs = new Uint8Array(writer.getBuffer());
  const untouched = new Uint8Array(1000).fill(7);
  assert.deepEqual(readLevels(runs, 0, runs.length, 1000, untouched), { present: 1000, all: true });
  assert.equal(untouched[0], 7);
  // Runs that end early are damage, not zeros.
  assert.equal(readLevels(runs, 0, 1, 1000, untouched), undefined);
});

test("string entries: merging stores each byte string once, across rehashes; appending keeps every one", () => {
  const enc = new TextEncoder();
  fc.assert(
    fc.property(
      fc.array(fc.string({ unit: "grapheme", maxLength: 5 }), { maxLength: 3000 }),
      (strs) => {
        const merged = new StringEntries(true);
        const appended = new StringEntries(false);
        const codes = new Int32Array(strs.length);
        const all = new Int32Array(strs.length);
        strs.forEach((s, i) => {
          const b = enc.encode(`_${s}`);
          codes[i] = merged.add(b, 1, b.length - 1);
          all[i] = appended.add(b, 1, b.length - 1);
        });
        const dict = merged.column();
        assert.equal(dict.length, new Set(strs).size);
        assert.deepEqual(
          Array.from(codes, (c) => utf8At(dict, c)),
          strs,
        );
        assert.equal(appended.count, strs.length);
        assert.deepEqual(utf8Strings(appended.gather(all, strs.length, undefined)), strs);
      },
    ),
    { numRuns: 30 },
  );
});
