/**
 * A worker's results, in memory or on disk. Each has its measured size (sizeof when stored).
 * Each use stamps the result with a counter (storing and reading a result cost one Map
 * operation: this is on every task's path); `spill(bytes)` orders the results in memory by
 * their stamps, only then, and moves the least recently used to the local directory, and
 * `load(keys)` brings results back before a task or a peer needs them. A result read back keeps
 * its file, so moving it out again costs no write. A failed write keeps the value in memory
 * (nothing is lost) and is remembered as `spillError`; spilling pauses for a while after one.
 */
import { BarnError, ErrorCodes } from "../errors.js";
import type { Key } from "../graph/spec.js";
import { chooseSpill } from "./memory-policy.js";
import type { SpillDisk } from "./spill-disk.js";

interface Entry {
  value: unknown;
  readonly nbytes: number;
  inMemory: boolean;
  /** The file holding a copy, once written. */
  file: string | undefined;
  writing: boolean;
  /** msgpackr could not encode it: it stays in memory. */
  unspillable: boolean;
  loading: Promise<void> | undefined;
  /** The store's use counter when it was last stored or used: lower is less recently used. */
  used: number;
}

/** How long spilling rests after a failed write, ms (a full disk does not free itself at once). */
const RETRY_AFTER_MS = 2_000;

export class ResultStore {
  readonly #entries = new Map<Key, Entry>();
  /** Stamps uses (Entry.used). */
  #uses = 0;
  /** Keys a task or a reply is about to use: not spilled until released. */
  readonly #pinned = new Map<Key, number>();
  readonly #disk: SpillDisk | undefined;
  readonly #now: () => number;
  #managed = 0;
  #spilled = 0;
  #writing = 0;
  /**
   * Bytes moved out of memory since the shell last collected garbage: their buffers are free
   * only once V8 collects them, which it may not do soon on its own.
   */
  evictedSinceGc = 0;
  #failedAt = -Infinity;
  /** The last disk failure (its message names the directory), until a write succeeds. */
  spillError: Error | undefined;
  /** Called when a spill or load finished (the shell re-measures and may unpause). */
  onChange: (() => void) | undefined;

  constructor(disk: SpillDisk | undefined, now: () => number = Date.now) {
    this.#disk = disk;
    this.#now = now;
  }

  /** Bytes of results in memory. */
  get managed(): number {
    return this.#managed;
  }

  /** Bytes of results only on disk. */
  get spilled(): number {
    return this.#spilled;
  }

  /** Bytes of results being written to disk now (still in memory). */
  get writingBytes(): number {
    return this.#writing;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(key: Key): boolean {
    return this.#entries.has(key);
  }

  set(key: Key, value: unknown, nbytes: number): void {
    this.delete(key);
    const e: Entry = {
      value,
      nbytes,
      inMemory: true,
      file: undefined,
      writing: false,
      unspillable: false,
      loading: undefined,
      used: ++this.#uses,
    };
    this.#entries.set(key, e);
    this.#managed += nbytes;
  }

  /** The value of a result in memory (marking it used); undefined when absent or on disk. */
  get(key: Key): unknown {
    const e = this.#entries.get(key);
    if (e === undefined || !e.inMemory) return undefined;
    e.used = ++this.#uses;
    return e.value;
  }

  /** Whether `key` is held and in memory now. */
  inMemory(key: Key): boolean {
    return this.#entries.get(key)?.inMemory === true;
  }

  /**
   * Swap a result's value for an equal one (its shared-memory copy) of the same size. The old
   * value's buffers are garbage now: counted as evicted, so the shell collects them soon.
   */
  replace(key: Key, value: unknown): void {
    const e = this.#entries.get(key);
    if (!e?.inMemory || e.value === value) return;
    e.value = value;
    this.evictedSinceGc += e.nbytes;
  }

  /** Bytes of the results among `keys` that are on disk only. */
  spilledBytesOf(keys: readonly Key[]): number {
    let n = 0;
    for (const k of keys) {
      const e = this.#entries.get(k);
      if (e !== undefined && !e.inMemory) n += e.nbytes;
    }
    return n;
  }

