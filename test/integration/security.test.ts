/**
 * Strangers against real `barn scheduler` / `barn worker` processes bound to a non-loopback
 * address of this machine, with a private CA made here. For every TLS and wss configuration:
 * either the scheduler refuses to start with BARN_INSECURE_BIND, or a stranger with no token and
 * no certificate (not checking the server's either: NODE_TLS_REJECT_UNAUTHORIZED=0), from
 * another process, is refused by the scheduler and runs nothing (its task would write a file),
 * and is refused by the worker's peer port and reads nothing (it asks for a result a legitimate
 * client holds there). Before the bind policy required a token or mutual TLS, the configurations
 * now refused started, and the stranger ran its task and read the result.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { SchedulerNode } from "../../src/deploy/scheduler-node.js";
import { WorkerNode } from "../../src/deploy/worker-node.js";
import { Client } from "../../src/index.js";
import { barn, killAll, type Proc } from "./cluster-harness.js";

const TOKEN = "security-test-token-8d1e4f2a9c7b";

/** A non-loopback IPv4 address of this machine, or undefined. */
function publicAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && a.family === "IPv4") return a.address;
  }
  return undefined;
}

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const HOST = publicAddress();
const skip =
  HOST === undefined
    ? "this machine has no non-loopback IPv4 address to bind (the attack needs one)"
    : hasOpenssl()
      ? false
      : "openssl CLI not found: cannot make the test CA";

/** One way to run the scheduler and workers: protocol, TLS flags, token or not. */
interface Config {
  readonly name: string;
  readonly protocol: "tls" | "wss";
  readonly token: boolean;
  readonly ca: boolean;
  readonly requireClientCert: boolean;
  /** Whether the bind policy lets it start on a non-loopback address. */
  readonly allowed: boolean;
}

const CONFIGS: Config[] = [];
for (const protocol of ["tls", "wss"] as const) {
  for (const token of [false, true]) {
    for (const [ca, requireClientCert] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const name = `${protocol}${token ? " + token" : ""}${ca ? " + --tls-ca" : ""}${requireClientCert ? " + --require-client-cert" : ""}`;
      // requireClientCert without a CA is refused even with a token: it would check nothing.
      const allowed = requireClientCert ? ca : token;
      CONFIGS.push({ name, protocol, token, ca, requireClientCert, allowed });
    }
  }
}

