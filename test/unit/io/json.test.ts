import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { type Cell, columnCells } from "../../../src/io/columns.js";
import { type JsonOptions, planJson, readJsonPart, writeJson } from "../../../src/io/json.js";
import { batchArb, cellsOf, tempDir, typesOf } from "./helpers.js";

async function readAll(path: string, options: JsonOptions = {}) {
  const plan = await planJson(path, options);
  const results = await Promise.all(plan.parts.map((p) => readJsonPart(p, plan.schema, options)));
  const cells: Record<string, Cell[]> = {};
  for (const f of plan.schema)
    cells[f.name] = results.flatMap((r) =>
      columnCells(r.batch.columns[r.batch.names.indexOf(f.name)]!),
    );
  return {
    cells,
    schema: plan.schema,
    parts: plan.parts.length,
    badLines: results.reduce((a, r) => a + r.badLines, 0),
  };
}

test("json lines round trip (plain and gzip, whole and split): every type comes back equal", {
  timeout: 60_000,
}, async () => {
  const dir = tempDir();
  let k = 0;
  await fc.assert(
    fc.asyncProperty(
      batchArb(),
      fc.boolean(),
      fc.integer({ min: 1, max: 300 }),
      async (batch, gz, blocksize) => {
        if (batch.length === 0) return; // no line names the columns
        const path = join(dir, `r${k++}.jsonl${gz ? ".gz" : ""}`);
        await writeJson(batch, path);
        const want = cellsOf(batch);
        const { cells } = await readAll(path, { schema: typesOf(batch), blocksize });
        for (const name of batch.names)
          assert.deepEqual(cells[name] ?? want[name]!.map(() => null), want[name], name);
      },
    ),
    { numRuns: 40 },
  );
});

test("json lines inference, projection, and bad lines named by file and line", async () => {
  const dir = tempDir();
  const path = join(dir, "a.jsonl");
  writeFileSync(
    path,
    [
      '{"i":1,"f":1.5,"s":"x","b":true,"d":"2024-01-02","t":"2024-01-02T03:04:05Z"}',
      '{"i":2,"f":2,"s":"y\\"q","b":false}',
      "",
      '{"i":3,"s":"x"}',
    ].join("\n"),
  );
  const { cells, schema } = await readAll(path);
  assert.deepEqual(
    schema.map((f) => f.type),
    ["int32", "float64", "utf8", "bool", "date", "timestamp"],
  );
  assert.deepEqual(cells.s, ["x", 'y"q', "x"]);
  assert.deepEqual(cells.t, [Date.UTC(2024, 0, 2, 3, 4, 5), null, null]);
  const proj = await readAll(path, { columns: ["s"] });
  assert.deepEqual(Object.keys(proj.cells), ["s"]);
  const bad = join(dir, "bad.jsonl");
  writeFileSync(bad, '{"i":1}\n{"i":2}\n{"i":\n{"i":"four"}\n');
  await assert.rejects(readAll(bad, { sampleBytes: 16 }), /bad\.jsonl:3: not a JSON object/);
  const skipped = await readAll(bad, { sampleBytes: 16, onBadLines: "skip" });
  assert.equal(skipped.badLines, 2);
  assert.deepEqual(skipped.cells.i, [1, 2]);
});
