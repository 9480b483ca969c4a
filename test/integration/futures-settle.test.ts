/**
 * Every Future settles: results that cannot be copied, futures awaited after release, calls
 * after a lost connection, scripts that forget close(), APIs that hand Futures back, Buffers
 * that keep their type, and gathers that release what they fetched. On worker threads, worker
 * processes and (where it applies) a `barn scheduler` with a `barn worker` over tcp.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { processClusters } from "../../src/client/process-backend.js";
import type { LocalBackend } from "../../src/deploy/local-backend.js";
import { asCompleted, BarnError, Client, delayed, ErrorCodes, Future } from "../../src/index.js";
import { killAll, sleep, startScheduler, startWorker, until } from "./cluster-harness.js";

/** Rejects when `p` has not settled within `ms`: a hang fails the test instead of stalling it. */
function within<T>(p: PromiseLike<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([Promise.resolve(p), limit]).finally(() => clearTimeout(timer));
}

/** The error `p` rejects with (within `ms`), or a failure when it fulfils. */
async function rejection(p: PromiseLike<unknown>, ms: number, what: string): Promise<BarnError> {
  const err = await within(
    Promise.resolve(p).then(
      (v) => assert.fail(`${what} should reject, got ${String(v)}`),
      (e: unknown) => e,
    ),
    ms,
    what,
  );
  assert.ok(err instanceof BarnError, `${what}: a BarnError, got ${String(err)}`);
  return err;
}

/** Results neither structured clone nor msgpack can carry, with the part the error names. */
const UNCOPYABLE: readonly { name: string; make: () => unknown; part: RegExp }[] = [
  { name: "an object holding a function", make: () => ({ f: () => 1 }), part: /function at \.f/ },
  { name: "a function", make: () => () => 1, part: /a function/ },
  { name: "a symbol", make: () => Symbol("s"), part: /a symbol/ },
  {
    name: "a class instance with a method field",
    make: () =>
      new (class Counter {
        n = 1;
        inc = () => 2;
      })(),
    part: /function at \.inc/,
  },
  {
    name: "a circular object holding a function",
    make: () => {
      const o: Record<string, unknown> = { g: [1, () => 2] };
      o.self = o;
      return o;
    },
    part: /function at \.g\[1\]/,
  },
  {
    name: "a circular object",
    make: () => {
      const o: Record<string, unknown> = { a: 1 };
      o.self = o;
      return o;
    },
    part: /circular reference at \.self/,
  },
  { name: "a promise inside an object", make: () => ({ p: Promise.resolve(1) }), part: /promise/ },
];

/** The worker processes' pids (processes), or the worker ids (threads, remote). */
function workerIdentity(client: Client): string {
  const cluster = processClusters.get(client.backend as LocalBackend);
  const ids = client.workers().map((w) => w.id);
  return JSON.stringify([ids.sort(), cluster?.pids().sort() ?? []]);
}

