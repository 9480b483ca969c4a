/**
 * The Client against both schedulers: the same calls give the same answers inline (sync) and
 * on a real local cluster of worker threads.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { asCompleted, Client, delayed, Future, wait } from "../../src/index.js";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

async function until(ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

for (const scheduler of ["sync", "threads"] as const) {
  describe(`client on the ${scheduler} scheduler`, () => {
    let client: Client;
    before(async () => {
      client = await Client.connect({
        scheduler,
        workers: 2,
        setAsDefault: false,
        schedulerConfig: { validate: true },
      });
    });
    after(async () => {
      await client.close();
    });

    test("submit returns an awaitable future with key and status", async () => {
      const f = client.submit((x: number) => x + 1, 41);
      assert.match(f.key, /^lambda-/);
      assert.equal(await f, 42);
      assert.equal(f.status, "finished");
      assert.equal(await f.result(), 42);
    });

    test("map and gather keep order; several iterables are zipped", async () => {
      const xs = Array.from({ length: 500 }, (_, i) => i);
      const got = await client.gather(client.map((x: number) => x * x, xs));
      assert.deepEqual(
        got,
        xs.map((x) => x * x),
      );
      const sums = await client.gather(
        client.map((a: number, b: number) => a + b, [1, 2, 3], [10, 20, 30]),
      );
      assert.deepEqual(sums, [11, 22, 33]);
    });

    test("futures as arguments, nested in arrays and objects", async () => {
      const a = client.submit(() => 2);
      const b = client.submit(() => 3);
      const c = client.submit((x: number, y: number) => x * y, a, b);
      const d = client.submit(
        (o: { xs: number[]; k: number }) => o.xs.reduce((s, v) => s + v, 0) * o.k,
        { xs: [a, b, c] as unknown as number[], k: 10 },
      );
      assert.equal(await d, (2 + 3 + 6) * 10);
      const g = await client.gather({ a, list: [b, c], plain: 7 });
      assert.deepEqual(g, { a: 2, list: [3, 6], plain: 7 });
    });

    test("async task functions are awaited", async () => {
      const f = client.submit(async (x: number) => {
        await new Promise((r) => setTimeout(r, 5));
        return x * 2;
      }, 21);
      assert.equal(await f, 42);
    });

    test("a function that imports what it needs inside its body ships", async () => {
      const f = client.submit(
        async (p: string) => (await import("node:path")).basename(p),
        "/a/b/c.txt",
      );
      assert.equal(await f, "c.txt");
    });

    test("typed arrays come back intact", async () => {
      const f = client.submit((n: number) => {
        const a = new Float64Array(n);
        for (let i = 0; i < n; i++) a[i] = i * 0.5;
        return a;
      }, 100_000);
      const a = await f;
      assert.ok(a instanceof Float64Array);
      assert.equal(a.length, 100_000);
      assert.equal(a[99_999], 99_999 * 0.5);
      const sum = client.submit((x: Float64Array) => x.reduce((s, v) => s + v, 0), f);
      assert.equal(await sum, (0.5 * 99_999 * 100_000) / 2);
    });

    test("scatter places data and tasks can use it", async () => {
      const big = new Int32Array(1000).fill(3);
      const fut = client.scatter(big);
      assert.ok(fut instanceof Future, "scatter of one value gives its Future, synchronously");
      const many = client.scatter([1, 2, 3]);
      assert.equal(many.length, 3);
      const total = client.submit(
        (a: Int32Array, xs: number[]) => a.reduce((s, v) => s + v, 0) + xs.length,
        fut,
        many as unknown as number[],
      );
      assert.equal(await total, 3000 + 3);
      assert.deepEqual(await client.gather(many), [1, 2, 3]);
    });

    test("delayed builds a graph that computes on this client", async () => {
      const inc = delayed((x: number) => x + 1);
      const add = delayed((a: number, b: number) => a + b);
      const shared = inc(1);
      const total = add(add(shared, shared), inc(shared));
      assert.equal(total.graph().size, 4);
      assert.equal(await total.compute({ client }), 2 + 2 + 3);
      const kept = total.persist({ client });
      assert.ok(kept instanceof Future, "persist gives the Future, not its value");
      assert.equal(await kept, 7);
      assert.equal(await total.persist({ client }), 7, "awaiting persist() awaits the Future");
      const sum = delayed((xs: number[]) => xs.reduce((a, b) => a + b, 0));
      assert.equal(await sum([inc(1), inc(2), delayed(10)]).compute({ client }), 2 + 3 + 10);
    });

    test("delayed chains are fused and still give the right answer", async () => {
      const inc = delayed((x: number) => x + 1);
      let d = inc(0);
      for (let i = 0; i < 50; i++) d = inc(d);
      assert.equal(await d.compute({ client }), 51);
    });

    test("asCompleted yields every future once, in completion order", async () => {
      const fs = client.map(
        async (ms: number) => {
          await new Promise((r) => setTimeout(r, ms));
          return ms;
        },
        [30, 1, 15],
      );
      const seen: number[] = [];
      for await (const v of asCompleted(fs)) seen.push(v);
      assert.deepEqual(
        [...seen].sort((a, b) => a - b),
        [1, 15, 30],
      );
      const pairs: number[] = [];
      for await (const [, v] of asCompleted(
        client.map((x: number) => x, [1, 2]),
        { withResults: true },
      ))
        pairs.push(v);
      assert.deepEqual(pairs.sort(), [1, 2]);
    });

    test("wait returns done and not-done sets", async () => {
      const quick = client.submit(() => 1);
      const slow = client.submit(async () => {
        await new Promise((r) => setTimeout(r, 300));
        return 2;
      });
      const first = await wait([quick, slow], { returnWhen: "FIRST_COMPLETED" });
      assert.ok(first.done.includes(quick as Future<number>));
      const all = await wait([quick, slow]);
      assert.equal(all.done.length, 2);
      assert.equal(all.notDone.length, 0);
    });

    test("pure keys deduplicate equal calls", async () => {
      const p = client.with({ pure: true });
      const a = p.submit((x: number) => x * 3, 5);
      const b = p.submit((x: number) => x * 3, 5);
      assert.equal(a.key, b.key);
      assert.equal(await a, 15);
      assert.equal(await b, 15);
    });

    test("released and garbage-collected futures let the cluster forget results", async () => {
      const fs = client.map((x: number) => x * 2, [1, 2, 3]);
      assert.deepEqual(await client.gather(fs), [2, 4, 6]);
      const keys = fs.map((f) => f.key);
      for (const f of fs) f.release();
      await until(() => keys.every((k) => !client.backend.inMemory(k)));
      await assert.rejects(client.gather(fs), /released/);
      // A future nobody references any more is released when it is collected.
      let key = "";
      await (async () => {
        const f = client.submit((x: number) => x + 1, 1);
        key = f.key;
        assert.equal(await f, 2);
      })();
      assert.ok(client.backend.inMemory(key));
      await until(() => {
        collectGarbage();
        return !client.backend.inMemory(key);
      });
    });

    test("a map's results serve later tasks, partial releases and failing elements", async () => {
      const xs = client.map(
        (x: number) => {
          if (x === 3) throw new Error("three");
          return x * 10;
        },
        [1, 2, 3, 4],
      );
      const dependent = client.submit((a: number, b: number) => a + b, xs[0]!, xs[3]!);
      assert.equal(await dependent, 50);
      await assert.rejects(xs[2]!.result(), /three/);
      xs[1]!.release();
      assert.deepEqual(await client.gather([xs[0]!, xs[3]!]), [10, 40]);
      const ys = client.map((x: number) => x + 1, [5, 6, 7]);
      ys[0]!.release();
      assert.deepEqual(await client.gather(ys.slice(1)), [7, 8]);
      assert.equal(await client.submit((y: number) => y * 2, ys[2]!), 16);
    });

    test("futures nobody else references stay alive while awaited, through GCs", {
      timeout: 20_000,
    }, async () => {
      const slow = async (x: number) => {
        await new Promise((r) => setTimeout(r, 150));
        return x * 3;
      };
      const gc = setInterval(collectGarbage, 10);
      try {
        const [single, many] = await Promise.all([
          client.submit(slow, 1).result(),
          client.gather(client.map(slow, [1, 2, 3])),
        ]);
        assert.equal(single, 3);
        assert.deepEqual(many, [3, 6, 9]);
        assert.equal(await client.submit(slow, 5), 15);
      } finally {
        clearInterval(gc);
      }
    });

    test("an explicit key names the task", async () => {
      const f = client.with({ key: `answer-${scheduler}` }).submit(() => 42);
      assert.equal(f.key, `answer-${scheduler}`);
      assert.equal(await f, 42);
    });
  });
}
