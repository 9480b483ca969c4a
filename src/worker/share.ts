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
  const ta = view as TypedArray;
  const Ctor = ta.constructor as new (buf: SharedArrayBuffer) => TypedArray;
  const copy = new Ctor(new SharedArrayBuffer(ta.byteLength));
  (copy as unknown as { set(a: ArrayLike<unknown>): void }).set(
    ta as unknown as ArrayLike<unknown>,
  );
  return copy;
}
