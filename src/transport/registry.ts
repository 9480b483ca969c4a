/**
 * The transport registry: an address's URL scheme picks the Transport. The built-in transports
 * (tcp, tls, ws/wss, inproc) are registered when this module loads; `registerTransport` adds or
 * replaces others. Options are validated here, at the boundary; transports trust them.
 */
import { OptionError } from "../errors.js";
import { addressToUrl, parseAddress } from "./address.js";
import { encodeMessage } from "./codec.js";
import { inprocTransport } from "./inproc.js";
import { tcpTransport } from "./tcp.js";
import { tlsTransport } from "./tls.js";
import type {
  Connection,
  ConnectOptions,
  Hello,
  Listener,
  ListenOptions,
  Transport,
} from "./types.js";
import { wsTransport } from "./ws.js";

const transports = new Map<string, Transport>();

/** Register a transport under each of its schemes (replacing any earlier one). */
export function registerTransport(transport: Transport): void {
  for (const scheme of transport.schemes) transports.set(scheme.toLowerCase(), transport);
}

/** The schemes that have a transport, sorted. */
export function knownSchemes(): string[] {
  return [...transports.keys()].sort();
}

/**
 * Listen at `address` (`tcp://host:port`, `host:port`, `tls://`, `ws://`, `wss://`,
 * `inproc://name`; port 0 picks a free one, see `Listener.address`).
 */
export async function listen(address: string, options: ListenOptions): Promise<Listener> {
  validateCommon(options);
  if (typeof options.onConnection !== "function") {
    throw new OptionError("listen() needs onConnection: a function called with each connection");
  }
  const p = options.maxPendingConnections;
  if (p !== undefined && !(Number.isInteger(p) && p > 0)) {
    throw new OptionError(
      `maxPendingConnections must be a positive whole number, got ${String(p)}`,
    );
  }
  const h = options.handshakeTimeoutMs;
  if (h !== undefined && !(Number.isFinite(h) && h > 0)) {
    throw new OptionError(
      `handshakeTimeoutMs must be a positive number of milliseconds, got ${String(h)}`,
    );
  }
  const { transport, url } = resolve(address);
  return transport.listen(url, options);
}

/**
 * Connect to `address` and run the handshake; rejects with the BarnError that stopped it (bad
 * options and addresses reject too, with INVALID_OPTION).
 */
export async function connect(address: string, options: ConnectOptions): Promise<Connection> {
  validateCommon(options);
  const t = options.timeoutMs;
  if (t !== undefined && !(Number.isFinite(t) && t > 0)) {
    throw new OptionError(`timeoutMs must be a positive number of milliseconds, got ${String(t)}`);
  }
  const { transport, url } = resolve(address);
  return transport.connect(url, options);
}

function resolve(address: string): { transport: Transport; url: URL } {
  const parsed = parseAddress(address);
  const transport = transports.get(parsed.scheme);
  if (transport === undefined) {
    throw new OptionError(
      `unknown transport "${parsed.scheme}://" in address ${JSON.stringify(address)}: use one of ${knownSchemes()
        .map((s) => `${s}://`)
        .join(", ")}`,
    );
  }
  return { transport, url: addressToUrl(parsed) };
}

/** Largest encoded hello: handshake frames are limited to HANDSHAKE_MAX_FRAME_BYTES. */
const HELLO_MAX_BYTES = 4096;

const ROLES: readonly Hello["role"][] = ["scheduler", "worker", "client", "peer"];

function validateCommon(options: ListenOptions | ConnectOptions): void {
  const hello = options?.hello;
  if (typeof hello !== "object" || hello === null || !ROLES.includes(hello.role)) {
    throw new OptionError(`hello.role must be one of ${ROLES.join(", ")}`);
  }
  if (typeof hello.name !== "string") throw new OptionError("hello.name must be a string");
  const helloBytes = encodeMessage(hello).bytes;
  if (helloBytes > HELLO_MAX_BYTES) {
    throw new OptionError(
      `hello (name and info) takes ${helloBytes} bytes, more than ${HELLO_MAX_BYTES}: handshake frames are kept small (a stranger sends them); use a shorter name`,
    );
  }
  const m = options.maxFrameBytes;
  if (m !== undefined && !(Number.isInteger(m) && m > 0 && m <= 2 ** 32 - 1)) {
    throw new OptionError(
      `maxFrameBytes must be a whole number of bytes between 1 and ${2 ** 32 - 1}, got ${String(m)}`,
    );
  }
  if (options.token !== undefined && (typeof options.token !== "string" || options.token === "")) {
    throw new OptionError("token must be a non-empty string (or left out for no token)");
  }
}

for (const t of [tcpTransport, tlsTransport, wsTransport, inprocTransport]) registerTransport(t);
