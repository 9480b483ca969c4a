import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect as netConnect, type Socket } from "node:net";
import { test } from "node:test";
import fc from "fast-check";
import { type BarnError, ErrorCodes } from "../../../src/errors.js";
import { frameHeader } from "../../../src/transport/framing.js";
import { type Connection, connect, listen } from "../../../src/transport/index.js";
import { clientHello, closed, receive, serverHello } from "./helpers.js";
import { frameOf, helloMessage, messagesOf } from "./wire.js";

const MIB = 1024 * 1024;

/** A listener that echoes, recording how each server-side connection ended. */
async function echoServer(maxFrameBytes: number) {
  const ends: (Error | undefined)[] = [];
  const conns: Connection[] = [];
  const listener = await listen("tcp://127.0.0.1:0", {
    hello: serverHello,
    maxFrameBytes,
    onConnection: (c) => {
      conns.push(c);
      c.onMessage((m) => c.send(m));
      c.onClose((e) => ends.push(e));
    },
  });
  const port = Number(listener.address.split(":").at(-1));
  return { listener, port, ends, conns };
}

test("a frame over the limit closes only that connection, with FRAME_TOO_LARGE", {
  timeout: 20_000,
}, async () => {
  const s = await echoServer(MIB);
  const good = await connect(s.listener.address, { hello: clientHello });
  const bad = await connect(s.listener.address, { hello: { role: "client", name: "big" } });
  const badClosed = closed(bad);
  bad.send(new Uint8Array(2 * MIB));
  const err = (await badClosed) as BarnError;
  assert.equal(err.code, ErrorCodes.CONNECTION_LOST);
  while (s.ends.length === 0) await new Promise((r) => setTimeout(r, 5));
  assert.equal((s.ends[0] as BarnError).code, ErrorCodes.FRAME_TOO_LARGE);
  assert.match(
    String(s.ends[0]?.message),
    /more than the limit of 1048576 bytes.*--max-frame-bytes/,
  );
  const echoed = receive(good, 1);
  good.send({ still: "fine", under: new Uint8Array(MIB / 2) });
  assert.equal(((await echoed)[0] as { still: string }).still, "fine");
  good.close();
  await s.listener.close();
});

type Attack = (socket: Socket) => Promise<void> | void;

const handshaken = async (socket: Socket): Promise<void> => {
  const got = messagesOf(socket);
  socket.write(frameOf(helloMessage()));
  while (!got.messages.some((m) => (m as { t?: string }).t === "barn-welcome")) {
    await new Promise((r) => setTimeout(r, 2));
  }
};

const attacks: Record<string, Attack> = {
  "random bytes": (s) => void s.end(randomBytes(1 + Math.floor(Math.random() * 4000))),
  "huge length prefix": (s) => void s.end(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2])),
  "truncated frame": (s) => void s.end(Buffer.concat([frameHeader(100), randomBytes(50)])),
  "half a header": (s) => void s.end(Buffer.from([0, 0])),
  "garbage msgpack in a handshake frame": (s) =>
    void s.end(Buffer.concat([frameHeader(8), Buffer.from([0, 0, 0, 0, 0xd9, 0x40, 1, 2])])),
  "handshake then random bytes": async (s) => {
    await handshaken(s);
    s.end(randomBytes(3000));
  },
  "handshake then garbage in a frame": async (s) => {
    await handshaken(s);
    s.end(Buffer.concat([frameHeader(20), randomBytes(20)]));
  },
  "handshake then a message missing its buffer frames": async (s) => {
    await handshaken(s);
    const head = Buffer.from([0, 0, 0, 3, 0xc0]);
    s.end(Buffer.concat([frameHeader(head.length), head]));
  },
  "handshake then an oversized frame": async (s) => {
    await handshaken(s);
    s.write(frameHeader(64 * MIB));
  },
  "handshake then a second hello": async (s) => {
    await handshaken(s);
    s.end(frameOf(helloMessage()));
  },
};

test("fuzz: hostile sockets while a good connection keeps talking; the listener stays up", {
  timeout: 60_000,
}, async () => {
  const s = await echoServer(MIB);
  const good = await connect(s.listener.address, { hello: clientHello });
  let pongs = 0;
  let stop = false;
  good.onMessage(() => {
    pongs++;
    if (!stop) good.send({ ping: pongs });
  });
  good.send({ ping: 0 });
  const names = Object.keys(attacks);
  const runs = fc.sample(fc.constantFrom(...names), { numRuns: 60, seed: 7 });
  await Promise.all(
    runs.map(async (name) => {
      const socket = netConnect(s.port, "127.0.0.1");
      socket.on("error", () => {});
      await new Promise((r) => socket.once("connect", r));
      await attacks[name]!(socket);
      await new Promise((r) => setTimeout(r, 20));
      socket.destroy();
    }),
  );
  const before = pongs;
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(pongs > before, "the good connection kept exchanging messages");
  stop = true;
  assert.equal(good.closed, false);
  const late = await connect(s.listener.address, { hello: clientHello });
  const echoed = receive(late, 1);
  late.send("after the storm");
  assert.deepEqual(await echoed, ["after the storm"]);
  const bad = s.ends.filter((e) => e !== undefined) as BarnError[];
  assert.ok(
    bad.some((e) => e.code === ErrorCodes.FRAME_INVALID),
    "garbage closed connections",
  );
  good.close();
  late.close();
  await s.listener.close();
});
