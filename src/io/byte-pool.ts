/**
 * A small pool of large byte buffers for the text readers' part bytes. A fresh buffer of tens of
 * MiB costs its page faults (and the kernel zeroing them) on first touch, about as much as
 * scanning it; a worker reads one part after another, so the last part's buffer, handed back
 * once its records are converted, is reused for the next. A few buffers are kept, and dropped
 * after a short idle time so a worker does not hold the memory for good.
 */

/** Bytes kept in all (so at most this much memory stays held between parts). */
const KEEP_MAX = 512 * 1024 * 1024;
/** Buffers kept: a worker may read a few parts at once (its tasks interleave at their reads). */
const KEEP_COUNT = 4;
const ROUND = 4 * 1024 * 1024;
const IDLE_MS = 5000;

const free: Uint8Array[] = [];
let timer: ReturnType<typeof setTimeout> | undefined;

/** A buffer of `n` bytes (contents undefined) owned by the caller until `giveBytes`. */
export function takeBytes(n: number): Uint8Array {
  let best = -1;
  for (let i = 0; i < free.length; i++) {
    if (free[i]!.length >= n && (best < 0 || free[i]!.length < free[best]!.length)) best = i;
  }
  if (best >= 0) return free.splice(best, 1)[0]!.subarray(0, n);
  // Rounded up, so the next part (a few bytes longer) still fits.
  const size = n > ROUND ? Math.ceil(n / ROUND) * ROUND : n;
  return new Uint8Array(size).subarray(0, n);
}

/**
 * Hands back a buffer from `takeBytes`; the caller keeps no view of it (every value read from it
 * has been copied out).
 */
export function giveBytes(b: Uint8Array): void {
  const whole = new Uint8Array(b.buffer, 0, b.buffer.byteLength);
  if (whole.length < ROUND || whole.length > KEEP_MAX) return;
  free.push(whole);
  let total = 0;
  for (const f of free) total += f.length;
  while (free.length > KEEP_COUNT || total > KEEP_MAX) {
    // Drop the smallest.
    let min = 0;
    for (let i = 1; i < free.length; i++) if (free[i]!.length < free[min]!.length) min = i;
    total -= free[min]!.length;
    free.splice(min, 1);
  }
  if (timer !== undefined) clearTimeout(timer);
  timer = setTimeout(() => {
    free.length = 0;
    timer = undefined;
  }, IDLE_MS);
  timer.unref?.();
}
