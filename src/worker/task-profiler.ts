/**
 * The profiler of a worker's task thread (the shell owns one while profiling is on): V8
 * samples the thread, the shell records when each task ran and of which group, and every
 * period the profile is cut, its samples attributed to the groups whose tasks ran at their
 * times, and one capped call tree per group goes to the scheduler with the next report.
 * Off, none exists: the shell's cost is one undefined check per task.
 */
import { performance } from "node:perf_hooks";
import { hoistTasks } from "../diagnostics/call-tree.js";
import { CpuProfiler } from "../diagnostics/cpu-profiler.js";
import { groupProfiles, TaskIntervals } from "../diagnostics/profile-attribute.js";
import type { CallTree, ProfileChunk, ProfileSettings } from "../protocol/profile.js";
import type { RunSpec } from "../protocol/run-spec.js";
import type { ShippedFn } from "../shipping/ship.js";

/** Nodes kept per group's tree in one period (the rest fold into "(other)"). */
const MAX_NODES_PER_PERIOD = 400;

export class TaskProfiler {
  readonly intervals = new TaskIntervals();
  readonly #profiler = new CpuProfiler();
  readonly #settings: ProfileSettings;
  readonly #send: (chunk: ProfileChunk) => void;
  readonly #warn: (message: string) => void;
  #timer: ReturnType<typeof setInterval> | undefined;
  #cutAt = performance.now();
  #cutting = false;
  #stopped = false;

  constructor(
    settings: ProfileSettings,
    send: (chunk: ProfileChunk) => void,
    warn: (message: string) => void,
  ) {
    this.#settings = settings;
    this.#send = send;
    this.#warn = warn;
  }

  get settings(): ProfileSettings {
    return this.#settings;
  }

  start(): void {
    this.#profiler.start(this.#settings.intervalUs).then(
      () => {
        if (this.#stopped) {
          this.#profiler.close();
          return;
        }
        this.#cutAt = performance.now();
        this.#timer = setInterval(this.#cut, this.#settings.periodMs);
        this.#timer.unref();
      },
      (err: unknown) => this.#warn(`profiling is off on this worker: ${(err as Error).message}`),
    );
  }

  /** Stops sampling; what the current period sampled goes out first. */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    if (!this.#profiler.running) return;
    this.#profiler.stop().then(
      (cut) => this.#emit(cut.profile, cut.offsetMs),
      () => {},
    );
  }

  /** One task's run: `start` and `stop` on performance.now()'s clock. */
  record(spec: RunSpec, defs: ReadonlyMap<string, ShippedFn>, start: number, stop: number): void {
    this.intervals.record(runGroup(spec, defs), start, stop);
  }

  readonly #cut = (): void => {
    if (this.#cutting || this.#stopped) return;
    this.#cutting = true;
    this.#profiler.cut().then(
      (cut) => {
        this.#cutting = false;
        this.#emit(cut.profile, cut.offsetMs);
      },
      (err: unknown) => {
        this.#cutting = false;
        this.#warn(`the profiler failed and stops: ${(err as Error).message}`);
        this.stop();
      },
    );
  };

  #emit(profile: Parameters<typeof groupProfiles>[0], offsetMs: number): void {
    const intervals = this.intervals.take();
    const now = performance.now();
    const ms = now - this.#cutAt;
    this.#cutAt = now;
    const groups = groupProfiles(profile, intervals, offsetMs, MAX_NODES_PER_PERIOD).map((g) => ({
      ...g,
      tree: hoistTasks(g.tree, isRunnerFrame, "(barn worker)"),
    }));
    if (groups.length > 0) this.#send({ time: performance.timeOrigin + now, ms, groups });
  }
}

/** The executor's script, as profile frames name it (a file: URL; .ts under tsx). */
const EXECUTOR = new URL(`./executor${import.meta.url.slice(-3)}`, import.meta.url).href;

/** Frames that call a task's function: the tree starts below them (hoistTasks). */
function isRunnerFrame(t: CallTree): boolean {
  return t.file === EXECUTOR;
}

/**
 * A task's group as the client named it (protocol/submission.ts): the function's name, the
 * last step's for a fused chain.
 */
export function runGroup(spec: RunSpec, defs: ReadonlyMap<string, ShippedFn>): string {
  if ("f" in spec) return defs.get(spec.f)?.name ?? "lambda";
  if ("steps" in spec) {
    const last = spec.steps[spec.steps.length - 1];
    return last === undefined ? "fused" : (defs.get(last[1].f)?.name ?? "lambda");
  }
  return "d" in spec ? "data" : "alias";
}
