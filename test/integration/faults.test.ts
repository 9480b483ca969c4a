/**
 * Faults that must never leave a user waiting or a process behind (issue 16): workers of
 * `processes: true` exit with their client, however it dies; a frozen scheduler fails its
 * clients' futures within the heartbeat bound; a worker refused by a restarted scheduler exits
 * with the documented status 2.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { BarnError, Client, ErrorCodes } from "../../src/index.js";
import { killAll, sleep, startScheduler, startWorker, until } from "./cluster-harness.js";

const TOKEN = "faults-test-token-8d1e4b7a2c9f";
const ENV = { BARN_TOKEN: TOKEN };

/** Is `pid` a live process (a zombie waiting to be reaped counts as gone)? */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return true; // no /proc: kill(0) said it is there
  }
}

/** A client script, run as a child process, that starts a `processes: true` cluster. */
const CLIENT_SCRIPT = `
const { Client } = await import(process.argv[2]);
const { processClusters } = await import(process.argv[3]);
const c = await Client.connect({ processes: true, workers: 2, setAsDefault: false });
if ((await c.submit((x) => x + 1, 1)) !== 2) process.exit(3);
const pids = processClusters.get(c.backend).pids();
process.stdout.write(JSON.stringify(pids) + "\\n");
setInterval(() => {}, 1000);
`;

describe("workers of processes: true exit with their client", { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "barn-faults-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const signal of ["SIGKILL", "SIGTERM"] as const) {
    test(`${signal} of the client process: its worker processes are gone within 15 s`, async () => {
      const script = join(dir, `client-${signal}.mjs`);
      writeFileSync(script, CLIENT_SCRIPT);
      const index = new URL("../../src/index.js", import.meta.url).href;
      const backend = new URL("../../src/client/process-backend.js", import.meta.url).href;
      const child = spawn(process.execPath, [script, index, backend], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let pids: number[] = [];
      try {
        let out = "";
        child.stdout!.setEncoding("utf8");
        child.stdout!.on("data", (d: string) => {
          out += d;
        });
        await until(() => out.includes("\n"), 60_000, "the client script's worker pids");
        pids = JSON.parse(out.split("\n")[0]!) as number[];
        assert.equal(pids.length, 2);
        assert.ok(pids.every(alive), "the workers run");
        child.kill(signal);
        await until(() => !pids.some(alive), 15_000, `worker processes to exit after ${signal}`);
      } finally {
        child.kill("SIGKILL");
        for (const p of pids) if (alive(p)) process.kill(p, "SIGKILL");
      }
    });
  }
});

describe("a frozen scheduler", { timeout: 60_000 }, () => {
  after(killAll);

  test("SIGSTOP: the client's pending future rejects with CONNECTION_LOST within the heartbeat bound", async () => {
    const s = await startScheduler([], ENV);
    const c = await Client.connect(s.address, {
      token: TOKEN,
      setAsDefault: false,
      heartbeatTimeoutMs: 2_000,
    });
    try {
      // No worker: the task stays pending for as long as the scheduler lives.
      const pending = c.submit((x: number) => x + 1, 1);
      await sleep(300);
      s.proc.kill("SIGSTOP");
      const started = Date.now();
      await assert.rejects(
        pending.result(),
        (e: unknown) =>
          e instanceof BarnError &&
          e.code === ErrorCodes.CONNECTION_LOST &&
          /no word from the scheduler/.test(e.message),
      );
      const took = Date.now() - started;
      assert.ok(took < 15_000, `rejected after ${took} ms`);
    } finally {
      s.proc.kill("SIGCONT");
      s.proc.kill("SIGKILL");
      await c.close();
    }
  });

  test("a live but idle scheduler is not declared lost", async () => {
    const s = await startScheduler([], ENV);
    const c = await Client.connect(s.address, {
      token: TOKEN,
      setAsDefault: false,
      heartbeatTimeoutMs: 1_000,
    });
    try {
      const pending = c.submit((x: number) => x + 1, 1);
      let settled = false;
      pending.result().then(
        () => (settled = true),
        () => (settled = true),
      );
      await sleep(3_000);
      assert.equal(settled, false, "pongs keep the connection alive");
      await startWorker(s.address, [], ENV);
      assert.equal(await pending, 2);
    } finally {
      await c.close();
      s.proc.kill("SIGKILL");
    }
  });
});

describe("a worker refused by a restarted scheduler", { timeout: 60_000 }, () => {
  after(killAll);

  test("exits with status 2, as documented for refusals", async () => {
    const first = await startScheduler([], ENV);
    const port = new URL(first.address).port;
    const worker = await startWorker(first.address, [], ENV);
    first.proc.kill("SIGKILL");
    await first.proc.exited;
    await worker.waitFor((r) => r.msg === "lost the scheduler; reconnecting");
    // The same address, another token: the worker's reconnect is refused.
    await startScheduler(["--port", port], { BARN_TOKEN: "another-token-another-token" });
    assert.equal(await worker.exited, 2);
    assert.match(worker.lines.join("\n"), /BARN_AUTH_FAILED|token/i);
  });
});

