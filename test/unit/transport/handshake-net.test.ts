import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, connect as netConnect } from "node:net";
import { test } from "node:test";
import { BarnError, ErrorCodes } from "../../../src/errors.js";
import { connect, listen } from "../../../src/transport/index.js";
import { barnVersion } from "../../../src/transport/version.js";
import { clientHello, pair, receive, serverHello, serverTls, testCerts } from "./helpers.js";
import { frameOf, helloMessage, messagesOf } from "./wire.js";

const T = { timeout: 20_000 };

function refusedWith(code: string, pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof BarnError, `expected a BarnError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  };
}

test(
  "token: right ok; none, wrong, or only on the client refused; the listener keeps serving",
  T,
  async () => {
    const refused: [string, Error][] = [];
    const served: string[] = [];
    const listener = await listen("tcp://127.0.0.1:0", {
      hello: serverHello,
      token: "right",
      onConnection: (c) => {
        served.push(c.peer.name);
        c.onMessage((m) => c.send(m));
      },
      onRefused: (remote, err) => refused.push([remote, err]),
    });
    const ok = await connect(listener.address, { hello: clientHello, token: "right" });
    await assert.rejects(
      connect(listener.address, { hello: clientHello }),
      refusedWith(
        ErrorCodes.AUTH_FAILED,
        /has a token but this end has none.*--token-file or BARN_TOKEN/,
      ),
    );
    await assert.rejects(
      connect(listener.address, { hello: clientHello, token: "wrong" }),
      refusedWith(ErrorCodes.AUTH_FAILED, /different token.*BARN_TOKEN/),
    );
    const again = await connect(listener.address, {
      hello: { role: "worker", name: "w2" },
      token: "right",
    });
    const echoed = receive(again, 1);
    again.send("still serving");
    assert.deepEqual(await echoed, ["still serving"]);
    const echoed1 = receive(ok, 1);
    ok.send("first one too");
    assert.deepEqual(await echoed1, ["first one too"]);
    assert.deepEqual(served, ["c", "w2"]);
    while (refused.length < 2) await new Promise((r) => setTimeout(r, 10));
    assert.ok(refused.every(([, e]) => (e as BarnError).code === ErrorCodes.AUTH_FAILED));
    ok.close();
    again.close();
    await listener.close();
  },
);

test("a client with a token is refused by a server without one", T, async () => {
  const listener = await listen("tcp://127.0.0.1:0", {
    hello: serverHello,
    onConnection: () => {},
  });
  await assert.rejects(
    connect(listener.address, { hello: clientHello, token: "t" }),
    refusedWith(ErrorCodes.AUTH_FAILED, /at tcp:\/\/127\.0\.0\.1:\d+ has no token/),
  );
  await listener.close();
});

test("a client of another version is refused with both versions named", T, async () => {
  const refused: Error[] = [];
  const listener = await listen("tcp://127.0.0.1:0", {
    hello: serverHello,
    onConnection: () => {},
    onRefused: (_r, e) => refused.push(e),
  });
  const port = Number(listener.address.split(":").at(-1));
  for (const over of [{ version: "99.0.0" }, { protocol: 7, hello: { shape: "unknown" } }]) {
    const socket = netConnect(port, "127.0.0.1");
    const got = messagesOf(socket);
    socket.write(frameOf(helloMessage(over)));
    await got.ended;
    const refusal = got.messages.at(-1) as { t: string; code: string; message: string };
    assert.equal(refusal.t, "barn-refuse");
    assert.equal(refusal.code, ErrorCodes.VERSION_MISMATCH);
    assert.ok(refusal.message.includes(`Barn ${barnVersion()} (protocol 1)`));
    const theirs = "protocol" in over ? "(protocol 7)" : "Barn 99.0.0 (protocol 1)";
    assert.ok(refusal.message.includes(theirs), refusal.message);
  }
  assert.equal(refused.length, 2);
  assert.ok(refused.every((e) => (e as BarnError).code === ErrorCodes.VERSION_MISMATCH));
  await listener.close();
});

test(
  "connect() to a server of another version rejects with VERSION_MISMATCH naming both",
  T,
  async () => {
    const server = createServer((s) => {
      s.on("error", () => {});
      s.write(
        frameOf(
          helloMessage({ version: "0.0.1-other", hello: { role: "scheduler", name: "old" } }),
        ),
      );
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as { port: number }).port;
    await assert.rejects(
      connect(`127.0.0.1:${port}`, { hello: clientHello }),
      refusedWith(
        ErrorCodes.VERSION_MISMATCH,
        new RegExp(
          `Barn 0\\.0\\.1-other \\(protocol 1\\).*Barn ${barnVersion().replace(/\./g, "\\.")} \\(protocol 1\\)`,
        ),
      ),
    );
    server.close();
  },
);

test("a silent stranger is dropped after the handshake timeout", T, async () => {
  const refused: Error[] = [];
  const listener = await listen("tcp://127.0.0.1:0", {
    hello: serverHello,
    handshakeTimeoutMs: 150,
    onConnection: () => {},
    onRefused: (_r, e) => refused.push(e),
  });
  const socket = netConnect(Number(listener.address.split(":").at(-1)), "127.0.0.1");
  const got = messagesOf(socket);
  await got.ended;
  assert.equal((got.messages[0] as { t: string }).t, "barn-hello");
  assert.equal((refused[0] as BarnError).code, ErrorCodes.TIMEOUT);
  await listener.close();
});

test("connect() to nothing is CONNECT_FAILED", T, async () => {
  const l = await listen("tcp://127.0.0.1:0", { hello: serverHello, onConnection: () => {} });
  await l.close();
  await assert.rejects(connect(l.address, { hello: clientHello }), {
    code: ErrorCodes.CONNECT_FAILED,
  });
  await assert.rejects(connect("inproc://nobody", { hello: clientHello }), {
    code: ErrorCodes.CONNECT_FAILED,
  });
});

const certs = testCerts();
const noCerts = certs ? false : "openssl CLI not found: cannot make test certificates";

test("tls: a client that does not trust the server's CA fails with AUTH_FAILED", {
  ...T,
  skip: noCerts,
}, async () => {
  const c = certs!;
  const l = await listen("tls://127.0.0.1:0", {
    hello: serverHello,
    onConnection: () => {},
    ...serverTls(c),
  });
  await assert.rejects(connect(l.address, { hello: clientHello }), {
    code: ErrorCodes.AUTH_FAILED,
  });
  await assert.rejects(connect(l.address, { hello: clientHello, tls: { ca: c.otherCa } }), {
    code: ErrorCodes.AUTH_FAILED,
  });
  await l.close();
});

test("tls: mutual auth refuses a client without a certificate and accepts one with", {
  ...T,
  skip: noCerts,
}, async () => {
  const c = certs!;
  const refused: Error[] = [];
  const p = await pair(
    "tls://127.0.0.1:0",
    {
      ...serverTls(c, { ca: c.ca, requireClientCert: true }),
      onRefused: (_r, e) => refused.push(e),
    },
    { tls: { ca: c.ca, cert: c.clientCert, key: c.clientKey } },
  );
  const got = receive(p.server, 1);
  p.client.send("with cert");
  assert.deepEqual(await got, ["with cert"]);
  await assert.rejects(connect(p.listener.address, { hello: clientHello, tls: { ca: c.ca } }), {
    code: ErrorCodes.AUTH_FAILED,
  });
  while (refused.length === 0) await new Promise((r) => setTimeout(r, 5));
  assert.equal((refused[0] as BarnError).code, ErrorCodes.AUTH_FAILED);
  assert.match(refused[0]!.message, /presented no TLS certificate/);
  await p.close();
});

for (const scheme of ["tls", "wss"]) {
  test(`${scheme}: under mutual TLS a certificate from another CA is AUTH_FAILED on both ends, naming the problem and the peer`, {
    ...T,
    skip: noCerts,
  }, async () => {
    const c = certs!;
    const refused: { remote: string; error: BarnError }[] = [];
    const l = await listen(`${scheme}://127.0.0.1:0`, {
      hello: serverHello,
      ...serverTls(c, { ca: c.ca, requireClientCert: true }),
      onConnection: () => assert.fail("a certificate from another CA was let in"),
      onRefused: (remote, error) => refused.push({ remote, error: error as BarnError }),
    });
    const tls = { ca: c.ca, cert: c.strangerCert, key: c.strangerKey };
    const err = await connect(l.address, { hello: clientHello, tls }).then(
      () => assert.fail("connected"),
      (e: BarnError) => e,
    );
    assert.equal(err.code, ErrorCodes.AUTH_FAILED, err.message);
    assert.match(err.message, /certificate that the listener's CA .* did not sign/);
    while (refused.length === 0) await new Promise((r) => setTimeout(r, 5));
    const [{ remote, error }] = refused as [(typeof refused)[0]];
    assert.equal(error.code, ErrorCodes.AUTH_FAILED);
    assert.match(remote, new RegExp(`^${scheme}://127\\.0\\.0\\.1:[1-9]\\d*$`));
    assert.match(error.message, /did not sign \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/);
    assert.ok(error.message.includes(remote), "the log line names the peer");
    await l.close();
  });
}

test("tls listen without cert and key is INVALID_OPTION", T, async () => {
  await assert.rejects(
    listen("tls://127.0.0.1:0", { hello: serverHello, onConnection: () => {} }),
    { code: ErrorCodes.INVALID_OPTION },
  );
});
