/**
 * What every cluster manager shares (ClusterManager): the workers it started, `scale` (start
 * and wait for registration; retire gracefully, idle workers first), `adapt` (a loop around
 * the pure adaptive-policy.ts), replacing a worker that died, `logs` and `close`. A manager
 * supplies how the scheduler starts and how one worker starts (a WorkerLauncher).
 */
import { configuredAdapt } from "../config/values.js";
import { BarnError, ErrorCodes, OptionError } from "../errors.js";
import type { Backend } from "../protocol/backend.js";
import type { WorkerId } from "../protocol/ids.js";
import {
  type AdaptOptions,
  decide,
  initialPolicyState,
  type PolicyState,
  resolveAdaptOptions,
} from "./adaptive-policy.js";
import type {
  Adaptive,
  ClusterManager,
  ClusterWorker,
  SchedulerControl,
} from "./cluster-manager.js";
import type { LaunchedWorker, WorkerLauncher } from "./launcher.js";
import { LogBuffer } from "./log-buffer.js";

/** What a manager's start gives the shared part. */
export interface ManagedParts {
  readonly schedulerAddress: string;
  readonly control: SchedulerControl;
  readonly launcher: WorkerLauncher;
  readonly clientBackend: () => Promise<Backend>;
  /** Stop the scheduler (after the workers). */
  readonly closeScheduler: () => Promise<void>;
}

export interface ManagedOptions {
  /** Workers to start with. */
  readonly workers: number;
  /** Prefix of worker names ("<prefix>-<n>"). */
  readonly namePrefix: string;
  /** How long a worker may take to register, ms. Default 60 s. */
  readonly startTimeoutMs?: number | undefined;
  /** How long a retired worker may take to exit before it is stopped, ms. Default 10 s. */
  readonly stopTimeoutMs?: number | undefined;
}

interface Member {
  readonly name: string;
  readonly host: string;
  readonly launched: LaunchedWorker;
  status: ClusterWorker["status"];
}

export class ManagedCluster implements ClusterManager, AsyncDisposable {
  readonly #o: ManagedOptions;
  readonly #log = new LogBuffer();
  readonly #members = new Map<string, Member>();
  readonly #started: Promise<ManagedParts>;
  #parts: ManagedParts | undefined;
  /** Scale operations run one at a time, in order (scale calls and adaptive decisions). */
  #queue: Promise<unknown> = Promise.resolve();
  #next = 0;
  #adaptive: AdaptiveLoop | undefined;
  #closing: Promise<void> | undefined;
  /** The first scale to `workers`; ready() reports its failure. */
  readonly #initial: Promise<void>;