/** A CA, a certificate for HOST and 127.0.0.1 signed by it (scheduler, workers), a client's. */
function makeCerts(dir: string, host: string): void {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "1",
    "-subj",
    "/CN=ca",
  );
  writeFileSync(join(dir, "san.ext"), `subjectAltName=IP:${host},IP:127.0.0.1\n`);
  for (const who of ["server", "client"]) {
    run("req", ...ec, "-keyout", `${who}.key`, "-out", `${who}.csr`, "-subj", `/CN=${who}`);
    run(
      ...["x509", "-req", "-in", `${who}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key"],
      ...["-CAcreateserial", "-out", `${who}.pem`, "-days", "1", "-extfile", "san.ext"],
    );
  }
}

/** What the stranger managed: its errors' codes, and whether it got a value from the peer port. */
interface Outcome {
  readonly scheduler: { readonly code?: string; readonly ran?: unknown };
  readonly peer: { readonly code?: string; readonly read?: unknown };
}

const INDEX = new URL("../../src/index.js", import.meta.url).href;
const TRANSPORT = new URL("../../src/transport/index.js", import.meta.url).href;

/**
 * The stranger, in a process of its own: no token, no certificate, does not verify the server.
 * Connects a Client and submits a task that writes `marker`; connects to the worker's peer port
 * as a peer and asks for `key`.
 */
const STRANGER = `
const { Client } = await import(${JSON.stringify(INDEX)});
const { connect } = await import(${JSON.stringify(TRANSPORT)});
const { scheduler, peer, key, marker } = JSON.parse(process.env.STRANGER);
const out = { scheduler: {}, peer: {} };
try {
  const c = await Client.connect(scheduler, { setAsDefault: false, timeoutMs: 5000 });
  const write = (path) => {
    process.getBuiltinModule("node:fs").writeFileSync(path, "a stranger was here");
    return "ran";
  };
  out.scheduler.ran = await Promise.race([
    c.submit(write, marker).result(),
    new Promise((r) => setTimeout(() => r("no answer in 10 s"), 10000)),
  ]);
  await c.close();
} catch (e) { out.scheduler.code = e.code ?? String(e); }
try {
  const conn = await connect(peer, { hello: { role: "peer", name: "stranger" }, timeoutMs: 5000 });
  out.peer.read = await new Promise((resolve) => {
    conn.onMessage((m) => resolve(m));
    conn.onClose(() => resolve("closed"));
    setTimeout(() => resolve("no answer in 5 s"), 5000);
    conn.send({ t: "peer", m: { t: "get", id: 1, keys: key } });
  });
  conn.close();
} catch (e) { out.peer.code = e.code ?? String(e); }
process.stdout.write(JSON.stringify(out));
process.exit(0);
`;

/** Its environment: no token (a Client would read BARN_TOKEN), no server verification. */
function strangerEnv(args: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
  env.STRANGER = JSON.stringify(args);
  delete env.BARN_TOKEN;
  return env;
}

function runStranger(args: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", STRANGER], {
      env: strangerEnv(args),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 40_000);
    child.on("exit", () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out) as Outcome);
      } catch {
        reject(new Error(`the stranger printed no outcome: ${out}\n${err}`));
      }
    });
  });
}

/** Resolves with the first log record matching, or with the exit code if the process ends first. */
async function listeningOrExit(p: Proc, msg: string): Promise<Record<string, unknown> | number> {
  const exited = p.exited.then((code) => Number(code));
  const listening = p.waitFor((r) => r.msg === msg, 30_000).catch(() => undefined);
  const first = await Promise.race([exited, listening]);
  if (first === undefined) throw new Error(`neither "${msg}" nor an exit:\n${p.lines.join("\n")}`);
  return first as Record<string, unknown> | number;
}

describe("strangers against TLS and wss clusters on a non-loopback address", {
  skip,
  timeout: 400_000,
}, () => {
  let dir: string;
  const file = (f: string) => join(dir, f);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "barn-sec-"));
    makeCerts(dir, HOST!);
  });
  after(async () => {
    await killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const config of CONFIGS) {
    test(`${config.name}: ${config.allowed ? "a stranger is refused, runs and reads nothing" : "refused at start with BARN_INSECURE_BIND"}`, {
      timeout: 90_000,
    }, async () => {
      const env = { BARN_TOKEN: config.token ? TOKEN : undefined };
      const tls = ["--tls-cert", file("server.pem"), "--tls-key", file("server.key")];
      const ca = config.ca ? ["--tls-ca", file("ca.pem")] : [];
      const s = barn(
        [
          ...["scheduler", "--host", HOST!, "--port", "0", "--protocol", config.protocol],
          ...tls,
          ...ca,
          ...(config.requireClientCert ? ["--require-client-cert"] : []),
        ],
        env,
      );
      const started = await listeningOrExit(s, "scheduler listening");
      if (typeof started === "number") {
        assert.equal(config.allowed, false, `refused to start:\n${s.lines.join("\n")}`);
        assert.equal(started, 2);
        const said = s.lines.join("\n");
        assert.match(said, /BARN_INSECURE_BIND/);
        assert.match(said, config.requireClientCert ? /--tls-ca/ : /--token-file/);
        return;
      }
      const address = String(started.address);
      // A worker joins as an operator would: the CA, a certificate, the token if any.
      const trust = ["--tls-ca", file("ca.pem")];
      const w = barn(["worker", address, "--log-level", "info", ...tls, ...trust], env);
      const registered = await listeningOrExit(w, "registered with scheduler");
      assert.notEqual(typeof registered, "number", `worker did not join:\n${w.lines.join("\n")}`);
      const peer = String((registered as Record<string, unknown>).listen);
      assert.ok(peer.includes(HOST!), `the peer port is on ${HOST}: ${peer}`);
      // A legitimate client leaves a result on the worker.
      const client = await Client.connect(address, {
        setAsDefault: false,
        ...(config.token ? { token: TOKEN } : {}),
        tls: {
          ca: readFileSync(file("ca.pem"), "utf8"),
          cert: readFileSync(file("client.pem"), "utf8"),
          key: readFileSync(file("client.key"), "utf8"),
        },
      });
      try {
        const secret = client.submit((x: string) => `secret of ${x}`, config.name);
        assert.equal(await secret, `secret of ${config.name}`);
        const marker = file(`marker-${CONFIGS.indexOf(config)}`);
        const got = await runStranger({ scheduler: address, peer, key: secret.key, marker });
        assert.equal(existsSync(marker), false, `a stranger ran a task: ${JSON.stringify(got)}`);
        assert.equal(got.scheduler.ran, undefined, `a stranger's task ran: ${JSON.stringify(got)}`);
        assert.equal(
          got.peer.read,
          undefined,
          `a stranger read a peer port: ${JSON.stringify(got)}`,
        );
        assert.equal(got.scheduler.code, "BARN_AUTH_FAILED", JSON.stringify(got));
        assert.equal(got.peer.code, "BARN_AUTH_FAILED", JSON.stringify(got));
        assert.ok(config.allowed, "the bind policy should have refused this configuration");
        // The cluster still serves its own client.
        assert.equal(await client.submit((x: number) => x + 1, 1), 2);
      } finally {
        await client.close();
        w.kill("SIGKILL");
        s.kill("SIGKILL");
      }
    });
  }
});

