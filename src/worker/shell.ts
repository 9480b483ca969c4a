/**
 * The worker shell: owns the data store, the function cache and the links to the scheduler and
 * to peers, and runs the pure WorkerState's instructions. Tasks run in time slices: a slice
 * executes ready tasks back to back (no promise per task), then the results of the whole slice
 * go to the scheduler in one message and the event loop gets a turn, so free-keys, peer fetches
 * and data requests are answered promptly even during a long run of tiny tasks.
 */

import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EventLoopUtilization, performance } from "node:perf_hooks";
import { getHeapStatistics } from "node:v8";
import { BarnError, ErrorCodes, errorToData } from "../errors.js";
import type { Key } from "../graph/spec.js";
import { uncopyablePart } from "../protocol/copyable.js";
import type { WorkerId } from "../protocol/ids.js";
import type { MemorySample, WorkerMemoryInit } from "../protocol/memory.js";
import { joinKeys, splitKeys, unpackCompute } from "../protocol/ops-codec.js";
import type { ProfileSettings } from "../protocol/profile.js";
import { ReportBuilder } from "../protocol/report-codec.js";
import type { RunSpec } from "../protocol/run-spec.js";
import type {
  FromWorker,
  MessagePortLike,
  PeerMessage,
  ToWorker,
  WorkerInit,
} from "../protocol/worker-messages.js";
import { FunctionCache } from "../shipping/compile.js";
import type { ShippedFn } from "../shipping/ship.js";
import { type ExecContext, isThenable, runSpec } from "./executor.js";
import { MemoryMonitor } from "./memory-monitor.js";
import type { WorkerEvent, WorkerInstruction } from "./protocol.js";
import { noRelease, ReadBack, type Release } from "./read-back.js";
import { markBuffers, shareLargeBuffers, unmarkBuffers } from "./share.js";
import { installShuffle } from "./shuffle-context.js";
import { ShuffleFiles } from "./shuffle-files.js";
import { ShuffleService } from "./shuffle-service.js";
import { sizeof } from "./sizeof.js";
import { SpillDisk } from "./spill-disk.js";
import { WorkerState } from "./state.js";
import { ResultStore } from "./store.js";
import { TaskProfiler } from "./task-profiler.js";

/** Longest run of back-to-back tasks before results are flushed and the event loop runs. */
const SLICE_MS = 4;

/** How often the thread samples its heap and busy time for the dashboard (diagnostics). */
const SAMPLE_MS = 500;

interface PendingFetch {
  readonly peer: WorkerId;
  readonly keys: readonly Key[];
  /** performance.now() when asked (the transfer's start, for diagnostics). */
  readonly t0: number;
  /** Frees the room reserved for the keys (MemoryMonitor.reserve). */
  readonly release: Release;
}

export class WorkerShell {
  readonly #state: WorkerState;
  readonly #store: ResultStore;
  readonly #monitor: MemoryMonitor | undefined;
  readonly #defs = new Map<string, ShippedFn>();
  readonly #ctx: ExecContext;
  readonly #functions = new FunctionCache();
  readonly #toScheduler: MessagePortLike;
  readonly #peers = new Map<WorkerId, MessagePortLike>();
  readonly #fetches = new Map<number, PendingFetch>();
  readonly #shuffle: ShuffleService;
  readonly #readBack: ReadBack;
  #events: WorkerEvent[] = [];
  /** What this time slice will report to the scheduler. */
  readonly #report = new ReportBuilder();
  #pumpScheduled = false;
  #nextId = 1;
  #stim = 0;
  #closed = false;
  /** The resource sampler (unref'd: it never keeps the thread alive); cleared on close. */
  #sampler: ReturnType<typeof setInterval> | undefined;
  #elu: EventLoopUtilization = performance.eventLoopUtilization();
  /** The CPU profiler while profiling is on (protocol/profile.ts); undefined when off. */
  #profiler: TaskProfiler | undefined;

