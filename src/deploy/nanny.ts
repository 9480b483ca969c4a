/**
 * The nanny: a small process that runs one worker process and keeps it alive (Dask's Nanny).
 * It reads the worker's resident memory from the OS every `pollMs` and, past `terminate` x its
 * memory limit (default 1.25), kills it: a worker that far over budget is about to be killed
 * by the OS anyway, and a clean restart loses only what it held, which the scheduler
 * recomputes elsewhere from lineage. A worker that crashes is started again too. Each new
 * process registers afresh under the same name, as a reconnecting worker does (a new id).
 *
 * Exit codes the nanny does not restart: 0 (the worker was closed: the scheduler asked, or its
 * parent went) and FINAL_EXIT_CODES (refused by the scheduler, bad options, no scheduler
 * within --death-timeout): restarting cannot fix those.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Logger } from "../diagnostics/log.js";
import { workerProcessEnv } from "./worker-env.js";

/** The worker's exit codes that say restarting cannot help (see cli/main.ts). */
export const FINAL_EXIT_CODES: ReadonlySet<number> = new Set([2, 3]);

/**
 * Default fraction of the memory limit past which the nanny restarts the worker. Not Dask's
 * 0.95: a Barn worker pauses at 0.8 but a value in flight (a task's result, a fetched input)
 * can take it past its limit for a moment (test/integration/memory.test.ts measured up to
 * limit + 40 MiB with 64 MiB values on 256 MiB), and a paused worker may sit above 0.95 while
 * its spill writes finish: restarting then would lose work that was about to fit.
 */
export const TERMINATE_FRACTION = 1.25;

export interface NannyOptions {
  /** The worker's command line: `process.execPath` and its arguments (with --no-nanny). */
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Written to every worker process's stdin as its first line (a token for --token-stdin). */
  readonly stdinFirstLine?: string | undefined;
  /** The worker's memory limit, bytes. */
  readonly memoryLimit: number;
  /** Restart past this fraction of the limit; false: never for memory. Default 1.25. */
  readonly terminate?: number | false | undefined;
  /** Milliseconds between two readings of the worker's memory. Default 100. */
  readonly pollMs?: number | undefined;
  /** A name for logs. */
  readonly name: string;
  readonly log: Logger;
  /** Called with every worker process it starts. */
  readonly onStart?: ((child: ChildProcess) => void) | undefined;
}

/**
 * Below this limit the nanny does not restart for memory: a fresh worker process (Node, Barn,
 * its task thread) is already ~60-80 MiB, so 95% of a smaller limit would restart it in a loop.
 * The task thread's heap limit still stops a runaway (docs/cluster.md).
 */
export const MIN_LIMIT_FOR_RESTARTS = 128 * 2 ** 20;

/** Restarts wait this long at first, doubling up to MAX_BACKOFF_MS while they keep failing. */
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;
/** A worker that lived this long resets the back-off. */
const HEALTHY_MS = 30_000;

export class Nanny {
  readonly #o: NannyOptions;
  #child: ChildProcess | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #stopping = false;
  #backoff = FIRST_BACKOFF_MS;
  #restarts = 0;
  readonly #done: Promise<number>;
  #finish!: (code: number) => void;

