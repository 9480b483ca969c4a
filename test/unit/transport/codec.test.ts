import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Packr } from "msgpackr";
import { BarnError, ErrorCodes } from "../../../src/errors.js";
import {
  decodeBody,
  encodeMessage,
  LARGE_BUFFER_BYTES,
  MessageReader,
  roundTrip,
} from "../../../src/transport/codec.js";
import { everyType, normalize, valueArb } from "./values.js";

test("every supported type survives encode + decode", () => {
  assert.deepEqual(roundTrip(everyType()), everyType());
});

test("property: random nested values survive encode + decode (-0 becomes 0)", () => {
  fc.assert(fc.property(valueArb, (v) => assert.deepEqual(roundTrip(v), normalize(v))));
});

test("a message decodes with an independent decoder: no state is shared between messages", () => {
  const opts = { moreTypes: true, mapsAsObjects: false, int64AsType: "bigint" as const };
  const first = encodeMessage([{ x: 1, y: "a" }]);
  const second = encodeMessage([{ x: 2, y: "b" }]);
  assert.deepEqual(new Packr(opts).unpack(second.body), [{ x: 2, y: "b" }]);
  assert.deepEqual(new Packr(opts).unpack(first.body), [{ x: 1, y: "a" }]);
});

test("large buffers travel outside the encoder, in order, and come back typed and aligned", () => {
  const n = LARGE_BUFFER_BYTES / 8;
  const f64 = new Float64Array(n).map((_, i) => i / 3);
  const bi = new BigInt64Array(n).map((_, i) => BigInt(i) - 5n);
  const sub = new Int16Array(new ArrayBuffer(LARGE_BUFFER_BYTES * 2), 2, LARGE_BUFFER_BYTES / 2);
  sub.fill(-4);
  const ab = new ArrayBuffer(LARGE_BUFFER_BYTES);
  const buf = Buffer.alloc(LARGE_BUFFER_BYTES, 1);
  const dv = new DataView(new ArrayBuffer(LARGE_BUFFER_BYTES));
  const msg = { a: [f64, { bi }], m: new Map([["sub", sub]]), s: new Set([ab]), buf, dv, x: 1 };
  const enc = encodeMessage(msg);
  assert.equal(enc.buffers.length, 6);
  assert.ok(enc.body.length < 200, "the encoder held only references");
  assert.equal(enc.buffers[0]!.buffer, f64.buffer, "a large buffer is sent as it is, not copied");
  // The message itself is untouched by the pre-pass.
  assert.equal(msg.a[0], f64);
  // As the frame parser would hand them over: each in an ArrayBuffer of its own.
  const own = enc.buffers.map((b) => new Uint8Array(b.slice()));
  const reader = new MessageReader();
  assert.equal(reader.push(Buffer.concat([enc.head.subarray(4), enc.body])), undefined);
  for (const b of own.slice(0, -1)) assert.equal(reader.push(b), undefined);
  const out = reader.push(own.at(-1)!)!.message as typeof msg;
  assert.deepEqual(out, msg);
  assert.ok(out.a[0] instanceof Float64Array);
  assert.equal(
    (out.a[0] as Float64Array).buffer,
    own[0]!.buffer,
    "decoded over the frame, no copy",
  );
  assert.ok(out.buf instanceof Buffer);
  assert.ok(out.dv instanceof DataView);
  assert.equal((out.m.get("sub") as Int16Array).byteOffset, 0);
});

test("small binary values are copied out of the chunk they came in", () => {
  const enc = encodeMessage({ b: Buffer.from("abc"), u: new Uint8Array([1, 2]) });
  const chunk = new Uint8Array(enc.body); // as the frame parser hands it over: no Buffer
  const out = decodeBody(chunk, []) as { b: Buffer; u: Uint8Array };
  chunk.fill(0);
  assert.ok(Buffer.isBuffer(out.b));
  assert.equal(out.b.toString(), "abc");
  assert.deepEqual([...out.u], [1, 2]);
});

test("garbage, a missing buffer frame and a wrong element size are FRAME_INVALID", () => {
  const invalid = (e: unknown) => e instanceof BarnError && e.code === ErrorCodes.FRAME_INVALID;
  assert.throws(() => decodeBody(new Uint8Array([0xd9, 0x10, 0x41]), []), invalid);
  assert.throws(() => decodeBody(new Uint8Array([0xdc, 0xff]), []), invalid);
  const enc = encodeMessage({ big: new Float64Array(LARGE_BUFFER_BYTES / 8) });
  assert.throws(() => decodeBody(enc.body, []), invalid);
  assert.throws(() => decodeBody(enc.body, [new Uint8Array(LARGE_BUFFER_BYTES + 3)]), invalid);
  assert.throws(() => new MessageReader().push(new Uint8Array([0, 0])), invalid);
  assert.throws(() => new MessageReader().push(new Uint8Array([0xff, 0xff, 0xff, 0xff])), invalid);
});

test("an unencodable message is NOT_TRANSFERABLE at send time", () => {
  assert.throws(() => encodeMessage({ s: Symbol("x") }), { code: ErrorCodes.NOT_TRANSFERABLE });
});
