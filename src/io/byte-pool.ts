/**
 * A small pool of large byte buffers for the text readers' part bytes. A fresh buffer of tens of
 * MiB costs its page faults (and the kernel zeroing them) on first touch, about as much as
 * scanning it; a worker reads one part after another, so the last part's buffer, handed back
 * once its records are converted, is reused for the next. One buffer is kept, and dropped after
 * a short idle time so a worker does not hold the memory for good.
 */

const KEEP_MAX = 512 * 1024 * 1024;
const ROUND = 4 * 1024 * 1024;
const IDLE_MS = 5000;

let free: Uint8Array | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;

/** A buffer of `n` bytes (contents undefined) owned by the caller until `giveBytes`. */
export function takeBytes(n: number): Uint8Array {
  if (free !== undefined && free.length >= n) {
    const b = free;
    free = undefined;
    return b.subarray(0, n);
  }
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
  if (free !== undefined && free.length >= whole.length) return;
  free = whole;
  if (timer !== undefined) clearTimeout(timer);
  timer = setTimeout(() => {
    free = undefined;
    timer = undefined;
  }, IDLE_MS);
  timer.unref?.();
}
