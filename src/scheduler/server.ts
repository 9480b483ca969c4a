/**
 * The scheduler's shell: owns the pure SchedulerState and the links to workers and clients.
 * Events that arrive in the same turn of the event loop are handled in one batch; the
 * instructions of a batch are grouped per worker into one message each, so a map of 100,000
 * tasks costs a handful of messages, not 100,000. Function definitions are sent to a worker
 * once, with the first task that needs them.
 */
import { channels, SchedulerCounters } from "../diagnostics/channels.js";
import { createLogger, type Logger } from "../diagnostics/log.js";
import { BarnError, ErrorCodes } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { ClientReport } from "../protocol/backend.js";
import type { MemorySample, WorkerMemory } from "../protocol/memory.js";
import { joinKeys, packCompute, packedTransfer } from "../protocol/ops-codec.js";
import type { ProfileSettings } from "../protocol/profile.js";
import {
  finishedColumns,
  type ReportDiagnosticsVisitor,
  readReport,
  readReportDiagnostics,
  type WorkerReport,
} from "../protocol/report-codec.js";
import type { CallSpec, RunSpec } from "../protocol/run-spec.js";
import type { ToWorker } from "../protocol/worker-messages.js";
import type { ShippedFn } from "../shipping/ship.js";
import type {
  ClientId,
  ComputeTask,
  NoWorkerWarning,
  SchedulerConfig,
  SchedulerEvent,
  TaskFinished,
  WorkerId,
} from "./protocol.js";
import { SchedulerState } from "./state.js";

/** What the server needs of a link to one worker. */
export interface WorkerLink {
  post(msg: ToWorker, transfer?: readonly ArrayBuffer[]): void;
}

interface LinkState {
  readonly link: WorkerLink;
  readonly sentFns: Set<string>;
  readonly sentBundles: Set<string>;
  compute: ComputeTask[];
  free: Key[];
  /** Keys to ask the worker to give up (work stealing). */
  steal: Key[];
  /** The worker's last memory sample (none yet: it has no limit, or has not measured). */
  memory: MemorySample | undefined;
}

export interface SchedulerServerOptions {
  readonly config?: Partial<SchedulerConfig> | undefined;
  readonly clock?: (() => number) | undefined;
  /** Where warnings go (tasks no worker can run). Default: warnings and errors on stderr. */
  readonly log?: Logger | undefined;
}

let nextServerId = 0;

/** Whether anyone listens to a channel a worker's report feeds (one read each, per report). */
function watched(): boolean {
  return (
    channels.taskFinished.hasSubscribers ||
    channels.tasksFinished.hasSubscribers ||
    channels.transfer.hasSubscribers ||
    channels.workerSample.hasSubscribers ||
    channels.profile.hasSubscribers
  );
}

export class SchedulerServer {
  readonly state: SchedulerState;
  /** Names this scheduler in diagnostics events (unique in the process). */
  readonly id = `scheduler-${++nextServerId}`;
  /** Running totals for /metrics and the dashboard (diagnostics/channels.ts). */
  readonly counters = new SchedulerCounters();
  /** Name and threads of each worker, for the worker-removed event. */
  readonly #workerInfo = new Map<WorkerId, { name: string; nthreads: number }>();
  readonly #links = new Map<WorkerId, LinkState>();
  readonly #fns = new Map<string, ShippedFn>();
  /** Bundled module code by content hash (remote clients' module functions). */
  readonly #bundles = new Map<string, string>();
  readonly #clients = new Map<ClientId, (reports: ClientReport[]) => void>();
  #events: SchedulerEvent[] = [];
  #scheduled = false;
  /**
   * Reports whose diagnostics wait to be published until the batch they arrived in was handled
   * and its messages sent: worker, report, when it arrived (epoch ms), and the report's
   * task-finished events (in the report's order), which the core marks with each task's group.
   */
  #diagnostics: [WorkerId, WorkerReport, number, TaskFinished[]][] = [];
  #stim = 0;
  /** The work-stealing timer (unref'd: it never keeps the process alive); null once closed. */
  #balanceTimer: ReturnType<typeof setInterval> | null = null;
  /** The timer that looks for cancelled tasks still running (stuck.ts); null once closed. */
  #stopTimer: ReturnType<typeof setInterval> | null = null;
  /**
   * Set by the worker pool: restart this worker's task thread or process (a cancelled task
   * still runs past config cancelGracePeriod). The scheduler has already dropped the worker.
   */
  onRestartWorker: ((worker: WorkerId, reason: string) => void) | undefined;
  /** Ticks while tasks wait in no-worker with noWorkerTimeout on (unref'd); null when off. */
  #tickTimer: ReturnType<typeof setInterval> | null = null;
  readonly #log: Logger;
  /** Workers' CPU profiler settings (null: off); new workers get them when they join. */
  #profile: ProfileSettings | null = null;

