/**
 * Memory, as workers, scheduler and clients speak of it: the limits a worker starts with, the
 * samples it sends the scheduler, and the report a client gets (`client.memoryReport()`).
 */
import type { WorkerId } from "./ids.js";

/** Fractions of the memory limit (see worker/memory-policy.ts); `false` turns a step off. */
export interface MemoryFractions {
  /** Managed bytes above this spill, least recently used first. Default 0.6. */
  readonly target: number | false;
  /** The worker's whole memory above this spills too. Default 0.7. */
  readonly spill: number | false;
  /** The worker's whole memory above this pauses it. Default 0.8. */
  readonly pause: number | false;
  /**
   * Not read by the worker. The nanny that restarts a worker process has its own line
   * (deploy/nanny.ts, `terminate`, default 1.25 of the limit). Default 0.95.
   */
  readonly terminate: number | false;
}

export const DEFAULT_MEMORY_FRACTIONS: MemoryFractions = {
  target: 0.6,
  spill: 0.7,
  pause: 0.8,
  terminate: 0.95,
};

/** What a worker's store is started with (part of WorkerInit). */
export interface WorkerMemoryInit {
  /** The worker's total budget in bytes, buffers included. */
  readonly limit: number;
  /** Where its results spill: a folder of its own, created on the first spill. */
  readonly localDirectory: string;
  /** The worker has a process of its own (`barn worker`): its RSS is its memory. */
  readonly ownProcess: boolean;
  readonly fractions: MemoryFractions;
}

/** A worker's memory now, sent to the scheduler when it changed (and with every pause). */
export interface MemorySample {
  readonly t: "memory";
  /** Bytes of results in memory. */
  readonly managed: number;
  /** Bytes of results only on disk. */
  readonly spilled: number;
  /** The worker's whole memory: its process's RSS, or a thread's heap plus buffers. */
  readonly total: number;
  readonly paused: boolean;
  readonly limit: number;
  /** The last spill failure, "BARN_SPILL_FAILED: ..." naming the directory, until a write succeeds. */
  readonly spillError?: string | undefined;
}

/** One worker's line of `client.memoryReport()`. Bytes. */
export interface WorkerMemory {
  readonly worker: WorkerId;
  readonly name: string;
  /** Results held in memory (their measured sizes). */
  readonly managed: number;
  /** The rest of the worker's memory: process RSS (or thread heap and buffers) minus managed. */
  readonly unmanaged: number;
  /** Results moved to disk. */
  readonly spilled: number;
  /** Paused: starts no task and fetches no input until memory falls. */
  readonly paused: boolean;
  /** The worker's memory limit (memoryLimit). */
  readonly limit: number;
  /** Why spilling failed last (full or read-only local directory), if it did. */
  readonly spillError?: string | undefined;
}
