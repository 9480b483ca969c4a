// A task's arguments and scattered data must be copyable to a worker. A function among them once
// crashed the client's process (structured clone threw inside the scheduler's send) on thread
// clusters; now every scheduler refuses the call with BARN_ARG_NOT_SERIALIZABLE naming the part,
// and the client keeps working.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BarnError, Client, type ConnectOptions, delayed } from "../../src/index.js";

const schedulers: [string, ConnectOptions][] = [
  ["sync", { scheduler: "sync" }],
  ["threads", { workers: 2, threadsPerWorker: 1 }],
  ["processes", { processes: true, workers: 1, threadsPerWorker: 1 }],
];

function refused(part: RegExp) {
  return (err: unknown) =>
    err instanceof BarnError && err.code === "BARN_ARG_NOT_SERIALIZABLE" && part.test(err.message);
}

for (const [name, opts] of schedulers) {
  describe(`arguments that cannot reach a worker (${name})`, () => {
    test("submit, map, delayed and scatter throw, naming the part; the client keeps working", {
      timeout: 60_000,
    }, async () => {
      const client = await Client.connect({ ...opts, setAsDefault: false });
      try {
        const inc = (x: number) => x + 1;
        assert.throws(
          () => client.submit((g: unknown) => typeof g, inc),
          refused(/a function at \[0\]/),
        );
        assert.throws(
          () => client.submit((o: { g: unknown }) => typeof o.g, { g: inc }),
          refused(/a function at \[0\]\.g/),
        );
        assert.throws(
          () => client.map((x: unknown) => typeof x, [1, Symbol("s")]),
          refused(/iterable 0.*a symbol at \[1\]/),
        );
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        assert.throws(() => client.submit((x: unknown) => x, cyclic), refused(/circular/));
        const d = delayed((f: unknown) => typeof f)(inc);
        await assert.rejects(async () => d.compute({ client }), refused(/a function/));
        assert.throws(() => client.scatter([1, inc]), refused(/scatter.*a function at \[1\]/));
        // Nothing was lost: the same client still computes.
        assert.equal(await client.submit((x: number) => x * 2, 21), 42);
        assert.deepEqual(await Promise.all(client.map((x: number) => x + 1, [1, 2, 3])), [2, 3, 4]);
      } finally {
        await client.close();
      }
    });
  });
}
