/**
 * The cluster on loopback with real `barn scheduler` / `barn worker` processes: the graph
 * property test on 3 worker processes, kill -9 of a worker mid-graph, refusal of strangers,
 * garbage on the scheduler port, scheduler restarts, lost clients, TLS, and processes: true.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { processClusters } from "../../src/client/process-backend.js";
import type { LocalBackend } from "../../src/deploy/local-backend.js";
import {
  BarnError,
  Client,
  ErrorCodes,
  type Graph,
  type GraphNode,
  ref,
  task,
} from "../../src/index.js";
import { encodeMessage, MessageReader } from "../../src/transport/codec.js";
import { FrameParser } from "../../src/transport/framing.js";
import { PROTOCOL_VERSION } from "../../src/transport/index.js";
import {
  barn,
  killAll,
  type Proc,
  sleep,
  startScheduler,
  startWorker,
  until,
} from "./cluster-harness.js";
import { dagArb, oracle, toGraph } from "./dag-fixtures.js";

const TOKEN = "cluster-test-token-5f2a9c1e7b3d";
const ENV = { BARN_TOKEN: TOKEN };

/** ~10,000 tasks: 9,000 leaves that compute a little, sums of 10, sums of those, one total. */
function bigGraph(salt: number): { graph: Graph; expected: number } {
  const g = new Map<string, GraphNode>();
  // About 50 µs of work each, so the graph is still running when a worker is killed.
  const leaf = (i: number, s: number) => {
    let x = i;
    for (let k = 0; k < 5_000; k++) x = (x * 7 + 3) % 1_000_003;
    return ((i * 31 + s) % 997) + (x >= 0 ? 0 : 1);
  };
  const sum = (...xs: number[]) => xs.reduce((a, b) => a + b, 0);
  let expected = 0;
  const mids: string[] = [];
  for (let m = 0; m < 900; m++) {
    const leaves: string[] = [];
    for (let j = 0; j < 10; j++) {
      const i = m * 10 + j;
      g.set(`leaf-${salt}-${i}`, task(leaf, i, salt));
      leaves.push(`leaf-${salt}-${i}`);
      expected += (i * 31 + salt) % 997;
    }
    g.set(`mid-${salt}-${m}`, task(sum, ...leaves.map((k) => ref(k))));
    mids.push(`mid-${salt}-${m}`);
  }
  const tops: string[] = [];
  for (let t = 0; t < 90; t++) {
    g.set(`top-${salt}-${t}`, task(sum, ...mids.slice(t * 10, t * 10 + 10).map((k) => ref(k))));
    tops.push(`top-${salt}-${t}`);
  }
  g.set(`total-${salt}`, task(sum, ...tops.map((k) => ref(k))));
  return { graph: g, expected };
}

