/**
 * Work stealing on a real local cluster: a map over one input scattered to one worker piles
 * onto that worker (with fanOutByLoad off); with stealing the idle worker takes part of it, and
 * the results are right. With fanOutByLoad on (the default) the map spreads when placed.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { Client } from "../../src/index.js";
import { killAll, startScheduler, startWorker, until } from "./cluster-harness.js";

type Story = { from: string; to: string; note?: string }[];

async function mapOverScattered(workStealing: boolean, fanOutByLoad = false) {
  await using client = await Client.connect({
    workers: 2,
    setAsDefault: false,
    schedulerConfig: { validate: true, workStealing, workStealingInterval: 0.02, fanOutByLoad },
  });
  const [w0] = client.workers().map((w) => w.id);
  // An array gives Futures (a single Future would be awaited away: it is a thenable).
  const x = client.scatter([1000], { workers: [w0!] })[0]!;
  const n = 20;
  const futures = client.map(
    async (base: number, i: number) => {
      await new Promise((r) => setTimeout(r, 50));
      return [(await import("node:worker_threads")).threadId, base + i] as const;
    },
    Array.from({ length: n }, () => x),
    Array.from({ length: n }, (_, i) => i),
  );
  const results = await client.gather(futures);
  const stories = (await Promise.all(futures.map((f) => client.story(f.key)))) as Story[];
  return { results, stories, n };
}

test("a map over data on one worker spreads to the idle one, with the right results", {
  timeout: 30_000,
}, async () => {
  const { results, stories, n } = await mapOverScattered(true);
  assert.deepEqual(
    results.map(([, v]) => v),
    Array.from({ length: n }, (_, i) => 1000 + i),
  );
  const threads = new Set(results.map(([id]) => id));
  assert.equal(threads.size, 2, "both workers ran some of the map");
  const stolen = stories.filter((st) => st.some((r) => r.note?.startsWith("stolen from")));
  assert.ok(stolen.length > 0, "the scheduler's story records the steals");
});

test("without work stealing the same map stays on the worker holding the data", {
  timeout: 30_000,
}, async () => {
  const { results, stories } = await mapOverScattered(false);
  assert.equal(new Set(results.map(([id]) => id)).size, 1);
  assert.ok(stories.every((st) => st.every((r) => r.note === undefined)));
});

test("with fanOutByLoad (the default) the map over a small scattered input spreads when placed", {
  timeout: 30_000,
}, async () => {
  const { results, stories, n } = await mapOverScattered(false, true);
  assert.deepEqual(
    results.map(([, v]) => v),
    Array.from({ length: n }, (_, i) => 1000 + i),
  );
  assert.equal(new Set(results.map(([id]) => id)).size, 2, "both workers ran some of the map");
  assert.ok(
    stories.every((st) => st.every((r) => r.note === undefined)),
    "nothing was stolen",
  );
});

/**
 * CPU-bound tasks on a network cluster (a `barn scheduler` and two `barn worker` processes): a
 * map of 200 ms busy loops over one 800 KB input scattered to one worker. The worker's thread
 * is busy for the whole run, so it must still hear steal requests between tasks and report
 * each task's duration as it finishes (the scheduler steals only tasks it knows to be long).
 */
describe("stealing CPU-bound tasks between barn worker processes", { timeout: 90_000 }, () => {
  after(killAll);

  test("both workers run part of a map of 200 ms busy loops over data on one of them", async () => {
    const env = { BARN_TOKEN: "stealing-test-token-3c9e" };
    const s = await startScheduler([], env);
    await startWorker(s.address, ["--name", "a"], env);
    await startWorker(s.address, ["--name", "b"], env);
    const client = await Client.connect(s.address, { token: env.BARN_TOKEN, setAsDefault: false });
    try {
      await until(() => client.workers().length === 2, 20_000, "2 workers");
      const input = new Float64Array(100_000).fill(1); // 800 KB
      const [x] = await client.scatter([input], { workers: ["a"] });
      const futures = client.map(
        (data: Float64Array, i: number) => {
          const end = Date.now() + 200;
          while (Date.now() < end) {}
          return [process.pid, data.length + i] as const;
        },
        Array.from({ length: 10 }, () => x!),
        Array.from({ length: 10 }, (_, i) => i),
      );
      const results = await client.gather(futures);
      assert.deepEqual(
        results.map(([, v]) => v),
        Array.from({ length: 10 }, (_, i) => 100_000 + i),
      );
      const perWorker = new Map<number, number>();
      for (const [pid] of results) perWorker.set(pid, (perWorker.get(pid) ?? 0) + 1);
      assert.equal(perWorker.size, 2, "both worker processes ran some of the map");
      // Placement alone gives the idle worker one or two; the rest must come from steals.
      for (const n of perWorker.values())
        assert.ok(n >= 3, `unbalanced: ${[...perWorker.values()]}`);
    } finally {
      await client.close();
    }
  });
});