  protected constructor(start: (log: LogBuffer) => Promise<ManagedParts>, o: ManagedOptions) {
    this.#o = o;
    this.#started = start(this.#log).then((p) => {
      this.#parts = p;
      return p;
    });
    this.#started.catch(() => {}); // reported by ready()
    this.#initial = this.#enqueue(async () => {
      await this.#started;
      await this.#scaleTo(o.workers);
    });
    this.#initial.catch(() => {}); // reported by ready()
  }

  /**
   * Resolves once the scheduler runs and the first workers registered; rejects with why not
   * (then close() the cluster).
   */
  async ready(): Promise<this> {
    await this.#started;
    await this.#initial;
    return this;
  }

  get schedulerAddress(): string {
    if (this.#parts === undefined) {
      throw new BarnError(
        ErrorCodes.INVALID_OPTION,
        "the cluster is still starting; await cluster.ready() first",
      );
    }
    return this.#parts.schedulerAddress;
  }

  get workers(): readonly ClusterWorker[] {
    return [...this.#members.values()].map((m) => ({
      name: m.name,
      status: m.status,
      host: m.host,
    }));
  }

  logs(): Record<string, string[]> {
    return this.#log.snapshot();
  }

  /** The manager's own log (adaptive decisions, replaced workers). */
  protected note(what: string): void {
    this.#log.add("manager", `${new Date().toISOString()} ${what}`);
  }

  protected get logBuffer(): LogBuffer {
    return this.#log;
  }

  scale(n: number): Promise<void> {
    if (!(Number.isInteger(n) && n >= 0)) {
      throw new OptionError(`scale(n) takes a non-negative whole number of workers; got ${n}`);
    }
    this.#checkOpen();
    return this.#enqueue(async () => {
      await this.#started;
      await this.#scaleTo(n);
    });
  }

  /** Retire these workers (by name) gracefully and stop them. */
  retire(names: readonly string[]): Promise<void> {
    this.#checkOpen();
    return this.#enqueue(() => this.#retire(names));
  }

  adapt(options: AdaptOptions = {}): Adaptive {
    if (typeof options !== "object" || options === null) resolveAdaptOptions(options);
    // Configured adapt.* settings (BARN_ADAPT_*, barn.config.json) under the given ones.
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    const o = resolveAdaptOptions({ ...configuredAdapt(), ...given });
    this.#checkOpen();
    this.#adaptive?.stop();
    const loop = new AdaptiveLoop(o.intervalMs, async (state) => {
      const parts = await this.#started;
      const load = await parts.control.load();
      const current = this.#live().length;
      const d = decide(load, current, o, state);
      if (d.target > current) {
        this.note(
          `adapt: ${current} -> ${d.target} workers (${load.tasks} tasks, ${load.seconds.toFixed(2)} s of work)`,
        );
        await this.#enqueue(() => this.#scaleTo(d.target));
      } else if (d.retire.length > 0) {
        this.note(`adapt: retiring ${d.retire.join(", ")} (${load.tasks} tasks left)`);
        await this.#enqueue(() => this.#retire(d.retire));
      }
      return { target: d.target, state: d.state };
    });
    loop.onError = (err) => this.note(`adapt: ${err.message}`);
    this.#adaptive = loop;
    return loop;
  }

  async clientBackend(): Promise<Backend> {
    await this.ready();
    return this.#parts!.clientBackend();
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(): Promise<void> {
    this.#adaptive?.stop();
    await this.#queue.catch(() => {});
    const parts = await this.#started.catch(() => undefined);
    const members = [...this.#members.values()];
    for (const m of members) m.status = "stopping";
    await Promise.allSettled(members.map((m) => m.launched.stop()));
    this.#members.clear();
    await parts?.launcher.close?.();
    await parts?.closeScheduler();
  }

  #checkOpen(): void {
    if (this.#closing !== undefined) {
      throw new BarnError(ErrorCodes.CLIENT_CLOSED, "this cluster is closed; start a new one");
    }
  }

  #enqueue<T>(op: () => Promise<T>): Promise<T> {
    // The scheduler and workers do not hold the process alive (a script that forgets close()
    // still exits); an operation someone awaits does, until it settles.
    const held = () => {
      const hold = setInterval(() => {}, 1 << 30);
      return op().finally(() => clearInterval(hold));
    };
    const p = this.#queue.then(held, held);
    this.#queue = p.catch(() => {});
    return p;
  }

  #live(): Member[] {
    return [...this.#members.values()].filter((m) => m.status !== "stopping");
  }

  async #scaleTo(n: number): Promise<void> {
    const live = this.#live();
    if (n > live.length) await this.#grow(n - live.length);
    else if (n < live.length) await this.#shrink(live.length - n);
  }

  async #grow(k: number): Promise<void> {
    const parts = this.#parts!;
    const names: string[] = [];
    for (let i = 0; i < k; i++) names.push(`${this.#o.namePrefix}-${this.#next++}`);
    const launched = await Promise.allSettled(names.map((name) => this.#launch(parts, name)));
    const failed = launched.find((r) => r.status === "rejected");
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    await this.#registered(parts, names);
  }

  async #launch(parts: ManagedParts, name: string): Promise<Member> {
    const launched = await parts.launcher.launch(name);
    const m: Member = { name, host: launched.host, launched, status: "starting" };
    this.#members.set(name, m);
    void launched.exited.then((code) => this.#exited(m, code));
    return m;
  }

  /**
   * A worker stopped. Exit code 0 means it was asked to (retired through a client, or
   * stopped by hand): it stays gone. Anything else is a crash: say so, and start another.
   */
  #exited(m: Member, code: number | null): void {
    if (this.#members.get(m.name) !== m) return;
    this.#members.delete(m.name);
    if (m.status === "stopping" || this.#closing !== undefined) return;
    if (code === 0) {
      this.note(`worker ${m.name} on ${m.host} left (retired)`);
      return;
    }
    this.note(`worker ${m.name} on ${m.host} exited (code ${code}); starting another`);
    this.#enqueue(() => this.#grow(1)).catch((err: Error) =>
      this.note(`could not replace ${m.name}: ${err.message}`),
    );
  }

  /** Wait until every named worker registered with the scheduler (bounded). */
  async #registered(parts: ManagedParts, names: readonly string[]): Promise<void> {
    const timeout = this.#o.startTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeout;
    for (;;) {
      const load = await parts.control.load();
      const here = new Set(load.workers.map((w) => w.name));
      const waiting = names.filter((n) => !here.has(n) && this.#members.has(n));
      for (const n of names) {
        const m = this.#members.get(n);
        if (m !== undefined && here.has(n) && m.status === "starting") m.status = "running";
      }
      const gone = names.filter((n) => !this.#members.has(n));
      if (gone.length > 0 && waiting.length === 0) {
        throw new BarnError(
          ErrorCodes.WORKER_LOST,
          `worker ${gone[0]} exited before it registered with the scheduler at ${parts.schedulerAddress}; its last log lines:\n${this.#log.tail(gone[0]!)}`,
        );
      }
      if (waiting.length === 0) return;
      if (Date.now() > deadline) {
        throw new BarnError(
          ErrorCodes.TIMEOUT,
          `worker ${waiting[0]} did not register with the scheduler at ${parts.schedulerAddress} within ${timeout} ms; its last log lines:\n${this.#log.tail(waiting[0]!)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Retire `k` workers: unregistered ones first, then idle ones holding the fewest bytes. */
  async #shrink(k: number): Promise<void> {
    const parts = this.#parts!;
    const load = await parts.control.load();
    const byName = new Map(load.workers.map((w) => [w.name, w]));
    const live = this.#live();
    const rank = (m: Member) => {
      const w = byName.get(m.name);
      return w === undefined ? -1 : w.processing * 1e15 + w.nbytes;
    };
    const chosen = live.sort((a, b) => rank(a) - rank(b)).slice(0, k);
    await this.#retire(chosen.map((m) => m.name));
  }

  async #retire(names: readonly string[]): Promise<void> {
    const parts = this.#parts!;
    const members = names
      .map((n) => this.#members.get(n))
      .filter((m): m is Member => m !== undefined && m.status !== "stopping");
    if (members.length === 0) return;
    for (const m of members) m.status = "stopping";
    const load = await parts.control.load();
    const ids = new Map<string, WorkerId>(load.workers.map((w) => [w.name, w.id]));
    const registered = members.map((m) => ids.get(m.name)).filter((id) => id !== undefined);
    if (registered.length > 0) await parts.control.retire(registered);
    const grace = this.#o.stopTimeoutMs ?? 10_000;
    await Promise.all(
      members.map(async (m) => {
        const exited = await Promise.race([m.launched.exited.then(() => true), sleep(grace)]);
        if (!exited) await m.launched.stop();
        if (this.#members.get(m.name) === m) this.#members.delete(m.name);
      }),
    );
  }
}

/** The adaptive loop: one decision per interval, never two at once. */
class AdaptiveLoop implements Adaptive {
  readonly #timer: ReturnType<typeof setInterval>;
  #state: PolicyState = initialPolicyState;
  #busy = false;
  #target = 0;
  onError: ((err: Error) => void) | undefined;

  constructor(
    intervalMs: number,
    step: (s: PolicyState) => Promise<{ target: number; state: PolicyState }>,
  ) {
    this.#timer = setInterval(() => {
      if (this.#busy) return;
      this.#busy = true;
      step(this.#state)
        .then(
          (r) => {
            this.#state = r.state;
            this.#target = r.target;
          },
          (err: unknown) => this.onError?.(err instanceof Error ? err : new Error(String(err))),
        )
        .finally(() => {
          this.#busy = false;
        });
    }, intervalMs);
    // Adapting alone does not keep a script alive.
    this.#timer.unref();
  }

  get target(): number {
    return this.#target;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

function sleep(ms: number): Promise<false> {
  return new Promise((r) => setTimeout(() => r(false), ms).unref());
}
