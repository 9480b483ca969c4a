/**
 * Whole writes and exact reads on a file handle, for the files a worker keeps on its own disk
 * (spilled results, P2P shuffle pieces): fs writes and reads may move fewer bytes than asked.
 */
import type { open } from "node:fs/promises";
import type { EncodedSpill } from "./spill-codec.js";

export type Handle = Awaited<ReturnType<typeof open>>;

export async function writeAll(fh: Handle, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, off, bytes.byteLength - off);
    off += bytesWritten;
  }
}

/** An encoded value (spill-codec.ts): its head, then each buffer as it is, uncopied. */
export async function writeEncoded(fh: Handle, enc: EncodedSpill): Promise<void> {
  await writeAll(fh, enc.head);
  for (const b of enc.buffers) await writeAll(fh, b);
}

/** `length` bytes from `position`, in a buffer of their own (shared: a SharedArrayBuffer). */
export async function readExactly(
  fh: Handle,
  position: number,
  length: number,
  shared = false,
): Promise<ArrayBuffer> {
  const ab = (shared ? new SharedArrayBuffer(length) : new ArrayBuffer(length)) as ArrayBuffer;
  const view = new Uint8Array(ab);
  let off = 0;
  while (off < length) {
    const { bytesRead } = await fh.read(view, off, length - off, position + off);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + off}`);
    off += bytesRead;
  }
  return ab;
}
