/**
 * The diagnostics layer on real clusters: every finished task, erred task, transfer, worker
 * join and resource sample reaches the named channels in the scheduler's process, from worker
 * threads and from worker processes alike.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type ChannelEvents,
  subscribe,
  type TaskFinishedEvent,
} from "../../src/diagnostics/channels.js";
import { Client } from "../../src/index.js";

async function until(ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Collects every event of every channel while `fn` runs. */
function recorder() {
  const seen: { [K in keyof ChannelEvents]: ChannelEvents[K][] } = {
    taskFinished: [],
    tasksFinished: [],
    taskErred: [],
    transfer: [],
    workerAdded: [],
    workerRemoved: [],
    workerSample: [],
    schedulerBatch: [],
    profile: [],
  };
  const offs = (Object.keys(seen) as (keyof ChannelEvents)[]).map((name) =>
    subscribe(name, (e) => (seen[name] as unknown[]).push(e)),
  );
  return {
    seen,
    stop: () => {
      for (const off of offs) off();
    },
  };
}

for (const processes of [false, true]) {
  describe(`diagnostics channels on the ${processes ? "process" : "thread"} cluster`, () => {
    test("tasks, errors, transfers, joins and samples are published", {
      timeout: 60_000,
    }, async () => {
      const rec = recorder();
      const client = await Client.connect({ workers: 2, processes, setAsDefault: false });
      try {
        const [w1, w2] = client.workers();
        assert.ok(w1 !== undefined && w2 !== undefined);
        function square(x: number): number {
          return x * x;
        }
        const xs = Array.from({ length: 200 }, (_, i) => i);
        const t0 = Date.now();
        const out = await client.gather(client.map(square, xs));
        assert.equal(out.length, 200);
        // A task on one worker whose input lives on the other: one peer transfer.
        function make(): number[] {
          return [1, 2, 3];
        }
        const a = client.with({ workers: [w1.id] }).submit(make);
        const sum = (v: number[]) => v.reduce((p, q) => p + q, 0);
        assert.equal(await client.with({ workers: [w2.id] }).submit(sum, a), 6);
        const bad = client.submit(function explode(): never {
          throw new Error("boom");
        });
        await assert.rejects(Promise.resolve(bad), /boom/);
        await until(() => rec.seen.workerSample.length >= 2);
        const squares = rec.seen.taskFinished.filter((e) => e.group === "square");
        assert.equal(squares.length, 200, "one finished event per task");
        const workers = new Set(squares.map((e: TaskFinishedEvent) => e.worker));
        assert.ok([...workers].every((w) => w === w1.id || w === w2.id));
        for (const e of squares) {
          assert.ok(e.start <= e.stop, "start before stop");
          assert.ok(e.stop >= t0 - 1000 && e.stop <= Date.now() + 1000, "epoch milliseconds");
          assert.ok(e.nbytes > 0);
        }
        // The batch channel carries the same facts, a report at a time.
        const batched = rec.seen.tasksFinished.flatMap((b) =>
          b.keys.map((key, i) => ({
            scheduler: b.scheduler,
            worker: b.worker,
            key,
            group: b.groups[i],
            start: b.start[i],
            stop: b.stop[i],
            nbytes: b.nbytes[i],
          })),
        );
        assert.deepEqual(
          batched.filter((e) => e.group === "square"),
          squares.map((e) => ({ ...e })),
        );
        const erred = rec.seen.taskErred.filter((e) => e.group === "explode");
        assert.equal(erred.length, 1);
        assert.match(erred[0]!.error.message, /boom/);
        assert.match(erred[0]!.error.stack ?? "", /explode/);
        assert.ok(
          rec.seen.transfer.some((t) => t.worker === w2.id && t.peer === w1.id && t.keys === 1),
          `a transfer from ${w1.id} to ${w2.id}: ${JSON.stringify(rec.seen.transfer)}`,
        );
        assert.equal(rec.seen.workerAdded.length >= 2, true);
        const sample = rec.seen.workerSample[0]!;
        assert.ok(sample.heap > 0 && sample.cpu >= 0 && sample.cpu <= 1);
        assert.ok(rec.seen.schedulerBatch.length > 0);
        const scheduler = squares[0]!.scheduler;
        assert.ok(rec.seen.taskErred.every((e) => e.scheduler === scheduler));
      } finally {
        await client.close();
        rec.stop();
      }
    });
  });
}