  /**
   * A spilled result read from its file for one use (a reply to a peer or a client), without
   * bringing it back into memory: serving a peer must not grow the holder, which may be paused
   * or past its target. Undefined when `key` is not held on disk (absent or in memory).
   * Resolves undefined when the result was released meanwhile; rejects with SPILL_FAILED when
   * the file cannot be read.
   */
  readSpilled(key: Key): Promise<{ value: unknown } | undefined> | undefined {
    const e = this.#entries.get(key);
    if (e === undefined || e.inMemory || e.file === undefined) return undefined;
    const held = () => this.#entries.get(key) === e;
    if (e.loading !== undefined) {
      return e.loading.then(() => (held() ? { value: e.value } : undefined));
    }
    return this.#disk!.read(e.file).then((value) => {
      // Garbage once sent: counted as evicted, so the shell collects it soon.
      this.evictedSinceGc += e.nbytes;
      return held() ? { value } : undefined;
    });
  }

  delete(key: Key): void {
    const e = this.#entries.get(key);
    if (e === undefined) return;
    this.#entries.delete(key);
    if (e.inMemory) {
      this.#managed -= e.nbytes;
    } else {
      this.#spilled -= e.nbytes;
    }
    e.inMemory = false;
    e.value = undefined;
    if (e.file !== undefined) void this.#disk?.remove(e.file).catch(() => {});
  }

  /**
   * Bring `keys` (those held) into memory and keep them there until `unpin(keys)`. Returns
   * undefined when they all are in memory already (no promise on the common path).
   */
  pinAndLoad(keys: readonly Key[]): Promise<void> | undefined {
    this.pin(keys);
    return this.load(keys);
  }

  /** Keep `keys` (those held) in memory once there, until `unpin(keys)`. */
  pin(keys: readonly Key[]): void {
    for (const k of keys) this.#pinned.set(k, (this.#pinned.get(k) ?? 0) + 1);
  }

  /** Bring `keys` (those held) into memory; undefined when they all are there already. */
  load(keys: readonly Key[]): Promise<void> | undefined {
    let waits: Promise<void>[] | undefined;
    for (const k of keys) {
      const e = this.#entries.get(k);
      if (e === undefined || e.inMemory) continue;
      (waits ??= []).push(this.#load(k, e));
    }
    return waits === undefined ? undefined : Promise.all(waits).then(() => {});
  }

  unpin(keys: readonly Key[]): void {
    for (const k of keys) {
      const n = (this.#pinned.get(k) ?? 1) - 1;
      if (n <= 0) this.#pinned.delete(k);
      else this.#pinned.set(k, n);
    }
  }

  /** Move about `bytes` of the least recently used results to disk (in the background). */
  spill(bytes: number): void {
    const disk = this.#disk;
    if (disk === undefined || this.#now() - this.#failedAt < RETRY_AFTER_MS) return;
    const victims = chooseSpill(this.#lruSizes(), bytes, (k) => {
      const e = this.#entries.get(k)!;
      return e.writing || e.unspillable || this.#pinned.has(k);
    });
    for (const k of victims) {
      const e = this.#entries.get(k)!;
      if (e.file !== undefined) this.#evict(e);
      else this.#write(disk, k, e);
    }
  }

  /** Results in memory, least recently used first (sorted here: spilling is the rare path). */
  #lruSizes(): (readonly [Key, number])[] {
    const held: [Key, Entry][] = [];
    for (const kv of this.#entries) if (kv[1].inMemory) held.push(kv);
    held.sort((a, b) => a[1].used - b[1].used);
    return held.map(([k, e]) => [k, e.nbytes] as const);
  }

  #write(disk: SpillDisk, key: Key, e: Entry): void {
    e.writing = true;
    this.#writing += e.nbytes;
    disk.write(e.value).then(
      (file) => {
        e.writing = false;
        this.#writing -= e.nbytes;
        this.spillError = undefined;
        if (this.#entries.get(key) !== e) {
          void disk.remove(file).catch(() => {});
          return;
        }
        e.file = file;
        if (e.inMemory && !this.#pinned.has(key)) this.#evict(e);
        this.onChange?.();
      },
      (err: unknown) => {
        e.writing = false;
        this.#writing -= e.nbytes;
        if (!(err instanceof BarnError && err.code === ErrorCodes.SPILL_FAILED)) {
          e.unspillable = true; // the encoder refused this value; the disk is fine
          return;
        }
        this.#failedAt = this.#now();
        this.spillError = err instanceof Error ? err : new Error(String(err));
        this.onChange?.();
      },
    );
  }

  #evict(e: Entry): void {
    e.inMemory = false;
    e.value = undefined;
    this.#managed -= e.nbytes;
    this.#spilled += e.nbytes;
    this.evictedSinceGc += e.nbytes;
  }

  #load(key: Key, e: Entry): Promise<void> {
    e.loading ??= this.#disk!.read(e.file!).then(
      (value) => {
        e.loading = undefined;
        if (this.#entries.get(key) !== e || e.inMemory) return;
        e.value = value;
        e.inMemory = true;
        e.used = ++this.#uses;
        this.#spilled -= e.nbytes;
        this.#managed += e.nbytes;
        this.onChange?.();
      },
      (err: unknown) => {
        e.loading = undefined;
        throw err;
      },
    );
    return e.loading;
  }
}
