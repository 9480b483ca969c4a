/**
 * Messages on the wire. A message is one frame, `[u32 count][msgpack]`, followed by `count`
 * frames holding its large binary buffers (typed arrays, ArrayBuffers, Buffers, DataViews of
 * at least LARGE_BUFFER_BYTES, anywhere inside it). Large buffers are never copied into the
 * encoder: a pre-pass swaps them for small references (a msgpackr extension carrying the index
 * and the buffer's type) and their bytes go to the socket as they are. On decode each reference
 * becomes a fresh typed array of the original type over its frame's own ArrayBuffer (the frame
 * parser gives large frames one at offset 0), so it is aligned and not copied again.
 */
import { addExtension, Packr } from "msgpackr";
import { BarnError, ErrorCodes } from "../errors.js";
import { OWN_BUFFER_BYTES } from "./framing.js";

/** Binary values of at least this many bytes travel as frames of their own. */
export const LARGE_BUFFER_BYTES = OWN_BUFFER_BYTES;

/** Most large buffers one message may carry (a bound for hostile counts). */
export const MAX_BUFFERS = 1 << 20;

/** The msgpack extension type of a large-buffer reference ('L'). */
const LARGE_REF_EXT = 0x4c;

/**
 * Chosen for what Barn sends (measured in bench-transport.ts): records make repeated object
 * shapes compact and fast; maps stay Maps; int64 stays bigint; small binary values are copied
 * out of the socket's chunk so they do not pin it.
 */
const packr = new Packr({
  moreTypes: true,
  mapsAsObjects: false,
  int64AsType: "bigint",
  useBigIntExtension: true,
  copyBuffers: true,
});

/** Constructors of the binary kinds, by the code written in a reference. */
const KINDS = [
  ArrayBuffer,
  Buffer,
  DataView,
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const;

/** Stands in for a large buffer inside the encoded message. Private to this module. */
class LargeRef {
  constructor(
    readonly index: number,
    readonly kind: number,
  ) {}
}

/** The buffer frames of the message being decoded (set only during `packr.unpack`). */
let decodingBuffers: readonly Uint8Array[] | undefined;

addExtension({
  Class: LargeRef,
  type: LARGE_REF_EXT,
  pack(ref: LargeRef): Buffer {
    const b = Buffer.allocUnsafe(5);
    b.writeUInt8(ref.kind, 0);
    b.writeUInt32BE(ref.index, 1);
    return b;
  },
  unpack(data: Uint8Array): unknown {
    const frames = decodingBuffers;
    const index = data.length === 5 ? new DataView(data.buffer, data.byteOffset).getUint32(1) : -1;
    const frame = frames?.[index];
    if (frame === undefined) throw invalid("a large-buffer reference points at no buffer frame");
    return fromFrame(data[0]!, frame);
  },
});

/** What one message becomes: its frame (head + body), then one payload per large buffer. */
export interface EncodedMessage {
  /**
   * 8 bytes: the message frame's length prefix, then the first 4 bytes of its payload (the
   * buffer count). One small chunk per message instead of two, and no DataView.
   */
  readonly head: Uint8Array;
  /** The msgpack body: the rest of the message frame's payload. */
  readonly body: Uint8Array;
  readonly buffers: readonly Uint8Array[];
  /** Total bytes on the wire, frame headers included. */
  readonly bytes: number;
}

/**
 * Encode a message. Throws a BarnError (NOT_TRANSFERABLE) when msgpackr cannot encode it.
 */
export function encodeMessage(msg: unknown): EncodedMessage {
  const buffers: Uint8Array[] = [];
  let body: Uint8Array;
  try {
    body = packr.pack(extractLarge(msg, buffers));
  } catch (err) {
    throw new BarnError(
      ErrorCodes.NOT_TRANSFERABLE,
      `cannot encode the message: ${(err as Error).message}; send plain data (objects, arrays, strings, numbers, bigint, Map, Set, Date, typed arrays)`,
      { cause: err },
    );
  }
  const head = Buffer.allocUnsafe(8);
  head.writeUInt32BE(4 + body.length, 0);
  head.writeUInt32BE(buffers.length, 4);
  let bytes = 8 + body.length;
  for (const b of buffers) bytes += 4 + b.byteLength;
  return { head, body, buffers, bytes };
}

/** Assembles messages from frames: a message frame, then its buffer frames. */
export class MessageReader {
  /**
   * Most buffer frames one message may announce. The stream connection keeps it at 0 until the
   * handshake completed (handshake messages carry none), then raises it to MAX_BUFFERS.
   */
  maxBuffers = MAX_BUFFERS;
  #body: Uint8Array | undefined;
  #expected = 0;
  #buffers: Uint8Array[] = [];

  /**
   * Feed one frame. Returns `{ message }` when it completed a message, undefined when more
   * frames are needed. Throws a BarnError (FRAME_INVALID) for a frame that does not decode.
   */
  push(frame: Uint8Array): { message: unknown } | undefined {
    if (this.#body === undefined) {
      if (frame.length < 4) throw invalid(`a message frame of ${frame.length} bytes is too short`);
      const count = ((frame[0]! << 24) >>> 0) + ((frame[1]! << 16) | (frame[2]! << 8) | frame[3]!);
      if (count > this.maxBuffers) {
        throw invalid(`a message claims ${count} buffer frames (at most ${this.maxBuffers} here)`);
      }
      this.#body = frame.subarray(4);
      this.#expected = count;
    } else {
      this.#buffers.push(frame);
    }
    if (this.#buffers.length < this.#expected) return undefined;
    const body = this.#body;
    const buffers = this.#buffers;
    this.#body = undefined;
    this.#buffers = [];
    return { message: decodeBody(body, buffers) };
  }
}

/** Decode a message frame's msgpack with its buffer frames (exported for tests). */
export function decodeBody(body: Uint8Array, buffers: readonly Uint8Array[]): unknown {
  decodingBuffers = buffers;
  try {
    // msgpackr decodes binary as the source's type: a Buffer view makes small Buffers Buffers.
    return packr.unpack(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  } catch (err) {
    if (err instanceof BarnError) throw err;
    throw invalid(`the message does not decode (${(err as Error).message})`);
  } finally {
    decodingBuffers = undefined;
  }
}

/** Encode and decode in one go, as the other end would see it (for tests and inproc checks). */
export function roundTrip(msg: unknown): unknown {
  const enc = encodeMessage(msg);
  const own = enc.buffers.map((b) => new Uint8Array(b.slice().buffer as ArrayBuffer));
  return decodeBody(enc.body.slice(), own);
}

/**
 * Copy-on-write walk: returns `value` itself when it holds no large buffer, else a copy of the
 * containers on the way to each large buffer with the buffer swapped for a LargeRef.
 */
function extractLarge(value: unknown, out: Uint8Array[]): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (ArrayBuffer.isView(value)) {
    if (value.byteLength < LARGE_BUFFER_BYTES) return value;
    out.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    return new LargeRef(out.length - 1, kindOf(value));
  }
  if (value instanceof ArrayBuffer) {
    if (value.byteLength < LARGE_BUFFER_BYTES) return value;
    out.push(new Uint8Array(value));
    return new LargeRef(out.length - 1, 0);
  }
  if (Array.isArray(value)) return extractArray(value, out);
  if (value instanceof Map) return extractMap(value, out);
  if (value instanceof Set) {
    const before = out.length;
    const items = extractArray([...value], out);
    return out.length === before ? value : new Set(items);
  }
  if (value instanceof Date || value instanceof RegExp || value instanceof Error) return value;
  return extractObject(value as Record<string, unknown>, out);
}

function extractArray(a: readonly unknown[], out: Uint8Array[]): readonly unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (typeof x !== "object" || x === null) continue;
    const y = extractLarge(x, out);
    if (y !== x) (copy ??= a.slice())[i] = y;
  }
  return copy ?? a;
}

