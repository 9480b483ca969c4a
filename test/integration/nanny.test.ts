/**
 * The nanny (issue 11): a worker process past 125% of its memory limit is restarted, its task
 * runs again elsewhere (here: on the restarted worker), and a task that always allocates past
 * the limit ends with KilledWorker after the allowed retries; the cluster keeps working. Also
 * `barn worker` runs under a nanny by default: killing the worker process gets it started again.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { processClusters } from "../../src/client/process-backend.js";
import type { LocalBackend } from "../../src/deploy/local-backend.js";
import { BarnError, Client, ErrorCodes } from "../../src/index.js";
import { killAll, startScheduler, startWorker, until, WITH_NANNY } from "./cluster-harness.js";

const dir = mkdtempSync(join(tmpdir(), "barn-nanny-it-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Allocates `mib` MiB of typed arrays outside the V8 heap (so the heap limit does not stop it;
 * only the nanny can), touching every page, and holds them for 5 s. With a `marker` file it
 * does so only on its first attempt (it creates the file first): a retry returns at once.
 */
async function hog(mib: number, marker: string | null): Promise<string> {
  const fs = await import("node:fs");
  if (marker !== null) {
    if (fs.existsSync(marker)) return "second attempt";
    fs.writeFileSync(marker, "x");
  }
  const held: Float64Array[] = [];
  for (let i = 0; i < mib / 16; i++) held.push(new Float64Array(2 * 2 ** 20).fill(i));
  const until = Date.now() + 5_000;
  while (Date.now() < until) {
    /* hold the memory: the nanny polls every 100 ms */
  }
  return `held ${held.length}`;
}

describe("the nanny", { concurrency: false }, () => {
  test("processes: a task past the limit gets its worker restarted; it completes on the retry, and one that always does ends with KilledWorker", {
    timeout: 120_000,
  }, async () => {
    const c = await Client.connect({
      processes: true,
      workers: 1,
      memoryLimit: "200MiB",
      schedulerConfig: { allowedFailures: 1 },
      setAsDefault: false,
    });
    try {
      const cluster = processClusters.get(c.backend as LocalBackend)!;
      const first = cluster.pids()[0];
      const marker = join(dir, "once");
      assert.equal(await c.submit(hog, 600, marker).result(), "second attempt");
      assert.ok(existsSync(marker));
      assert.ok(cluster.restarts >= 1, "the worker was restarted");
      assert.notEqual(cluster.pids()[0], first, "a new worker process");
      await assert.rejects(
        c.submit(hog, 600, null).result(),
        (e: unknown) => e instanceof BarnError && e.code === ErrorCodes.KILLED_WORKER,
      );
      // The scheduler may hear of the last death before this process sees the child exit.
      await until(() => cluster.restarts >= 3, 10_000, "three restarts");
      // And the cluster keeps working.
      await until(() => c.workers().length === 1, 30_000, "a worker back");
      assert.equal(await c.submit((x: number) => x + 1, 1).result(), 2);
    } finally {
      await c.close();
    }
  });

  test("barn worker runs under a nanny by default: its worker process killed, another registers under the same name", {
    timeout: 90_000,
  }, async () => {
    const ENV = { BARN_TOKEN: "nanny-test-token-3f9a1c2e7b" };
    const s = await startScheduler([], ENV);
    await startWorker(s.address, ["--name", "kept", WITH_NANNY], ENV);
    const c = await Client.connect(s.address, { token: ENV.BARN_TOKEN, setAsDefault: false });
    try {
      await until(() => c.workers().length === 1, 20_000, "one worker");
      const pid = await c.submit(() => process.pid).result();
      process.kill(pid, "SIGKILL");
      // A different task (not the same key as the first), run by whichever process is "kept" now.
      const again = await c.submit((n: number) => process.pid + n, 0).result();
      assert.notEqual(again, pid, "a new worker process");
      await until(() => c.workers().length === 1, 30_000, "one worker");
      assert.equal(c.workers()[0]!.name, "kept");
    } finally {
      await c.close();
      await killAll();
    }
  });
});
