/**
 * How a running task reaches its worker's P2P shuffle service (Dask's get_worker idea, kept
 * to the shuffle): the worker shell installs its service in this thread when it starts, and
 * the frame's shuffle tasks (collections/frame/p2p-ops.ts) call `currentShuffle()`. Where no
 * worker runs the task (the sync scheduler, inline in the client), a service of this process
 * with a temporary folder stands in: every piece is then local, and a file is deleted once each
 * of its pieces was read (nothing releases keys there).
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ShuffleManifest } from "../protocol/shuffle.js";
import { ShuffleFiles } from "./shuffle-files.js";
import { ShuffleService } from "./shuffle-service.js";

/** What a shuffle task needs of its worker. */
export interface ShuffleAccess {
  /** Write one input partition's pieces (one per output partition); its manifest. */
  write(shuffle: string, part: number, pieces: readonly unknown[]): Promise<ShuffleManifest>;
  /** Piece `j` of every manifest, in manifest order. */
  read(manifests: readonly ShuffleManifest[], j: number): Promise<unknown[]>;
}

/**
 * Kept on globalThis under a registered symbol (as the task registry, shipping/modules.ts): a
 * task module that loaded a second copy of barn still finds its worker's service.
 */
const KEY = Symbol.for("barn.shuffle.service");
const slot = globalThis as unknown as Record<symbol, ShuffleAccess | undefined>;

/** The worker shell's service for this thread. */
export function installShuffle(service: ShuffleAccess): void {
  slot[KEY] = service;
}

/** The service of the worker running this task (or of this process, outside a worker). */
export function currentShuffle(): ShuffleAccess {
  slot[KEY] ??= processService();
  return slot[KEY];
}

function processService(): ShuffleAccess {
  const dir = join(tmpdir(), `barn-shuffle-${process.pid}-${Date.now().toString(36)}`);
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return new ShuffleService("local", new ShuffleFiles(dir, "local"), () => undefined, true);
}