  constructor(options: SchedulerServerOptions = {}) {
    this.#log = options.log ?? createLogger({ level: "warn", component: "barn.scheduler" });
    this.state = new SchedulerState({
      ...(options.config ? { config: options.config } : {}),
      // The shell owns the clock: real time (seconds) unless a test injects one.
      clock: options.clock ?? (() => performance.now() / 1000),
    });
    const { workStealing, workStealingInterval } = this.state.config;
    if (workStealing) {
      this.#balanceTimer = setInterval(this.#balance, workStealingInterval * 1000);
      this.#balanceTimer.unref();
    }
    const grace = this.state.config.cancelGracePeriod;
    if (Number.isFinite(grace)) {
      // A quarter of the grace period (at most 0.5 s): a stuck worker waits about grace + 25%.
      this.#stopTimer = setInterval(this.#checkStopping, Math.min(500, (grace * 1000) / 4 + 10));
      this.#stopTimer.unref();
    }
    const { noWorkerTimeout } = this.state.config;
    if (noWorkerTimeout > 0 && noWorkerTimeout !== Infinity) {
      // A quarter of the timeout (within 50 ms and 1 s): a task errs at most that late.
      const every = Math.min(1, Math.max(0.05, noWorkerTimeout / 4));
      this.#tickTimer = setInterval(this.#tick, every * 1000);
      this.#tickTimer.unref();
    }
  }

  /** Stop the work-stealing timer. */
  close(): void {
    if (this.#balanceTimer !== null) clearInterval(this.#balanceTimer);
    this.#balanceTimer = null;
    if (this.#stopTimer !== null) clearInterval(this.#stopTimer);
    this.#stopTimer = null;
    if (this.#tickTimer !== null) clearInterval(this.#tickTimer);
    this.#tickTimer = null;
  }

  /** Timer tick: a check-stopping event, only when some freed task is not confirmed stopped. */
  readonly #checkStopping = (): void => {
    if (this.state.wantsStopCheck()) {
      this.enqueue({ type: "check-stopping", stimulusId: this.stimulus("check-stopping") });
    }
  };

  /** Timer tick: only while some task waits for a worker that can run it. */
  readonly #tick = (): void => {
    if (this.state.noWorkerCount > 0) {
      this.enqueue({ type: "tick", stimulusId: this.stimulus("tick") });
    }
  };

  /** Timer tick: a balance event, only when some worker idles while another has a backlog. */
  readonly #balance = (): void => {
    if (this.state.wantsBalance()) {
      this.enqueue({ type: "balance", stimulusId: this.stimulus("balance") });
    }
  };

  /** A new stimulus id, unique in this server. */
  stimulus(what: string): string {
    return `${what}-${++this.#stim}`;
  }

  addClient(client: ClientId, onReports: (reports: ClientReport[]) => void): void {
    this.#clients.set(client, onReports);
    this.enqueue({ type: "add-client", stimulusId: this.stimulus("add-client"), client });
  }

  removeClient(client: ClientId): void {
    this.enqueue({ type: "remove-client", stimulusId: this.stimulus("remove-client"), client });
    this.flush();
    this.#clients.delete(client);
  }

  /** Function definitions that tasks submitted from now on may refer to by id. */
  registerFunctions(defs: Iterable<ShippedFn>): void {
    for (const d of defs) this.#fns.set(d.id, d);
  }

  /** Bundled module code that module functions may name by hash (see shipping/bundle.ts). */
  registerBundles(bundles: Iterable<{ readonly hash: string; readonly code: string }>): void {
    for (const b of bundles) this.#bundles.set(b.hash, b.code);
  }

  /** The workers' CPU profiler settings now (null: off). */
  get profiling(): ProfileSettings | null {
    return this.#profile;
  }

