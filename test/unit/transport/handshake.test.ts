import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import { ErrorCodes } from "../../../src/errors.js";
import {
  Handshake,
  type HandshakeConfig,
  type HandshakeMessage,
  type HandshakeStep,
} from "../../../src/transport/handshake.js";

const mac = (token: string) => (data: string) =>
  createHmac("sha256", token).update(data).digest("hex");

function config(side: "server" | "client", over: Partial<HandshakeConfig> = {}): HandshakeConfig {
  return {
    side,
    hello: side === "server" ? { role: "scheduler", name: "s" } : { role: "worker", name: "w" },
    protocol: 1,
    version: "0.1.0",
    nonce: side === "server" ? "aa".repeat(16) : "bb".repeat(16),
    mac: undefined,
    equal: (a, b) => a === b,
    remote: side === "server" ? "tcp://client:1" : "tcp://server:2",
    ...over,
  };
}

/** Run both machines, delivering messages in FIFO order per direction, as a socket would. */
function run(server: HandshakeConfig, client: HandshakeConfig) {
  const s = new Handshake(server);
  const c = new Handshake(client);
  const wire: HandshakeMessage[] = [];
  const toServer: HandshakeMessage[] = [];
  const toClient: HandshakeMessage[] = [];
  const outcomes: { server?: HandshakeStep["outcome"]; client?: HandshakeStep["outcome"] } = {};
  const take = (who: "server" | "client", step: HandshakeStep) => {
    (who === "server" ? toClient : toServer).push(...step.send);
    wire.push(...step.send);
    if (step.outcome) outcomes[who] = step.outcome;
  };
  take("server", s.start());
  take("client", c.start());
  while (toServer.length > 0 || toClient.length > 0) {
    const m = toServer.shift();
    if (m !== undefined) take("server", s.receive(m));
    const n = toClient.shift();
    if (n !== undefined) take("client", c.receive(n));
  }
  return { ...outcomes, wire };
}

test("without tokens: hello, hello, welcome; each learns the other's Hello", () => {
  const r = run(config("server"), config("client"));
  assert.deepEqual(r.server, { ok: true, peer: { role: "worker", name: "w" } });
  assert.deepEqual(r.client, { ok: true, peer: { role: "scheduler", name: "s" } });
  assert.deepEqual(
    r.wire.map((m) => m.t),
    ["barn-hello", "barn-hello", "barn-welcome"],
  );
});

test("with the same token both ends prove it, and the token never crosses the wire", () => {
  const r = run(config("server", { mac: mac("s3cret") }), config("client", { mac: mac("s3cret") }));
  assert.equal(r.server?.ok, true);
  assert.equal(r.client?.ok, true);
  assert.equal(r.wire.filter((m) => m.t === "barn-proof").length, 2);
  assert.doesNotMatch(JSON.stringify(r.wire), /s3cret/);
  const proofs = r.wire.flatMap((m) => (m.t === "barn-proof" ? [m.mac] : []));
  assert.notEqual(proofs[0], proofs[1], "each side's proof differs, so none can be reflected");
});

test("a wrong token is refused on the server with AUTH_FAILED naming the fix", () => {
  const r = run(config("server", { mac: mac("right") }), config("client", { mac: mac("wrong") }));
  assert.equal(r.server?.ok, false);
  assert.equal(r.client?.ok, false);
  for (const o of [r.server, r.client]) {
    assert.ok(o && !o.ok);
    assert.equal(o.error.code, ErrorCodes.AUTH_FAILED);
    assert.match(o.error.message, /--token-file or BARN_TOKEN/);
  }
});

test("a client without a token, and a client with one against a server without", () => {
  const none = run(config("server", { mac: mac("t") }), config("client"));
  assert.ok(none.client && !none.client.ok && none.server && !none.server.ok);
  assert.equal(none.client.error.code, ErrorCodes.AUTH_FAILED);
  assert.match(none.client.error.message, /has a token but this end has none.*BARN_TOKEN/);
  assert.match(none.server.error.message, /has no token but this end requires one.*BARN_TOKEN/);

  const extra = run(config("server"), config("client", { mac: mac("t") }));
  assert.ok(extra.client && !extra.client.ok);
  assert.equal(extra.client.error.code, ErrorCodes.AUTH_FAILED);
  assert.match(extra.client.error.message, /the server at tcp:\/\/server:2 has no token/);
});

test("another protocol or package version is VERSION_MISMATCH naming both versions", () => {
  for (const over of [{ protocol: 2 }, { version: "9.9.9" }]) {
    const r = run(config("server"), config("client", over));
    for (const o of [r.server, r.client]) {
      assert.ok(o && !o.ok);
      assert.equal(o.error.code, ErrorCodes.VERSION_MISMATCH);
      assert.match(o.error.message, /0\.1\.0 \(protocol 1\)/);
      const theirs = "protocol" in over ? /0\.1\.0 \(protocol 2\)/ : /9\.9\.9 \(protocol 1\)/;
      assert.match(o.error.message, theirs);
    }
  }
});

test("the refusing side says why, and the other side fails with that reason", () => {
  const s = new Handshake(config("server", { mac: mac("t") }));
  s.start();
  const step = s.receive({
    t: "barn-hello",
    protocol: 1,
    version: "0.1.0",
    token: false,
    nonce: "x",
    hello: { role: "client", name: "c" },
  });
  const refusal = step.send[0];
  assert.equal(refusal?.t, "barn-refuse");
  const c = new Handshake(config("client"));
  c.start();
  const got = c.receive(refusal);
  assert.ok(got.outcome && !got.outcome.ok && got.outcome.refusedByPeer);
  assert.equal(got.outcome.error.code, ErrorCodes.AUTH_FAILED);
  assert.match(got.outcome.error.message, /refused the connection: .*BARN_TOKEN/);
});

test("a server whose proof is wrong is refused by the client; no welcome without proof", () => {
  const c = new Handshake(config("client", { mac: mac("t") }));
  c.start();
  const helloStep = c.receive({
    t: "barn-hello",
    protocol: 1,
    version: "0.1.0",
    token: true,
    nonce: "n",
    hello: { role: "scheduler", name: "s" },
  });
  assert.equal(helloStep.send[0]?.t, "barn-proof");
  const early = new Handshake(config("client", { mac: mac("t") }));
  early.start();
  early.receive({
    t: "barn-hello",
    protocol: 1,
    version: "0.1.0",
    token: true,
    nonce: "n",
    hello: { role: "scheduler", name: "s" },
  });
  const w = early.receive({ t: "barn-welcome" });
  assert.ok(w.outcome && !w.outcome.ok);
  assert.match(w.outcome.error.message, /did not prove it holds the token/);
  const bad = c.receive({ t: "barn-proof", mac: "00" });
  assert.ok(bad.outcome && !bad.outcome.ok);
  assert.equal(bad.outcome.error.code, ErrorCodes.AUTH_FAILED);
});

test("garbage instead of a hello is refused as FRAME_INVALID", () => {
  const s = new Handshake(config("server"));
  s.start();
  const step = s.receive({ hello: "GET / HTTP/1.1" });
  assert.ok(step.outcome && !step.outcome.ok);
  assert.equal(step.outcome.error.code, ErrorCodes.FRAME_INVALID);
  assert.deepEqual(
    s.receive({ t: "barn-welcome" }),
    { send: [] },
    "finished machines ignore input",
  );
});
