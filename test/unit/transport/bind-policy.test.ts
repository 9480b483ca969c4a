/**
 * The bind policy on real listeners: a non-loopback listener needs a token or mutual TLS (a
 * certificate signed by tls.ca required of every peer); TLS alone is refused with
 * INSECURE_BIND naming what is missing. (The attack on running clusters is in
 * test/integration/security.test.ts.)
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { BarnError, ErrorCodes } from "../../../src/errors.js";
import { listen } from "../../../src/transport/index.js";
import type { ListenOptions } from "../../../src/transport/types.js";
import { serverHello, testCerts } from "./helpers.js";

const certs = testCerts();
const T = { timeout: 20_000, skip: certs ? false : "openssl CLI not found: no test certificates" };

function options(extra: Partial<ListenOptions>): ListenOptions {
  return { hello: serverHello, onConnection: (c) => c.close(), ...extra };
}

async function refused(address: string, extra: Partial<ListenOptions>, fix: RegExp) {
  await assert.rejects(listen(address, options(extra)), (e: unknown) => {
    assert.ok(e instanceof BarnError, String(e));
    assert.equal(e.code, ErrorCodes.INSECURE_BIND, e.message);
    assert.match(e.message, fix);
    return true;
  });
}

test("TLS without a token or required client certificates is refused on 0.0.0.0", T, async () => {
  const c = certs!;
  const cert = { cert: c.serverCert, key: c.serverKey };
  for (const scheme of ["tls", "wss"]) {
    const at = `${scheme}://0.0.0.0:0`;
    await refused(
      at,
      { tls: cert },
      /TLS encrypts but lets anyone in.*--tls-ca with --require-client-cert/,
    );
    await refused(at, { tls: { ...cert, ca: c.ca } }, /not required.*add --require-client-cert/);
    // requireClientCert with nothing to check certificates against: refused on any host.
    for (const host of ["0.0.0.0", "127.0.0.1"]) {
      await refused(
        `${scheme}://${host}:0`,
        { tls: { ...cert, requireClientCert: true } },
        /without --tls-ca .*checks no certificate/,
      );
    }
  }
  for (const scheme of ["tcp", "ws"]) {
    await refused(`${scheme}://0.0.0.0:0`, {}, /without a token.*--token-file/);
    await refused(
      `${scheme}://127.0.0.1:0`,
      { tls: { ca: c.ca, requireClientCert: true } },
      /no effect on/,
    );
  }
});

test("a token, or mutual TLS with a CA, may listen on 0.0.0.0; loopback is exempt", T, async () => {
  const c = certs!;
  const cert = { cert: c.serverCert, key: c.serverKey };
  const allowed: [string, Partial<ListenOptions>][] = [];
  for (const scheme of ["tls", "wss"]) {
    allowed.push(
      [`${scheme}://0.0.0.0:0`, { tls: cert, token: "a-token-of-enough-length" }],
      [`${scheme}://0.0.0.0:0`, { tls: { ...cert, ca: c.ca, requireClientCert: true } }],
      [`${scheme}://127.0.0.1:0`, { tls: cert }],
    );
  }
  for (const [address, extra] of allowed) {
    const l = await listen(address, options(extra));
    await l.close();
  }
});