describe("a cluster of worker processes over tcp", { timeout: 180_000 }, () => {
  let scheduler: { proc: Proc; address: string };
  const workers: Proc[] = [];
  let client: Client;

  before(async () => {
    scheduler = await startScheduler(["--heartbeat-timeout", "3"], ENV);
    for (let i = 0; i < 3; i++) {
      workers.push(await startWorker(scheduler.address, ["--name", `w${i}`], ENV));
    }
    client = await Client.connect(scheduler.address, { token: TOKEN, setAsDefault: false });
    await until(() => client.workers().length === 3, 10_000, "3 workers");
  });
  after(async () => {
    await client?.close();
    await killAll();
  });

  test("random DAGs agree with plain JS on 3 worker processes", async () => {
    assert.equal(client.scheduler, "remote");
    await fc.assert(
      fc.asyncProperty(dagArb, fc.integer({ min: 1, max: 5 }), async (dag, outs) => {
        const keys = Array.from({ length: Math.min(outs, dag.n) }, (_, i) => `n${dag.n - 1 - i}`);
        const expected = oracle(dag);
        const got = await client.get(toGraph(dag), keys);
        assert.deepEqual(
          got,
          keys.map((k) => expected[Number(k.slice(1))]),
        );
      }),
      { numRuns: 40 },
    );
  });

  test("submit, map, scatter, gather, typed arrays and errors work remotely", async () => {
    assert.equal(await client.submit((x: number) => x + 1, 41), 42);
    const squares = await client.gather(client.map((x: number) => x * x, [1, 2, 3, 4]));
    assert.deepEqual(squares, [1, 4, 9, 16]);
    const big = new Float64Array(300_000).map((_, i) => i);
    const [fut] = client.scatter([big]);
    const total = await client.submit((a: Float64Array) => a.reduce((s, v) => s + v, 0), fut!);
    assert.equal(total, (300_000 * 299_999) / 2);
    const back = (await client.submit(
      (a: Float64Array) => a.subarray(10, 20),
      fut!,
    )) as Float64Array;
    assert.ok(back instanceof Float64Array);
    assert.deepEqual([...back], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    await assert.rejects(
      client
        .submit(() => {
          throw new Error("boom on a worker");
        })
        .result(),
      (e: unknown) =>
        e instanceof BarnError && e.code === ErrorCodes.TASK_FAILED && /boom/.test(e.message),
    );
    const story = await client.story(fut!.key);
    assert.ok(Array.isArray(story));
  });

  test("functions declared in a module reach the workers as a bundle", async () => {
    const dir = mkdtempSync(join(tmpdir(), "barn-mod-"));
    try {
      const barnIndex = pathToFileURL(join(process.cwd(), "dist", "src", "index.js")).href;
      writeFileSync(join(dir, "helper.mjs"), "export const scale = 3;\n");
      writeFileSync(
        join(dir, "ops.mjs"),
        `import { tasks } from ${JSON.stringify(barnIndex)};\n` +
          `import { scale } from "./helper.mjs";\n` +
          "let calls = 0;\n" +
          "function triple(x) { calls++; return x * scale; }\n" +
          "export const ops = tasks(import.meta.url, { triple });\n",
      );
      const mod = (await import(pathToFileURL(join(dir, "ops.mjs")).href)) as {
        ops: { triple: (x: number) => number };
      };
      const got = await client.gather(client.map(mod.ops.triple, [1, 2, 3, 4, 5, 6]));
      assert.deepEqual(got, [3, 6, 9, 12, 15, 18]);
      // The module's files are gone; a worker that joins now still gets the bundle.
      rmSync(dir, { recursive: true, force: true });
      const late = await startWorker(scheduler.address, ["--name", "late"], ENV);
      await until(() => client.workers().some((w) => w.name === "late"), 10_000, "late worker");
      const onLate = await client.with({ workers: ["late"] }).submit(mod.ops.triple, 7);
      assert.equal(onLate, 21);
      late.kill("SIGTERM");
      await late.exited;
      await until(() => !client.workers().some((w) => w.name === "late"), 10_000, "late gone");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("resources and restrictions are honoured across processes", async () => {
    const gpu = await startWorker(
      scheduler.address,
      ["--name", "gpu", "--resources", "GPU=1"],
      ENV,
    );
    try {
      await until(() => client.workers().some((w) => w.name === "gpu"), 10_000, "gpu worker");
      const onGpu = client
        .with({ resources: { GPU: 1 } })
        .map((_: number) => process.pid, [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(await client.gather(onGpu), Array(6).fill(gpu.child.pid));
      const onW1 = client.with({ workers: ["w1"] }).map((_: number) => process.pid, [1, 2, 3]);
      assert.deepEqual(await client.gather(onW1), Array(3).fill(workers[1]!.child.pid));
    } finally {
      gpu.kill("SIGTERM");
      await gpu.exited;
      await until(() => !client.workers().some((w) => w.name === "gpu"), 10_000, "gpu gone");
    }
  });

  test("kill -9 of a worker in the middle of a 10,000-task graph still gives the right result", async () => {
    for (let run = 0; run < 5; run++) {
      const { graph, expected } = bigGraph(run);
      const [total] = client.submitGraph(graph, [`total-${run}`]);
      await sleep(150 + run * 60);
      const victim = workers[run % workers.length]!;
      victim.kill("SIGKILL");
      assert.equal(await total, expected, `run ${run}`);
      total!.release();
      // Replace the victim so every run starts with 3 workers.
      const name = `w${run % workers.length}r${run}`;
      workers[run % workers.length] = await startWorker(scheduler.address, ["--name", name], ENV);
      await until(() => client.workers().length === 3, 15_000, "3 workers again");
    }
  });

  test("workers without the token, with a wrong one, or of another protocol version are refused", async () => {
    const none = barn(["worker", scheduler.address, "--death-timeout", "5"], {
      BARN_TOKEN: undefined,
    });
    assert.equal(await none.exited, 2);
    assert.match(none.lines.join("\n"), /BARN_AUTH_FAILED/);
    assert.match(none.lines.join("\n"), /token/i);
    const wrong = barn(["worker", scheduler.address], { BARN_TOKEN: "not-the-token-1234567" });
    assert.equal(await wrong.exited, 2);
    assert.match(wrong.lines.join("\n"), /BARN_AUTH_FAILED/);
    await assertVersionRefused(scheduler.address);
    await scheduler.proc.waitFor((r) => r.msg === "connection refused");
    // The cluster keeps working.
    assert.equal(client.workers().length, 3);
    assert.equal(await client.submit((x: number) => x * 2, 21), 42);
  });

  test("random and truncated frames at the scheduler port do not stop it serving", async () => {
    const port = Number(new URL(scheduler.address).port);
    const work = client.gather(
      client.map(
        (x: number) => x + 1,
        Array.from({ length: 2000 }, (_, i) => i),
      ),
    );
    const garbage = fc.sample(fc.uint8Array({ minLength: 0, maxLength: 4096 }), 60);
    await Promise.all(
      garbage.map(
        (bytes, i) =>
          new Promise<void>((resolve) => {
            const s = netConnect(port, "127.0.0.1", () => {
              // Some send a huge length prefix, some a truncated frame, some plain noise.
              if (i % 3 === 0) s.write(Buffer.from([0xff, 0xff, 0xff, 0xf0, 1, 2, 3]));
              else if (i % 3 === 1) s.write(Buffer.from([0, 0, 1, 0, ...bytes.slice(0, 20)]));
              s.end(Buffer.from(bytes));
            });
            s.on("error", () => resolve());
            s.on("close", () => resolve());
            s.setTimeout(3000, () => s.destroy());
          }),
      ),
    );
    const got = await work;
    assert.deepEqual(got.slice(0, 3), [1, 2, 3]);
    assert.equal(got.length, 2000);
    assert.equal(scheduler.proc.child.exitCode, null, "the scheduler is still running");
    assert.equal(await client.submit((x: number) => x - 1, 1), 0);
  });
});

describe("failures of the scheduler and its clients", { timeout: 120_000 }, () => {
  after(killAll);

  test("a scheduler restart: the worker reconnects and registers again", async () => {
    const first = await startScheduler([], ENV);
    const port = new URL(first.address).port;
    const worker = await startWorker(first.address, ["--name", "phoenix"], ENV);
    first.proc.kill("SIGKILL");
    await first.proc.exited;
    await worker.waitFor((r) => r.msg === "lost the scheduler; reconnecting");
    const second = await startScheduler(["--port", port], ENV);
    await second.proc.waitFor((r) => r.msg === "worker joined" && r.worker === "phoenix");
    const c = await Client.connect(second.address, { token: TOKEN, setAsDefault: false });
    try {
      await until(() => c.workers().length === 1, 10_000, "the worker");
      assert.equal(await c.submit((x: number) => x + 1, 1), 2);
    } finally {
      await c.close();
    }
  });

  test("a client whose scheduler dies gets CONNECTION_LOST on its pending futures", async () => {
    const s = await startScheduler([], ENV);
    await startWorker(s.address, [], ENV);
    const c = await Client.connect(s.address, { token: TOKEN, setAsDefault: false });
    const slow = c.submit(() => new Promise((r) => setTimeout(() => r(1), 30_000)));
    await sleep(300);
    s.proc.kill("SIGKILL");
    await assert.rejects(
      slow.result(),
      (e: unknown) =>
        e instanceof BarnError &&
        e.code === ErrorCodes.CONNECTION_LOST &&
        /scheduler/.test(e.message),
    );
    await c.close();
  });

  test("a client with the wrong token is refused with a clear error", async () => {
    const s = await startScheduler([], ENV);
    await assert.rejects(
      Client.connect(s.address, { token: "wrong-token-wrong-token", setAsDefault: false }),
      (e: unknown) => e instanceof BarnError && e.code === ErrorCodes.AUTH_FAILED,
    );
    s.proc.kill("SIGTERM");
    assert.equal(await s.proc.exited, 0, "SIGTERM is a clean shutdown");
  });

  test("a scheduler refuses to listen on a public address without a token or TLS", async () => {
    const p = barn(["scheduler", "--host", "0.0.0.0", "--port", "0"], { BARN_TOKEN: undefined });
    assert.equal(await p.exited, 2);
    assert.match(p.lines.join("\n"), /BARN_INSECURE_BIND/);
  });
});

describe("TLS", { timeout: 60_000 }, () => {
  after(killAll);

  test("scheduler, workers and client over tls:// with a private CA and a token", async () => {
    const dir = mkdtempSync(join(tmpdir(), "barn-tls-"));
    try {
      makeCerts(dir);
      const tlsArgs = ["--tls-cert", join(dir, "server.pem"), "--tls-key", join(dir, "server.key")];
      const s = await startScheduler(
        ["--protocol", "tls", ...tlsArgs, "--tls-ca", join(dir, "ca.pem")],
        ENV,
      );
      assert.match(s.address, /^tls:\/\//);
      await startWorker(s.address, ["--tls-ca", join(dir, "ca.pem"), ...tlsArgs], ENV);
      await startWorker(s.address, ["--tls-ca", join(dir, "ca.pem"), ...tlsArgs], ENV);
      const { readFileSync } = await import("node:fs");
      const c = await Client.connect(s.address, {
        token: TOKEN,
        tls: { ca: readFileSync(join(dir, "ca.pem"), "utf8") },
        setAsDefault: false,
      });
      try {
        await until(() => c.workers().length === 2, 10_000, "2 workers");
        const got = await c.gather(c.map((x: number) => x * 3, [1, 2, 3]));
        assert.deepEqual(got, [3, 6, 9]);
        // Data moves between the two workers (a reduction over both).
        const parts = c.map((i: number) => new Float64Array(50_000).fill(i), [1, 2, 3, 4]);
        const sum = await c.submit(
          (...xs: Float64Array[]) => xs.reduce((s, a) => s + a[0]! * a.length, 0),
          ...parts,
        );
        assert.equal(sum, 50_000 * 10);
      } finally {
        await c.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Client.connect({ processes: true })", { timeout: 90_000 }, () => {
  test("a task that keeps killing its worker fails with KILLED_WORKER instead of looping", async () => {
    const c = await Client.connect({
      processes: true,
      workers: 2,
      setAsDefault: false,
      schedulerConfig: { allowedFailures: 1 },
    });
    try {
      const deadly = c.submit(() => process.exit(3));
      await assert.rejects(
        deadly.result(),
        (e: unknown) => e instanceof BarnError && e.code === ErrorCodes.KILLED_WORKER,
      );
      // The cluster recovers and keeps serving.
      await until(() => c.workers().length === 2, 20_000, "replacement workers");
      assert.equal(await c.submit((x: number) => x + 1, 1), 2);
    } finally {
      await c.close();
    }
  });

  test("runs tasks on local worker processes and survives kill -9 of one", async () => {
    const c = await Client.connect({ processes: true, workers: 2, setAsDefault: false });
    try {
      assert.equal(c.scheduler, "processes");
      assert.equal(c.workers().length, 2);
      const pids = await c.gather(c.map((_: number) => process.pid, [1, 2, 3, 4, 5, 6, 7, 8]));
      assert.ok(
        pids.every((p) => p !== process.pid),
        "tasks ran in other processes",
      );
      const cluster = processClusters.get(c.backend as LocalBackend)!;
      const { graph, expected } = bigGraph(99);
      const [total] = c.submitGraph(graph, ["total-99"]);
      await sleep(200);
      process.kill(cluster.pids()[0]!, "SIGKILL");
      assert.equal(await total, expected);
    } finally {
      await c.close();
    }
  });
});

/**
 * An end speaking another protocol version (999) is refused with a message naming both
 * versions. Speaks the handshake by hand over a raw socket, with the transport's own framing.
 */
async function assertVersionRefused(address: string): Promise<void> {
  const url = new URL(address);
  const reply = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const s = netConnect(Number(url.port), url.hostname, () => {
      const enc = encodeMessage({
        t: "barn-hello",
        protocol: 999,
        version: "9.9.9",
        token: true,
        nonce: "00".repeat(16),
        hello: { role: "worker", name: "from-the-future" },
      });
      s.write(Buffer.concat([enc.head, enc.body]));
    });
    const parser = new FrameParser();
    const reader = new MessageReader();
    s.on("data", (chunk: Buffer) => {
      for (const frame of parser.push(chunk)) {
        const m = reader.push(frame)?.message as Record<string, unknown> | undefined;
        if (m?.t === "barn-refuse") {
          resolve(m);
          s.destroy();
        }
      }
    });
    s.on("error", reject);
    s.setTimeout(5000, () => reject(new Error("no refusal within 5 s")));
  });
  assert.equal(reply.code, ErrorCodes.VERSION_MISMATCH);
  assert.match(String(reply.message), /999/);
  assert.match(String(reply.message), new RegExp(String(PROTOCOL_VERSION)));
}

/** A throwaway CA and a certificate for 127.0.0.1 signed by it. */
function makeCerts(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  run([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "1",
    "-subj",
    "/CN=barn-test-ca",
  ]);
  run([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=127.0.0.1",
  ]);
  writeFileSync(join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  run([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "1",
    "-extfile",
    "ext.cnf",
  ]);
}
