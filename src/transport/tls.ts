/**
 * tls:// over node:tls. The server needs `tls.cert` and `tls.key`; a client verifies the server
 * against `tls.ca`. With `ca` on the server, clients are asked for a certificate, and with
 * `requireClientCert` one signed by that CA is required (mutual TLS). The token handshake runs
 * inside TLS as on any transport.
 */
import { isIP } from "node:net";
import { createServer, type TLSSocket, connect as tlsConnect } from "node:tls";
import { BarnError, ErrorCodes, OptionError } from "../errors.js";
import { formatAddress, hostOf, portOf } from "./address.js";
import { Admission, certificateRefusal } from "./admission.js";
import { checkBind } from "./bind-policy.js";
import { isTlsError } from "./stream-connection.js";
import {
  acceptStream,
  connectStream,
  HANDSHAKE_TIMEOUT_MS,
  listenerOf,
} from "./stream-transport.js";
import { socketAddress } from "./tcp.js";
import type {
  Connection,
  ConnectOptions,
  Listener,
  ListenOptions,
  SecurityOptions,
  Transport,
} from "./types.js";

/** Keepalive probes start after this much idle time. */
const KEEPALIVE_MS = 30_000;

/** TLS over TCP. */
export const tlsTransport: Transport = {
  schemes: ["tls"],
  async listen(url: URL, options: ListenOptions): Promise<Listener> {
    const host = hostOf(url);
    checkBind(host, "tls", options);
    const admission = new Admission("tls", options);
    const server = createServer(serverTlsOptions(options, "tls://"), (socket: TLSSocket) => {
      socket.setNoDelay(true);
      socket.setKeepAlive(true, KEEPALIVE_MS);
      const remote = socketAddress("tls", socket, "remote");
      const local = socketAddress("tls", socket, "local");
      const refuse = certificateRefusal(socket, remote, options);
      acceptStream({ stream: socket, socket, remote, local, refuse }, options, admission);
    });
    // Handshake failures (a client that does not trust this server) never reach the
    // connection listener. A refused or reset socket has no address left: say so.
    server.on("tlsClientError", (err, socket) => {
      if (!isTlsError(err)) return; // closed before TLS began (a scanner, or dropped on accept)
      const remote = socketAddress("tls", socket as TLSSocket, "remote");
      options.onRefused?.(remote, tlsRefusal(remote, err));
    });
    return listenerOf(server, admission, options.unref, "tls", host, portOf(url));
  },
  connect(url: URL, options: ConnectOptions): Promise<Connection> {
    const host = hostOf(url);
    const port = portOf(url);
    const remote = formatAddress({ scheme: "tls", host, port, path: "" });
    return connectStream(remote, options, () => {
      const socket = tlsConnect({
        host,
        port,
        ...clientTlsOptions(options, host),
      });
      socket.setNoDelay(true);
      socket.setKeepAlive(true, KEEPALIVE_MS);
      return {
        emitter: socket,
        ready: "secureConnect",
        stream: () => socket,
        local: () => socketAddress("tls", socket, "local"),
        destroy: () => socket.destroy(),
      };
    });
  },
};

/** A failed TLS handshake on the server, as the BarnError `onRefused` receives. */
export function tlsRefusal(remote: string, err: Error): BarnError {
  return new BarnError(
    ErrorCodes.AUTH_FAILED,
    `TLS handshake with ${remote} failed (${err.message.trim()}): the client needs tls.ca to trust this server and, when this server requires one, a certificate signed by its tls.ca`,
    { cause: err },
  );
}

/**
 * node:tls server options from Barn's; throws INVALID_OPTION without cert and key. With `ca`,
 * clients are asked for a certificate; with `requireClientCert` one signed by `ca` is required,
 * but checked by `certificateRefusal` rather than by node, which would drop the socket silently.
 */
export function serverTlsOptions(options: ListenOptions, scheme: string) {
  const t = options.tls;
  if (t?.cert === undefined || t.key === undefined) {
    throw new OptionError(
      `listening on ${scheme} needs tls.cert and tls.key (PEM): pass them, or listen on tcp:// with a token`,
    );
  }
  return {
    cert: t.cert,
    key: t.key,
    ...(t.ca === undefined ? {} : { ca: t.ca }),
    requestCert: t.ca !== undefined,
    rejectUnauthorized: false,
    // A stranger that stalls the TLS handshake holds a pending slot no longer than a Barn one.
    handshakeTimeout: options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
  };
}

/** node:tls client options from Barn's: CA, own certificate, SNI for host names. */
export function clientTlsOptions(options: SecurityOptions, host: string) {
  const t = options.tls;
  return {
    ...(t?.ca === undefined ? {} : { ca: t.ca }),
    ...(t?.cert === undefined ? {} : { cert: t.cert }),
    ...(t?.key === undefined ? {} : { key: t.key }),
    ...(isIP(host) === 0 ? { servername: host } : {}),
  };
}
