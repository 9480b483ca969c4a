/**
 * What goes wrong, on a real local cluster: task errors keep their message, key and remote
 * stack; retries; a worker thread that crashes mid-task is replaced and its task re-run; a task
 * that keeps killing workers errs with KilledWorker; cancellation; closures that cannot ship.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  BarnError,
  CancelledError,
  Client,
  ErrorCodes,
  KilledWorkerError,
  ShippingError,
  TaskError,
} from "../../src/index.js";

describe("failures on the local cluster", () => {
  let client: Client;
  before(async () => {
    client = await Client.connect({
      workers: 2,
      setAsDefault: false,
      schedulerConfig: { allowedFailures: 1, validate: true },
    });
  });
  after(async () => {
    await client.close();
  });

  test("a task that throws rejects with the original message, the key and the worker stack", async () => {
    const f = client.submit(function explode(x: number): number {
      throw new RangeError(`bad value ${x}`);
    }, 7);
    const err = await f.then(
      () => assert.fail("should reject"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TaskError);
    assert.equal(err.code, ErrorCodes.TASK_FAILED);
    assert.equal(err.message, "bad value 7");
    assert.equal(err.key, f.key);
    assert.equal(err.originalName, "RangeError");
    assert.match(err.remoteStack ?? "", /explode/);
    assert.equal(f.status, "error");
    // Dependents fail with the same error; the cluster keeps serving.
    const g = client.submit((x: number) => x + 1, f);
    await assert.rejects(g.result(), (e: unknown) => e instanceof TaskError && e.key === f.key);
    assert.equal(await client.submit((x: number) => x * 2, 21), 42);
  });

  test("retries re-run a failing task", async () => {
    const flaky = client.with({ retries: 3 }).submit(
      async (dir: string) => {
        const fs = await import("node:fs");
        const path = await import("node:path");
        const marker = path.join(dir, "attempts");
        const n = fs.existsSync(marker) ? Number(fs.readFileSync(marker, "utf8")) : 0;
        fs.writeFileSync(marker, String(n + 1));
        if (n < 2) throw new Error(`attempt ${n} fails`);
        return n;
      },
      mkdtempSync(join(tmpdir(), "barn-retry-")),
    );
    assert.equal(await flaky, 2);
    const noRetry = client.submit(() => {
      throw new Error("always");
    });
    await assert.rejects(noRetry.result(), /always/);
  });

  test("a worker thread that dies mid-task is replaced and the task re-run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "barn-crash-"));
    const inputs = client.map((x: number) => x * 10, [1, 2, 3, 4]);
    const crashOnce = client.submit(
      async (d: string, xs: number[]) => {
        const fs = await import("node:fs");
        const marker = `${d}/crashed`;
        if (!fs.existsSync(marker)) {
          fs.writeFileSync(marker, "1");
          process.exit(3);
        }
        return xs.reduce((a, b) => a + b, 0);
      },
      dir,
      inputs as unknown as number[],
    );
    assert.equal(await crashOnce, 100);
    for (let i = 0; i < 100 && client.workers().length < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(client.workers().length, 2, "the dead worker was replaced");
    assert.deepEqual(await client.gather(inputs), [10, 20, 30, 40]);
  });

  test("a task that keeps killing workers errs with KilledWorker", async () => {
    const f = client.submit(() => {
      process.exit(4);
    });
    const err = await f.then(
      () => assert.fail("should reject"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof KilledWorkerError, String(err));
    assert.equal((err as BarnError).code, ErrorCodes.KILLED_WORKER);
    assert.match((err as Error).message, new RegExp(f.key));
    assert.equal(await client.submit(() => "still serving"), "still serving");
  });

  test("cancel rejects the future and its dependents", async () => {
    const slow = client.submit(async () => {
      await new Promise((r) => setTimeout(r, 2000));
      return 1;
    });
    const dep = client.submit((x: number) => x + 1, slow);
    await new Promise((r) => setTimeout(r, 50));
    await slow.cancel();
    await assert.rejects(slow.result(), (e: unknown) => e instanceof CancelledError);
    await assert.rejects(dep.result(), (e: unknown) => e instanceof CancelledError);
    assert.equal(slow.status, "cancelled");
    assert.equal(await client.submit(() => 5), 5);
  });

  test("a closure that cannot ship fails at submit time naming the captured variable", () => {
    const threshold = 0.5;
    assert.throws(
      () => client.submit((x: number) => x > threshold, 1),
      (e: unknown) =>
        e instanceof ShippingError &&
        e.code === ErrorCodes.FUNCTION_NOT_SHIPPABLE &&
        e.captured.includes("threshold") &&
        /pass it as an argument/i.test(e.message) &&
        /tasks\(import\.meta\.url/.test(e.message),
    );
  });

  test("something that is not a function is refused with a clear code", () => {
    assert.throws(
      () => client.submit(42 as unknown as () => number),
      (e: unknown) => e instanceof BarnError && e.code === ErrorCodes.GRAPH_NOT_A_FUNCTION,
    );
  });

  test("bad options name the option", () => {
    assert.throws(
      () => client.with({ retries: -1 }),
      (e: unknown) =>
        e instanceof BarnError &&
        e.code === ErrorCodes.INVALID_OPTION &&
        /retries/.test((e as Error).message),
    );
  });
});
