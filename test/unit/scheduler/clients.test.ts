import assert from "node:assert/strict";
import { test } from "node:test";
import {
  cancel,
  cancelleds,
  computes,
  desire,
  finished,
  freed,
  graph,
  inMemory,
  placed,
  release,
  removeWorker,
  scatter,
  scheduler,
  task,
  worker,
} from "./helpers.js";

test("cancel: the key and all its dependents are forgotten; every wanting client is told", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b")]);
  const tasks = [task("x"), task("y", ["x"]), task("z", ["y"]), task("other")];
  s.handle([graph(tasks, ["y", "z", "other"], "c1"), graph([], ["z"], "c2")]);
  s.handle([finished(s.task("x")?.processingOn ?? "", "x")]);
  const yOn = s.task("y")?.processingOn ?? "";
  const out = s.handle([cancel(["y"], "c1")]);
  assert.deepEqual(
    cancelleds(out)
      .map((c) => `${c.client}:${c.key}`)
      .sort(),
    ["c1:y", "c1:z", "c2:z"],
  );
  // y was running: its worker drops it; x was only needed by y: freed too
  const xOn = s.whoHas(["x"]).x;
  assert.deepEqual(xOn, []);
  assert.ok(freed(out).includes(`y@${yOn}`));
  assert.ok(freed(out).some((f) => f.startsWith("x@")));
  for (const k of ["x", "y", "z"]) assert.equal(s.taskState(k), "forgotten");
  assert.equal(s.taskState("other"), "processing");
  // the keys can be submitted again
  assert.equal(computes(s.handle([graph([task("x")], ["x"], "c1")])).length, 1);
});

test("cancel of a key in memory frees it on its holders", () => {
  const s = scheduler();
  s.handle([worker("a"), graph([task("x")], ["x"])]);
  s.handle([finished("a", "x")]);
  const out = s.handle([cancel(["x"])]);
  assert.deepEqual(freed(out), ["x@a"]);
  assert.deepEqual(
    cancelleds(out).map((c) => c.key),
    ["x"],
  );
  assert.equal(s.size, 0);
});

test("cancel of queued and waiting tasks leaves no trace", () => {
  const s = scheduler({ targetQueueSeconds: 0 });
  s.handle([worker("a")]);
  const tasks = [
    ...Array.from({ length: 5 }, (_, i) => task(`r${i}`)),
    task("sum", ["r0", "r1", "r2", "r3", "r4"]),
  ];
  s.handle([graph(tasks, ["sum"])]);
  assert.equal(s.counts().queued, 3);
  const out = s.handle([cancel(["r4"])]);
  assert.deepEqual(
    cancelleds(out).map((c) => c.key),
    ["sum"],
  );
  assert.deepEqual(freed(out), ["r0@a", "r1@a"]);
  assert.equal(s.size, 0);
  // a late result of a cancelled task is dropped where it lands
  assert.deepEqual(freed(s.handle([finished("a", "r0")])), ["r0@a"]);
});

test("refcounting: a key stays while any client wants it or a dependent needs it", () => {
  const s = scheduler();
  s.handle([worker("a")]);
  s.handle([graph([task("x"), task("y", ["x"])], ["x", "y"], "c1"), graph([], ["x"], "c2")]);
  s.handle([finished("a", "x")]);
  assert.deepEqual(freed(s.handle([release(["x"], "c1")])), []); // c2 and y need it
  assert.deepEqual(freed(s.handle([release(["x"], "c2")])), []); // y still needs it
  assert.equal(s.taskState("x"), "memory");
  const out = s.handle([finished("a", "y")]);
  assert.deepEqual(freed(out), ["x@a"]); // released as soon as y is done
  assert.equal(s.taskState("x"), "released"); // kept as lineage of y
  assert.deepEqual(freed(s.handle([release(["y"], "c1")])), ["y@a"]);
  assert.equal(s.size, 0);
});

test("releasing a waiting task releases its inputs that nobody else needs", () => {
  const s = scheduler();
  s.handle([worker("a")]);
  s.handle([graph([task("x"), task("y", ["x"]), task("z", ["x"])], ["y", "z"])]);
  s.handle([finished("a", "x")]);
  s.handle([finished("a", "y")]);
  // z is processing; the client drops it: z is freed on the worker, then x (nobody needs it)
  const out = s.handle([release(["z"])]);
  assert.deepEqual(freed(out), ["x@a", "z@a"]);
  assert.equal(s.taskState("x"), "released");
  assert.equal(s.taskState("y"), "memory");
  s.handle([release(["y"])]);
  assert.equal(s.size, 0);
});

