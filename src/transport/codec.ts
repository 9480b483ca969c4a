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
const MAX_BUFFERS = 1 << 20;

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

/** What one message becomes: the message frame's parts, then one payload per large buffer. */
export interface EncodedMessage {
  /** The message frame's payload, in two parts (count prefix, msgpack) to avoid a concat. */
  readonly head: readonly [Uint8Array, Uint8Array];
  readonly buffers: readonly Uint8Array[];
  /** Total payload bytes (without frame headers). */
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
  const count = new Uint8Array(4);
  new DataView(count.buffer).setUint32(0, buffers.length);
  let bytes = 4 + body.length;
  for (const b of buffers) bytes += b.byteLength;
  return { head: [count, body], buffers, bytes };
}

/** Assembles messages from frames: a message frame, then its buffer frames. */
export class MessageReader {
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
      const count = new DataView(frame.buffer, frame.byteOffset).getUint32(0);
      if (count > MAX_BUFFERS) throw invalid(`a message claims ${count} buffer frames`);
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
    return packr.unpack(body);
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
  return decodeBody(enc.head[1].slice(), own);
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
