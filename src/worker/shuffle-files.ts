/**
 * A worker's P2P shuffle files (protocol/shuffle.ts): one file per transfer task, its pieces
 * (one per output partition, in the spill codec's format) written back to back, so a transfer
 * writes sequentially and an output task reads one byte range per file. All I/O is async fs
 * (libuv's thread pool). Failures are SHUFFLE_FAILED naming the directory; a half-written file
 * is removed.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, rm } from "node:fs/promises";
import { join } from "node:path";
import { BarnError, ErrorCodes } from "../errors.js";
import type { WorkerId } from "../protocol/ids.js";
import {
  isSafeShuffleFile,
  offsetsOf,
  type PieceRead,
  type ShuffleManifest,
} from "../protocol/shuffle.js";
import { type Handle, readExactly, writeEncoded } from "./file-io.js";
import { decodeSpill, encodeSpill, readLayout, readTable } from "./spill-codec.js";

export class ShuffleFiles {
  readonly dir: string;
  readonly #worker: WorkerId;
  #made: Promise<void> | undefined;
  /** Makes file names unique within this folder (a recomputed transfer never overwrites). */
  readonly #tag = randomBytes(3).toString("hex");
  #next = 0;

  constructor(dir: string, worker: WorkerId) {
    this.dir = dir;
    this.#worker = worker;
  }

  /** Write `pieces` (values the spill codec takes: Batches) to a new file; its manifest. */
  async write(shuffle: string, part: number, pieces: readonly unknown[]): Promise<ShuffleManifest> {
    const file = `${shuffle.replace(/[^A-Za-z0-9_-]/g, "_")}.${part}.${this.#tag}${++this.#next}.bsh`;
    const path = join(this.dir, file);
    try {
      this.#made ??= mkdir(this.dir, { recursive: true }).then(() => {});
      await this.#made;
    } catch (err) {
      this.#made = undefined;
      throw this.#failed("create", err);
    }
    let fh: Handle | undefined;
    const lengths: number[] = [];
    try {
      fh = await open(path, "w");
      // One piece encoded at a time: its buffers are the input's own slices, not copies.
      for (const piece of pieces) {
        const enc = encodeSpill(piece);
        await writeEncoded(fh, enc);
        lengths.push(enc.bytes);
      }
      await fh.close();
      fh = undefined;
    } catch (err) {
      await fh?.close().catch(() => {});
      await rm(path, { force: true }).catch(() => {});
      throw this.#failed("write to", err);
    }
    return { barnShuffle: 1, worker: this.#worker, file, offsets: offsetsOf(lengths) };
  }

  /** The bytes of each range, in order. Throws SHUFFLE_FAILED (a file gone included). */
  async read(reads: readonly PieceRead[]): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (const r of reads) {
      if (!isSafeShuffleFile(r.file)) {
        throw new BarnError(ErrorCodes.SHUFFLE_FAILED, `not a shuffle file name: ${r.file}`);
      }
      let fh: Handle | undefined;
      try {
        fh = await open(join(this.dir, r.file), "r");
        out.push(new Uint8Array(await readExactly(fh, r.offset, r.length)));
      } catch (err) {
        throw this.#failed("read from", err);
      } finally {
        await fh?.close().catch(() => {});
      }
    }
    return out;
  }

  /**
   * Remove one file (its manifest was released); a file already gone is fine (`force`). Any
   * other failure is a warning, not an error: nothing waits on it, and the file still goes with
   * the worker's local directory on exit.
   */
  async remove(file: string): Promise<void> {
    if (!isSafeShuffleFile(file)) return;
    try {
      await rm(join(this.dir, file), { force: true });
    } catch (err) {
      process.emitWarning(
        `could not remove the shuffle file ${file} in ${this.dir}: ${(err as Error).message}; it is removed with the worker's local directory on exit`,
        "BarnWarning",
      );
    }
  }

  #failed(what: string, err: unknown): BarnError {
    if (err instanceof BarnError) return err;
    const code = (err as { code?: unknown }).code;
    const why = `${typeof code === "string" ? `${code}: ` : ""}${(err as Error).message}`;
    return new BarnError(
      ErrorCodes.SHUFFLE_FAILED,
      `a P2P shuffle could not ${what} the worker's shuffle directory ${this.dir} (${why}). Give the worker a writable local directory with free space (localDirectory / --local-directory), or use shuffle: "tasks"`,
      { cause: err },
    );
  }
}

/** A piece back from its bytes (one written by `ShuffleFiles.write`). */
export function decodePiece(bytes: Uint8Array): unknown {
  const layout = readLayout(bytes);
  if (layout === undefined) {
    throw new BarnError(ErrorCodes.SHUFFLE_FAILED, "a shuffle piece is not in the spill format");
  }
  const tableBytes = 9 * layout.count;
  const { lengths, kinds } = readTable(bytes.subarray(12, 12 + tableBytes), layout.count);
  const bodyStart = 12 + tableBytes;
  let pos = bodyStart + layout.bodyLength;
  const buffers: ArrayBuffer[] = [];
  for (const n of lengths) {
    // Each buffer an ArrayBuffer of its own (typed arrays need their alignment).
    const start = bytes.byteOffset + pos;
    buffers.push(bytes.buffer.slice(start, start + n) as ArrayBuffer);
    pos += n;
  }
  return decodeSpill(bytes.subarray(bodyStart, bodyStart + layout.bodyLength), buffers, kinds);
}