for (const processes of [false, true]) {
  const kind = processes ? "worker processes" : "worker threads";
  describe(`futures settle on ${kind}`, { timeout: 120_000 }, () => {
    let client: Client;
    before(async () => {
      client = await Client.connect({
        workers: 2,
        processes,
        setAsDefault: false,
        schedulerConfig: { allowedFailures: 1, validate: true },
      });
    });
    after(async () => {
      await client?.close();
    });

    test("a result that cannot be copied rejects with a code naming the part; no worker dies", {
      timeout: 60_000,
    }, async () => {
      const before = workerIdentity(client);
      for (const { name, make, part } of UNCOPYABLE) {
        const f = client.submit(make);
        const err = await rejection(f, 15_000, name);
        assert.equal(err.code, ErrorCodes.RESULT_NOT_SERIALIZABLE, `${name}: ${err.message}`);
        assert.match(err.message, part, name);
        assert.match(err.message, new RegExp(f.key));
        assert.equal(f.status, "error");
        // A dependent fails with the same error instead of waiting.
        const dep = client.submit((x: unknown) => x, f);
        assert.equal((await rejection(dep, 15_000, `${name}, dependent`)).code, err.code);
      }
      // The same workers (no restart loop), and they still compute.
      assert.equal(workerIdentity(client), before);
      assert.deepEqual(
        await within(client.gather(client.map((x: number) => x * 3, [1, 2, 3])), 15_000, "gather"),
        [3, 6, 9],
      );
    });

    test("a result that passes the check but still cannot be cloned fails its gather, not its worker", {
      timeout: 30_000,
    }, async () => {
      const before = workerIdentity(client);
      const f = client.submit(() => new Proxy({ a: 1 }, {}));
      const err = await rejection(f, 15_000, "a proxy");
      assert.equal(err.code, ErrorCodes.RESULT_NOT_SERIALIZABLE, err.message);
      assert.match(err.message, new RegExp(f.key));
      assert.equal(workerIdentity(client), before);
      assert.equal(
        await within(
          client.submit(() => 4),
          10_000,
          "after",
        ),
        4,
      );
    });

    test("awaiting a released future rejects with BARN_FUTURE_RELEASED", {
      timeout: 30_000,
    }, async () => {
      const inc = (x: number) => x + 1;
      const f = client.with({ pure: true }).submit(inc, 1);
      assert.equal(await within(f, 10_000, "f"), 2);
      const twin = client.with({ pure: true }).submit(inc, 1);
      assert.equal(twin.key, f.key);
      f.release();
      for (const p of [f.result(), f.exception(), client.gather([f]), Promise.resolve(f)]) {
        const err = await rejection(p, 10_000, "await after release");
        assert.equal(err.code, ErrorCodes.FUTURE_RELEASED);
      }
      assert.equal(await within(twin, 10_000, "another future"), 2);
      // Released while an await is pending: the await settles too.
      const slow = client.submit(async () => {
        await new Promise((r) => setTimeout(r, 300));
        return 5;
      });
      const waiting = slow.result();
      slow.release();
      assert.equal(
        (await rejection(waiting, 10_000, "pending await")).code,
        ErrorCodes.FUTURE_RELEASED,
      );
      assert.equal(
        await within(
          client.submit(() => 6),
          10_000,
          "after",
        ),
        6,
      );
    });

    test("scatter, persist and asCompleted hand back Futures; futures have catch and finally", {
      timeout: 30_000,
    }, async () => {
      const one = client.scatter(new Float64Array([1, 2, 3]));
      assert.ok(one instanceof Future, "scatter(value) gives a Future");
      const many = client.scatter([10, 20]);
      assert.ok(many.every((f) => f instanceof Future));
      // A task that takes a scattered future right away runs after the data is placed.
      const sum = client.submit((a: Float64Array, b: number) => a[2]! + b, one, many[1]!);
      assert.equal(await within(sum, 10_000, "sum"), 23);
      const kept = delayed((x: number) => x * 2)(21).persist({ client });
      assert.ok(kept instanceof Future, "persist gives a Future");
      assert.equal(await within(kept, 10_000, "persisted"), 42);
      // `for await` types its variable as the awaited element, so plain asCompleted yields
      // values (what the type says) and withResults yields [Future, value] pairs.
      const seen: unknown[] = [];
      for await (const v of asCompleted(client.map((x: number) => x, [1, 2, 3]))) seen.push(v);
      assert.deepEqual([...seen].sort(), [1, 2, 3], "asCompleted yields values");
      const pairs: unknown[] = [];
      for await (const p of asCompleted(
        client.map((x: number) => x, [4, 5]),
        {
          withResults: true,
        },
      ))
        pairs.push(p);
      assert.ok(
        pairs.every((p) => Array.isArray(p) && p[0] instanceof Future),
        "withResults yields [Future, value] pairs",
      );
      for (const [f, v] of pairs as [Future<number>, number][]) assert.equal(await f, v);
      const failing = client.submit(() => {
        throw new Error("nope");
      });
      let finallyRan = false;
      const caught = await within(
        failing
          .catch((e: unknown) => (e as Error).message)
          .finally(() => {
            finallyRan = true;
          }),
        10_000,
        "catch",
      );
      assert.equal(caught, "nope");
      assert.ok(finallyRan);
      assert.equal(
        await within(
          client.submit(() => 3).finally(() => {}),
          10_000,
          "finally",
        ),
        3,
      );
    });

    test("Buffers of every size come back as Buffers", { timeout: 30_000 }, async () => {
      const big = await within(
        client.submit(() => Buffer.alloc(100_000, 7)),
        10_000,
        "big",
      );
      assert.ok(Buffer.isBuffer(big), "a 100 KB Buffer stays a Buffer");
      assert.equal(big.length, 100_000);
      assert.equal(big[99_999], 7);
      const small = await within(
        client.submit(() => Buffer.from("hi")),
        10_000,
        "small",
      );
      assert.ok(Buffer.isBuffer(small));
      const nested = await within(
        client.submit(() => ({ parts: [Buffer.alloc(70_000, 1)] })),
        10_000,
        "nested",
      );
      assert.ok(Buffer.isBuffer(nested.parts[0]));
      const [placed] = client.scatter([Buffer.alloc(80_000, 2)]);
      assert.equal(
        await within(
          client.submit((b: Buffer) => Buffer.isBuffer(b), placed!),
          10_000,
          "on worker",
        ),
        true,
      );
    });

    test("gather({ release: true }) leaves the scheduler holding nothing, round after round", {
      timeout: 60_000,
    }, async () => {
      const gathered = new Set<string>();
      for (let round = 0; round < 30; round++) {
        const xs = Array.from({ length: 200 }, (_, i) => i + round);
        const futures = client.map((x: number) => x * 2, xs);
        for (const f of futures) gathered.add(f.key);
        const out = await within(
          client.gather(futures, { release: true }),
          15_000,
          `round ${round}`,
        );
        assert.equal(out[199], (199 + round) * 2);
        assert.ok(futures.every((f) => f.released));
      }
      // A failing gather releases too.
      const bad = [
        client.submit(() => 1),
        client.submit(() => {
          throw new Error("x");
        }),
      ];
      for (const f of bad) gathered.add(f.key);
      await rejection(client.gather(bad, { release: true }), 10_000, "failing gather");
      assert.ok(bad.every((f) => f.released));
      // The futures themselves are still reachable here (no garbage collection helped).
      let held = -1;
      for (let i = 0; i < 100 && held !== 0; i++) {
        await sleep(50);
        const dump = (await client.dumpState()) as {
          tasks: { key: string }[];
          tasksOmitted: number;
        };
        held = dump.tasksOmitted + dump.tasks.filter((t) => gathered.has(t.key)).length;
      }
      assert.equal(held, 0, "the scheduler holds none of the gathered keys");
    });
  });
}

