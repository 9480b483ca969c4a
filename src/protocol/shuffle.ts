/**
 * The P2P shuffle as workers and the scheduler speak of it (docs/memory.md, "Shuffles that
 * scale"). A transfer task splits its input partition into one piece per output partition and
 * writes them, one after another, to ONE file of its worker's shuffle directory; its result is
 * a manifest: the worker, the file and where each piece starts. An output task reads piece j
 * of every manifest: from its own disk, or over the peer link from the worker that wrote it.
 *
 * A manifest is only good while the worker that computed it keeps its files, so its key is
 * bound to that worker (`isWorkerBound`): when the worker leaves, the scheduler drops every
 * copy of the manifest (not only the lost one) and recomputes it elsewhere from lineage.
 */
import type { Key } from "../graph/spec.js";
import type { WorkerId } from "./ids.js";

/** The result of one transfer task. */
export interface ShuffleManifest {
  readonly barnShuffle: 1;
  /** The worker whose shuffle directory holds the file. */
  readonly worker: WorkerId;
  /** The file's name in that directory (no path: the holder resolves it in its own folder). */
  readonly file: string;
  /** Byte offsets of the pieces in the file: piece j is [offsets[j], offsets[j + 1]). */
  readonly offsets: readonly number[];
}

/** One byte range to read from a holder's shuffle directory. */
export interface PieceRead {
  readonly file: string;
  readonly offset: number;
  readonly length: number;
}

/** The prefix of the keys of transfer tasks (lowering names them so). */
export const TRANSFER_KEY_PREFIX = "p2p-transfer-";

/**
 * A result that is only good on the worker that computed it: when that worker leaves, every
 * copy goes and the key is recomputed (scheduler/worker-events.ts removeWorker).
 */
export function isWorkerBound(key: Key): boolean {
  return key.startsWith(TRANSFER_KEY_PREFIX);
}

export function isShuffleManifest(v: unknown): v is ShuffleManifest {
  return typeof v === "object" && v !== null && (v as { barnShuffle?: unknown }).barnShuffle === 1;
}

/** Which pieces of output `j` to read from which worker, in manifest order within each. */
export function readsByWorker(
  manifests: readonly ShuffleManifest[],
  j: number,
): Map<WorkerId, { readonly index: number; readonly read: PieceRead }[]> {
  const out = new Map<WorkerId, { index: number; read: PieceRead }[]>();
  manifests.forEach((m, index) => {
    const offset = m.offsets[j];
    const end = m.offsets[j + 1];
    if (offset === undefined || end === undefined) {
      throw new RangeError(`manifest ${m.file} has no piece ${j} (${m.offsets.length - 1} pieces)`);
    }
    let list = out.get(m.worker);
    if (list === undefined) out.set(m.worker, (list = []));
    list.push({ index, read: { file: m.file, offset, length: end - offset } });
  });
  return out;
}

/** Offsets of pieces of these byte lengths written back to back from 0. */
export function offsetsOf(lengths: readonly number[]): number[] {
  const offsets = [0];
  for (const n of lengths) offsets.push(offsets[offsets.length - 1]! + n);
  return offsets;
}

/** A file name a holder accepts from a peer: its own folder only, no path. */
export function isSafeShuffleFile(name: string): boolean {
  return /^[A-Za-z0-9._-]+$/.test(name) && name !== "." && name !== "..";
}
