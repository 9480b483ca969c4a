import assert from "node:assert/strict";
import { test } from "node:test";
import { computes, finished, graph, placed, release, scheduler, task, worker } from "./helpers.js";

const roots = (n: number, opts: { group?: string; reverse?: boolean } = {}) =>
  Array.from({ length: n }, (_, i) =>
    task(`r${i}`, [], { order: opts.reverse ? n - i : i, group: opts.group ?? "r" }),
  );

test("root tasks: only the saturation count is sent, more as they finish, in priority order", () => {
  // ceil(1 thread * 1.1) = 2 per worker; the duration term is off (targetQueueSeconds 0).
  const s = scheduler({ targetQueueSeconds: 0 });
  s.handle([worker("a"), worker("b")]);
  // Submitted in reverse priority order: r99 has order 1, the highest priority.
  const tasks = roots(100, { reverse: true });
  const out = s.handle([
    graph(
      tasks,
      tasks.map((t) => t.key),
    ),
  ]);
  const first = computes(out);
  assert.deepEqual(
    first.map((c) => c.key),
    ["r99", "r98", "r97", "r96"],
  );
  assert.deepEqual(
    first.map((c) => c.worker),
    ["a", "b", "a", "b"],
  );
  assert.equal(s.counts().queued, 96);
  assert.equal(s.counts().processing, 4);

  // One finishes on b: exactly one more goes to b, the next in priority order.
  const next = s.handle([finished("b", "r98")]);
  assert.deepEqual(placed(next), ["r95@b"]);

  // Drain everything, always finishing whatever was sent; priority order never breaks.
  const sent: string[] = ["r99", "r98", "r97", "r96", "r95"];
  let running = new Map<string, string>([
    ["r99", "a"],
    ["r97", "a"],
    ["r96", "b"],
    ["r95", "b"],
  ]);
  while (running.size > 0) {
    const [key, w] = running.entries().next().value as [string, string];
    running.delete(key);
    for (const c of computes(s.handle([finished(w, key)]))) {
      sent.push(c.key);
      running.set(c.key, c.worker);
    }
    const perWorker = s.workers().map((x) => x.processing);
    assert.ok(
      perWorker.every((p) => p <= 2),
      `saturated at 2: ${perWorker}`,
    );
    running = new Map(running);
  }
  assert.deepEqual(sent, tasks.map((t) => t.key).reverse());
  assert.equal(s.counts().memory, 100);
  s.handle([release(tasks.map((t) => t.key))]);
  assert.equal(s.size, 0);
});

test("saturation grows with short measured durations, capped by maxTasksPerThread", () => {
  const s = scheduler({
    targetQueueSeconds: 0.01,
    unknownTaskDuration: 0.005,
    maxTasksPerThread: 8,
  });
  s.handle([worker("a", 2)]);
  const tasks = roots(100, { group: "inc" });
  // unknown duration: max(ceil(2 * 1.1), floor(2 * 0.01 / 0.005)) = max(3, 4) = 4
  const out = s.handle([
    graph(
      tasks,
      tasks.map((t) => t.key),
    ),
  ]);
  assert.equal(computes(out).length, 4);
  // one finished in 0.001 s: floor(2 * 0.01 / 0.001) = 20, capped at 2 * 8 = 16
  const more = s.handle([finished("a", "r0", 8, 0.001)]);
  assert.equal(computes(more).length, 13);
  assert.equal(s.workers()[0]!.processing, 16);
});

