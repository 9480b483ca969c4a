/**
 * Zero-copy moves between threads. Structured clone copies an ArrayBuffer but shares a
 * SharedArrayBuffer. A stored result that is about to be sent to another thread is moved into
 * shared memory once (one copy), and the store keeps the shared version, so every later send
 * of the same value (to the client, to other peers) costs no copy at all.
 */

/** Buffers smaller than this are cloned: sharing a tiny buffer costs more than copying it. */
export const SHARE_THRESHOLD = 64 * 1024;

type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/**
 * Returns `value` with every large typed array / ArrayBuffer (at the top level, or inside plain
 * arrays and objects) backed by a SharedArrayBuffer. Returns the same object when nothing changed.
 */
export function shareLargeBuffers(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (ArrayBuffer.isView(value)) return shareView(value);
  if (value instanceof ArrayBuffer) {
    if (value.byteLength < SHARE_THRESHOLD) return value;
    const sab = new SharedArrayBuffer(value.byteLength);
    new Uint8Array(sab).set(new Uint8Array(value));
    return sab;
  }
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      const s = shareLargeBuffers(v);
      if (s !== v) {
        out ??= value.slice();
        out[i] = s;
      }
    }
    return out ?? value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[k];
    const s = shareLargeBuffers(v);
    if (s !== v) {
      out ??= { ...(value as Record<string, unknown>) };
      out[k] = s;
    }
  }
  return out ?? value;
}

function shareView(view: ArrayBufferView): ArrayBufferView {
  if (view.byteLength < SHARE_THRESHOLD || view.buffer instanceof SharedArrayBuffer) return view;
  if (view instanceof DataView) {
    const sab = new SharedArrayBuffer(view.byteLength);
    new Uint8Array(sab).set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    return new DataView(sab);
  }
  if (Buffer.isBuffer(view)) {
    // Buffer's own constructor is deprecated (DEP0005); Buffer.from shares the memory.
    const shared = Buffer.from(new SharedArrayBuffer(view.byteLength));
    shared.set(view);
    return shared;
  }
  const ta = view as TypedArray;
  const Ctor = ta.constructor as new (buf: SharedArrayBuffer) => TypedArray;
  const copy = new Ctor(new SharedArrayBuffer(ta.byteLength));
  (copy as unknown as { set(a: ArrayLike<unknown>): void }).set(
    ta as unknown as ArrayLike<unknown>,
  );
  return copy;
}

/**
 * Structured clone turns a Buffer into a plain Uint8Array. A value about to cross a thread has
 * each Buffer (at the top level, or inside plain arrays and objects) wrapped in a marked plain
 * object, and `unmarkBuffers` on the receiving side makes Buffers of them again over the same
 * memory. Returns `value` itself when it holds no Buffer.
 */
export function markBuffers(value: unknown): unknown {
  return rewrite(value, (v) => (Buffer.isBuffer(v) ? { [BUFFER_MARK]: asBytes(v) } : undefined));
}

/** The inverse of markBuffers, on the receiving side. */
export function unmarkBuffers(value: unknown): unknown {
  return rewrite(value, (v) => {
    const bytes = (v as Record<string, unknown>)[BUFFER_MARK];
    if (!ArrayBuffer.isView(bytes)) return undefined;
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  });
}

/** The key of a marked Buffer's wrapper (a string: symbols do not survive cloning). */
const BUFFER_MARK = "__barnBuffer";

function asBytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Copy-on-write walk through plain arrays and objects: `swap` gives an object's replacement,
 * or undefined to look inside it.
 */
function rewrite(value: unknown, swap: (v: object) => unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const swapped = swap(value);
  if (swapped !== undefined) return swapped;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      const r = rewrite(v, swap);
      if (r !== v) {
        out ??= value.slice();
        out[i] = r;
      }
    }
    return out ?? value;
  }
  if (ArrayBuffer.isView(value)) return value;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[k];
    const r = rewrite(v, swap);
    if (r !== v) {
      out ??= { ...(value as Record<string, unknown>) };
      out[k] = r;
    }
  }
  return out ?? value;
}
