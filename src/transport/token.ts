/**
 * The handshake's crypto, kept out of the pure machine: a fresh nonce, HMAC-SHA256 under the
 * shared token, and a constant-time comparison.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Nonce, MAC (undefined without a token) and comparison for one connection's handshake. */
export function handshakeCrypto(token: string | undefined): {
  nonce: string;
  mac: ((data: string) => string) | undefined;
  equal: (a: string, b: string) => boolean;
} {
  return {
    nonce: randomBytes(16).toString("hex"),
    mac:
      token === undefined
        ? undefined
        : (data) => createHmac("sha256", token).update(data).digest("hex"),
    equal: constantTimeEqual,
  };
}

/** Compare two strings without leaking where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
