/** A worker paused for memory: placement and the root-task queue go elsewhere (worker-paused). */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SchedulerEvent } from "../../../src/scheduler/protocol.js";
import { finished, graph, placed, scheduler, task, worker } from "./helpers.js";

let n = 0;
const paused = (w: string, p: boolean): SchedulerEvent => ({
  type: "worker-paused",
  stimulusId: `mem-${++n}`,
  worker: w,
  paused: p,
});

test("queued root tasks go only to running workers, and to a paused one once it resumes", () => {
  const s = scheduler({ workerSaturation: 1 });
  s.handle([worker("a"), worker("b"), paused("a", true)]);
  const roots = Array.from({ length: 200 }, (_, i) => task(`r${i}`));
  const out = s.handle([
    graph(
      roots,
      roots.map((t) => t.key),
    ),
  ]);
  assert.ok(placed(out).length > 0 && placed(out).length < 200, "the rest wait in the queue");
  assert.ok(
    placed(out).every((p) => p.endsWith("@b")),
    placed(out).join(" "),
  );
  const resumed = placed(s.handle([paused("a", false)]));
  assert.ok(resumed.length > 0 && resumed.every((p) => p.endsWith("@a")), resumed.join(" "));
  assert.equal(s.workers().find((w) => w.id === "a")?.paused, false);
});

test("a dependent goes to a running worker rather than the paused holder of its input", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b")]);
  s.handle([graph([task("x", [], { workers: ["a"] })], ["x"])]);
  s.handle([finished("a", "x", 1000)]);
  s.handle([paused("a", true)]);
  assert.deepEqual(placed(s.handle([graph([task("y", ["x"])], ["y"])])), ["y@b"]);
});

test("every worker paused: the task still gets one (no no-worker warning) and waits there", () => {
  const s = scheduler();
  s.handle([worker("a"), paused("a", true)]);
  s.handle([graph([task("x", [], { workers: ["a"] })], ["x"])]);
  assert.equal(s.counts()["no-worker"], 0);
});
