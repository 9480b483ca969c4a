/**
 * Transport figures over loopback: `npm run build && node dist/bench/transport.js [--json]`.
 * Small-message round trips per second (one at a time: latency; pipelined: throughput), MB/s
 * for large buffers, and the codec's options compared on a typical message. Prints one line
 * per figure (JSON lines with --json).
 */
import { once } from "node:events";
import { createServer, connect as netConnect } from "node:net";
import { performance } from "node:perf_hooks";
import { Packr } from "msgpackr";
import { roundTrip } from "../src/transport/codec.js";
import { type Connection, connect, listen } from "../src/transport/index.js";
import { machineLine } from "./harness.js";

const json = process.argv.includes("--json");

function report(name: string, value: number, unit: string, extra: Record<string, unknown> = {}) {
  if (json) console.log(JSON.stringify({ suite: "transport", case: name, value, unit, ...extra }));
  else console.log(`${name.padEnd(44)} ${value.toFixed(1).padStart(12)} ${unit}`);
}

async function echoPair(
  address: string,
): Promise<{ client: Connection; close: () => Promise<void> }> {
  const listener = await listen(address, {
    hello: { role: "scheduler", name: "bench" },
    // Echo small messages; acknowledge large ones with a small message.
    onConnection: (c) =>
      c.onMessage((m) => c.send((m as { data?: unknown }).data instanceof Float64Array ? 1 : m)),
  });
  const client = await connect(listener.address, { hello: { role: "client", name: "bench" } });
  return {
    client,
    close: async () => {
      client.close();
      await listener.close();
    },
  };
}

async function pingPong(client: Connection, n: number, msg: unknown): Promise<number> {
  let left = n;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    client.onMessage(() => {
      if (--left === 0) resolve();
      else client.send(msg);
    });
    client.send(msg);
  });
  return n / ((performance.now() - t0) / 1000);
}

async function pipelined(
  client: Connection,
  n: number,
  batch: number,
  msg: unknown,
): Promise<number> {
  let got = 0;
  let sent = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const sendBatch = () => {
      for (let i = 0; i < batch && sent < n; i++, sent++) client.send(msg);
    };
    client.onMessage(() => {
      got++;
      if (got === n) resolve();
      else if (got % batch === 0) sendBatch();
    });
    sendBatch();
    sendBatch();
  });
  return n / ((performance.now() - t0) / 1000);
}

/** One-way MB/s for a message holding one Float64Array of `bytes`, acknowledged each time. */
async function large(client: Connection, bytes: number, n: number): Promise<number> {
  const payload = { data: new Float64Array(bytes / 8).fill(1.25) };
  const once = () =>
    new Promise<void>((resolve) => {
      client.onMessage(() => resolve());
      client.send(payload);
    });
  await once(); // warm up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await once();
  return (n * bytes) / 1e6 / ((performance.now() - t0) / 1000);
}

/**
 * The peer: the same bytes over a bare node:net socket, acknowledged each time. With `keep`,
 * the receiver copies them into a fresh buffer of the message's size, as any receiver that
 * keeps the data must (Barn does exactly that copy, once).
 */
async function rawTcp(bytes: number, n: number, keep: boolean): Promise<number> {
  const server = createServer((s) => {
    let got = 0;
    let into = keep ? new Uint8Array(bytes) : undefined;
    s.on("data", (d: Buffer) => {
      const take = Math.min(d.length, bytes - got);
      into?.set(new Uint8Array(d.buffer, d.byteOffset, take), got);
      got += d.length;
      if (got >= bytes) {
        got -= bytes;
        if (keep) into = new Uint8Array(bytes);
        s.write("k");
      }
    });
  }).listen(0, "127.0.0.1");
  await once(server, "listening");
  const c = netConnect((server.address() as { port: number }).port, "127.0.0.1");
  await once(c, "connect");
  c.setNoDelay(true);
  const buf = Buffer.alloc(bytes, 1);
  const one = () =>
    new Promise<void>((resolve) => {
      c.once("data", () => resolve());
      c.write(buf);
    });
  await one();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await one();
  const mbs = (n * bytes) / 1e6 / ((performance.now() - t0) / 1000);
  c.destroy();
  server.close();
  return mbs;
}

