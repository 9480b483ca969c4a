/**
 * How a result looks on disk. Large binary buffers (typed arrays, ArrayBuffers, Buffers,
 * DataViews of SHARE_THRESHOLD bytes or more, anywhere inside the value, as in a Batch's
 * columns) are written as their raw bytes, never copied into an encoder; the rest of the value
 * is msgpack (msgpackr), with a small reference where each large buffer was. Reading back, each
 * large buffer gets an ArrayBuffer of its own (aligned, so typed arrays over it work, and code
 * that uses `.buffer` sees only its own bytes).
 *
 * File: "BSP1", u32 buffer count n, u32 body length, n x f64 buffer lengths, n x u8 kinds,
 * the msgpack body, then the n buffers' bytes in order.
 */
import { addExtension, Packr } from "msgpackr";
import { SHARE_THRESHOLD } from "./share.js";

const MAGIC = 0x42535031; // "BSP1"
/** The msgpack extension type of a spilled-buffer reference ('S'). */
const SPILL_REF_EXT = 0x53;

const packr = new Packr({
  moreTypes: true,
  mapsAsObjects: false,
  int64AsType: "bigint",
  useBigIntExtension: true,
  copyBuffers: true,
});

/** Constructors of the binary kinds, by the code written in the file. */
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

/** Stands in for a large buffer inside the body. Private to this module. */
class SpillRef {
  constructor(readonly index: number) {}
}

/** The buffers of the file being decoded (set only during `packr.unpack`). */
let decoding: readonly unknown[] | undefined;

addExtension({
  Class: SpillRef,
  type: SPILL_REF_EXT,
  pack(ref: SpillRef): Buffer {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(ref.index, 0);
    return b;
  },
  unpack(data: Uint8Array): unknown {
    const index = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
    return decoding?.[index];
  },
});

/** A value ready to write: the head (magic, counts, lengths, kinds, body), then the buffers. */
export interface EncodedSpill {
  readonly head: Uint8Array;
  readonly buffers: readonly Uint8Array[];
  readonly bytes: number;
}

/** Encode `value`; throws what msgpackr throws for a value it cannot encode. */
export function encodeSpill(value: unknown): EncodedSpill {
  const buffers: Uint8Array[] = [];
  const kinds: number[] = [];
  const body = packr.pack(extract(value, buffers, kinds));
  const n = buffers.length;
  const head = new Uint8Array(12 + 9 * n + body.length);
  const dv = new DataView(head.buffer);
  dv.setUint32(0, MAGIC);
  dv.setUint32(4, n);
  dv.setUint32(8, body.length);
  for (let i = 0; i < n; i++) dv.setFloat64(12 + 8 * i, buffers[i]!.byteLength);
  for (let i = 0; i < n; i++) head[12 + 8 * n + i] = kinds[i]!;
  head.set(body, 12 + 9 * n);
  let bytes = head.length;
  for (const b of buffers) bytes += b.byteLength;
  return { head, buffers, bytes };
}

/** What the reader needs to know after the first 12 bytes. */
export interface SpillLayout {
  readonly count: number;
  readonly bodyLength: number;
}

/** Reads the fixed start of a file; undefined when it is not a spill file. */
export function readLayout(start: Uint8Array): SpillLayout | undefined {
  if (start.length < 12) return undefined;
  const dv = new DataView(start.buffer, start.byteOffset, 12);
  if (dv.getUint32(0) !== MAGIC) return undefined;
  return { count: dv.getUint32(4), bodyLength: dv.getUint32(8) };
}

/** Buffer lengths and kinds, from the `9 * count` bytes after the fixed start. */
export function readTable(
  table: Uint8Array,
  count: number,
): { lengths: number[]; kinds: number[] } {
  const dv = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const lengths: number[] = [];
  const kinds: number[] = [];
  for (let i = 0; i < count; i++) lengths.push(dv.getFloat64(8 * i));
  for (let i = 0; i < count; i++) kinds.push(table[8 * count + i]!);
  return { lengths, kinds };
}

/** The value back from its body and its buffers (each an ArrayBuffer of its own). */
export function decodeSpill(
  body: Uint8Array,
  buffers: readonly (ArrayBuffer | SharedArrayBuffer)[],
  kinds: readonly number[],
): unknown {
  decoding = buffers.map((ab, i) => view(kinds[i]!, ab));
  try {
    return packr.unpack(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  } finally {
    decoding = undefined;
  }
}

function view(kind: number, ab: ArrayBuffer | SharedArrayBuffer): unknown {
  const Ctor = KINDS[kind];
  if (Ctor === ArrayBuffer || Ctor === undefined) return ab;
  if (Ctor === Buffer) return Buffer.from(ab as ArrayBuffer);
  return new (Ctor as new (b: ArrayBuffer | SharedArrayBuffer) => unknown)(ab);
}

function kindOf(v: ArrayBufferView | ArrayBuffer | SharedArrayBuffer): number {
  if (Buffer.isBuffer(v)) return 1;
  for (let i = 2; i < KINDS.length; i++) if (v instanceof KINDS[i]!) return i;
  return 0;
}

/**
 * Copy-on-write walk through plain arrays, objects, Maps and Sets: large buffers become
 * SpillRefs (their bytes go to `out`); returns `value` itself when it holds none.
 */
function extract(value: unknown, out: Uint8Array[], kinds: number[]): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (ArrayBuffer.isView(value)) {
    if (value.byteLength < SHARE_THRESHOLD) return value;
    out.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    kinds.push(kindOf(value));
    return new SpillRef(out.length - 1);
  }
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) {
    if (value.byteLength < SHARE_THRESHOLD) return value;
    out.push(new Uint8Array(value));
    kinds.push(0);
    return new SpillRef(out.length - 1);
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      const r = extract(v, out, kinds);
      if (r !== v) {
        copy ??= value.slice();
        copy[i] = r;
      }
    }
    return copy ?? value;
  }
  if (value instanceof Map) {
    const before = out.length;
    const entries = [...value].map(([k, v]) => [k, extract(v, out, kinds)] as const);
    return out.length === before ? value : new Map(entries);
  }
  if (value instanceof Set) {
    const before = out.length;
    const items = [...value].map((v) => extract(v, out, kinds));
    return out.length === before ? value : new Set(items);
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const k of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[k];
    const r = extract(v, out, kinds);
    if (r !== v) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[k] = r;
    }
  }
  return copy ?? value;
}
