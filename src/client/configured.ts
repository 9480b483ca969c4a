/**
 * Options given in code, completed from the configuration (config/: BARN_* variables and
 * barn.config.json): a setting the caller left out takes its configured value. Local-cluster
 * settings apply only to a local cluster, connection settings only to a remote scheduler, so a
 * configured `processes: true` never conflicts with `Client.connect(address)`.
 */
import { config } from "../config/load.js";
import type { ConnectOptions } from "./options.js";

const LOCAL = ["workers", "threadsPerWorker", "memoryLimit", "processes"] as const;
const REMOTE = ["timeoutMs", "heartbeatTimeoutMs"] as const;

export function withConfig<T extends ConnectOptions & { readonly address?: string | undefined }>(
  o: T,
): T {
  const c = config();
  const out = { ...o } as Record<string, unknown>;
  const remote = o.address !== undefined;
  for (const k of remote ? REMOTE : LOCAL) {
    if (k === "processes" && o.scheduler === "sync") continue;
    if (out[k] === undefined && c.has(k)) out[k] = c.get(k);
  }
  return out as T;
}
