/**
 * The versions both ends compare in the handshake: the wire protocol's and Barn's own. Barn
 * refuses to mix package versions because workers run code the scheduler ships.
 */
import { readFileSync } from "node:fs";

/** The wire protocol's version. Bump it on any change to framing, codec or handshake. */
export const PROTOCOL_VERSION = 1;

let cached: string | undefined;

/** Barn's package version, read once from package.json (../../../ from dist/src/transport/). */
export function barnVersion(): string {
  if (cached === undefined) {
    const url = new URL("../../../package.json", import.meta.url);
    cached = String((JSON.parse(readFileSync(url, "utf8")) as { version?: unknown }).version);
  }
  return cached;
}
