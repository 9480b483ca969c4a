/**
 * Large buffers passing through a worker process's main thread, between the network and the
 * task thread. Two leaks of memory the worker does not see otherwise:
 *
 * - received: a value decoded from the network lands in a fresh ArrayBuffer in this thread;
 *   posting it to the task thread would copy it, leaving this copy as garbage that this
 *   thread, which allocates little, may not collect for a long time. `transferList` names those
 *   buffers so postMessage moves them instead (no copy, nothing left here).
 * - the socket's chunks a received value was assembled from are garbage as large as the value.
 * - sent: a result the task thread sends (to a peer, to the client) arrives here in shared
 *   memory; this thread's views of it keep the memory alive after the task thread spilled or
 *   dropped it, until this thread collects them.
 *
 * `MainGarbage` collects this thread's garbage once enough bytes went through (received, or
 * sent and out of the socket): a full collection of this small heap takes a few milliseconds.
 */
import { collectGarbage } from "../worker/memory-meter.js";

/** Buffers smaller than this are copied: moving a tiny one costs more than copying it. */
const LARGE_BYTES = 64 * 1024;

/** Bytes sent since the last collection that call for one. */
const COLLECT_AFTER_BYTES = 16 * 2 ** 20;

/**
 * The large, non-shared ArrayBuffers inside a decoded message (in arrays, plain objects, Maps
 * and Sets), each once: transfer them with the message instead of copying them.
 */
export function transferList(value: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  collect(value, out, 0);
  return [...out];
}

/** Bytes of a transfer list. */
export function bytesOf(buffers: readonly ArrayBuffer[]): number {
  let n = 0;
  for (const b of buffers) n += b.byteLength;
  return n;
}

function collect(value: unknown, out: Set<ArrayBuffer>, depth: number): void {
  if (typeof value !== "object" || value === null || depth > 64) return;
  if (ArrayBuffer.isView(value)) {
    const b = value.buffer;
    if (b instanceof ArrayBuffer && b.byteLength >= LARGE_BYTES) out.add(b);
    return;
  }
  if (value instanceof ArrayBuffer) {
    if (value.byteLength >= LARGE_BYTES) out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, depth + 1);
    return;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      collect(k, out, depth + 1);
      collect(v, out, depth + 1);
    }
    return;
  }
  if (value instanceof Set) {
    for (const v of value) collect(v, out, depth + 1);
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return;
  for (const k of Object.keys(value))
    collect((value as Record<string, unknown>)[k], out, depth + 1);
}

/** Bytes of the large binary buffers inside a message about to be sent. */
export function largeBytes(value: unknown): number {
  let n = 0;
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number): void => {
    if (typeof v !== "object" || v === null || depth > 64 || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      if (v.byteLength >= LARGE_BYTES) n += v.byteLength;
    } else if (v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) {
      if (v.byteLength >= LARGE_BYTES) n += v.byteLength;
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
    } else if (v instanceof Map) {
      for (const [k, x] of v) {
        walk(k, depth + 1);
        walk(x, depth + 1);
      }
    } else if (v instanceof Set) {
      for (const x of v) walk(x, depth + 1);
    } else {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return;
      for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], depth + 1);
    }
  };
  walk(value, 0);
  return n;
}

/** The part of a connection SentBuffers watches. */
export interface Flushable {
  readonly bufferedBytes: number;
  readonly closed: boolean;
  drained(): Promise<void>;
}

/**
 * Collects this thread's garbage once enough large buffers went through it: one collection per
 * COLLECT_AFTER_BYTES, each once its own bytes are done with (out of the socket, or handed on).
 * A collection waiting on a slow socket does not hold back the others: when it did, what was
 * received meanwhile stayed as garbage, and a Node 24 worker of 256 MiB measured 328 MiB.
 */
export class MainGarbage {
  #bytes = 0;

  /** `bytes` of large buffers were just queued on `conn`: collect once they left the socket. */
  sent(bytes: number, conn: Flushable): void {
    this.#add(bytes, () => flushed(conn));
  }

  /** `bytes` of large buffers were just received and handed on. */
  received(bytes: number): void {
    this.#add(bytes, () => new Promise((r) => setImmediate(r)));
  }

  #add(bytes: number, settled: () => Promise<unknown>): void {
    if (bytes === 0) return;
    this.#bytes += bytes;
    if (this.#bytes < COLLECT_AFTER_BYTES) return;
    this.#bytes = 0;
    void settled().then(() => collectGarbage());
  }
}

/** Resolves once nothing is queued on `conn` (or it closed). */
async function flushed(conn: Flushable): Promise<void> {
  await conn.drained();
  // drained() resolves below a low-water mark: the last buffer may still be in the socket.
  for (let i = 0; i < 500 && conn.bufferedBytes > 0 && !conn.closed; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
}