describe("futures settle on a barn scheduler with a barn worker over tcp", {
  timeout: 120_000,
}, () => {
  const ENV = { BARN_TOKEN: "futures-settle-token-81c3f0" };
  let scheduler: Awaited<ReturnType<typeof startScheduler>>;
  let worker: Awaited<ReturnType<typeof startWorker>>;
  let client: Client;
  before(async () => {
    scheduler = await startScheduler([], ENV);
    worker = await startWorker(scheduler.address, ["--name", "w0"], ENV);
    client = await Client.connect(scheduler.address, {
      token: ENV.BARN_TOKEN,
      setAsDefault: false,
    });
    await until(() => client.workers().length === 1, 10_000, "the worker");
  });
  after(async () => {
    await client?.close();
    await killAll();
  });

  test("a result that cannot be copied rejects with a code; the worker process lives on", {
    timeout: 60_000,
  }, async () => {
    for (const { name, make, part } of UNCOPYABLE) {
      const err = await rejection(client.submit(make), 15_000, name);
      assert.equal(err.code, ErrorCodes.RESULT_NOT_SERIALIZABLE, `${name}: ${err.message}`);
      assert.match(err.message, part, name);
    }
    assert.equal(
      await within(
        client.submit((x: number) => x + 1, 1),
        10_000,
        "after",
      ),
      2,
    );
    assert.equal(worker.child.exitCode, null, "the worker process is still running");
    assert.ok(
      !worker.lines.some((l) => /task thread|reconnecting/.test(l)),
      `no thread death or reconnect: ${worker.lines.join("\n")}`,
    );
  });

  test("a task thread that dies logs its reason, not {}", { timeout: 30_000 }, async () => {
    // An uncaught DataCloneError (a DOMException) in the task thread, after the task returned.
    client.submit(() => {
      setTimeout(() => structuredClone(() => 1), 10);
      return 1;
    });
    const rec = await worker.waitFor((r) => r.msg === "task thread failed", 15_000);
    assert.match(
      JSON.stringify(rec.error),
      /DataCloneError|could not be cloned/,
      JSON.stringify(rec),
    );
  });

  test("after the connection is lost, pending and new futures reject at once", {
    timeout: 30_000,
  }, async () => {
    const pending = client.submit(async () => {
      await new Promise((r) => setTimeout(r, 60_000));
      return 1;
    });
    await sleep(200);
    scheduler.proc.kill("SIGKILL");
    const err = await rejection(pending, 15_000, "pending future");
    assert.equal(err.code, ErrorCodes.CONNECTION_LOST);
    const late = client.submit((x: number) => x, 1);
    assert.equal(late.status, "error", "settled before submit returned");
    assert.equal(
      (await rejection(late, 1_000, "submit after loss")).code,
      ErrorCodes.CONNECTION_LOST,
    );
    const mapped = client.map((x: number) => x, [1, 2]);
    assert.equal(
      (await rejection(client.gather(mapped), 1_000, "map after loss")).code,
      ErrorCodes.CONNECTION_LOST,
    );
    const [scattered] = client.scatter([1]);
    assert.equal(
      (await rejection(scattered!, 1_000, "scatter after loss")).code,
      ErrorCodes.CONNECTION_LOST,
    );
  });
});

