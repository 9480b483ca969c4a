/**
 * Who may listen where. A worker runs whatever code its scheduler sends, so a listener that
 * anyone on the network can reach must authenticate: a token, or TLS.
 */
import { BarnError, ErrorCodes } from "../errors.js";
import { isLoopback } from "./address.js";
import type { ListenOptions } from "./types.js";

/** Throws INSECURE_BIND for a non-loopback host without a token, TLS or `allowInsecure`. */
export function checkBind(host: string, secure: boolean, options: ListenOptions): void {
  if (isLoopback(host) || secure || options.token !== undefined || options.allowInsecure) return;
  throw new BarnError(
    ErrorCodes.INSECURE_BIND,
    `refusing to listen on ${host} without a token or TLS: anyone who can reach it could run code on this cluster; set a token with --token-file or BARN_TOKEN, use tls:// or wss://, or bind 127.0.0.1 (allowInsecure: true overrides this on a trusted network)`,
  );
}
