#!/usr/bin/env node
/**
 * The `barn` command: `barn scheduler` and `barn worker <address>`. Both read the token from
 * `--token-file` or the BARN_TOKEN environment variable (never from the command line, where
 * other users of the machine could read it), log JSON lines on stderr at `--log-level`, and
 * shut down cleanly on SIGINT / SIGTERM.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { Command, InvalidArgumentError, Option } from "commander";
import { parseBytes } from "../client/options.js";
import { config } from "../config/load.js";
import { configuredBytes, configuredNumber, configuredString } from "../config/values.js";
import { Nanny } from "../deploy/nanny.js";
import type { SecurityOptions } from "../deploy/scheduler-node.js";
import { SchedulerNode } from "../deploy/scheduler-node.js";
import { startWorkerGroup, type WorkerGroup } from "../deploy/worker-group.js";
import { defaultProcessMemoryLimit, processHeapFlags } from "../deploy/worker-memory.js";
import { isRefusal } from "../deploy/worker-node.js";
import { createLogger, isLogLevel, LOG_LEVELS, type Logger } from "../diagnostics/log.js";
import { BarnError, ErrorCodes } from "../errors.js";
import { DEFAULT_PROFILE_SETTINGS, type ProfileSettings } from "../protocol/profile.js";
import { barnVersion } from "../version.js";
import { readTokenLine } from "./stdin-token.js";

interface CommonFlags {
  tokenFile?: string;
  tokenStdin?: boolean;
  exitWithParent?: boolean;
  maxFrameBytes?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  logLevel: string;
}

// barn.config.json and BARN_* give the flags' defaults; a bad one stops here, said plainly.
try {
  config();
} catch (err) {
  process.stderr.write(`barn: ${(err as Error).message}\n`);
  process.exit(2);
}

const program = new Command("barn")
  .description("Barn: scale TypeScript in, up and out")
  .version(barnVersion());

function common(cmd: Command): Command {
  return cmd
    .option("--token-file <file>", "file holding the cluster's shared token (or set BARN_TOKEN)")
    .option(
      "--token-stdin",
      "read the token from the first line of stdin (cluster managers over SSH)",
    )
    .option(
      "--exit-with-parent",
      "exit when stdin closes: the process that started this one (and holds its stdin) is gone",
    )
    .option("--tls-cert <file>", "PEM certificate of this end (tls:// and wss://)")
    .option("--tls-key <file>", "PEM private key for --tls-cert")
    .option("--tls-ca <file>", "PEM CA that the other end's certificate must be signed by")
    .option(
      "--max-frame-bytes <bytes>",
      "largest frame accepted from an authenticated peer, e.g. 256MiB (default 1GiB)",
    )
    .addOption(
      new Option("--log-level <level>", "log threshold")
        .choices(LOG_LEVELS)
        .default(configuredString("logLevel") ?? "info"),
    );
}

common(
  program
    .command("scheduler")
    .description("run a scheduler that workers and clients connect to")
    .option(
      "--host <host>",
      "interface to listen on (non-loopback needs a token, or --tls-ca with --require-client-cert)",
      configuredString("scheduler.host") ?? "127.0.0.1",
    )
    .option(
      "--port <port>",
      "port to listen on (0: any free port)",
      intArg,
      configuredNumber("scheduler.port") ?? 8786,
    )
    .addOption(
      new Option("--protocol <scheme>", "wire protocol")
        .choices(["tcp", "tls", "ws", "wss"])
        .default("tcp"),
    )
    .option(
      "--require-client-cert",
      "with tls or wss and --tls-ca: refuse peers without a certificate signed by it (mutual TLS)",
    )
    .option(
      "--heartbeat-timeout <seconds>",
      "declare a silent worker lost after this long",
      numArg,
      configuredNumber("scheduler.heartbeatTimeout") ?? 10,
    )
    .option(
      "--cancel-grace-period <seconds>",
      "restart a worker whose cancelled task still runs after this long (default 3)",
      numArg,
    )
    .option(
      "--dashboard-port <port>",
      "dashboard port, or the next free one above it (0: any free port)",
      intArg,
      8787,
    )
    .option(
      "--dashboard-host <host>",
      "interface the dashboard listens on (non-loopback needs a token)",
      "127.0.0.1",
    )
    .option("--no-dashboard", "serve no dashboard")
    .option(
      "--profile [intervalUs]",
      "profile every worker's task thread (CPU samples per task group, for the dashboard's profile view); optional sampling interval in microseconds (default 10000)",
    ),
).action(async (flags: CommonFlags & SchedulerFlags) => {
  const log = logger(flags, "scheduler");
  await tokenFromStdin(flags);
  let running: SchedulerNode | undefined;
  if (flags.exitWithParent) {
    watchParent(log, () => (running ? { close: () => running!.close() } : undefined));
  }
  const security = securityFrom(flags, log);
  const protocol = flags.tlsCert !== undefined && flags.protocol === "tcp" ? "tls" : flags.protocol;
  const host = flags.host.includes(":") ? `[${flags.host}]` : flags.host;
  const node = await SchedulerNode.start({
    ...security,
    // Passed even without --tls-ca, so the bind policy refuses it rather than dropping it.
    ...(flags.requireClientCert ? { tls: { ...security.tls, requireClientCert: true } } : {}),
    maxFrameBytes: frameLimit(flags),
    address: `${protocol}://${host}:${flags.port}`,
    heartbeatTimeoutMs: flags.heartbeatTimeout * 1000,
    ...(flags.cancelGracePeriod === undefined
      ? {}
      : { config: { cancelGracePeriod: flags.cancelGracePeriod } }),
    ...(flags.dashboard
      ? { dashboard: { host: flags.dashboardHost, port: flags.dashboardPort } }
      : {}),
    log,
  });
  const profile = profileFlag(flags.profile);
  if (profile !== null) node.server.setProfiling(profile);
  running = node;
  onSignals(log, () => node.close());
});

common(
  program
    .command("worker")
    .description("run a worker that joins the scheduler at <address>")
    .argument("<address>", "the scheduler, e.g. tcp://10.0.0.5:8786")
    .option(
      "--nthreads <n>",
      "tasks run at once (async tasks overlap)",
      intArg,
      configuredNumber("threadsPerWorker") ?? 1,
    )
    .option(
      "--memory-limit <bytes>",
      "each worker's memory, buffers included, e.g. 8GiB: results spill past 60%, it pauses past 80%; also the task thread's heap limit (default: machine memory x min(1, nthreads / cores))",
      configuredBytes("memoryLimit"),
    )
    .option(
      "--local-directory <dir>",
      "where results spill (a folder of this worker's own inside, removed on exit; default: the OS temp dir)",
    )
    .option("--resources <list>", "resources this worker offers, e.g. GPU=1,MEM=4e9")
    .option("--name <name>", "worker name (default: host-pid)")
    .option("--nworkers <n>", "workers in this process, named <name>-0.. (default 1)", intArg, 1)
    .option(
      "--listen-host <host>",
      "interface peers fetch data from (default: the one facing the scheduler)",
    )
    .option("--death-timeout <seconds>", "exit when no scheduler answers for this long", numArg)
    .option(
      "--profile [intervalUs]",
      "profile the task thread from the start (CPU samples per task group, sent to the scheduler's dashboard); optional sampling interval in microseconds (default 10000)",
    )
    .option(
      "--no-nanny",
      "run the workers in this process, with no nanny (by default a nanny process restarts the process past 125% of its memory limit or when it crashes)",
    ),
).action(async (address: string, flags: CommonFlags & WorkerFlags) => {
  const log = logger(flags, "worker");
  await tokenFromStdin(flags);
  if (flags.nanny !== false) {
    runNanny(flags, log);
    return;
  }
  let node: WorkerGroup | undefined;
  // Watched before connecting: a parent may die while this worker still looks for its scheduler.
  if (flags.exitWithParent) watchParent(log, () => node);
  if (flags.nworkers < 1) throw new InvalidArgumentError("--nworkers must be at least 1");
  node = await startWorkerGroup(flags.nworkers, {
    ...securityFrom(flags, log),
    scheduler: address,
    name: flags.name,
    nthreads: flags.nthreads,
    memoryLimit:
      flags.memoryLimit === undefined ? undefined : parseBytes("--memory-limit", flags.memoryLimit),
    localDirectory: flags.localDirectory,
    resources: flags.resources === undefined ? {} : parseResources(flags.resources),
    listenHost: flags.listenHost,
    maxFrameBytes: frameLimit(flags),
    deathTimeoutMs: flags.deathTimeout === undefined ? undefined : flags.deathTimeout * 1000,
    schedulerInParent: flags.exitWithParent === true,
    profile: profileFlag(flags.profile) ?? undefined,
    log,
  });
  onSignals(log, () => node.close("signal"));
  node.done.then(
    () => process.exit(0),
    // Refused by a scheduler it reconnected to: the same status 2 as a refusal at start; no
    // scheduler within --death-timeout: 3. A nanny restarts neither (deploy/nanny.ts).
    (err: unknown) =>
      process.exit(
        isRefusal(err) ? 2 : (err as { code?: unknown }).code === ErrorCodes.CONNECT_FAILED ? 3 : 1,
      ),
  );
});

/**
 * `barn worker` without --no-nanny: this process becomes the worker's nanny. It runs the same
 * command with --no-nanny as a child, restarts it past 125% of its memory limit or when it dies,
 * forwards SIGTERM/SIGINT, and exits with the worker's final status.
 */
