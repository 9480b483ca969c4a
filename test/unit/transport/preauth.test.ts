/**
 * What a stranger can make a listener hold before the handshake: small frames only, a bounded
 * number of bytes per connection (also under a WebSocket, whose library assembles whole
 * messages), a bounded number of pending connections; and after the handshake, frames bounded
 * by maxFrameBytes. (The flood against a `barn scheduler` process, with its RSS, is in
 * test/integration/security.test.ts.)
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, connect as netConnect, type Socket } from "node:net";
import { test } from "node:test";
import { WebSocket } from "ws";
import { type BarnError, ErrorCodes } from "../../../src/errors.js";
import { PRE_AUTH_MAX_BYTES } from "../../../src/transport/admission.js";
import { frameHeader } from "../../../src/transport/framing.js";
import { connect, type Listener, listen } from "../../../src/transport/index.js";
import type { ListenOptions } from "../../../src/transport/types.js";
import { clientHello, receive, serverHello, serverTls, testCerts } from "./helpers.js";
import { frameOf, helloMessage } from "./wire.js";

const T = { timeout: 30_000 };
const MIB = 1024 * 1024;
const TOKEN = "preauth-test-token-1f3e5d7c9b";

async function server(extra: Partial<ListenOptions> = {}, scheme = "tcp") {
  const refused: BarnError[] = [];
  const listener: Listener = await listen(`${scheme}://127.0.0.1:0`, {
    hello: serverHello,
    token: TOKEN,
    onConnection: (c) => c.onMessage((m) => c.send(m)),
    onRefused: (_r, e) => refused.push(e as BarnError),
    ...extra,
  });
  const port = Number(listener.address.split(":").at(-1));
  return { listener, port, refused };
}

/**
 * Write `total` bytes of `first` then filler, respecting back-pressure; resolves with how many
 * bytes the socket accepted before the other end closed it (or `total` if it never did).
 */