/** A task that never returns: nothing but a restart takes its thread back. */
const spinForever = (): number => {
  for (;;) {
    // spin
  }
};

/**
 * Cancel a spinning task, then run 20 trivial ones: every one finishes within a bound (the
 * stuck worker is restarted after the grace period and its queued work moves), and the
 * cluster is back to `n` workers that serve.
 */
async function cancelThenRun(c: Client, n: number, newId: boolean): Promise<void> {
  await until(() => c.workers().length === n, 30_000, `${n} workers`);
  const before = new Set(c.workers().map((w) => w.id));
  const spin = c.submit(spinForever);
  await sleep(500); // running by now
  await c.cancel(spin);
  await assert.rejects(spin.result(), (e: unknown) => e instanceof BarnError);
  const started = Date.now();
  const futures = c.map(
    (x: number) => x * 2,
    Array.from({ length: 20 }, (_, i) => i),
  );
  const bound = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error("trivial tasks still pending after 20 s")), 20_000).unref(),
  );
  const results = await Promise.race([c.gather(futures), bound]);
  assert.deepEqual(
    results,
    Array.from({ length: 20 }, (_, i) => i * 2),
  );
  assert.ok(Date.now() - started < 20_000);
  // A thread is replaced by a new worker; a process registers again under its own name.
  await until(
    () => c.workers().length === n && (!newId || c.workers().some((w) => !before.has(w.id))),
    30_000,
    "the stuck worker back",
  );
  // The restarted worker serves too.
  assert.deepEqual(
    await Promise.race([c.gather(c.map((x: number) => x + 1, [1, 2, 3, 4, 5, 6])), bound]),
    [2, 3, 4, 5, 6, 7],
  );
}

describe("cancel of a running CPU-bound task", { timeout: 120_000 }, () => {
  after(killAll);

  test("threads: the stuck worker thread is restarted after the grace period", async () => {
    const c = await Client.connect({
      workers: 2,
      setAsDefault: false,
      schedulerConfig: { cancelGracePeriod: 1 },
    });
    try {
      await cancelThenRun(c, 2, true);
    } finally {
      await c.close();
    }
  });

  test("processes: true: the stuck task thread is restarted after the grace period", async () => {
    const c = await Client.connect({
      processes: true,
      workers: 2,
      setAsDefault: false,
      schedulerConfig: { cancelGracePeriod: 1 },
    });
    try {
      await cancelThenRun(c, 2, false);
    } finally {
      await c.close();
    }
  });

  test("barn scheduler + barn worker: the stuck worker restarts its task thread", async () => {
    const s = await startScheduler(["--cancel-grace-period", "1"], ENV);
    await startWorker(s.address, ["--name", "w1"], ENV);
    await startWorker(s.address, ["--name", "w2"], ENV);
    const c = await Client.connect(s.address, { token: TOKEN, setAsDefault: false });
    try {
      await cancelThenRun(c, 2, false);
      await s.proc.waitFor((r) => r.msg === "restarting worker", 1_000);
    } finally {
      await c.close();
    }
  });
});

/** Allocates until its thread's heap limit kills it. */
const exhaustMemory = (): number => {
  const hog: number[][] = [];
  for (;;) hog.push(new Array<number>(1_000_000).fill(1.5));
};

const saysOutOfMemory = (e: unknown): boolean =>
  e instanceof BarnError && e.code === ErrorCodes.KILLED_WORKER && /out of memory/.test(e.message);

describe("a worker killed for memory", { timeout: 120_000 }, () => {
  test("threads: KilledWorker says out of memory", async () => {
    const c = await Client.connect({
      workers: 1,
      memoryLimit: "64MiB",
      setAsDefault: false,
      schedulerConfig: { allowedFailures: 0 },
    });
    try {
      await assert.rejects(c.submit(exhaustMemory).result(), saysOutOfMemory);
    } finally {
      await c.close();
    }
  });

  test("processes: true: KilledWorker says out of memory, and the worker's log does", async () => {
    const c = await Client.connect({
      processes: true,
      workers: 1,
      memoryLimit: "64MiB",
      setAsDefault: false,
      schedulerConfig: { allowedFailures: 0 },
    });
    try {
      await assert.rejects(c.submit(exhaustMemory).result(), saysOutOfMemory);
    } finally {
      await c.close();
    }
  });

  test("barn worker --memory-limit: the worker logs out of memory and the scheduler says why it died", async () => {
    const s = await startScheduler([], ENV);
    const w = await startWorker(s.address, ["--memory-limit", "64MiB"], ENV);
    const c = await Client.connect(s.address, { token: TOKEN, setAsDefault: false });
    try {
      const f = c.submit(exhaustMemory);
      await w.waitFor((r) => r.msg === "task thread out of memory; worker leaves", 30_000);
      await s.proc.waitFor(
        (r) => r.msg === "worker lost" && /out of memory/.test(String(r.reason)),
        10_000,
      );
      assert.equal(await w.exited, 1);
      void f.result().catch(() => {});
    } finally {
      await c.close();
      await killAll();
    }
  });
});
