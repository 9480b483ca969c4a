/**
 * Options of the public entry points, validated at the boundary: a bad value is an OptionError
 * that names the option, what it got and what it accepts. Inside, the engine trusts them.
 */
import { checkDashboardBind } from "../dashboard/auth.js";
import { ErrorCodes, GraphError, OptionError } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { Resources } from "../protocol/ids.js";
import { type ProfileOption, profileSettings } from "../protocol/profile.js";
import type { SchedulerConfig } from "../scheduler/protocol.js";

export interface ConnectOptions {
  /**
   * "threads" (the default): a local cluster of worker threads with the scheduler in this
   * thread. "sync": every task runs inline in the calling thread, for debugging and profiling.
   */
  readonly scheduler?: "threads" | "sync" | undefined;
  /** Worker threads in the local cluster. Default: one per core. */
  readonly workers?: number | undefined;
  /** Tasks one worker runs at once (async tasks overlap). Default 1. */
  readonly threadsPerWorker?: number | undefined;
  /**
   * Memory per worker, buffers included, as bytes or a string such as "4GiB" or "512MB":
   * results spill to disk past 60% of it and the worker pauses past 80% (docs/memory.md); it
   * is also each worker thread's heap limit. Default: the machine's memory divided among the
   * workers (and no heap limit).
   */
  readonly memoryLimit?: number | string | undefined;
  /**
   * Where workers spill results: each worker gets a folder of its own inside, removed when it
   * exits. Default: the OS temp directory.
   */
  readonly localDirectory?: string | undefined;
  /** Resources every local worker declares, e.g. { GPU: 1 }. */
  readonly resources?: Resources | undefined;
  /**
   * Local worker processes (`barn worker`) over loopback instead of threads: tasks that crash
   * or exhaust memory take down one process, not the client's.
   */
  readonly processes?: boolean | undefined;
  /**
   * The shared token of a remote scheduler (`Client.connect("tcp://host:8786", { token })`).
   * Default: the BARN_TOKEN environment variable.
   */
  readonly token?: string | undefined;
  /** TLS material for tls:// and wss:// schedulers (PEM strings). */
  readonly tls?:
    | {
        readonly ca?: string | undefined;
        readonly cert?: string | undefined;
        readonly key?: string | undefined;
      }
    | undefined;
  /** Give up connecting to a remote scheduler after this long, ms. Default 10 s. */
  readonly timeoutMs?: number | undefined;
  /**
   * Liveness of a remote scheduler: the client pings it every second and, after this long
   * without a word from it (a frozen or cut-off scheduler), fails every pending future with
   * BARN_CONNECTION_LOST. ms; default 10 s (as workers wait for their scheduler).
   */
  readonly heartbeatTimeoutMs?: number | undefined;
  /**
   * Largest frame accepted from a remote scheduler, bytes (one large typed array or buffer of a
   * result travels as one frame). A larger one closes the connection with FRAME_TOO_LARGE.
   * Default 1 GiB.
   */
  readonly maxFrameBytes?: number | undefined;
  /** Scheduler policy tunables (saturation, allowed failures, ...). */
  readonly schedulerConfig?: Partial<SchedulerConfig> | undefined;
  /**
   * The dashboard of a local cluster (threads or processes): served by default on
   * http://127.0.0.1:8787/, or the next free port (`client.dashboardLink` says which);
   * `false` serves none; `{ port, host }` moves it (a non-loopback host is refused: a local
   * cluster has no token). See docs/diagnostics.md.
   */
  readonly dashboard?: boolean | { readonly port?: number; readonly host?: string } | undefined;
  /**
   * Sample every worker's task thread with V8's CPU profiler and merge the samples per task
   * group (the dashboard's profile view, performance reports): `true` (every 10 ms, sent every
   * 2 s) or `{ intervalUs, periodMs }`. Local clusters only (`barn worker --profile` on
   * remote ones). Default off. See docs/diagnostics.md.
   */
  readonly profile?: ProfileOption | undefined;
  /** Make this client the one `delayed(...).compute()` uses. Default true. */
  readonly setAsDefault?: boolean | undefined;
}

export type { TaskOptions } from "../protocol/backend.js";

import type { TaskOptions } from "../protocol/backend.js";

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** "4GiB" -> 4294967296. Numbers are bytes. */
export function parseBytes(option: string, v: number | string): number {
  if (typeof v === "number" && Number.isFinite(v) && v > 0) return v;
  if (typeof v === "string") {
    const m = /^\s*([\d.]+)\s*([a-zA-Z]*)\s*$/.exec(v);
    const unit = UNITS[(m?.[2] || "b").toLowerCase()];
    if (m && unit !== undefined && Number(m[1]) > 0) return Math.round(Number(m[1]) * unit);
  }
  throw new OptionError(
    `${option} must be a positive number of bytes or a size such as "4GiB" or "512MB"; got ${JSON.stringify(v)}`,
  );
}

function positiveInt(option: string, v: unknown): void {
  if (v !== undefined && !(Number.isInteger(v) && (v as number) > 0)) {
    throw new OptionError(`${option} must be a positive integer; got ${JSON.stringify(v)}`);
  }
}

