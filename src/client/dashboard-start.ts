/**
 * Starting a local cluster's dashboard for `Client.connect`: on by default, like Dask's
 * LocalCluster. A dashboard that cannot start (every port taken) costs a warning, never the
 * client: the computation does not need it. (A host that would let strangers in is refused
 * earlier, by validateConnectOptions.)
 */
import type { LocalBackend } from "../deploy/local-backend.js";
import { createLogger } from "../diagnostics/log.js";
import type { ConnectOptions } from "./options.js";

export async function startDashboard(
  backend: LocalBackend,
  option: ConnectOptions["dashboard"],
): Promise<void> {
  if (option === false) return;
  const where = option === undefined || option === true ? {} : option;
  try {
    await backend.startDashboard(where);
  } catch (err) {
    createLogger({ level: "warn", component: "barn.dashboard" }).warn(
      "the dashboard did not start; computing without it",
      { reason: (err as Error).message },
    );
  }
}