describe("a worker's peer port follows the bind policy", { skip, timeout: 60_000 }, () => {
  after(killAll);

  test("a worker with no token whose peer port would be public refuses to start", {
    timeout: 40_000,
  }, async () => {
    const s = barn(["scheduler", "--port", "0", "--log-level", "info"], { BARN_TOKEN: undefined });
    const started = await listeningOrExit(s, "scheduler listening");
    assert.notEqual(typeof started, "number", s.lines.join("\n"));
    const address = String((started as Record<string, unknown>).address);
    const w = barn(["worker", address, "--listen-host", HOST!], { BARN_TOKEN: undefined });
    const joined = await listeningOrExit(w, "registered with scheduler");
    assert.equal(joined, 2, `the worker should refuse:\n${w.lines.join("\n")}`);
    assert.match(
      w.lines.join("\n"),
      /BARN_INSECURE_BIND.*|refusing to listen on tcp:\/\/[\d.]+ without a token/,
    );
    s.kill("SIGKILL");
  });
});

const MIB = 1024 * 1024;

/** Resident set size and its peak (VmRSS, VmHWM) of a process, bytes; undefined off Linux. */
function rssOf(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]);
    return { rss: kib("VmRSS") * 1024, peak: kib("VmHWM") * 1024 };
  } catch {
    return undefined;
  }
}

/**
 * Write `first`, then 1 MiB chunks up to `total` bytes, with back-pressure; resolves with the
 * bytes written before the other end closed the connection, or `total` if it never did.
 */
async function flood(port: number, first: Buffer, total: number): Promise<number> {
  const socket = netConnect(port, "127.0.0.1");
  socket.on("error", () => {});
  let closed = false;
  const close = new Promise<void>((r) => socket.once("close", r)).then(() => (closed = true));
  await Promise.race([new Promise((r) => socket.once("connect", r)), close]);
  let sent = 0;
  const chunk = Buffer.alloc(MIB, 0x41);
  const put = async (b: Buffer) => {
    sent += b.length;
    if (!socket.write(b)) await Promise.race([new Promise((r) => socket.once("drain", r)), close]);
  };
  await put(first);
  while (sent < total && !closed) await put(chunk);
  socket.destroy();
  return closed ? sent : total;
}

