/**
 * Placement policies on a real local cluster: restrictions to named workers, abstract
 * resources, and user priorities.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { BarnError, Client, ErrorCodes } from "../../src/index.js";

test("restricted tasks run only on the named worker", async () => {
  await using client = await Client.connect({
    workers: 3,
    setAsDefault: false,
    schedulerConfig: { validate: true },
  });
  const [w0] = client.workers().map((w) => w.name);
  const pinned = client
    .with({ workers: [w0!] })
    .map(async (_: number) => (await import("node:worker_threads")).threadId, [1, 2, 3, 4, 5, 6]);
  const ids = new Set(await client.gather(pinned));
  assert.equal(ids.size, 1, "every pinned task ran on the same worker thread");
});

test("tasks that need a resource wait for a worker that declares it, and respect its amount", async () => {
  await using client = await Client.connect({
    workers: 2,
    resources: { GPU: 1 },
    setAsDefault: false,
    schedulerConfig: { validate: true },
  });
  // Each worker has one GPU: at most one GPU task runs at a time per worker.
  const spans = await client.gather(
    client.with({ resources: { GPU: 1 } }).map(
      async (ms: number) => {
        const id = (await import("node:worker_threads")).threadId;
        const start = performance.now() + performance.timeOrigin;
        await new Promise((r) => setTimeout(r, ms));
        return [id, start, performance.now() + performance.timeOrigin] as const;
      },
      [30, 30, 30, 30],
    ),
  );
  for (const [id, s, e] of spans) {
    for (const [id2, s2, e2] of spans) {
      if (id === id2 && s !== s2)
        assert.ok(e <= s2 || e2 <= s, "two GPU tasks overlapped on one worker");
    }
  }
  // A task needing more than any worker has stays pending (no-worker), it does not fail.
  const greedy = client.with({ resources: { GPU: 2 } }).submit(() => 1);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(greedy.status, "pending");
  await greedy.cancel();
});

test("higher user priority runs first when workers are busy", async () => {
  await using client = await Client.connect({
    workers: 1,
    setAsDefault: false,
    schedulerConfig: { validate: true },
  });
  const sleepSeq = async (ms: number) => {
    await new Promise((r) => setTimeout(r, ms));
    const g = globalThis as { __barnSeq?: number };
    g.__barnSeq = (g.__barnSeq ?? 0) + 1;
    return g.__barnSeq;
  };
  await client.submit(sleepSeq, 0);
  const low = client.map(
    sleepSeq,
    Array.from({ length: 20 }, () => 10),
  );
  await new Promise((r) => setTimeout(r, 30));
  const high = client.with({ priority: 100 }).submit(sleepSeq, 10);
  const highSeq = await high;
  const lowSeqs = await client.gather(low);
  const laterLow = lowSeqs.filter((s) => s > highSeq).length;
  assert.ok(laterLow >= 10, `the high-priority task ran after ${20 - laterLow} of 20 low ones`);
});

test("a task no worker can run is warned about at once and errs after noWorkerTimeout", {
  timeout: 30_000,
}, async () => {
  // The scheduler runs in this process (threads): its warnings go to this process's stderr.
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    lines.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    await using client = await Client.connect({
      workers: 2,
      resources: { GPU: 1 },
      setAsDefault: false,
      schedulerConfig: { validate: true, noWorkerTimeout: 1 },
    });
    const greedy = client.with({ resources: { GPU: 2 } }).submit(() => 1);
    const noted = (story: { note?: string }[]) =>
      story.some((r) => /no worker can run it: it needs resources \{GPU: 2\}/.test(r.note ?? ""));
    let story: { note?: string }[] = [];
    for (let i = 0; i < 50 && !noted(story); i++) {
      await new Promise((r) => setTimeout(r, 10));
      story = (await client.story(greedy.key)) as { note?: string }[];
    }
    assert.ok(noted(story), JSON.stringify(story));
    await assert.rejects(
      greedy.result(),
      (e: unknown) =>
        e instanceof BarnError &&
        e.code === ErrorCodes.NO_VALID_WORKER &&
        /GPU: 2.*the workers offer: .*\{GPU: 1\}/.test(e.message),
    );
    const warned = lines.filter((l) => l.includes('"level":"warn"') && l.includes(greedy.key));
    assert.equal(warned.length, 1, lines.join(""));
    // The cluster still runs what it can.
    assert.equal(await client.with({ resources: { GPU: 1 } }).submit(() => 2), 2);
  } finally {
    process.stderr.write = write;
  }
});
