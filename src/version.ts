/**
 * Barn's package version. The handshake compares it (transport/version.ts): Barn refuses to mix
 * package versions because workers run code the scheduler ships. The CLI prints it.
 */
import { readFileSync } from "node:fs";

let cached: string | undefined;

/** Barn's package version, read once from package.json (../../ from dist/src/). */
export function barnVersion(): string {
  if (cached === undefined) {
    const url = new URL("../../package.json", import.meta.url);
    cached = String((JSON.parse(readFileSync(url, "utf8")) as { version?: unknown }).version);
  }
  return cached;
}
