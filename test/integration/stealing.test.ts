/**
 * Work stealing on a real local cluster: a map over one input scattered to one worker piles
 * onto that worker (with fanOutByLoad off); with stealing the idle worker takes part of it, and
 * the results are right. With fanOutByLoad on (the default) the map spreads when placed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Client } from "../../src/index.js";

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
