/**
 * Local worker processes: `Client.connect({ processes: true })` runs a SchedulerNode in the
 * client's process on loopback and starts `barn worker` child processes against it, each kept
 * by a Nanny in this process (nanny.ts): a child past 125% of its memory limit is restarted, and
 * one that dies is replaced (the scheduler has already rescheduled its work).
 */
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import type { Logger } from "../diagnostics/log.js";
import type { Resources } from "../protocol/ids.js";
import { childProcessExecArgv } from "./exec-argv.js";
import { Nanny } from "./nanny.js";
import { defaultProcessMemoryLimit, processHeapFlags } from "./worker-memory.js";

/** Seconds a child keeps trying to reach its (local) scheduler before it exits. */
const CHILD_DEATH_TIMEOUT_S = 30;

export const CLI_MAIN = fileURLToPath(new URL("../cli/main.js", import.meta.url));

export interface ProcessClusterOptions {
  /** Worker processes. Default: one per core. */
  readonly workers?: number | undefined;
  readonly threadsPerWorker?: number | undefined;
  readonly memoryLimit?: number | undefined;
  readonly localDirectory?: string | undefined;
  readonly resources?: Resources | undefined;
  /** Token the scheduler requires (passed to children in BARN_TOKEN, never on the command line). */
  readonly token?: string | undefined;
  readonly logLevel?: string | undefined;
  readonly log: Logger;
}

export class ProcessCluster {
  readonly #address: string;
  readonly #o: ProcessClusterOptions;
  readonly #nannies: Nanny[] = [];

  private constructor(address: string, options: ProcessClusterOptions) {
    this.#address = address;
    this.#o = options;
  }

  /** Start the children (they register with the scheduler on their own). */
  static start(address: string, options: ProcessClusterOptions): ProcessCluster {
    const c = new ProcessCluster(address, options);
    const n = options.workers ?? availableParallelism();
    for (let i = 0; i < n; i++) c.#nannies.push(c.#nanny(`proc-w${i}`).start());
    return c;
  }

  /** Worker processes running now. */
  get size(): number {
    return this.#nannies.filter((n) => n.pid !== undefined).length;
  }

  /** Process ids of the running workers (tests kill them). */
  pids(): number[] {
    return this.#nannies.map((n) => n.pid ?? -1);
  }

  /** How many times workers were started again (past their memory limit, or after dying). */
  get restarts(): number {
    return this.#nannies.reduce((s, n) => s + n.restarts, 0);
  }

  #nanny(name: string): Nanny {
    // The parent's loader flags (`--import tsx`, `--conditions`) so the child imports task
    // modules as the parent does; entry-point flags (`-e`, `--test`) are dropped.
    const args = [
      ...processHeapFlags(this.#o.memoryLimit),
      ...childProcessExecArgv(process.execArgv),
      CLI_MAIN,
      "worker",
      this.#address,
      "--name",
      name,
      "--no-nanny", // this process is its nanny
    ];
    const o = this.#o;
    const nthreads = o.threadsPerWorker ?? 1;
    args.push("--nthreads", String(nthreads));
    if (o.memoryLimit !== undefined) args.push("--memory-limit", String(o.memoryLimit));
    if (o.localDirectory !== undefined) args.push("--local-directory", o.localDirectory);
    const res = Object.entries(o.resources ?? {});
    if (res.length > 0) args.push("--resources", res.map(([k, v]) => `${k}=${v}`).join(","));
    args.push("--log-level", o.logLevel ?? "warn");
    // The child exits when this process does, however it ends: its stdin is a pipe from us
    // that the OS closes then. The death timeout bounds its reconnect attempts besides.
    args.push("--exit-with-parent", "--death-timeout", String(CHILD_DEATH_TIMEOUT_S));
    const env = { ...process.env };
    if (o.token !== undefined) env.BARN_TOKEN = o.token;
    else delete env.BARN_TOKEN;
    return new Nanny({
      command: process.execPath,
      args,
      env,
      name,
      memoryLimit: o.memoryLimit ?? defaultProcessMemoryLimit(nthreads),
      log: o.log,
    });
  }

  /** Stop every child: SIGTERM, then SIGKILL after a grace period. */
  async close(graceMs = 3_000): Promise<void> {
    await Promise.all(this.#nannies.map((n) => n.stop(graceMs)));
  }
}
