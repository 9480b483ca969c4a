import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { closed, type Pair, pair, receive, sameBytes, serverTls, testCerts } from "./helpers.js";
import { everyType, normalize, valueArb } from "./values.js";

const certs = testCerts();

interface Wire {
  readonly name: string;
  readonly address: string;
  readonly listen: object;
  readonly connect: object;
  readonly skip?: string;
}

const wires: Wire[] = [
  { name: "tcp", address: "tcp://127.0.0.1:0", listen: {}, connect: {} },
  {
    name: "tls",
    address: "tls://127.0.0.1:0",
    listen: certs ? serverTls(certs) : {},
    connect: certs ? { tls: { ca: certs.ca } } : {},
    ...(certs ? {} : { skip: "openssl CLI not found: cannot make test certificates" }),
  },
  { name: "ws", address: "ws://127.0.0.1:0", listen: {}, connect: {} },
  {
    name: "wss",
    address: "wss://127.0.0.1:0",
    listen: certs ? serverTls(certs) : {},
    connect: certs ? { tls: { ca: certs.ca } } : {},
    ...(certs ? {} : { skip: "openssl CLI not found: cannot make test certificates" }),
  },
  { name: "inproc", address: "inproc://roundtrip", listen: {}, connect: {} },
];

for (const w of wires) {
  describe(`${w.name} transport`, { skip: w.skip ?? false, timeout: 30_000 }, () => {
    let p: Pair;
    before(async () => {
      p = await pair(w.address, w.listen, w.connect);
    });
    after(async () => {
      await p.close();
    });

    test("the handshake tells each end who the other is", () => {
      assert.deepEqual(p.client.peer, { role: "scheduler", name: "s" });
      assert.deepEqual(p.server.peer, { role: "client", name: "c" });
      assert.match(p.client.remote, new RegExp(`^${w.name}://`));
    });

    test("every value type round-trips, both ways", async () => {
      const there = receive(p.server, 1);
      p.client.send(everyType());
      assert.deepEqual((await there)[0], everyType());
      const back = receive(p.client, 1);
      p.server.send(everyType());
      assert.deepEqual((await back)[0], everyType());
    });

    test("random nested values round-trip (fast-check)", async () => {
      const values = fc.sample(valueArb, { numRuns: 60, seed: 42 });
      const got = receive(p.server, values.length);
      for (const v of values) p.client.send(v);
      assert.deepEqual(await got, values.map(w.name === "inproc" ? (x) => x : normalize));
    });

    // TLS runs the same stream connection as tcp; a smaller array keeps the suite quick.
    const bigMiB = w.name === "tls" || w.name === "wss" ? 4 : 32;
    test(`a ${bigMiB} MiB Float64Array and several 1 MiB buffers arrive intact and typed`, async () => {
      const big = new Float64Array((bigMiB / 8) * 1024 * 1024);
      for (let i = 0; i < big.length; i++) big[i] = i * 0.5 - 7;
      const mib = 1024 * 1024;
      const u8 = new Uint8Array(mib).map((_, i) => i * 7);
      const i32 = new Int32Array(mib / 4).map((_, i) => -i);
      const ab = new Uint8Array(mib).fill(3).buffer;
      const buf = Buffer.alloc(mib, 9);
      const view = new Float32Array(new ArrayBuffer(mib + 64), 64, mib / 4 - 16).fill(1.5);
      const msg = { big, nested: [{ u8 }, new Map([["i32", i32]])], ab, buf, view, small: "x" };
      const got = receive(p.server, 1);
      p.client.send(msg);
      const m = (await got)[0] as typeof msg;
      assert.ok(m.big instanceof Float64Array && m.big.length === big.length);
      assert.equal(m.big.byteOffset % 8, 0);
      assert.ok(sameBytes(m.big, big));
      assert.deepEqual(m.nested, msg.nested);
      assert.ok(m.ab instanceof ArrayBuffer);
      assert.deepEqual(new Uint8Array(m.ab), new Uint8Array(ab));
      assert.ok(Buffer.isBuffer(m.buf) && m.buf.equals(buf));
      assert.ok(m.view instanceof Float32Array && m.view.length === view.length);
      assert.ok(sameBytes(m.view, view));
    });

    test("many small messages keep their order, and one turn's sends leave in one write", async () => {
      const n = 5000;
      const writesBefore = p.client.stats?.writes ?? 0;
      const got = receive(p.server, n);
      for (let i = 0; i < n; i++) p.client.send({ i, s: `m${i}` });
      const msgs = (await got) as { i: number }[];
      assert.deepEqual(
        msgs.map((m) => m.i),
        Array.from({ length: n }, (_, i) => i),
      );
      assert.equal((p.client.stats?.writes ?? 0) - writesBefore, 1);
      assert.ok((p.server.stats?.messagesReceived ?? 0) >= n);
    });

    test("bufferedBytes counts what is queued and drained() waits until it is low", async () => {
      const got = receive(p.server, 1);
      p.client.send({ blob: new Uint8Array(8 * 1024 * 1024) });
      if (w.name !== "inproc") assert.ok(p.client.bufferedBytes >= 8 * 1024 * 1024);
      await p.client.drained();
      assert.ok(p.client.bufferedBytes < 1024 * 1024);
      assert.equal(((await got)[0] as { blob: Uint8Array }).blob.length, 8 * 1024 * 1024);
    });

    test("close on one end reports CONNECTION_LOST on the other and a clean close here", async () => {
      const q = await pair(w.address.replace("roundtrip", "roundtrip-close"), w.listen, w.connect);
      const serverClosed = closed(q.server);
      const clientClosed = closed(q.client);
      const last = receive(q.server, 1);
      q.client.send("last words");
      q.client.close();
      assert.deepEqual(await last, ["last words"]);
      assert.equal(await clientClosed, undefined);
      const err = (await serverClosed) as { code?: string } | undefined;
      assert.equal(err?.code, "BARN_CONNECTION_LOST");
      q.client.send("dropped, no throw");
      await q.listener.close();
    });
  });
}