function runNanny(flags: CommonFlags & WorkerFlags, log: Logger): void {
  const nthreads = flags.nthreads;
  const explicit =
    flags.memoryLimit === undefined ? undefined : parseBytes("--memory-limit", flags.memoryLimit);
  const limit = explicit ?? defaultProcessMemoryLimit(nthreads);
  const args = [
    ...processHeapFlags(explicit),
    ...process.execArgv,
    ...process.argv.slice(1),
    "--no-nanny",
  ];
  // The worker watches its stdin pipe from this process, so it never outlives its nanny.
  if (!flags.exitWithParent) args.push("--exit-with-parent");
  // A token read from stdin (--token-stdin, as SSHCluster sends it) goes to each worker process
  // the same way, as the first line on its stdin pipe: never in its environment or arguments.
  const token = flags.tokenStdin ? process.env.BARN_TOKEN : undefined;
  const env = { ...process.env };
  if (token !== undefined) delete env.BARN_TOKEN;
  const nanny = new Nanny({
    command: process.execPath,
    args,
    env,
    stdinFirstLine: token,
    name: flags.name ?? `${hostname()}-${process.pid}`,
    // One process holds --nworkers workers, each with the limit.
    memoryLimit: limit * flags.nworkers,
    log: log.child("nanny"),
  }).start();
  if (flags.exitWithParent) {
    const leave = () => void nanny.stop().finally(() => process.exit(0));
    process.stdin.on("end", leave);
    process.stdin.on("close", leave);
    process.stdin.on("error", leave);
    process.stdin.resume();
  }
  onSignals(log, () => nanny.stop());
  // The nanny holds its worker unref'd (a client's cluster must not keep its script alive);
  // this process exists only to keep it, so it stays up until the nanny is done.
  setInterval(() => {}, 60_000);
  void nanny.done.then((code) => process.exit(code));
}

