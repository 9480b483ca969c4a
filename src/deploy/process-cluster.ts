/**
 * Local worker processes: `Client.connect({ processes: true })` runs a SchedulerNode in the
 * client's process on loopback and starts `barn worker` child processes against it. A child
 * that dies is replaced (the scheduler has already rescheduled its work), like a nanny would.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import type { Logger } from "../diagnostics/log.js";
import type { Resources } from "../protocol/ids.js";
import { childProcessExecArgv } from "./exec-argv.js";

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
  readonly #children = new Set<ChildProcess>();
  #next = 0;
  #closing = false;

  private constructor(address: string, options: ProcessClusterOptions) {
    this.#address = address;
    this.#o = options;
  }

  /** Start the children (they register with the scheduler on their own). */
  static start(address: string, options: ProcessClusterOptions): ProcessCluster {
    const c = new ProcessCluster(address, options);
    const n = options.workers ?? availableParallelism();
    for (let i = 0; i < n; i++) c.#spawn();
    return c;
  }

  /** Worker processes running now. */
  get size(): number {
    return this.#children.size;
  }

  /** Process ids of the running workers (tests kill them). */
  pids(): number[] {
    return [...this.#children].map((c) => c.pid ?? -1);
  }

  #spawn(): void {
    const name = `proc-w${this.#next++}`;
    // The parent's loader flags (`--import tsx`, `--conditions`) so the child imports task
    // modules as the parent does; entry-point flags (`-e`, `--test`) are dropped.
    const args = [
      ...childProcessExecArgv(process.execArgv),
      CLI_MAIN,
      "worker",
      this.#address,
      "--name",
      name,
    ];
    const o = this.#o;
    args.push("--nthreads", String(o.threadsPerWorker ?? 1));
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
    const child = spawn(process.execPath, args, { env, stdio: ["pipe", "inherit", "inherit"] });
    // The pipe is only a lifeline: nothing is written, and it must not keep this process alive.
    // Nor must the child itself: a script that forgets `client.close()` exits after its last
    // line (its client's KeepAlive holds it while a Future is awaited), and the child follows.
    child.stdin?.on("error", () => {});
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    child.unref();
    this.#children.add(child);
    child.on("exit", (code, signal) => {
      this.#children.delete(child);
      if (this.#closing) return;
      o.log.warn("worker process exited; starting another", {
        name,
        code,
        signal,
        // The kernel's OOM killer sends SIGKILL: the likeliest cause when nobody else did.
        ...(signal === "SIGKILL" ? { hint: "killed: out of memory? (the OS OOM killer)" } : {}),
      });
      this.#spawn();
    });
  }

  /** Stop every child: SIGTERM, then SIGKILL after a grace period. */
  async close(graceMs = 3_000): Promise<void> {
    this.#closing = true;
    const exits = [...this.#children].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const t = setTimeout(() => c.kill("SIGKILL"), graceMs);
          c.once("exit", () => {
            clearTimeout(t);
            resolve();
          });
          c.kill("SIGTERM");
        }),
    );
    await Promise.all(exits);
    this.#children.clear();
  }
}