/** The bound this test holds the scheduler to: its peak RSS may grow this much under the flood. */
const FLOOD_RSS_BOUND = 24 * MIB;

describe("a pre-authentication flood against `barn scheduler`", {
  skip: rssOf(process.pid) === undefined ? "needs /proc to read the scheduler's RSS" : false,
  timeout: 120_000,
}, () => {
  after(killAll);

  test(`4 connections claiming 2^20 buffer frames, then 64 MiB each: dropped early, peak RSS grows < ${FLOOD_RSS_BOUND / MIB} MiB`, {
    timeout: 90_000,
  }, async () => {
    const s = barn(["scheduler", "--port", "0", "--log-level", "info"], { BARN_TOKEN: TOKEN });
    const started = await listeningOrExit(s, "scheduler listening");
    assert.notEqual(typeof started, "number", s.lines.join("\n"));
    const port = Number(
      String((started as Record<string, unknown>).address)
        .split(":")
        .at(-1),
    );
    const pid = s.child.pid!;
    await new Promise((r) => setTimeout(r, 500)); // let startup allocations settle
    const before = rssOf(pid)!;
    // A message frame whose count says 2^20 buffer frames follow, then 1 MiB buffer frames.
    const head = Buffer.alloc(9);
    head.writeUInt32BE(5, 0);
    head.writeUInt32BE(2 ** 20, 4);
    head[8] = 0xc0;
    const oneMib = Buffer.alloc(4 + MIB);
    oneMib.writeUInt32BE(MIB, 0);
    const total = 64 * MIB;
    const sent = await Promise.all(
      Array.from({ length: 4 }, () => flood(port, Buffer.concat([head, oneMib]), total)),
    );
    const afterFlood = rssOf(pid)!;
    const growth = afterFlood.peak - before.rss;
    // The figure the docs quote; printed so a run shows it.
    console.log(
      `scheduler RSS before ${(before.rss / MIB).toFixed(1)} MiB, peak after the flood ${(afterFlood.peak / MIB).toFixed(1)} MiB (growth ${(growth / MIB).toFixed(1)} MiB, bound ${FLOOD_RSS_BOUND / MIB} MiB); bytes each connection got written before it was dropped: ${sent.map((n) => `${(n / MIB).toFixed(1)} MiB`).join(", ")}`,
    );
    assert.equal(s.child.exitCode, null, `the scheduler died:\n${s.lines.join("\n")}`);
    for (const n of sent) assert.ok(n < total, `a connection was not dropped: ${n} bytes taken`);
    assert.ok(growth < FLOOD_RSS_BOUND, `peak RSS grew ${(growth / MIB).toFixed(1)} MiB`);
    s.kill("SIGTERM");
    await s.exited;
  });
});

test("Client.connect's maxFrameBytes bounds what the scheduler may send it", {
  timeout: 60_000,
}, async () => {
  const node = await SchedulerNode.start({ address: "tcp://127.0.0.1:0", token: TOKEN });
  const worker = await WorkerNode.start({ scheduler: node.address, token: TOKEN });
  const c = await Client.connect(node.address, {
    token: TOKEN,
    maxFrameBytes: MIB,
    setAsDefault: false,
  });
  try {
    assert.equal((await c.submit(() => new Float64Array(1024))).length, 1024);
    await assert.rejects(
      c.submit(() => new Float64Array(512 * 1024)).result(), // 4 MiB in one frame
      (e: Error) => /more than the limit of 1048576 bytes.*maxFrameBytes/.test(e.message),
    );
  } finally {
    await c.close().catch(() => {});
    await worker.close();
    await node.close();
  }
});