interface SchedulerFlags {
  host: string;
  port: number;
  protocol: "tcp" | "tls" | "ws" | "wss";
  requireClientCert?: boolean;
  heartbeatTimeout: number;
  cancelGracePeriod?: number;
  dashboard: boolean;
  dashboardPort: number;
  dashboardHost: string;
  profile?: boolean | string;
}

interface WorkerFlags {
  nthreads: number;
  nworkers: number;
  memoryLimit?: string;
  localDirectory?: string;
  resources?: string;
  name?: string;
  listenHost?: string;
  deathTimeout?: number;
  nanny?: boolean;
  profile?: boolean | string;
}

/** `--profile` (true) or `--profile 500` (a sampling interval, µs): the profiler's settings. */
function profileFlag(v: boolean | string | undefined): ProfileSettings | null {
  if (v === undefined || v === false) return null;
  if (v === true) return DEFAULT_PROFILE_SETTINGS;
  const intervalUs = Number(v);
  if (!Number.isFinite(intervalUs) || intervalUs < 50) {
    throw new InvalidArgumentError(
      `--profile takes a sampling interval in microseconds (at least 50); got ${v}`,
    );
  }
  return { ...DEFAULT_PROFILE_SETTINGS, intervalUs };
}

/**
 * The parent that started this worker holds the other end of its stdin; the OS closes it when
 * the parent exits in any way (SIGKILL included), and then this worker leaves. A worker of
 * `processes: true` must never outlive its client, nor retry forever for its scheduler.
 */
