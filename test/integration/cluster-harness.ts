/**
 * Real `barn scheduler` / `barn worker` processes for the cluster tests: started from the built
 * CLI, their JSON log lines parsed to learn addresses and joins, killed at the end.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const CLI = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

export interface Proc {
  readonly child: ChildProcess;
  /** Every stderr line so far. */
  readonly lines: string[];
  /** Resolves with the first log record matching `pred` (or rejects after `ms`). */
  waitFor(pred: (rec: LogRecord) => boolean, ms?: number): Promise<LogRecord>;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

export interface LogRecord {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

const live = new Set<ChildProcess>();

/** Start `barn <args>` with the given environment additions (BARN_TOKEN etc.). */
export function barn(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  wrap: readonly string[] = [],
): Proc {
  const fullEnv: Record<string, string | undefined> = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete fullEnv[k];
  const argv = [...wrap, process.execPath, CLI, ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    env: fullEnv as NodeJS.ProcessEnv,
    stdio: ["ignore", "ignore", "pipe"],
  });
  live.add(child);
  const lines: string[] = [];
  const waiters: { pred: (r: LogRecord) => boolean; resolve: (r: LogRecord) => void }[] = [];
  let buf = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    buf += chunk;
    let nl = buf.indexOf("\n");
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      const rec = parse(line);
      if (rec !== undefined) {
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (waiters[i]!.pred(rec)) waiters.splice(i, 1)[0]!.resolve(rec);
        }
      }
      nl = buf.indexOf("\n");
    }
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on("exit", (code, signal) => {
      live.delete(child);
      resolve(code ?? signal ?? -1);
    });
  });
  return {
    child,
    lines,
    exited,
    kill: (signal = "SIGKILL") => {
      child.kill(signal);
    },
    waitFor: (pred, ms = 20_000) => {
      for (const line of lines) {
        const rec = parse(line);
        if (rec !== undefined && pred(rec)) return Promise.resolve(rec);
      }
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`timed out waiting for a log line; got:\n${lines.join("\n")}`)),
          ms,
        );
        waiters.push({
          pred,
          resolve: (r) => {
            clearTimeout(t);
            resolve(r);
          },
        });
      });
    },
  };
}

function parse(line: string): LogRecord | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    return JSON.parse(line) as LogRecord;
  } catch {
    return undefined;
  }
}

/** A scheduler on a free loopback port; resolves once it listens. */
export async function startScheduler(
  extra: readonly string[] = [],
  env: Record<string, string | undefined> = {},
  wrap: readonly string[] = [],
): Promise<{ proc: Proc; address: string }> {
  const proc = barn(["scheduler", "--port", "0", "--log-level", "info", ...extra], env, wrap);
  const rec = await proc.waitFor((r) => r.msg === "scheduler listening");
  return { proc, address: String(rec.address) };
}

/** A worker joined to `address`; resolves once it registered. */
/** Pass in startWorker's `extra` to run the worker under its nanny (`barn worker`'s default). */
export const WITH_NANNY = "<with-nanny>";

export async function startWorker(
  address: string,
  extra: readonly string[] = [],
  env: Record<string, string | undefined> = {},
  wrap: readonly string[] = [],
): Promise<Proc> {
  // Tests kill and watch the worker process itself: no nanny between, unless asked for.
  const nanny = extra.includes(WITH_NANNY);
  const args = extra.filter((a) => a !== WITH_NANNY);
  const proc = barn(
    ["worker", address, "--log-level", "info", ...args, ...(nanny ? [] : ["--no-nanny"])],
    env,
    wrap,
  );
  await proc.waitFor((r) => r.msg === "registered with scheduler");
  return proc;
}

/** Kill every process these tests started (call in `after`). */
export async function killAll(): Promise<void> {
  const exits = [...live].map(
    (c) =>
      new Promise<void>((resolve) => {
        if (c.exitCode !== null || c.signalCode !== null) return resolve();
        c.once("exit", () => resolve());
        c.kill("SIGKILL");
      }),
  );
  await Promise.all(exits);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `check` until it returns true or `ms` pass. */
export async function until(check: () => boolean, ms = 20_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
