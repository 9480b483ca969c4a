/**
 * Launchers of workers on this machine (the public LocalCluster): a WorkerNode in this process
 * (its tasks run in a task thread of their own), or a `barn worker` child process. Both join
 * the scheduler over loopback with its token, like any remote worker, so scaling and
 * retirement work the same way on every manager.
 */
import { spawn } from "node:child_process";
import { createLogger } from "../diagnostics/log.js";
import type { Resources } from "../protocol/ids.js";
import { childProcessExecArgv } from "./exec-argv.js";
import type { LaunchedWorker, WorkerLauncher } from "./launcher.js";
import type { LogBuffer } from "./log-buffer.js";
import { CLI_MAIN } from "./process-cluster.js";
import { WorkerNode } from "./worker-node.js";

export interface LocalWorkerSpec {
  readonly scheduler: string;
  readonly token: string;
  readonly nthreads: number;
  readonly memoryLimit?: number | undefined;
  readonly resources?: Resources | undefined;
  readonly logs: LogBuffer;
}

/** Workers in this process: a WorkerNode each, its tasks on a worker thread. */
export class ThreadLauncher implements WorkerLauncher {
  readonly #spec: LocalWorkerSpec;

  constructor(spec: LocalWorkerSpec) {
    this.#spec = spec;
  }

  async launch(name: string): Promise<LaunchedWorker> {
    const s = this.#spec;
    const node = await WorkerNode.start({
      scheduler: s.scheduler,
      token: s.token,
      name,
      nthreads: s.nthreads,
      memoryLimit: s.memoryLimit,
      resources: s.resources,
      // The scheduler is in this process: a lost one means the cluster is closing.
      schedulerInParent: true,
      deathTimeoutMs: 30_000,
      log: createLogger({ level: "info", component: "worker", write: s.logs.writer(name) }),
    });
    return {
      name,
      host: "local",
      exited: node.done.then(
        () => 0,
        () => 1,
      ),
      stop: () => node.close("stopped by the cluster manager"),
    };
  }
}

/** Workers as `barn worker` child processes; each exits when this process does. */
export class ProcessLauncher implements WorkerLauncher {
  readonly #spec: LocalWorkerSpec;

  constructor(spec: LocalWorkerSpec) {
    this.#spec = spec;
  }

  async launch(name: string): Promise<LaunchedWorker> {
    const s = this.#spec;
    const args = [
      ...childProcessExecArgv(process.execArgv),
      CLI_MAIN,
      "worker",
      s.scheduler,
      "--name",
      name,
      "--nthreads",
      String(s.nthreads),
      "--exit-with-parent",
      "--death-timeout",
      "30",
    ];
    if (s.memoryLimit !== undefined) args.push("--memory-limit", String(s.memoryLimit));
    const res = Object.entries(s.resources ?? {});
    if (res.length > 0) args.push("--resources", res.map(([k, v]) => `${k}=${v}`).join(","));
    // The token goes in the environment, never on the command line (ps shows that to all).
    const env = { ...process.env, BARN_TOKEN: s.token };
    const child = spawn(process.execPath, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    child.stdin.on("error", () => {});
    child.stdout.on("data", (b: Buffer) => s.logs.add(name, b.toString("utf8")));
    child.stderr.on("data", (b: Buffer) => s.logs.add(name, b.toString("utf8")));
    // Neither the lifeline pipe nor the child keeps this process alive (as ProcessCluster).
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
      (stream as unknown as { unref?: () => void }).unref?.();
    }
    child.unref();
    const exited = new Promise<number | null>((resolve) => {
      child.once("exit", (code) => resolve(code));
      child.once("error", (err) => {
        s.logs.add(name, `could not start: ${err.message}`);
        resolve(null);
      });
    });
    return {
      name,
      host: "local",
      exited,
      stop: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const t = setTimeout(() => child.kill("SIGKILL"), 3_000);
        child.kill("SIGTERM");
        await exited;
        clearTimeout(t);
      },
    };
  }
}