function extractMap(m: Map<unknown, unknown>, out: Uint8Array[]): Map<unknown, unknown> {
  const before = out.length;
  const entries: [unknown, unknown][] = [];
  for (const [k, v] of m) entries.push([extractLarge(k, out), extractLarge(v, out)]);
  return out.length === before ? m : new Map(entries);
}

function extractObject(o: Record<string, unknown>, out: Uint8Array[]): object {
  let copy: Record<string, unknown> | undefined;
  for (const k of Object.keys(o)) {
    const x = o[k];
    if (typeof x !== "object" || x === null) continue;
    const y = extractLarge(x, out);
    if (y !== x) (copy ??= { ...o })[k] = y;
  }
  return copy ?? o;
}

function kindOf(view: ArrayBufferView): number {
  if (Buffer.isBuffer(view)) return 1;
  const i = KINDS.indexOf(view.constructor as (typeof KINDS)[number]);
  return i < 0 ? 4 : i;
}

function fromFrame(kind: number, frame: Uint8Array): unknown {
  const Kind = KINDS[kind];
  if (Kind === undefined) throw invalid(`unknown large-buffer kind ${kind}`);
  const owned = frame.byteOffset === 0 && frame.byteLength === frame.buffer.byteLength;
  const buf = (owned ? frame.buffer : frame.slice().buffer) as ArrayBuffer;
  if (Kind === ArrayBuffer) return buf;
  if (Kind === Buffer) return Buffer.from(buf);
  if (Kind === DataView) return new DataView(buf);
  const Typed = Kind as Float64ArrayConstructor;
  if (buf.byteLength % Typed.BYTES_PER_ELEMENT !== 0) {
    throw invalid(`${buf.byteLength} bytes are not a whole number of ${Kind.name} elements`);
  }
  return new Typed(buf);
}

function invalid(what: string): BarnError {
  return new BarnError(
    ErrorCodes.FRAME_INVALID,
    `invalid message from the other end: ${what}; both ends must run the same Barn version`,
  );
}
