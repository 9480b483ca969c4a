import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCodes } from "../../../src/errors.js";
import {
  connect,
  DEFAULT_PORT,
  formatAddress,
  isLoopback,
  knownSchemes,
  listen,
  parseAddress,
  registerTransport,
} from "../../../src/transport/index.js";
import { clientHello, pair, serverHello } from "./helpers.js";

test("addresses: bare host:port is tcp, a missing port is 8786, IPv6 is bracketed", () => {
  assert.deepEqual(parseAddress("127.0.0.1:9000"), {
    scheme: "tcp",
    host: "127.0.0.1",
    port: 9000,
    path: "",
  });
  assert.equal(parseAddress("tcp://sched").port, DEFAULT_PORT);
  assert.equal(DEFAULT_PORT, 8786);
  const v6 = parseAddress("tls://[::1]:1234");
  assert.deepEqual(v6, { scheme: "tls", host: "::1", port: 1234, path: "" });
  assert.equal(formatAddress(v6), "tls://[::1]:1234");
  assert.equal(parseAddress("ws://h:80/barn").path, "/barn");
  assert.equal(formatAddress(parseAddress("inproc://abc")), "inproc://abc");
  for (const bad of ["", "tcp://", "h:99999", "tcp://a:b"]) {
    assert.throws(() => parseAddress(bad), { code: ErrorCodes.INVALID_OPTION });
  }
});

test("isLoopback: 127.0.0.0/8, ::1 and localhost only", () => {
  for (const h of [
    "127.0.0.1",
    "127.1.2.3",
    "::1",
    "[::1]",
    "localhost",
    "LOCALHOST",
    "::ffff:127.0.0.1",
  ]) {
    assert.equal(isLoopback(h), true, h);
  }
  for (const h of ["0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "localhost.evil.com", "1.127.0.0.1"]) {
    assert.equal(isLoopback(h), false, h);
  }
});

test("an unknown scheme is INVALID_OPTION listing the known ones", async () => {
  await assert.rejects(
    listen("udp://127.0.0.1:0", { hello: serverHello, onConnection: () => {} }),
    (e: unknown) =>
      (e as { code?: string }).code === ErrorCodes.INVALID_OPTION &&
      /unknown transport "udp:\/\/".*inproc:\/\/, tcp:\/\/, tls:\/\/, ws:\/\/, wss:\/\//.test(
        (e as Error).message,
      ),
  );
  assert.deepEqual(knownSchemes(), ["inproc", "tcp", "tls", "ws", "wss"]);
});

test("bad options are INVALID_OPTION at the boundary", async () => {
  const bad = [
    { hello: { role: "boss", name: "x" } },
    { hello: clientHello, maxFrameBytes: -1 },
    { hello: clientHello, timeoutMs: 0 },
    { hello: clientHello, token: "" },
    { hello: { role: "client", name: "x".repeat(5000) } },
  ];
  for (const o of bad) {
    await assert.rejects(connect("tcp://127.0.0.1:1", o as never), {
      code: ErrorCodes.INVALID_OPTION,
    });
  }
});

test("registerTransport adds a scheme (here: an alias of inproc)", {
  timeout: 10_000,
}, async () => {
  const inproc = (await import("../../../src/transport/inproc.js")).inprocTransport;
  registerTransport({ ...inproc, schemes: ["mem"] });
  const p = await pair("mem://registered");
  assert.equal(p.client.peer.role, "scheduler");
  await p.close();
});

test("INSECURE_BIND for 0.0.0.0 without token or TLS; fine with a token or allowInsecure", {
  timeout: 10_000,
}, async () => {
  for (const address of ["tcp://0.0.0.0:0", "ws://0.0.0.0:0"]) {
    await assert.rejects(
      listen(address, { hello: serverHello, onConnection: () => {} }),
      (e: unknown) =>
        (e as { code?: string }).code === ErrorCodes.INSECURE_BIND &&
        /--token-file.*--tls-ca and --require-client-cert.*bind 127\.0\.0\.1/.test(
          (e as Error).message,
        ),
    );
  }
  const withToken = await listen("tcp://0.0.0.0:0", {
    hello: serverHello,
    token: "t",
    onConnection: () => {},
  });
  assert.match(withToken.address, /^tcp:\/\/0\.0\.0\.0:\d+$/);
  await withToken.close();
  const allowed = await listen("0.0.0.0:0", {
    hello: serverHello,
    allowInsecure: true,
    onConnection: () => {},
  });
  await allowed.close();
});

test("listening twice on one port is a clear error", { timeout: 10_000 }, async () => {
  const l = await listen("tcp://127.0.0.1:0", { hello: serverHello, onConnection: () => {} });
  await assert.rejects(
    listen(l.address, { hello: serverHello, onConnection: () => {} }),
    (e: unknown) =>
      (e as { code?: string }).code === "BARN_LISTEN_FAILED" &&
      /cannot listen on .*choose a free port/.test((e as Error).message),
  );
  await l.close();
});