function resourcesOk(option: string, v: unknown): void {
  if (v === undefined) return;
  const ok =
    typeof v === "object" &&
    v !== null &&
    Object.values(v).every((n) => typeof n === "number" && Number.isFinite(n) && n >= 0);
  if (!ok) {
    throw new OptionError(
      `${option} must map resource names to non-negative numbers, e.g. { GPU: 1 }; got ${JSON.stringify(v)}`,
    );
  }
}

function validateDashboard(d: ConnectOptions["dashboard"]): void {
  if (d === undefined || typeof d === "boolean") return;
  const port = typeof d === "object" && d !== null ? d.port : undefined;
  const host = typeof d === "object" && d !== null ? d.host : undefined;
  const keysOk =
    typeof d === "object" &&
    d !== null &&
    Object.keys(d).every((k) => k === "port" || k === "host");
  const portOk =
    port === undefined || (Number.isInteger(port) && (port as number) >= 0 && port <= 65535);
  const hostOk = host === undefined || (typeof host === "string" && host !== "");
  if (!keysOk || !portOk || !hostOk) {
    throw new OptionError(
      `dashboard must be true, false or { port, host } (port a whole number from 0 to 65535); got ${JSON.stringify(d)}`,
    );
  }
  if (host !== undefined) checkDashboardBind(host, undefined);
}

export function validateConnectOptions(o: ConnectOptions): void {
  if (typeof o !== "object" || o === null) {
    throw new OptionError(`Client.connect options must be an object; got ${JSON.stringify(o)}`);
  }
  if (o.scheduler !== undefined && o.scheduler !== "threads" && o.scheduler !== "sync") {
    throw new OptionError(
      `scheduler must be "threads" (the default local cluster) or "sync" (inline); got ${JSON.stringify(o.scheduler)}`,
    );
  }
  positiveInt("workers", o.workers);
  positiveInt("threadsPerWorker", o.threadsPerWorker);
  positiveInt("timeoutMs", o.timeoutMs);
  positiveInt("heartbeatTimeoutMs", o.heartbeatTimeoutMs);
  const address = (o as { address?: unknown }).address;
  if (address !== undefined) {
    if (typeof address !== "string" || address === "") {
      throw new OptionError(
        `the scheduler address must be a string such as "tcp://host:8786"; got ${JSON.stringify(address)}`,
      );
    }
    if (o.scheduler === "sync" || o.processes || o.workers !== undefined) {
      throw new OptionError(
        `Client.connect("${address}") joins an existing cluster; scheduler, processes and workers apply only to a local one. Fix: drop them, or call Client.connect({ ... }) without an address`,
      );
    }
  }
  validateDashboard(o.dashboard);
  profileSettings("profile", o.profile);
  if (o.token !== undefined && (typeof o.token !== "string" || o.token === "")) {
    throw new OptionError("token must be a non-empty string (the one the scheduler was given)");
  }
  if (o.processes && o.scheduler === "sync") {
    throw new OptionError('processes: true and scheduler: "sync" contradict each other; pick one');
  }
  if (o.memoryLimit !== undefined) parseBytes("memoryLimit", o.memoryLimit);
  if (
    o.localDirectory !== undefined &&
    (typeof o.localDirectory !== "string" || o.localDirectory === "")
  ) {
    throw new OptionError(
      `localDirectory must be a non-empty string (a directory path), got ${JSON.stringify(o.localDirectory)}`,
    );
  }
  resourcesOk("resources", o.resources);
}

export function validateTaskOptions(o: TaskOptions): void {
  if (typeof o !== "object" || o === null) {
    throw new OptionError(`task options must be an object; got ${JSON.stringify(o)}`);
  }
  if (o.key !== undefined && (typeof o.key !== "string" || o.key.length === 0)) {
    throw new OptionError(`key must be a non-empty string; got ${JSON.stringify(o.key)}`);
  }
  if (o.key !== undefined) checkKeyCharacters(o.key);
  if (o.priority !== undefined && !Number.isFinite(o.priority)) {
    throw new OptionError(`priority must be a finite number; got ${JSON.stringify(o.priority)}`);
  }
  if (o.retries !== undefined && !(Number.isInteger(o.retries) && o.retries >= 0)) {
    throw new OptionError(
      `retries must be a non-negative integer; got ${JSON.stringify(o.retries)}`,
    );
  }
  resourcesOk("resources", o.resources);
  if (
    o.workers !== undefined &&
    !(Array.isArray(o.workers) && o.workers.every((w) => typeof w === "string"))
  ) {
    throw new OptionError(
      `workers must be an array of worker ids or names; got ${JSON.stringify(o.workers)}`,
    );
  }
}

/** Keys travel joined by NUL between threads (protocol/ops-codec.ts), so a key may not hold one. */
export function checkKeyCharacters(key: Key): void {
  if (key.includes("\u0000")) {
    throw new GraphError(
      ErrorCodes.GRAPH_INVALID,
      `key ${JSON.stringify(key)} contains the NUL character, which keys may not hold; remove it from the key`,
    );
  }
}
