/**
 * Who may listen where. A worker runs whatever code its scheduler sends, and a worker's peer
 * port hands out results, so a listener that anyone on the network can reach must know who
 * connects: every peer proves the shared token, or presents a certificate signed by the
 * configured CA (mutual TLS). TLS alone encrypts but lets anyone in, so it is not enough.
 * Loopback is exempt (only this machine's users reach it); `allowInsecure` is the explicit
 * override for a trusted network.
 */
import { BarnError, ErrorCodes } from "../errors.js";
import { isLoopback } from "./address.js";
import type { ListenOptions } from "./types.js";

/** How to make a listener safe, said the way `barn scheduler`'s flags say it. */
const FIX =
  "pass --token-file (or BARN_TOKEN, or the token option), or use tls:// or wss:// with --tls-ca and --require-client-cert (tls.ca with tls.requireClientCert), or bind 127.0.0.1";

/**
 * Throws INSECURE_BIND when `scheme://host` would let strangers in: a non-loopback host with
 * neither a token nor mutual TLS, unless `allowInsecure`. Also throws it, on any host, for
 * `requireClientCert` without `ca` (nothing to check client certificates against).
 */
export function checkBind(host: string, scheme: string, options: ListenOptions): void {
  const tls = options.tls;
  const encrypted = scheme === "tls" || scheme === "wss";
  if (tls?.requireClientCert === true && (tls.ca === undefined || !encrypted)) {
    throw new BarnError(
      ErrorCodes.INSECURE_BIND,
      encrypted
        ? `--require-client-cert (tls.requireClientCert) without --tls-ca (tls.ca) checks no certificate, so it would let any client in: pass --tls-ca with the CA that signs your workers' and clients' certificates`
        : `--require-client-cert (tls.requireClientCert) has no effect on ${scheme}://: use tls:// or wss:// with --tls-ca, or pass --token-file`,
    );
  }
  if (isLoopback(host) || options.allowInsecure === true || options.token !== undefined) return;
  if (encrypted && tls?.ca !== undefined && tls.requireClientCert === true) return;
  throw new BarnError(
    ErrorCodes.INSECURE_BIND,
    `refusing to listen on ${scheme}://${host} ${missing(scheme, options)} (allowInsecure: true overrides this on a trusted network)`,
  );
}

/** What the options lack, and why that lets strangers in. */
function missing(scheme: string, options: ListenOptions): string {
  const why = "anyone who can reach it could run code on this cluster or read its results";
  if (scheme !== "tls" && scheme !== "wss") return `without a token: ${why}; ${FIX}`;
  if (options.tls?.ca === undefined) {
    return `with TLS but no token and no client certificates: TLS encrypts but lets anyone in, and ${why}; pass --token-file, or --tls-ca with --require-client-cert, or bind 127.0.0.1`;
  }
  return `with --tls-ca but without --require-client-cert and no token: clients are asked for a certificate but not required to have one, so ${why}; add --require-client-cert, or pass --token-file, or bind 127.0.0.1`;
}