  constructor(options: NannyOptions) {
    this.#o = options;
    this.#done = new Promise((resolve) => {
      this.#finish = resolve;
    });
  }

  /** Start the worker process (and keep it running). */
  start(): this {
    this.#spawn();
    return this;
  }

  /** The running worker's process id. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** How many times the worker was started again (memory or crash). */
  get restarts(): number {
    return this.#restarts;
  }

  /** Resolves with the exit code the nanny ends with: the worker's last, when it will not restart. */
  get done(): Promise<number> {
    return this.#done;
  }

  /** Stop the worker: SIGTERM (it leaves cleanly), SIGKILL after `graceMs`. */
  async stop(graceMs = 3_000): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#timer);
    const c = this.#child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) {
      this.#finish(0);
      return;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => c.kill("SIGKILL"), graceMs);
      c.once("exit", () => {
        clearTimeout(t);
        resolve();
      });
      c.kill("SIGTERM");
    });
    this.#finish(0);
  }

  #spawn(): void {
    const o = this.#o;
    const child = spawn(o.command, [...o.args], {
      env: workerProcessEnv(o.env ?? process.env),
      stdio: ["pipe", "inherit", "inherit"],
    });
    // The pipe is the worker's lifeline (--exit-with-parent): it closes when this process ends
    // in any way, and the worker follows. Nothing else is written to it than the first line.
    child.stdin?.on("error", () => {});
    if (o.stdinFirstLine !== undefined) child.stdin?.write(`${o.stdinFirstLine}\n`);
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    child.unref();
    this.#child = child;
    const started = Date.now();
    let killedForMemory: number | undefined;
    o.onStart?.(child);
    child.on("exit", (code, signal) => {
      clearInterval(this.#timer);
      if (this.#child === child) this.#child = undefined;
      if (this.#stopping) return;
      if (
        killedForMemory === undefined &&
        code !== null &&
        (code === 0 || FINAL_EXIT_CODES.has(code))
      ) {
        this.#finish(code);
        return;
      }
      if (Date.now() - started > HEALTHY_MS) this.#backoff = FIRST_BACKOFF_MS;
      const delay = killedForMemory !== undefined ? 0 : this.#backoff;
      if (killedForMemory === undefined)
        this.#backoff = Math.min(this.#backoff * 2, MAX_BACKOFF_MS);
      o.log.warn(
        killedForMemory !== undefined
          ? "worker process restarted: past its memory limit"
          : "worker process exited; starting another",
        {
          name: o.name,
          code,
          signal,
          ...(killedForMemory !== undefined
            ? { rss: killedForMemory, memoryLimit: o.memoryLimit }
            : signal === "SIGKILL"
              ? { hint: "killed: out of memory? (the OS OOM killer)" }
              : {}),
          delayMs: delay,
        },
      );
      this.#restarts++;
      setTimeout(() => {
        if (!this.#stopping) this.#spawn();
      }, delay).unref();
    });
    const terminate = o.terminate ?? TERMINATE_FRACTION;
    const pid = child.pid;
    if (terminate === false || pid === undefined || !canReadRss(pid)) return;
    if (o.memoryLimit < MIN_LIMIT_FOR_RESTARTS) {
      if (this.#restarts === 0) {
        o.log.info(
          "memory limit too small for restarts on memory; the nanny restarts crashes only",
          {
            name: o.name,
            memoryLimit: o.memoryLimit,
            minimum: MIN_LIMIT_FOR_RESTARTS,
          },
        );
      }
      return;
    }
    const line = terminate * o.memoryLimit;
    this.#timer = setInterval(() => {
      const rss = residentBytes(pid);
      if (rss === undefined || rss <= line || killedForMemory !== undefined) return;
      killedForMemory = rss;
      o.log.warn("worker process past its memory limit; restarting it", {
        name: o.name,
        rss,
        memoryLimit: o.memoryLimit,
        terminateFraction: terminate,
      });
      // SIGKILL: a worker this far over may not have the memory to leave cleanly, and its
      // results go with it either way (the scheduler recomputes them).
      child.kill("SIGKILL");
    }, o.pollMs ?? 100);
    this.#timer.unref();
  }
}

function canReadRss(pid: number): boolean {
  return residentBytes(pid) !== undefined;
}

/** A process's resident memory from /proc (Linux); undefined where it cannot be read. */
export function residentBytes(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? undefined : Number(m[1]) * 1024;
  } catch (err) {
    // The process is gone (ENOENT, ESRCH), /proc is not ours to read (EACCES) or not there (no
    // Linux): no reading. Anything else is a bug and goes through.
    const code = (err as { code?: unknown } | null)?.code;
    if (code === "ENOENT" || code === "ESRCH" || code === "EACCES" || code === "EPERM")
      return undefined;
    throw err;
  }
}