  constructor(init: WorkerInit, toScheduler: MessagePortLike) {
    this.#state = new WorkerState(
      init.id,
      { nthreads: init.nthreads, resources: init.resources },
      () => performance.now() / 1000,
    );
    this.#toScheduler = toScheduler;
    const mem: WorkerMemoryInit | undefined = init.memory;
    this.#store = new ResultStore(mem && new SpillDisk(mem.localDirectory));
    // The shuffle's files live in the worker's local directory, removed with it on exit.
    const shuffleDir = join(
      mem?.localDirectory ?? join(tmpdir(), `barn-${process.pid}`),
      "shuffle",
    );
    this.#shuffle = new ShuffleService(init.id, new ShuffleFiles(shuffleDir, init.id), (p) =>
      this.#peers.get(p),
    );
    installShuffle(this.#shuffle);
    this.#ctx = { fns: this.#functions, defs: this.#defs, get: (k) => this.#store.get(k) };
    this.#sampler = setInterval(this.#sample, SAMPLE_MS);
    this.#sampler.unref();
    if (mem !== undefined) {
      this.#monitor = new MemoryMonitor(mem, this.#store, {
        send: (sample: MemorySample) => this.#toScheduler.postMessage(sample),
        setPaused: (paused) =>
          this.#push({ type: "set-paused", stimulusId: this.#nextStim("memory"), paused }),
      });
      this.#store.onChange = () => this.#monitor?.check();
    }
    this.#readBack = new ReadBack(this.#store, this.#monitor, () => this.#closed);
    if (init.profile !== undefined) this.#setProfile(init.profile);
  }

  /** Profiling on with `settings`, or off (null); its periods go out with the reports. */
  #setProfile(settings: ProfileSettings | null): void {
    this.#profiler?.stop();
    this.#profiler = undefined;
    if (settings === null) return;
    this.#profiler = new TaskProfiler(
      settings,
      (chunk) => {
        this.#report.profile(chunk);
        if (!this.#pumpScheduled) this.#flush();
      },
      (message) => process.emitWarning(message, "BarnWarning"),
    );
    this.#profiler.start();
  }

  /**
   * Heap, RSS and busy time go with the next report; sent alone when no slice is pending. A
   * thread busy in one long task samples when it is done (the timer cannot fire meanwhile).
   */
  readonly #sample = (): void => {
    const elu = performance.eventLoopUtilization(this.#elu);
    this.#elu = performance.eventLoopUtilization();
    this.#report.sample({
      time: performance.timeOrigin + performance.now(),
      heap: getHeapStatistics().used_heap_size,
      rss: process.memoryUsage.rss(),
      cpu: elu.utilization,
    });
    if (!this.#pumpScheduled) this.#flush();
  };

  /** A message from the scheduler's thread. */
  onSchedulerMessage(msg: ToWorker): void {
    switch (msg.t) {
      case "ops":
        this.#onOps(msg);
        break;
      case "get-data":
        this.#sendData(msg.id, splitKeys(msg.keys));
        break;
      case "put-data": {
        const nbytes = msg.keys.map((k, i) => {
          const v = unmarkBuffers(msg.values[i]);
          const n = sizeof(v);
          this.#store.set(k, v, n);
          return n;
        });
        this.#monitor?.afterStore();
        const keys = msg.keys.map((key, i) => ({ key, nbytes: nbytes[i]! }));
        this.#push({ type: "add-data", stimulusId: `scatter-${msg.id}`, keys });
        this.#toScheduler.postMessage({ t: "put-ok", id: msg.id, nbytes } satisfies FromWorker);
        break;
      }
      case "peer":
        this.addPeer(msg.peer, msg.port as MessagePortLike & PortEvents);
        break;
      case "peer-gone":
        this.#peerGone(msg.peer);
        break;
      case "dump":
        this.#toScheduler.postMessage({
          t: "dump",
          id: msg.id,
          state: this.#state.dump(),
        } satisfies FromWorker);
        break;
      case "profile":
        this.#setProfile(msg.settings);
        break;
      case "close":
        this.#closed = true;
        this.#setProfile(null);
        clearInterval(this.#sampler);
        this.#monitor?.stop();
        break;
      default:
        msg satisfies never;
    }
  }

  /** Wire a link to a peer worker: answer its fetches, receive its answers to ours. */
  addPeer(peer: WorkerId, port: MessagePortLike & PortEvents): void {
    this.#peers.set(peer, port);
    port.on("message", (m: PeerMessage) => {
      if (m.t === "get") {
        const keys = splitKeys(m.keys);
        this.#readBack.serve(keys, (read) => port.postMessage(this.#dataReply(m.id, keys, read)));
      } else if (m.t === "data") this.#onPeerData(m);
      else this.#shuffle.onPeerMessage(port, m);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  #onOps(msg: Extract<ToWorker, { t: "ops" }>): void {
    // Bundles first: the functions that name them resolve against the installed files. A
    // failed install surfaces as FUNCTION_NOT_FOUND on the tasks that need it.
    if (msg.bundles) {
      for (const b of msg.bundles) this.#functions.addBundle(b.hash, b.code).catch(() => {});
    }
    if (msg.fns) for (const f of msg.fns) this.#defs.set(f.id, f);
    const stimulusId = msg.stim;
    if (msg.free !== undefined && msg.free.length > 0) {
      this.#push({ type: "free-keys", stimulusId, keys: splitKeys(msg.free) });
    }
    if (msg.compute) {
      unpackCompute(msg.compute, (t) => {
        this.#events.push({
          type: "compute-task",
          stimulusId,
          key: t.key,
          run: t.run,
          deps: t.deps,
          priority: t.priority,
          resources: t.resources,
          runId: t.runId,
        });
      });
      this.#schedulePump();
    }
    if (msg.steal !== undefined && msg.steal.length > 0) {
      this.#push({ type: "steal-request", stimulusId, keys: splitKeys(msg.steal) });
    }
  }

  /**
   * Answer the scheduler's get-data. A value that passed the result check but still cannot be
   * cloned (a Proxy, a host object) fails this request with its reason instead of killing the
   * thread, which would lose every result here and recompute them in a loop.
   */
  #sendData(id: number, keys: readonly Key[]): void {
    this.#readBack.serve(keys, (read) => this.#postData(id, keys, read));
  }

  #postData(id: number, keys: readonly Key[], read: ReadonlyMap<Key, unknown>): void {
    try {
      this.#toScheduler.postMessage(this.#dataReply(id, keys, read));
    } catch (err) {
      // Only a value structured clone refuses is the task's fault; anything else is ours.
      if (!(err instanceof Error && err.name === "DataCloneError")) throw err;
      const error = errorToData(
        new BarnError(
          ErrorCodes.RESULT_NOT_SERIALIZABLE,
          `the result of ${keys.length === 1 ? `task ${keys[0]}` : `one of tasks ${keys.slice(0, 3).join(", ")}`} cannot be copied out of its worker (${(err as Error).message}); return plain data`,
          { key: keys[0] },
        ),
      );
      this.#toScheduler.postMessage({ t: "data", id, values: [], missing: [], error });
    }
  }

  /** The reply to a fetch: values in memory (moved into shared memory once), or `read` from disk. */
  #dataReply(
    id: number,
    keys: readonly Key[],
    read: ReadonlyMap<Key, unknown>,
  ): FromWorker & PeerMessage {
    const values: unknown[] = [];
    const missing: Key[] = [];
    for (const k of keys) {
      if (read.has(k)) {
        values.push(markBuffers(read.get(k)));
        continue;
      }
      if (!this.#store.inMemory(k)) {
        missing.push(k);
        continue;
      }
      const v = this.#store.get(k);
      const shared = shareLargeBuffers(v);
      if (shared !== v) this.#store.replace(k, shared);
      values.push(markBuffers(shared));
    }
    return { t: "data", id, values, missing };
  }

  #onPeerData(m: Extract<PeerMessage, { t: "data" }>): void {
    const pending = this.#fetches.get(m.id);
    if (pending === undefined) return;
    this.#fetches.delete(m.id);
    const nbytes: Record<Key, number> = {};
    const missing = new Set(m.missing);
    let i = 0;
    for (const k of pending.keys) {
      if (missing.has(k)) continue;
      const v = unmarkBuffers(m.values[i++]);
      const n = sizeof(v);
      this.#store.set(k, v, n);
      nbytes[k] = n;
    }
    pending.release();
    this.#reportTransfer(pending, nbytes);
    this.#monitor?.afterStore(); // a pause these bytes call for goes in ahead of the success
    this.#push({
      type: "gather-dep-success",
      stimulusId: this.#nextStim("gather"),
      peer: pending.peer,
      nbytes,
      missing: m.missing,
    });
  }

  #reportTransfer(f: PendingFetch, nbytes: Record<Key, number>): void {
    let total = 0;
    let n = 0;
    for (const k in nbytes) {
      total += nbytes[k]!;
      n++;
    }
    const origin = performance.timeOrigin;
    this.#report.transfer(f.peer, n, total, origin + f.t0, origin + performance.now());
  }

  #peerGone(peer: WorkerId): void {
    this.#peers.delete(peer);
    this.#shuffle.peerGone(peer);
    for (const [id, f] of this.#fetches) {
      if (f.peer !== peer) continue;
      this.#fetches.delete(id);
      f.release();
      this.#push({
        type: "gather-dep-failure",
        stimulusId: this.#nextStim("peer-gone"),
        peer,
        keys: f.keys,
      });
    }
  }

  #push(e: WorkerEvent): void {
    this.#events.push(e);
    this.#schedulePump();
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(this.#pump);
  }

  /** Feed queued events to the state machine and run its instructions for one time slice. */
  readonly #pump = (): void => {
    this.#pumpScheduled = false;
    const deadline = performance.now() + SLICE_MS;
    while (this.#events.length > 0) {
      const events = this.#events;
      this.#events = [];
      const instructions = this.#state.handle(events);
      for (const ins of instructions) this.#run(ins);
      // Checked after every step, not every few: one step may run a 200 ms task, and a slice
      // that ran past its time must let steal requests, peers' fetches and the report through
      // before the next task (the scheduler steals only tasks it has seen to be long).
      if (performance.now() > deadline) break;
    }
    this.#flush();
    this.#monitor?.afterSlice();
    if (this.#events.length > 0) this.#schedulePump();
  };

  #run(ins: WorkerInstruction): void {
    switch (ins.type) {
      case "execute":
        this.#executeLoaded(ins.key, ins.run as RunSpec, ins.deps, ins.stimulusId);
        break;
      case "gather-dep":
        this.#gatherDep(ins.peer, ins.keys, ins.nbytes);
        break;
      case "release-data":
        this.#store.delete(ins.key);
        this.#shuffle.release(ins.key);
        break;
      case "send-task-finished":
        // Stop time for the task stream: the worker state emits this right after the task
        // ended (a synchronous task in the same slice step, an async one at its next pump).
        this.#report.finished(
          ins.key,
          ins.nbytes,
          ins.duration,
          ins.runId,
          performance.timeOrigin + performance.now(),
        );
        break;
      case "send-task-erred":
        this.#report.erred(ins.key, ins.error, ins.runId);
        break;
      case "send-missing-data":
        this.#report.missing(ins.key, ins.holder);
        break;
      case "send-steal-response":
        this.#report.stolen(ins.key, ins.state, ins.stolen);
        break;
      case "send-task-stopped":
        this.#report.stopped(ins.key);
        break;
      default:
        ins satisfies never;
    }
  }

  /** Run a task whose inputs may be on disk: read them back first (off this slice). */
  #executeLoaded(
    key: Key,
    spec: RunSpec,
    deps: readonly { readonly key: Key }[],
    stim: string,
  ): void {
    if (deps.length === 0 || this.#store.spilled === 0) {
      this.#execute(key, spec, stim);
      return;
    }
    const keys = deps.map((d) => d.key);
    const loading = this.#readBack.loadInputs(keys);
    if (loading === undefined) {
      this.#store.unpin(keys);
      this.#execute(key, spec, stim);
      return;
    }
    loading.then(
      () => {
        this.#execute(key, spec, stim);
        this.#store.unpin(keys);
        this.#schedulePump();
      },
      (err: unknown) => {
        this.#store.unpin(keys);
        this.#push(this.#failure(key, err, stim));
      },
    );
  }

  #execute(key: Key, spec: RunSpec, stim: string): void {
    const t0 = performance.now();
    let out: unknown;
    try {
      out = runSpec(spec, this.#ctx);
    } catch (err) {
      this.#events.push(this.#failure(key, err, stim));
      return;
    } finally {
      // The synchronous part only: an async task's later turns are not attributed to it.
      this.#profiler?.record(spec, this.#defs, t0, performance.now());
    }
    if (!isThenable(out)) {
      this.#events.push(this.#success(key, out, t0, stim));
      return;
    }
    Promise.resolve(out).then(
      (v) => this.#push(this.#success(key, v, t0, stim)),
      (err: unknown) => this.#push(this.#failure(key, err, stim)),
    );
  }

  #success(key: Key, value: unknown, t0: number, stimulusId: string): WorkerEvent {
    const problem = uncopyablePart(value);
    if (problem !== undefined) return this.#failure(key, notSerializable(key, problem), stimulusId);
    const nbytes = sizeof(value);
    this.#store.set(key, value, nbytes);
    this.#shuffle.track(key, value);
    // Measure now (when the stored bytes call for it), before the success event goes in: a
    // pause this result calls for must reach the state machine ahead of the success, or the
    // success starts the next task first and every pause lets one more result through.
    this.#monitor?.afterStore();
    const duration = (performance.now() - t0) / 1000;
    return { type: "execute-success", stimulusId, key, nbytes, duration };
  }

  #failure(key: Key, err: unknown, stimulusId: string): WorkerEvent {
    return { type: "execute-failure", stimulusId, key, error: errorToData(err, key) };
  }

  /**
   * Fetch `keys` from `peer` once this worker has room for their `nbytes` (ReadBack.forFetch):
   * a worker that fetched one large input while reading back another held both on top of what
   * it had.
   */
  #gatherDep(peer: WorkerId, keys: readonly Key[], nbytes: number): void {
    const room = this.#readBack.forFetch(nbytes);
    if (typeof room === "function") {
      this.#askPeer(peer, keys, room);
      return;
    }
    const ask = (release: Release) => {
      this.#askPeer(peer, keys, release);
      this.#schedulePump(); // a failure it pushed is handled in the next pump
    };
    room.then(ask, () => ask(noRelease)); // the fetch goes either way
  }

  /** Ask `peer` for `keys`; `release` frees the room reserved for them once they are stored. */
  #askPeer(peer: WorkerId, keys: readonly Key[], release: Release): void {
    const port = this.#peers.get(peer);
    if (port === undefined) {
      release();
      this.#events.push({
        type: "gather-dep-failure",
        stimulusId: this.#nextStim("no-peer"),
        peer,
        keys,
      });
      return;
    }
    const id = this.#nextId++;
    this.#fetches.set(id, { peer, keys, t0: performance.now(), release });
    port.postMessage({ t: "get", id, keys: joinKeys(keys) } satisfies PeerMessage);
  }

  #flush(): void {
    const msg = this.#report.take();
    if (msg !== undefined) this.#toScheduler.postMessage(msg);
  }

  #nextStim(what: string): string {
    return `${what}-${++this.#stim}`;
  }
}

/** The error of a task whose result cannot be sent to another thread or machine. */
function notSerializable(key: Key, problem: string): BarnError {
  return new BarnError(
    ErrorCodes.RESULT_NOT_SERIALIZABLE,
    `task ${key} returned ${problem}, which cannot be copied to another thread or machine; return plain data (numbers, strings, arrays, plain objects, Map, Set, Date, typed arrays) and keep functions and class behaviour on the side that uses them`,
    { key },
  );
}

/** The event half of a MessagePort. */
export interface PortEvents {
  on(event: "message", listener: (m: PeerMessage) => void): void;
}
