/**
 * Counting chunk I/O: a ZarrStats object passed to readZarrChunk/writeZarrChunk counts that call's
 * files, and every chunk file read or written in this thread is also published on the
 * `barn:zarr:chunk` diagnostics channel, so a test (on the sync scheduler, where tasks run in the
 * test's thread) can prove a slice read only the chunks it touches.
 */
import { channel } from "node:diagnostics_channel";

/** Counters of chunk files; metadata files are not counted. */
export interface ZarrStats {
  /** Chunk files found and read. */
  chunksRead: number;
  /** Chunks asked for that have no file (they read as the fill value). */
  chunksMissing: number;
  /** Bytes of the chunk files read, as stored (compressed). */
  bytesRead: number;
  /** Chunk files written. */
  chunksWritten: number;
  /** Bytes of the chunk files written, as stored. */
  bytesWritten: number;
}

/** Fresh counters at zero. */
export function zarrStats(): ZarrStats {
  return { chunksRead: 0, chunksMissing: 0, bytesRead: 0, chunksWritten: 0, bytesWritten: 0 };
}

/** The name of the diagnostics channel with one message per chunk file read, missed or written. */
export const ZARR_CHUNK_CHANNEL = "barn:zarr:chunk";

/** A message on ZARR_CHUNK_CHANNEL. */
export interface ZarrChunkEvent {
  readonly op: "read" | "missing" | "write";
  /** The chunk file's absolute path. */
  readonly file: string;
  /** Its size as stored (0 when missing). */
  readonly bytes: number;
}

const chunkChannel = channel(ZARR_CHUNK_CHANNEL);

/** Counts one chunk file in `stats` (when given) and publishes it. */
export function countChunk(stats: ZarrStats | undefined, event: ZarrChunkEvent): void {
  if (stats !== undefined) {
    if (event.op === "read") {
      stats.chunksRead++;
      stats.bytesRead += event.bytes;
    } else if (event.op === "missing") {
      stats.chunksMissing++;
    } else {
      stats.chunksWritten++;
      stats.bytesWritten += event.bytes;
    }
  }
  if (chunkChannel.hasSubscribers) chunkChannel.publish(event);
}