function codecOptions(): void {
  const msg = {
    op: "compute-task",
    key: "inc-1234",
    priority: [0, 1, 5],
    deps: ["a-1", "b-2"],
    who_has: new Map([["a-1", ["tcp://10.0.0.1:40001"]]]),
    nbytes: { "a-1": 8000, "b-2": 120 },
    args: [1, 2.5, "x", null, 12n],
    stamp: new Date(),
  };
  const tasks = Array.from({ length: 100 }, (_, i) => ({ ...msg, key: `inc-${i}` }));
  const variants: [string, Packr][] = [
    [
      "records+moreTypes (chosen)",
      new Packr({
        moreTypes: true,
        mapsAsObjects: false,
        int64AsType: "bigint",
        useBigIntExtension: true,
        copyBuffers: true,
      }),
    ],
    [
      "structuredClone",
      new Packr({
        structuredClone: true,
        mapsAsObjects: false,
        int64AsType: "bigint",
        copyBuffers: true,
      }),
    ],
    [
      "no records (Maps decode wrong)",
      new Packr({ useRecords: false, moreTypes: true, int64AsType: "bigint" }),
    ],
  ];
  for (const [name, p] of variants) {
    for (let i = 0; i < 500; i++) p.unpack(p.pack(tasks)); // warm up
    const n = 2000;
    const t0 = performance.now();
    let size = 0;
    for (let i = 0; i < n; i++) {
      const b = p.pack(tasks);
      size = b.length;
      p.unpack(b);
    }
    const s = (performance.now() - t0) / 1000;
    report(`codec ${name}: 100-task batch enc+dec`, (n * 100) / s / 1000, "k tasks/s", {
      bytes: size,
    });
  }
  for (let i = 0; i < 500; i++) roundTrip(tasks);
  const t0 = performance.now();
  for (let i = 0; i < 2000; i++) roundTrip(tasks);
  report(
    "codec as used (pre-pass + records)",
    (2000 * 100) / ((performance.now() - t0) / 1000) / 1000,
    "k tasks/s",
  );
}

if (!json) console.log(`# transport — ${machineLine()}`);
codecOptions();
for (const address of ["tcp://127.0.0.1:0", "ws://127.0.0.1:0", "inproc://bench"]) {
  const scheme = address.split(":")[0]!;
  const { client, close } = await echoPair(address);
  const small = {
    op: "heartbeat",
    worker: "w-1",
    now: 1234.5,
    metrics: { cpu: 0.5, memory: 123456789 },
  };
  await pingPong(client, 500, small); // warm up
  report(`${scheme} small round trips, one at a time`, await pingPong(client, 5000, small), "rt/s");
  report(
    `${scheme} small messages echoed, pipelined x100`,
    await pipelined(client, 100_000, 100, small),
    "msg/s",
  );
  if (scheme !== "inproc") {
    report(
      `${scheme} 64 MiB Float64Array one way`,
      await large(client, 64 * 1024 * 1024, 4),
      "MB/s",
    );
    report(`${scheme} 1 MiB Float64Array one way`, await large(client, 1024 * 1024, 100), "MB/s");
  }
  await close();
}
for (const keep of [false, true]) {
  const how = keep ? "copied into a fresh buffer" : "discarded";
  report(`peer: bare node:net 64 MiB one way, ${how}`, await rawTcp(64 * 2 ** 20, 6, keep), "MB/s");
  report(`peer: bare node:net 1 MiB one way, ${how}`, await rawTcp(2 ** 20, 200, keep), "MB/s");
}
process.exit(0);
