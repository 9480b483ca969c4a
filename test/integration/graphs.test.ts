/**
 * Task graphs as plain data through the Client: bad graphs give clear GraphErrors with stable
 * codes, and random DAGs give the same values on the sync scheduler, on the local cluster and in
 * plain JS (the oracle).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { graphFromEntries } from "../../src/graph/validate.js";
import { BarnError, Client, data, ErrorCodes, type GraphNode, ref, task } from "../../src/index.js";
import { dagArb, mix, oracle, toGraph } from "./dag-fixtures.js";

describe("task graphs", () => {
  let threads: Client;
  let sync: Client;
  before(async () => {
    threads = await Client.connect({
      workers: 3,
      setAsDefault: false,
      schedulerConfig: { validate: true },
    });
    sync = await Client.connect({ scheduler: "sync", setAsDefault: false });
  });
  after(async () => {
    await threads.close();
    await sync.close();
  });

  test("random DAGs: sync, local cluster and plain JS agree", async () => {
    await fc.assert(
      fc.asyncProperty(dagArb, fc.integer({ min: 1, max: 5 }), async (dag, outs) => {
        const g = toGraph(dag);
        const expected = oracle(dag);
        const keys = Array.from({ length: Math.min(outs, dag.n) }, (_, i) => `n${dag.n - 1 - i}`);
        const want = keys.map((k) => expected[Number(k.slice(1))]);
        assert.deepEqual(await sync.get(g, keys), want);
        assert.deepEqual(await threads.get(g, keys), want);
      }),
      { numRuns: 60 },
    );
  });

  test("a cycle names the keys on it", () => {
    const g = new Map<string, GraphNode>([
      ["a", task(mix, 0, ref("c"))],
      ["b", task(mix, 1, ref("a"))],
      ["c", task(mix, 2, ref("b"))],
    ]);
    for (const c of [threads, sync]) {
      assert.throws(
        () => c.submitGraph(g, ["c"]),
        (e: unknown) =>
          e instanceof BarnError &&
          e.code === ErrorCodes.GRAPH_CYCLE &&
          /a/.test(e.message) &&
          /b/.test(e.message),
      );
    }
  });

  test("a missing dependency names the task and the key", () => {
    const g = new Map<string, GraphNode>([["a", task(mix, 0, ref("nowhere"))]]);
    assert.throws(
      () => threads.submitGraph(g, ["a"]),
      (e: unknown) =>
        e instanceof BarnError &&
        e.code === ErrorCodes.GRAPH_MISSING_DEPENDENCY &&
        /nowhere/.test(e.message) &&
        /\ba\b/.test(e.message),
    );
  });

  test("a task that is not a function is refused", () => {
    const g = new Map<string, GraphNode>([
      ["a", { kind: "task", fn: 5 as unknown as () => void, args: [] }],
    ]);
    assert.throws(
      () => sync.submitGraph(g, ["a"]),
      (e: unknown) => e instanceof BarnError && e.code === ErrorCodes.GRAPH_NOT_A_FUNCTION,
    );
  });

  test("duplicate keys are refused", () => {
    assert.throws(
      () =>
        graphFromEntries([
          ["x", data(1)],
          ["x", data(2)],
        ]),
      (e: unknown) =>
        e instanceof BarnError && e.code === ErrorCodes.GRAPH_DUPLICATE_KEY && /x/.test(e.message),
    );
  });

  test("graphs may refer to futures the client holds", async () => {
    const f = threads.submit(() => 20);
    const g = new Map<string, GraphNode>([
      ["plus", task((a: number, b: number) => a + b, ref(f.key), 22)],
    ]);
    assert.deepEqual(await threads.get(g, ["plus"]), [42]);
  });
});