export async function flood(socket: Socket, first: Buffer, total: number): Promise<number> {
  let closed = false;
  socket.on("error", () => {});
  const close = new Promise<void>((r) => socket.once("close", r)).then(() => (closed = true));
  let sent = 0;
  const chunk = Buffer.alloc(MIB, 0x41);
  const put = async (b: Buffer) => {
    sent += b.length;
    if (!socket.write(b)) await Promise.race([new Promise((r) => socket.once("drain", r)), close]);
  };
  await put(first);
  while (sent < total && !closed) await put(chunk);
  return closed ? sent : total;
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test(
  "a message frame claiming 2^20 buffer frames, then megabytes, is dropped at once",
  T,
  async () => {
    const s = await server();
    // A message frame whose count says 2^20 buffer frames follow, then 1 MiB frames.
    const head = Buffer.concat([frameHeader(5), Buffer.from([0, 0x10, 0, 0, 0xc0])]);
    const oneMib = Buffer.concat([frameHeader(MIB), Buffer.alloc(MIB)]);
    const socket = netConnect(s.port, "127.0.0.1");
    await once(socket, "connect");
    const accepted = await flood(socket, Buffer.concat([head, oneMib]), 256 * MIB);
    assert.ok(accepted < 256 * MIB, "the listener closed the connection before 256 MiB were sent");
    await until(() => s.refused.length > 0, "the refusal");
    assert.equal(s.refused[0]!.code, ErrorCodes.FRAME_INVALID);
    assert.match(s.refused[0]!.message, /claims 1048576 buffer frames \(at most 0 here\)/);
    await s.listener.close();
  },
);

test(
  "a handshake frame over 8 KiB is FRAME_TOO_LARGE before anything is allocated",
  T,
  async () => {
    const s = await server();
    const socket = netConnect(s.port, "127.0.0.1");
    await once(socket, "connect");
    const accepted = await flood(socket, Buffer.from(frameHeader(64 * MIB)), 256 * MIB);
    assert.ok(accepted < 256 * MIB, "dropped before 256 MiB were sent");
    await until(() => s.refused.length > 0, "the refusal");
    assert.equal(s.refused[0]!.code, ErrorCodes.FRAME_TOO_LARGE);
    assert.match(s.refused[0]!.message, /limit of 8192 bytes.*until the handshake completes/);
    await s.listener.close();
  },
);

test("ws: a 16 MiB WebSocket message before the handshake is cut off after 64 KiB", T, async () => {
  const s = await server({}, "ws");
  const ws = new WebSocket(`ws://127.0.0.1:${s.port}/`, { perMessageDeflate: false });
  ws.on("error", () => {});
  await once(ws, "open");
  const closed = once(ws, "close");
  ws.send(Buffer.alloc(16 * MIB));
  await closed;
  await until(() => s.refused.length > 0, "the refusal");
  assert.equal(s.refused[0]!.code, ErrorCodes.FRAME_INVALID);
  assert.match(s.refused[0]!.message, new RegExp(`more than ${PRE_AUTH_MAX_BYTES} bytes without`));
  await s.listener.close();
});

const certs = testCerts();

for (const scheme of ["tcp", "ws", "tls", "wss"]) {
  const secure = scheme === "tls" || scheme === "wss";
  test(`${scheme}: pending connections beyond maxPendingConnections are dropped; reported once`, {
    ...T,
    skip: secure && certs === undefined ? "openssl CLI not found" : false,
  }, async () => {
    const tls = secure ? serverTls(certs!) : {};
    const s = await server(
      { maxPendingConnections: 4, handshakeTimeoutMs: 60_000, ...tls },
      scheme,
    );
    const sockets = Array.from({ length: 10 }, () => netConnect(s.port, "127.0.0.1"));
    let dropped = 0;
    for (const so of sockets) {
      so.on("error", () => {});
      so.once("close", () => dropped++);
    }
    await until(() => dropped === 6, "6 of 10 silent strangers dropped");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(dropped, 6, "4 stay, waiting for their handshake");
    const said = s.refused.map((e) => e.message);
    assert.equal(said.length, 1, `a flood is reported once: ${said.join("; ")}`);
    assert.match(said[0]!, /4 connections are already waiting/);
    for (const so of sockets) so.destroy();
    await until(() => dropped === 10, "all closed");
    // Slots free again: a real client gets in and talks.
    const c = await connect(s.listener.address, {
      hello: clientHello,
      token: TOKEN,
      ...(secure ? { tls: { ca: certs!.ca } } : {}),
    });
    const echoed = receive(c, 1);
    c.send("after the flood");
    assert.deepEqual(await echoed, ["after the flood"]);
    c.close();
    await s.listener.close();
  });
}

test(
  "after the handshake, frames up to maxFrameBytes pass and larger ones are FRAME_TOO_LARGE",
  T,
  async () => {
    const ends: (Error | undefined)[] = [];
    const s = await server({
      maxFrameBytes: 4 * MIB,
      onConnection: (c) => {
        c.onMessage((m) => c.send(m));
        c.onClose((e) => ends.push(e));
      },
    });
    const c = await connect(s.listener.address, { hello: clientHello, token: TOKEN });
    const echoed = receive(c, 1);
    c.send(new Uint8Array(3 * MIB).fill(7));
    assert.equal(((await echoed)[0] as Uint8Array).length, 3 * MIB);
    c.send(new Uint8Array(5 * MIB));
    await until(() => ends.length > 0, "the server to close the connection");
    assert.equal((ends[0] as BarnError).code, ErrorCodes.FRAME_TOO_LARGE);
    assert.match(String(ends[0]?.message), /limit of 4194304 bytes.*--max-frame-bytes/);
    await s.listener.close();
  },
);

test(
  "a server's first message in the same chunk as its welcome passes the handshake's small limit",
  T,
  async () => {
    // A hand-rolled server writes its hello, its welcome and a 2 MiB message in one write: the
    // client must apply its post-handshake limit from the frame after the welcome on.
    const big = new Float64Array(256 * 1024).fill(3);
    const accepted: Socket[] = [];
    const server = createServer((socket) => {
      accepted.push(socket);
      socket.on("error", () => {});
      socket.resume(); // the client's hello is read and ignored
      socket.write(
        Buffer.concat([
          frameOf(helloMessage({ hello: { role: "scheduler", name: "raw" } })),
          frameOf({ t: "barn-welcome" }),
          frameOf({ first: big }),
        ]),
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const c = await connect(`tcp://127.0.0.1:${port}`, { hello: clientHello });
    const [got] = (await receive(c, 1)) as [{ first: Float64Array }];
    assert.equal(got.first.length, big.length);
    assert.equal(got.first[12345], 3);
    c.close();
    for (const so of accepted) so.destroy();
    await new Promise((r) => server.close(r));
  },
);