test("remove-client releases everything it held", () => {
  const s = scheduler();
  s.handle([worker("a"), graph([task("x"), task("y")], ["x", "y"], "c1"), graph([], ["y"], "c2")]);
  s.handle([finished("a", "x"), finished("a", "y")]);
  const out = s.handle([{ type: "remove-client", stimulusId: "bye", client: "c1" }]);
  assert.deepEqual(freed(out), ["x@a"]);
  assert.equal(s.taskState("y"), "memory");
  s.handle([{ type: "remove-client", stimulusId: "bye2", client: "c2" }]);
  assert.equal(s.size, 0);
});

test("client-desires-keys: a copied future holds the key; unknown keys are cancelled", () => {
  const s = scheduler();
  s.handle([worker("a"), { type: "add-client", stimulusId: "hi", client: "c2" }]);
  s.handle([graph([task("x")], ["x"], "c1")]);
  assert.deepEqual(s.handle([desire(["x"], "c2")]), []); // not done yet: reported later
  const out = s.handle([finished("a", "x")]);
  assert.deepEqual(
    inMemory(out)
      .map((m) => m.client)
      .sort(),
    ["c1", "c2"],
  );
  // in memory: reported at once
  assert.deepEqual(
    inMemory(s.handle([desire(["x"], "c3")])).map((m) => m.client),
    ["c3"],
  );
  s.handle([release(["x"], "c1"), release(["x"], "c2")]);
  assert.equal(s.taskState("x"), "memory");
  s.handle([release(["x"], "c3")]);
  assert.equal(s.size, 0);
  assert.deepEqual(
    cancelleds(s.handle([desire(["x"], "c3")])).map((c) => c.key),
    ["x"],
  );
});

test("scatter: keys become memory on the worker, wanted by the client, usable as inputs", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b")]);
  const out = s.handle([scatter("b", ["data"], "c1", 4096)]);
  assert.deepEqual(inMemory(out), [
    {
      type: "key-in-memory",
      client: "c1",
      key: "data",
      holders: ["b"],
      nbytes: 4096,
      stimulusId: out[0]!.stimulusId,
    },
  ]);
  assert.equal(s.workers().find((w) => w.id === "b")?.nbytes, 4096);
  const ct = computes(s.handle([graph([task("use", ["data"])], ["use"])]))[0];
  assert.equal(ct?.worker, "b");
  assert.deepEqual(ct?.deps, [{ key: "data", holders: ["b"], nbytes: 4096 }]);
  s.handle([finished("b", "use")]);
  assert.deepEqual(freed(s.handle([release(["data"])])), ["data@b"]);
  assert.equal(s.taskState("data"), "released"); // lineage of use
  s.handle([release(["use"])]);
  assert.equal(s.size, 0);
});

test("scattered data lost with its worker cannot be recomputed: its wanters get an error", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b"), scatter("a", ["data"])]);
  s.handle([graph([task("use", ["data"], { workers: ["b"] })], ["use"])]);
  const out = s.handle([removeWorker("a")]);
  const errs = out
    .filter((i) => i.type === "key-erred")
    .map((i) => (i.type === "key-erred" ? i.key : ""));
  assert.deepEqual(errs.sort(), ["data", "use"]);
  assert.equal(s.taskState("data"), "erred");
  assert.equal(s.taskState("use"), "erred");
  assert.deepEqual(freed(out), ["use@b"]);
});

test("scatter onto a key being computed: the scattered copy wins, the run is dropped", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b"), graph([task("x", [], { workers: ["a"] })], ["x"])]);
  const out = s.handle([scatter("b", ["x"], "c2")]);
  assert.deepEqual(freed(out), ["x@a"]);
  assert.deepEqual(
    inMemory(out)
      .map((m) => `${m.client}:${m.holders}`)
      .sort(),
    ["c1:b", "c2:b"],
  );
  assert.deepEqual(placed(s.handle([finished("a", "x")])), []);
});

test("update-graph: a task whose dependency is unknown is not created; the client is told", () => {
  const s = scheduler();
  s.handle([worker("a")]);
  const out = s.handle([graph([task("y", ["gone"]), task("z", ["y"]), task("ok")], ["z", "ok"])]);
  assert.deepEqual(
    cancelleds(out).map((c) => c.key),
    ["z"],
  );
  assert.equal(s.taskState("y"), "forgotten");
  assert.equal(s.taskState("z"), "forgotten");
  assert.deepEqual(placed(out), ["ok@a"]);
});
