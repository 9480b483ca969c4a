/**
 * Addresses: `scheme://host:port[/path]` strings. A bare `host:port` means tcp, a missing port
 * means Barn's default port. Kept pure (no DNS, no sockets) so every transport and the CLI agree
 * on what an address means.
 */
import { OptionError } from "../errors.js";

/** The port a scheduler listens on when none is given (the same as Dask's). */
export const DEFAULT_PORT = 8786;

/** An address taken apart. `host` has no brackets, even for IPv6. */
export interface Address {
  readonly scheme: string;
  readonly host: string;
  readonly port: number;
  /** Path after the port ("" when none), used by ws:// and wss://. */
  readonly path: string;
}

const ADDRESS = /^(?:([a-zA-Z][a-zA-Z0-9+.-]*):\/\/)?(\[[^\]]*\]|[^:/[\]]*)(?::(\d{1,5}))?(\/.*)?$/;

/**
 * Parse an address. Throws an OptionError (INVALID_OPTION) naming the address when it is not of
 * the form `[scheme://]host[:port][/path]`.
 */
export function parseAddress(address: string): Address {
  const m = ADDRESS.exec(address.trim());
  const host = m?.[2]?.replace(/^\[|\]$/g, "") ?? "";
  const port = m?.[3] === undefined ? DEFAULT_PORT : Number(m[3]);
  if (m === null || host === "" || port > 65535) {
    throw invalidAddress(address);
  }
  return { scheme: (m[1] ?? "tcp").toLowerCase(), host, port, path: m[4] ?? "" };
}

/** Format an address, bracketing IPv6 hosts. */
export function formatAddress(a: Address): string {
  const host = a.host.includes(":") ? `[${a.host}]` : a.host;
  if (a.scheme === "inproc") return `inproc://${a.host}`;
  return `${a.scheme}://${host}:${a.port}${a.path}`;
}

/** The URL a Transport receives: always with the port written out (see `portOf`). */
export function addressToUrl(a: Address): URL {
  return new URL(formatAddress(a));
}

/** Host of a transport URL without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, "");
}

/**
 * Port of a transport URL. The URL class drops a scheme's default port (80 for ws:, 443 for
 * wss:), so an empty port means that default, never Barn's.
 */
export function portOf(url: URL): number {
  if (url.port !== "") return Number(url.port);
  if (url.protocol === "ws:") return 80;
  if (url.protocol === "wss:") return 443;
  return DEFAULT_PORT;
}

/** True for hosts that only this machine can reach: 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

function invalidAddress(address: string): OptionError {
  return new OptionError(
    `invalid address ${JSON.stringify(address)}: write it as [scheme://]host[:port], e.g. "tcp://127.0.0.1:${DEFAULT_PORT}" or "127.0.0.1:${DEFAULT_PORT}"`,
  );
}
