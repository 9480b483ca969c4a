import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { BarnError, ErrorCodes } from "../../../src/errors.js";
import { FrameParser, frameHeader, OWN_BUFFER_BYTES } from "../../../src/transport/framing.js";

function encode(frames: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(frames.flatMap((f) => [frameHeader(f.length), f]));
}

function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  return out;
}

test("property: any chunking of a stream of frames gives back the same frames", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
      fc.array(fc.nat(), { maxLength: 30 }),
      (frames, cuts) => {
        const parser = new FrameParser(1000);
        const got = split(encode(frames), cuts).flatMap((c) => parser.push(c));
        assert.deepEqual(
          got.map((f) => [...f]),
          frames.map((f) => [...f]),
        );
        assert.equal(parser.pendingBytes, 0);
      },
    ),
  );
});

test("a large frame lands in a fresh ArrayBuffer at offset 0, even inside one chunk", () => {
  const payload = new Uint8Array(OWN_BUFFER_BYTES + 8).map((_, i) => i);
  const chunk = Buffer.concat([Buffer.from([1, 2, 3]), encode([payload])]).subarray(3);
  const [frame] = new FrameParser().push(chunk);
  assert.ok(frame !== undefined);
  assert.equal(frame.byteOffset, 0);
  assert.equal(frame.buffer.byteLength, payload.length);
  assert.deepEqual(frame, payload);
});

test("a small frame inside one chunk is not copied", () => {
  const chunk = encode([new Uint8Array([5, 6, 7])]);
  const [frame] = new FrameParser().push(chunk);
  assert.equal(frame?.buffer, chunk.buffer);
});

test("an oversized length prefix is FRAME_TOO_LARGE before anything is allocated, and stays failed", () => {
  const parser = new FrameParser(1024);
  const check = (e: unknown) =>
    e instanceof BarnError &&
    e.code === ErrorCodes.FRAME_TOO_LARGE &&
    /4294967295 bytes, more than the limit of 1024/.test(e.message);
  assert.deepEqual(parser.push(new Uint8Array([0xff, 0xff])), []); // half a prefix: wait
  assert.throws(() => parser.push(new Uint8Array([0xff, 0xff, 1, 2, 3])), check);
  assert.throws(() => parser.push(encode([new Uint8Array(1)])), check);
});

test("a frame exactly at the limit is accepted, one byte more is not", () => {
  assert.equal(new FrameParser(10).push(encode([new Uint8Array(10)]))[0]?.length, 10);
  assert.throws(() => new FrameParser(10).push(frameHeader(11)), {
    code: ErrorCodes.FRAME_TOO_LARGE,
  });
});
