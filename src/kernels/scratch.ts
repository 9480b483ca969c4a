/**
 * Scratch memory for arrays that live only inside one kernel or reader call: a column chunk or
 * text part as read from the file, a decompressed page, a page's dictionary indices, a filter's
 * selection vector, a partial aggregation's row group ids, a join's row pairs, and the columns
 * of a batch read and aggregated inside one task. The caller takes a buffer, uses it (synchronously or across its own
 * awaits), and gives it back; the next call reuses it. Nothing taken here may escape into a
 * result.
 *
 * Why: a fresh multi-megabyte ArrayBuffer is zero-filled memory that the allocator has often
 * just returned to the operating system, so every page of it faults again on first touch. On
 * the virtual machines measured here that costs about 3 ms per MiB, more than decoding the
 * bytes. Reusing a few warm buffers per thread removes that cost for everything transient.
 *
 * Each thread (worker) has its own pool; concurrent readers in one thread take different
 * buffers. The pool keeps at most `MAX_BUFFERS` buffers and `MAX_BYTES` bytes (a text reader's
 * part is up to its blocksize, 64 MiB by default), and drops them all after `IDLE_MS` without a
 * buffer given back, so an idle worker does not hold the memory for good.
 */

const MAX_BUFFERS = 8;
const MAX_BYTES = 512 * 2 ** 20;
const IDLE_MS = 5000;
/** Buffers are allocated in whole units of this size, so near sizes share buffers. */
const UNIT = 64 * 1024;

const free: ArrayBuffer[] = [];
let freeBytes = 0;
/** When a buffer was last given back, and the timer that drops the pool once that is old. */
let lastGiven = 0;
let idle: ReturnType<typeof setTimeout> | undefined;

/** A byte view of length `n` over a pooled buffer; give it back with `giveBack` when done. */
export function takeScratch(n: number): Uint8Array {
  let best = -1;
  for (let i = 0; i < free.length; i++) {
    const b = free[i]!;
    if (b.byteLength >= n && (best < 0 || b.byteLength < free[best]!.byteLength)) best = i;
  }
  if (best >= 0) {
    const buf = free[best]!;
    free[best] = free[free.length - 1]!;
    free.pop();
    freeBytes -= buf.byteLength;
    return new Uint8Array(buf, 0, n);
  }
  return new Uint8Array(new ArrayBuffer(Math.max(UNIT, Math.ceil(n / UNIT) * UNIT)), 0, n);
}

/** Returns a view's buffer to the pool (the caller must not use the view afterwards). */
export function giveBack(view: ArrayBufferView): void {
  const buf = view.buffer;
  if (!(buf instanceof ArrayBuffer) || free.includes(buf)) return;
  // Small buffers are cheap to make and would only crowd out the large ones.
  if (buf.byteLength < UNIT || buf.byteLength > MAX_BYTES) return;
  free.push(buf);
  freeBytes += buf.byteLength;
  // Over the limits: drop the smallest buffers first (large ones are the costly ones to refault).
  while (free.length > MAX_BUFFERS || freeBytes > MAX_BYTES) {
    let smallest = 0;
    for (let i = 1; i < free.length; i++)
      if (free[i]!.byteLength < free[smallest]!.byteLength) smallest = i;
    freeBytes -= free[smallest]!.byteLength;
    free[smallest] = free[free.length - 1]!;
    free.pop();
  }
  lastGiven = Date.now();
  if (idle === undefined) schedule(IDLE_MS);
}

/** One timer at a time (not one per buffer given back): it re-arms while the pool is in use. */
function schedule(ms: number): void {
  idle = setTimeout(() => {
    const quiet = Date.now() - lastGiven;
    if (quiet < IDLE_MS) return schedule(IDLE_MS - quiet);
    free.length = 0;
    freeBytes = 0;
    idle = undefined;
  }, ms);
  (idle as { unref?: () => void }).unref?.();
}

/** An Int32Array of length `n` over pooled memory (aligned: pooled buffers start at offset 0). */
export function takeScratchInt32(n: number): Int32Array {
  const bytes = takeScratch(n * 4);
  return new Int32Array(bytes.buffer, 0, n);
}