function watchParent(
  log: Logger,
  node: () => { close(reason: string): Promise<void> } | undefined,
): void {
  let gone = false;
  const leave = () => {
    if (gone) return;
    gone = true;
    // Info, not a warning: a script that never closed its `processes: true` client ends so.
    log.info("parent process gone (stdin closed); worker exits");
    const n = node();
    // Bounded: a scheduler that went with the parent cannot hold the exit up.
    setTimeout(() => process.exit(0), 2_000).unref();
    if (n === undefined) process.exit(0);
    n.close("parent process gone").finally(() => process.exit(0));
  };
  process.stdin.on("end", leave);
  process.stdin.on("close", leave);
  process.stdin.on("error", leave);
  process.stdin.resume();
}

function logger(flags: CommonFlags, component: string): Logger {
  const level = isLogLevel(flags.logLevel) ? flags.logLevel : "info";
  return createLogger({ level, component });
}

/** `--token-stdin`: the first line of stdin becomes BARN_TOKEN for securityFrom. */
async function tokenFromStdin(flags: CommonFlags): Promise<void> {
  if (flags.tokenStdin) process.env.BARN_TOKEN = await readTokenLine();
}

/** Token and TLS material from files and the environment. */
function securityFrom(flags: CommonFlags, log: Logger): SecurityOptions {
  let token: string | undefined;
  if (flags.tokenFile !== undefined) token = readFileSync(flags.tokenFile, "utf8").trim();
  else if (process.env.BARN_TOKEN) token = process.env.BARN_TOKEN;
  if (token !== undefined && token.length < 16) {
    log.warn("the token is short; use at least 16 random characters (e.g. openssl rand -hex 32)");
  }
  const read = (f: string | undefined) => (f === undefined ? undefined : readFileSync(f, "utf8"));
  const tls =
    flags.tlsCert !== undefined || flags.tlsCa !== undefined
      ? { cert: read(flags.tlsCert), key: read(flags.tlsKey), ca: read(flags.tlsCa) }
      : undefined;
  return { ...(token !== undefined ? { token } : {}), ...(tls ? { tls } : {}) };
}

function frameLimit(flags: CommonFlags): number | undefined {
  const v = flags.maxFrameBytes;
  return v === undefined ? undefined : parseBytes("--max-frame-bytes", v);
}

function parseResources(s: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of s.split(",")) {
    const [name, value] = part.split("=");
    const n = Number(value);
    if (!name || value === undefined || !Number.isFinite(n) || n < 0) {
      throw new InvalidArgumentError(`--resources: "${part}" is not NAME=number, e.g. GPU=1`);
    }
    out[name.trim()] = n;
  }
  return out;
}

function intArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("must be a whole number");
  return n;
}

function numArg(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a positive number");
  return n;
}

function onSignals(log: Logger, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

program.parseAsync(process.argv).catch((err: unknown) => {
  const msg = err instanceof Error ? err.message : String(err);
  const code = err instanceof BarnError ? ` [${err.code}]` : "";
  process.stderr.write(`barn: ${msg}${code}\n`);
  process.exit(2);
});