test("the duration estimate is a moving average per group", () => {
  const s = scheduler({ targetQueueSeconds: 0.01, unknownTaskDuration: 0.01, workerSaturation: 1 });
  s.handle([worker("a", 1)]);
  const slow = roots(3, { group: "slow" }).map((t) => ({ ...t, key: `s-${t.key}` }));
  const out = s.handle([
    graph(
      slow,
      slow.map((t) => t.key),
    ),
  ]);
  assert.deepEqual(placed(out), ["s-r0@a"]);
  // 0.02 s: floor(0.01 / 0.02) = 0, so the floor of 1 (workerSaturation) holds
  assert.deepEqual(placed(s.handle([finished("a", "s-r0", 8, 0.02)])), ["s-r1@a"]);
  // average (0.02 + 0.002) / 2 = 0.011: still 1 at a time
  assert.deepEqual(placed(s.handle([finished("a", "s-r1", 8, 0.002)])), ["s-r2@a"]);
  const fast = roots(20, { group: "fast" }).map((t) => ({ ...t, key: `f-${t.key}` }));
  // the fast group has no estimate yet: unknownTaskDuration 0.01 -> 1 slot, taken by s-r2
  assert.deepEqual(
    computes(
      s.handle([
        graph(
          fast,
          fast.map((t) => t.key),
        ),
      ]),
    ),
    [],
  );
  // s-r2 done; f-r0 placed; it finishes in 0.001 s -> floor(0.01 / 0.001) = 10 slots
  assert.deepEqual(placed(s.handle([finished("a", "s-r2", 8, 0.001)])), ["f-r0@a"]);
  assert.equal(computes(s.handle([finished("a", "f-r0", 8, 0.001)])).length, 10);
});

test("user priority runs first, across submissions; generation breaks ties FIFO", () => {
  const s = scheduler({ targetQueueSeconds: 0 });
  s.handle([worker("a")]);
  const low = roots(4).map((t) => ({ ...t, key: `low-${t.key}` }));
  const high = roots(2).map((t) => ({ ...t, key: `high-${t.key}`, priority: 10 }));
  const later = roots(2).map((t) => ({ ...t, key: `later-${t.key}` }));
  s.handle([
    graph(
      low,
      low.map((t) => t.key),
    ),
  ]); // low-r0, low-r1 sent
  s.handle([
    graph(
      high,
      high.map((t) => t.key),
    ),
  ]);
  s.handle([
    graph(
      later,
      later.map((t) => t.key),
    ),
  ]);
  const order: string[] = [];
  const running = ["low-r0", "low-r1"];
  while (running.length > 0) {
    const key = running.shift()!;
    const c = computes(s.handle([finished("a", key)]));
    for (const x of c) {
      order.push(x.key);
      running.push(x.key);
    }
  }
  assert.deepEqual(order, ["high-r0", "high-r1", "low-r2", "low-r3", "later-r0", "later-r1"]);
  const ct = computes(s.handle([graph([task("p", [], { priority: 5 })], ["p"])]))[0];
  assert.deepEqual(ct?.priority, [-5, 4, 0]);
});

test("queued tasks wait for a worker to join, then fill it", () => {
  const s = scheduler({ targetQueueSeconds: 0 });
  const tasks = roots(5);
  assert.deepEqual(
    s.handle([
      graph(
        tasks,
        tasks.map((t) => t.key),
      ),
    ]),
    [],
  );
  assert.equal(s.counts().queued, 5);
  assert.deepEqual(placed(s.handle([worker("a", 2)])), ["r0@a", "r1@a", "r2@a"]);
  assert.deepEqual(placed(s.handle([worker("b", 1)])), ["r3@b", "r4@b"]);
});

test("releasing a queued task takes it off the queue", () => {
  const s = scheduler({ targetQueueSeconds: 0 });
  s.handle([worker("a")]);
  const tasks = roots(6);
  s.handle([
    graph(
      tasks,
      tasks.map((t) => t.key),
    ),
  ]);
  assert.equal(s.taskState("r3"), "queued");
  assert.deepEqual(s.handle([release(["r2", "r3"])]), []);
  assert.equal(s.taskState("r3"), "forgotten");
  assert.deepEqual(placed(s.handle([finished("a", "r0")])), ["r4@a"]);
});

test("tasks with dependencies are not queued: they go to a worker at once", () => {
  const s = scheduler({ targetQueueSeconds: 0, speculativeAssignment: false });
  s.handle([worker("a")]);
  const tasks = [task("x"), ...Array.from({ length: 10 }, (_, i) => task(`d${i}`, ["x"]))];
  s.handle([
    graph(
      tasks,
      tasks.slice(1).map((t) => t.key),
    ),
  ]);
  const out = s.handle([finished("a", "x")]);
  assert.equal(computes(out).length, 10);
  assert.equal(s.workers()[0]!.processing, 10);
});
