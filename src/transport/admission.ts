/**
 * What a listener lets a stranger do before the handshake proves who it is: hold at most
 * `maxPendingConnections` sockets at once (counted from the TCP accept, so TLS and HTTP upgrades
 * in progress count too) and send at most PRE_AUTH_MAX_BYTES on each (stream-connection.ts),
 * in frames of at most HANDSHAKE_MAX_FRAME_BYTES. So an unauthenticated flood costs a listener
 * at most about maxPendingConnections x (PRE_AUTH_MAX_BYTES + one socket read) of memory.
 * Under mutual TLS it also decides whether the certificate a peer presented lets it in.
 */
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { BarnError, ErrorCodes } from "../errors.js";
import type { ListenOptions } from "./types.js";

/** Default of `ListenOptions.maxPendingConnections`. */
export const MAX_PENDING_CONNECTIONS = 256;

/** Bytes one connection may send before its handshake completes (a handshake needs ~1 KiB). */
export const PRE_AUTH_MAX_BYTES = 64 * 1024;

/** Counts a listener's sockets that have not completed the handshake; refuses beyond the limit. */
export class Admission {
  readonly #max: number;
  readonly #options: ListenOptions;
  readonly #scheme: string;
  /** Unauthenticated sockets by "address|port" (the same for a raw socket and its TLS wrapper). */
  readonly #pending = new Map<string, Socket>();
  /** Whether the refusal of an over-limit socket was reported since the count last dropped. */
  #reported = false;

  constructor(scheme: string, options: ListenOptions) {
    this.#scheme = scheme;
    this.#options = options;
    this.#max = options.maxPendingConnections ?? MAX_PENDING_CONNECTIONS;
  }

  /** The server's "connection" handler: admit the raw socket, or drop it when full. */
  readonly onSocket = (socket: Socket): void => {
    if (this.#pending.size >= this.#max) {
      socket.destroy();
      this.#reportFull(socket);
      return;
    }
    const key = keyOf(socket);
    this.#pending.set(key, socket);
    socket.once("close", () => this.settled(key, socket));
  };

  /** The handshake on the socket with this key ended (either way), or the socket closed. */
  settled(key: string, socket?: Socket): void {
    if (socket !== undefined && this.#pending.get(key) !== socket) return;
    this.#pending.delete(key);
    if (this.#pending.size < this.#max) this.#reported = false;
  }

  /** Unauthenticated sockets held now (for tests and diagnostics). */
  get pending(): number {
    return this.#pending.size;
  }

  /** Report the first refusal of a flood only, so a flood cannot flood the log too. */
  #reportFull(socket: Socket): void {
    if (this.#reported) return;
    this.#reported = true;
    const remote = `${this.#scheme}://${(socket.remoteAddress ?? "?").replace(/^::ffff:/, "")}:${socket.remotePort ?? 0}`;
    this.#options.onRefused?.(
      remote,
      new BarnError(
        ErrorCodes.CONNECT_FAILED,
        `${this.#max} connections are already waiting to complete the handshake; dropped the one from ${remote} (and will drop more, unreported, until some finish): a connection flood, or raise maxPendingConnections`,
      ),
    );
  }
}

/** The key of a socket in Admission: its remote address and port. */
export function keyOf(socket: Socket): string {
  return `${socket.remoteAddress ?? "?"}|${socket.remotePort ?? 0}`;
}

/**
 * Under mutual TLS, why the certificate `socket`'s peer presented does not let it in, or
 * undefined when it does (or no client certificate is required). Node is told not to reject
 * these itself: it would drop the socket without a word, and both ends would see "socket hang
 * up". Refusing in the handshake instead tells the peer why, and logs who it was.
 */
export function certificateRefusal(
  socket: TLSSocket,
  remote: string,
  options: ListenOptions,
): BarnError | undefined {
  if (options.tls?.requireClientCert !== true || socket.authorized) return undefined;
  const presented = Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
  const what = presented
    ? `presented a TLS certificate that the listener's CA (its --tls-ca, tls.ca) did not sign (${String(socket.authorizationError)})`
    : "presented no TLS certificate, and the listener requires one signed by its CA (mutual TLS)";
  return new BarnError(
    ErrorCodes.AUTH_FAILED,
    `the peer at ${remote} ${what}: give it a certificate signed by the cluster's CA (--tls-cert and --tls-key, or tls.cert and tls.key)`,
  );
}
