/**
 * A worker's spill files: one file per result in the worker's local directory, written and read
 * with async fs (libuv's thread pool), so the thread that serves messages never blocks on disk.
 * Every failure becomes a BarnError SPILL_FAILED naming the directory and the system's reason;
 * a half-written file is removed.
 */
import { mkdir, open, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import { BarnError, ErrorCodes } from "../errors.js";
import { type Handle, readExactly, writeEncoded } from "./file-io.js";
import { SHARE_THRESHOLD } from "./share.js";
import { decodeSpill, encodeSpill, readLayout, readTable } from "./spill-codec.js";

export class SpillDisk {
  readonly dir: string;
  #made: Promise<void> | undefined;
  #next = 0;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Write `value` to a new file; resolves with its name. Throws SPILL_FAILED. */
  async write(value: unknown): Promise<string> {
    const enc = encodeSpill(value); // a value msgpackr refuses throws its own error: not disk's
    const file = join(this.dir, `${++this.#next}.bsp`);
    try {
      this.#made ??= mkdir(this.dir, { recursive: true }).then(() => {});
      await this.#made;
    } catch (err) {
      this.#made = undefined;
      throw this.#failed("create", err);
    }
    let fh: Handle | undefined;
    try {
      fh = await open(file, "w");
      await writeEncoded(fh, enc);
      await fh.close();
      fh = undefined;
      return file;
    } catch (err) {
      await fh?.close().catch(() => {});
      await unlink(file).catch(() => {});
      throw this.#failed("write to", err);
    }
  }

  /** Read a file written by `write` back into a value. Throws SPILL_FAILED. */
  async read(file: string): Promise<unknown> {
    let fh: Handle | undefined;
    try {
      fh = await open(file, "r");
      const start = await readExactly(fh, 0, 12);
      const layout = readLayout(new Uint8Array(start));
      if (layout === undefined) throw new Error(`${file} is not a spill file`);
      const tableBytes = 9 * layout.count;
      const rest = new Uint8Array(await readExactly(fh, 12, tableBytes + layout.bodyLength));
      const { lengths, kinds } = readTable(rest.subarray(0, tableBytes), layout.count);
      let pos = 12 + tableBytes + layout.bodyLength;
      const buffers: (ArrayBuffer | SharedArrayBuffer)[] = [];
      for (let i = 0; i < lengths.length; i++) {
        const n = lengths[i]!;
        // Views come back in shared memory, as the store would move them before sending them
        // to a peer or the client (share.ts): read once, never copied again. An ArrayBuffer
        // itself stays one.
        const shared = kinds[i] !== 0 && n >= SHARE_THRESHOLD;
        buffers.push(await readExactly(fh, pos, n, shared));
        pos += n;
      }
      return decodeSpill(rest.subarray(tableBytes), buffers, kinds);
    } catch (err) {
      throw this.#failed("read back from", err);
    } finally {
      await fh?.close().catch(() => {});
    }
  }

  /** Remove one file; a file already gone is fine. */
  async remove(file: string): Promise<void> {
    await rm(file, { force: true });
  }

  #failed(what: string, err: unknown): BarnError {
    const code = (err as { code?: unknown }).code;
    const why = `${typeof code === "string" ? `${code}: ` : ""}${(err as Error).message}`;
    return new BarnError(
      ErrorCodes.SPILL_FAILED,
      `could not ${what} the worker's local directory ${this.dir} (${why}); results stay in memory. Give the worker a writable directory with free space (localDirectory / --local-directory)`,
      { cause: err },
    );
  }
}
