/**
 * Writing text files: a sink that takes text chunks as they are formatted (plain files are
 * written chunk by chunk; `.gz` paths are gzip-compressed as a stream), with backpressure.
 */

import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { createGzip, type Gzip } from "node:zlib";

/** Text chunks to a file, gzip-compressed when the path ends with `.gz`. */
export class TextSink {
  private constructor(
    private readonly file: WriteStream,
    private readonly head: WriteStream | Gzip,
  ) {}

  /** Opens (truncates) `path` for writing. */
  static async open(path: string): Promise<TextSink> {
    const file = createWriteStream(path);
    await once(file, "open");
    if (!path.endsWith(".gz")) return new TextSink(file, file);
    const gz = createGzip();
    gz.pipe(file);
    return new TextSink(file, gz);
  }

  /** Writes a chunk, waiting when the stream's buffer is full. */
  async write(chunk: string): Promise<void> {
    if (!this.head.write(chunk)) await once(this.head, "drain");
  }

  /** Ends the file and waits until it is written. */
  async close(): Promise<void> {
    const done = once(this.file, "close");
    this.head.end();
    await done;
  }
}