  /**
   * Turn every worker's task profiler on (settings) or off (null), and new workers' as they
   * join; their call trees come back on the `profile` diagnostics channel.
   */
  setProfiling(settings: ProfileSettings | null): void {
    this.#profile = settings;
    for (const ls of this.#links.values()) ls.link.post({ t: "profile", settings });
  }

  addWorker(
    id: WorkerId,
    link: WorkerLink,
    info: { name: string; nthreads: number; resources: Record<string, number> },
  ): void {
    this.#links.set(id, {
      link,
      sentFns: new Set(),
      sentBundles: new Set(),
      compute: [],
      free: [],
      steal: [],
      memory: undefined,
    });
    if (this.#profile !== null) link.post({ t: "profile", settings: this.#profile });
    this.enqueue({
      type: "add-worker",
      stimulusId: this.stimulus("add-worker"),
      worker: id,
      name: info.name,
      nthreads: info.nthreads,
      resources: info.resources,
    });
    this.#workerInfo.set(id, { name: info.name, nthreads: info.nthreads });
    this.counters.workersAdded++;
    if (channels.workerAdded.hasSubscribers) {
      channels.workerAdded.publish({
        scheduler: this.id,
        worker: id,
        name: info.name,
        nthreads: info.nthreads,
        time: Date.now(),
      });
    }
  }

  removeWorker(id: WorkerId, expected: boolean, reason: string): void {
    this.#links.delete(id);
    const info = this.#workerInfo.get(id);
    this.#workerInfo.delete(id);
    if (info !== undefined) this.counters.workersRemoved++;
    if (info !== undefined && channels.workerRemoved.hasSubscribers) {
      channels.workerRemoved.publish({
        scheduler: this.id,
        worker: id,
        name: info.name,
        nthreads: info.nthreads,
        time: Date.now(),
        reason,
      });
    }
    this.enqueue({
      type: "remove-worker",
      stimulusId: this.stimulus("remove-worker"),
      worker: id,
      expected,
      reason,
    });
  }

  /** A message from a worker thread's scheduler link. */
  onWorkerReport(worker: WorkerId, msg: WorkerReport): void {
    const stimulusId = this.stimulus(`report-${worker}`);
    const events = this.#events;
    const counters = this.counters;
    this.#countReport(msg);
    const finished: TaskFinished[] | undefined = watched() ? [] : undefined;
    if (finished !== undefined) this.#diagnostics.push([worker, msg, Date.now(), finished]);
    readReport(msg, {
      finished: (key, nbytes, duration, runId) => {
        counters.resultBytes += nbytes;
        const ev: TaskFinished = {
          type: "task-finished",
          stimulusId,
          worker,
          key,
          nbytes,
          duration,
          runId,
          group: undefined,
        };
        events.push(ev);
        finished?.push(ev);
      },
      erred: (key, error, runId) => {
        if (channels.taskErred.hasSubscribers) {
          channels.taskErred.publish({
            scheduler: this.id,
            worker,
            key,
            group: this.state.groupOf(key),
            time: Date.now(),
            error,
          });
        }
        events.push({ type: "task-erred", stimulusId, worker, key, error, runId });
      },
      missing: (key, holder) =>
        events.push({ type: "missing-data", stimulusId, worker, key, holder }),
      stopped: (keys) => events.push({ type: "task-stopped", stimulusId, worker, keys }),
      stolen: (key, state, stolen) =>
        events.push({ type: "steal-response", stimulusId, worker, key, state, stolen }),
    });
    this.#schedule();
  }

