/**
 * A frame column's toArray(): `await df.col("x").toArray()` once barn/array is imported, equal
 * to the plain-JS column (random rows, partitions and filters; int32, int64 as BigInt64Array,
 * float64 with nulls as NaN, bool), on the sync scheduler and a thread cluster; a computed
 * expression or a free col() refused with the fix; and, in a fresh node that imports only
 * barn/frame, the BarnError that says to import "barn/array".
 */
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import * as ba from "../../src/array.js";
import * as bf from "../../src/frame.js";
import { Client } from "../../src/index.js";
import { check } from "./array-cases.js";
import { describeRun, repoTempDir, runNode } from "./node-run.js";

const SCHEMA = [
  { name: "i", type: "int32", nullable: false },
  { name: "l", type: "int64", nullable: false },
  { name: "f", type: "float64", nullable: true },
  { name: "b", type: "bool", nullable: false },
] as const;

const rowArb = fc.record({
  i: fc.integer({ min: -1000, max: 1000 }),
  l: fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }),
  f: fc.option(fc.double({ min: -10, max: 10, noNaN: true }), { nil: null }),
  b: fc.boolean(),
});

function suite(name: string, connect: () => Promise<Client>, runs: number) {
  describe(`a frame column's toArray() (${name})`, () => {
    let client: Client;
    before(async () => {
      client = await connect();
    });
    after(async () => {
      await client.close();
    });

    test("equals the column in plain JS, after a filter too", { timeout: 120_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(rowArb, { maxLength: 25 }),
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: -1000, max: 1000 }),
          async (rows, parts, cut0) => {
            const df = bf.fromRecords(rows, {
              npartitions: Math.max(1, Math.min(parts, rows.length)),
              schema: SCHEMA as never,
            });
            const o = { client };
            const kept = rows.filter((r) => r.i > cut0);
            const f = df.filter(df.col("i").gt(cut0));
            const cases = [
              ["i", "int32", kept.map((r) => r.i)],
              ["l", "int64", kept.map((r) => r.l)],
              ["f", "float64", kept.map((r) => r.f ?? Number.NaN)],
              ["b", "bool", kept.map((r) => (r.b ? 1 : 0))],
            ] as const;
            for (const [col, dtype, want] of cases) {
              const x = await f.col(col).toArray(o);
              assert.equal(x.dtype, dtype);
              const data = [...want] as (number | bigint)[];
              await check(await x.compute(o), { data, shape: [data.length], dtype }, col);
            }
          },
        ),
        { numRuns: runs },
      );
    });
  });
}

suite("sync", () => Client.connect({ scheduler: "sync", setAsDefault: false }), 25);
suite("threads", () => Client.connect({ setAsDefault: false }), 4);

describe("a frame column's toArray(): refusals", () => {
  const o = { scheduler: "sync" } as const;
  const df = bf.fromRecords([{ x: 1 }, { x: 2 }]);

  test("a computed expression, a free col() and an unknown column", {
    timeout: 30_000,
  }, async () => {
    await assert.rejects(df.col("x").add(1).toArray(o), {
      code: "BARN_INVALID_OPTION",
      message: /withColumns/,
    });
    await assert.rejects(bf.col("x").toArray(o), { code: "BARN_INVALID_OPTION" });
    const y = df.withColumns({ y: df.col("x").mul(3) });
    assert.deepEqual([...(await (await y.col("y").toArray(o)).compute(o)).data], [3, 6]);
    const untyped = df.untyped();
    await assert.rejects(untyped.col("nope").toArray(o), { code: "BARN_UNKNOWN_COLUMN" });
    assert.ok(ba.fromFrame !== undefined);
  });

  test("without barn/array imported: a BarnError that says to import it", {
    timeout: 60_000,
  }, async () => {
    const dir = repoTempDir("to-array-");
    try {
      const script = join(dir, "frame-only.mjs");
      writeFileSync(
        script,
        `import * as bf from "barn/frame";
const df = bf.fromRecords([{ x: 1 }]);
try {
  await df.col("x").toArray({ scheduler: "sync" });
  console.log("no error");
} catch (e) {
  console.log(e.code, e.message);
}
await import("barn/array");
const x = await df.col("x").toArray({ scheduler: "sync" });
console.log("after import", x.shape.join(","));
`,
      );
      const run = await runNode([script], { cwd: dir, timeoutMs: 30_000 });
      assert.equal(run.code, 0, describeRun(run));
      assert.match(run.stdout, /^BARN_ARRAY_NOT_LOADED .*import "barn\/array"/m);
      assert.match(run.stdout, /^after import 1$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