describe("a script that forgets client.close()", { timeout: 60_000 }, () => {
  /** Runs `body` as an ES module next to the built library; its exit code, stdout and stderr. */
  function runScript(body: string, ms: number) {
    const dir = mkdtempSync(join(tmpdir(), "barn-noclose-"));
    const index = pathToFileURL(join(process.cwd(), "dist", "src", "index.js")).href;
    const file = join(dir, "main.mjs");
    writeFileSync(file, `import { Client } from ${JSON.stringify(index)};\n${body}\n`);
    const child = spawn(process.execPath, [file], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (err += d));
    return new Promise<{ code: number | string; out: string; err: string }>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), ms);
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        resolve({ code: code ?? signal ?? -1, out, err });
      });
    });
  }

  test("exits after its last line, once its awaits have settled, without DEP0005", {
    timeout: 45_000,
  }, async () => {
    const r = await runScript(
      `const c = await Client.connect({ workers: 2 });
const slow = c.submit(async (ms) => { await new Promise((r) => setTimeout(r, ms)); return 42; }, 1500);
const buf = await c.submit(() => Buffer.alloc(100_000, 1));
console.log("value", await slow, Buffer.isBuffer(buf), buf.length);`,
      30_000,
    );
    assert.equal(r.code, 0, `exit code (SIGKILL means it hung): ${r.err}`);
    assert.match(r.out, /value 42 true 100000/);
    assert.doesNotMatch(r.err, /DEP0005|deprecated/);
  });

  test("exits on worker processes too, and its worker processes exit after it", {
    timeout: 60_000,
  }, async () => {
    const backend = pathToFileURL(
      join(process.cwd(), "dist", "src", "client", "process-backend.js"),
    ).href;
    const r = await runScript(
      `import { processClusters } from ${JSON.stringify(backend)};
const c = await Client.connect({ processes: true, workers: 2 });
console.log("pids", JSON.stringify(processClusters.get(c.backend).pids()));
const slow = c.submit(async (ms) => { await new Promise((r) => setTimeout(r, ms)); return 42; }, 1500);
console.log("value", await slow);`,
      30_000,
    );
    const pids = JSON.parse(/pids (\[.*\])/.exec(r.out)?.[1] ?? "[]") as number[];
    try {
      assert.equal(r.code, 0, `exit code (SIGKILL means it hung): ${r.err}`);
      assert.match(r.out, /value 42/);
      assert.equal(pids.length, 2, `the script printed its workers' pids: ${r.out}`);
      // The children see their stdin lifeline close and exit on their own.
      await until(() => pids.every((pid) => !alive(pid)), 15_000, "worker processes exited");
    } finally {
      for (const pid of pids.filter(alive)) process.kill(pid, "SIGKILL");
    }
  });
});

/** Whether a process with this pid exists (signal 0 probes without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