  /** Running totals of a report: always, an add per report and per transfer. */
  #countReport(msg: WorkerReport): void {
    const c = this.counters;
    c.tasksFinished += msg.finished.length / 4;
    c.tasksErred += msg.erred.length;
    const t = msg.transfers;
    if (t !== undefined) {
      for (let i = 0; i < t.length; i += 5) {
        c.transfers++;
        c.transferBytes += t[i + 2] as number;
        c.transferSeconds += ((t[i + 4] as number) - (t[i + 3] as number)) / 1000;
      }
    }
  }

  /**
   * The diagnostics of the reports of the batch just handled, for the channels somebody
   * subscribed to. They go out after the batch's messages, so watching adds nothing to the
   * path from a finished task to the next one sent, and after the state machine handled each
   * finished task and marked its event with the task's group (a second lookup of each key in
   * the scheduler's task map cost a watched map of 100,000 tiny tasks some 30-45 ms of this
   * thread). A stale report's task gets the group the scheduler knows, or the one its key names.
   */
  #publishDiagnostics(): void {
    const pending = this.#diagnostics;
    if (pending.length === 0) return;
    this.#diagnostics = [];
    const finished = channels.taskFinished.hasSubscribers;
    const batch = channels.tasksFinished.hasSubscribers;
    const transfer = channels.transfer.hasSubscribers;
    const sample = channels.workerSample.hasSubscribers;
    const profile = channels.profile.hasSubscribers;
    const scheduler = this.id;
    for (const [worker, msg, now, events] of pending) {
      if ((batch || finished) && msg.finished.length > 0) {
        const columns = finishedColumns(msg, now);
        // The core marked each task it counted with its group; a stale report's key is looked up.
        const groups = events.map((ev) => ev.group ?? this.state.groupOf(ev.key));
        if (batch) channels.tasksFinished.publish({ scheduler, worker, groups, ...columns });
        if (finished) {
          const { keys, start, stop, nbytes } = columns;
          for (let i = 0; i < keys.length; i++) {
            channels.taskFinished.publish({
              scheduler,
              worker,
              key: keys[i]!,
              group: groups[i]!,
              start: start[i]!,
              stop: stop[i]!,
              nbytes: nbytes[i]!,
            });
          }
        }
      }
      const visitor: ReportDiagnosticsVisitor = {
        transfer: (peer, keys, nbytes, start, stop) => {
          if (transfer) {
            channels.transfer.publish({ scheduler, worker, peer, keys, nbytes, start, stop });
          }
        },
        sample: (s) => {
          if (sample) channels.workerSample.publish({ scheduler, worker, ...s });
        },
        profile: (p) => {
          if (profile) channels.profile.publish({ scheduler, worker, ...p });
        },
      };
      readReportDiagnostics(msg, visitor);
    }
  }

  /**
   * A worker's memory sample: kept for memoryReport(), and a change of its paused flag becomes
   * a worker-paused event (placement avoids paused workers).
   */
  onWorkerMemory(worker: WorkerId, sample: MemorySample): void {
    const ls = this.#links.get(worker);
    if (ls === undefined) return;
    const was = ls.memory?.paused ?? false;
    ls.memory = sample;
    if (sample.paused !== was) {
      this.enqueue({
        type: "worker-paused",
        stimulusId: this.stimulus(`memory-${worker}`),
        worker,
        paused: sample.paused,
      });
    }
  }

  /** Every worker's memory, from the samples it last sent (zeros before its first). */
  memoryReport(): WorkerMemory[] {
    return this.state.workers().map((w) => {
      const m = this.#links.get(w.id)?.memory;
      return {
        worker: w.id,
        name: w.name,
        managed: m?.managed ?? 0,
        unmanaged: m === undefined ? 0 : Math.max(0, m.total - m.managed),
        spilled: m?.spilled ?? 0,
        paused: m?.paused ?? false,
        limit: m?.limit ?? 0,
        ...(m?.spillError === undefined ? {} : { spillError: m.spillError }),
      };
    });
  }

  enqueue(event: SchedulerEvent): void {
    this.#events.push(event);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(this.flush);
  }

  /** Handle every queued event now and send the resulting messages. */
  readonly flush = (): void => {
    this.#scheduled = false;
    if (this.#events.length === 0) {
      this.#publishDiagnostics();
      return;
    }
    const events = this.#events;
    this.#events = [];
    const timed = channels.schedulerBatch.hasSubscribers;
    const t0 = timed ? performance.now() : 0;
    const instructions = this.state.handle(events);
    this.counters.batches++;
    this.counters.events += events.length;
    if (timed) {
      channels.schedulerBatch.publish({
        scheduler: this.id,
        events: events.length,
        instructions: instructions.length,
        ms: performance.now() - t0,
      });
    }
    const stim = events.length === 1 ? events[0]!.stimulusId : this.stimulus("batch");
    const reports = new Map<ClientId, ClientReport[]>();
    let noWorker: NoWorkerWarning[] | null = null;
    for (const ins of instructions) {
      switch (ins.type) {
        case "compute-task": {
          // A worker that left in this same batch has no link; its tasks are rescheduled.
          const ls = this.#links.get(ins.worker);
          if (ls === undefined) break;
          if (ls.steal.length > 0) this.#send(ls, stim); // see #send: order within a message
          ls.compute.push(ins);
          break;
        }
        case "free-keys": {
          const ls = this.#links.get(ins.worker);
          if (ls === undefined) break;
          if (ls.compute.length > 0 || ls.steal.length > 0) this.#send(ls, stim);
          for (const k of ins.keys) ls.free.push(k);
          break;
        }
        case "steal-request":
          this.#links.get(ins.worker)?.steal.push(ins.key);
          break;
        case "restart-worker":
          // Out of the state already: nothing more goes to it; its pool restarts it.
          this.#links.delete(ins.worker);
          this.onRestartWorker?.(ins.worker, ins.reason);
          break;
        case "no-worker":
          (noWorker ??= []).push(ins);
          break;
        case "key-in-memory":
        case "key-erred":
        case "key-cancelled": {
          let list = reports.get(ins.client);
          if (list === undefined) reports.set(ins.client, (list = []));
          list.push(ins);
          break;
        }
        default:
          ins satisfies never;
      }
    }
    for (const ls of this.#links.values()) this.#send(ls, stim);
    for (const [client, list] of reports) this.#clients.get(client)?.(list);
    if (noWorker !== null) this.#warnNoWorker(noWorker);
    this.#publishDiagnostics();
  };

  /** One warning per batch, however many tasks of a map are stuck the same way. */
  #warnNoWorker(list: readonly NoWorkerWarning[]): void {
    const first = list[0]!;
    this.#log.warn(first.message, {
      key: first.key,
      tasks: list.length,
      ...(list.length > 1 ? { note: `${list.length - 1} more tasks wait for a worker too` } : {}),
    });
  }

  /**
   * One ops message with what is queued for the worker. The worker applies its free-keys, then
   * its compute-tasks, then its steal requests, whatever order the core gave them in; so
   * `flush` sends what is queued first whenever an instruction would be applied before one
   * queued ahead of it (a task sent and then freed in one batch must not arrive as "free, then
   * compute": the worker would keep a task the scheduler took back).
   */
  #send(ls: LinkState, stim: string): void {
    if (ls.compute.length === 0 && ls.free.length === 0 && ls.steal.length === 0) return;
    const fns = this.#newFunctions(ls);
    const bundles = this.#newBundles(ls, fns);
    const compute = ls.compute.length > 0 ? packCompute(ls.compute) : undefined;
    const msg: ToWorker = {
      t: "ops",
      stim,
      ...(fns.length > 0 ? { fns } : {}),
      ...(bundles.length > 0 ? { bundles } : {}),
      ...(compute !== undefined ? { compute } : {}),
      ...(ls.free.length > 0 ? { free: joinKeys(ls.free) } : {}),
      ...(ls.steal.length > 0 ? { steal: joinKeys(ls.steal) } : {}),
    };
    ls.compute = [];
    ls.free = [];
    ls.steal = [];
    ls.link.post(msg, compute === undefined ? undefined : packedTransfer(compute));
  }

  /** Definitions of functions used by this batch that the worker has not been sent yet. */
  #newFunctions(ls: LinkState): ShippedFn[] {
    const out: ShippedFn[] = [];
    let lastId = "";
    for (const op of ls.compute) {
      const spec = op.run as RunSpec;
      if ("f" in spec) {
        if (spec.f !== lastId) this.#needFn(spec.f, ls, out);
        lastId = spec.f;
      } else if ("steps" in spec) {
        for (const [, s] of spec.steps) this.#needFn((s as CallSpec).f, ls, out);
      }
    }
    return out;
  }

  /** Code of the bundles that `fns` need and the worker has not been sent yet. */
  #newBundles(ls: LinkState, fns: readonly ShippedFn[]): { hash: string; code: string }[] {
    const out: { hash: string; code: string }[] = [];
    for (const f of fns) {
      const hash = f.kind === "module" ? f.bundle : undefined;
      if (hash === undefined || ls.sentBundles.has(hash)) continue;
      const code = this.#bundles.get(hash);
      if (code === undefined) {
        throw new BarnError(
          ErrorCodes.INTERNAL,
          `function ${f.id} needs bundle ${hash}, never uploaded`,
        );
      }
      ls.sentBundles.add(hash);
      out.push({ hash, code });
    }
    return out;
  }

  #needFn(id: string, ls: LinkState, out: ShippedFn[]): void {
    if (ls.sentFns.has(id)) return;
    const def = this.#fns.get(id);
    if (def === undefined) {
      throw new BarnError(
        ErrorCodes.INTERNAL,
        `task uses function ${id} that was never registered`,
      );
    }
    ls.sentFns.add(id);
    out.push(def);
  }
}
