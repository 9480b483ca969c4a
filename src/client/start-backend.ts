/**
 * Starting the backend a client's options ask for: the sync scheduler, a local cluster of
 * threads or processes (with its dashboard), or a connection to a remote scheduler.
 */
import { LocalBackend } from "../deploy/local-backend.js";
import type { Backend } from "../protocol/backend.js";
import { profileSettings } from "../protocol/profile.js";
import { startDashboard } from "./dashboard-start.js";
import { type ConnectOptions, parseBytes } from "./options.js";
import { startProcessBackend } from "./process-backend.js";
import { RemoteBackend } from "./remote-backend.js";
import { SyncBackend } from "./sync-backend.js";

/** The backend the options ask for: sync, threads, processes, or a remote scheduler. */
export async function startBackend(
  options: ConnectOptions & { address?: string },
): Promise<Backend> {
  if (options.address !== undefined) {
    return RemoteBackend.connect(options.address, {
      token: options.token ?? process.env.BARN_TOKEN,
      tls: options.tls,
      timeoutMs: options.timeoutMs,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs,
      maxFrameBytes: options.maxFrameBytes,
    });
  }
  if (options.scheduler === "sync") return new SyncBackend();
  const memoryLimit =
    options.memoryLimit === undefined ? undefined : parseBytes("memoryLimit", options.memoryLimit);
  const common = {
    workers: options.workers,
    threadsPerWorker: options.threadsPerWorker,
    memoryLimit,
    localDirectory: options.localDirectory,
    resources: options.resources,
    config: options.schedulerConfig,
  };
  const backend = options.processes
    ? await startProcessBackend(common)
    : await LocalBackend.start(common);
  const profile = profileSettings("profile", options.profile);
  if (profile !== null) backend.server.setProfiling(profile);
  await startDashboard(backend, options.dashboard);
  return backend;
}
