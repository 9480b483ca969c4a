/**
 * Building queries: unknown columns and type mismatches fail when the query is built (with
 * BarnErrors that name the column or both types), typed schemas reject typos at compile time,
 * and the optimiser pushes projections and predicates into readers and fuses row-wise chains
 * into one task per partition.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { graphOfPlan } from "../../../src/collections/frame/run.js";
import * as bf from "../../../src/frame.js";
import { fuseLinear } from "../../../src/graph/fuse.js";
import { BarnError, Client, ShippingError } from "../../../src/index.js";
import { calls, fixtureOps } from "./fixtures/reader.js";

const rows = [
  { id: 1, name: "ann", score: 0.5, at: new Date(Date.UTC(2024, 1, 3, 4)) },
  { id: 2, name: "bob", score: 0.9, at: new Date(Date.UTC(2024, 5, 6, 7)) },
  { id: 3, name: "cy", score: 0.1, at: new Date(Date.UTC(2025, 8, 9, 10)) },
];

function expectCode(fn: () => unknown, code: string, ...parts: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof BarnError, `expected a BarnError, got ${String(err)}`);
    assert.equal(err.code, code);
    for (const p of parts)
      assert.ok(
        err.message.includes(p),
        `message ${JSON.stringify(err.message)} should mention ${p}`,
      );
    return true;
  });
}

describe("errors when the query is built", () => {
  const df = bf.fromRecords(rows, { npartitions: 2 }).untyped();
  const C = bf.FrameErrorCodes;

  test("an unknown column names the column and lists the frame's columns", () => {
    expectCode(() => df.select("nmae"), C.UNKNOWN_COLUMN, '"nmae"', '"name"', '"score"');
    expectCode(() => df.filter(bf.col("scroe").gt(1)), C.UNKNOWN_COLUMN, '"scroe"', "filter");
    expectCode(() => df.groupby("nope").agg({ score: "sum" }), C.UNKNOWN_COLUMN, '"nope"');
    expectCode(() => df.groupby("name").agg({ nope: "sum" }), C.UNKNOWN_COLUMN, '"nope"');
    expectCode(() => df.merge(df, { on: "nope" }), C.UNKNOWN_COLUMN, '"nope"');
    expectCode(() => df.sortValues("nope"), C.UNKNOWN_COLUMN, '"nope"');
    expectCode(() => df.withColumns({ y: bf.col("nope").add(1) }), C.UNKNOWN_COLUMN, '"nope"');
  });

  test("a type mismatch names both types", () => {
    expectCode(
      () => df.filter(bf.col("name").gt(0.5)),
      C.TYPE_MISMATCH,
      "utf8",
      "float64",
      '"name"',
    );
    expectCode(() => df.withColumns({ y: bf.col("name").mul(2) }), C.TYPE_MISMATCH, "utf8");
    expectCode(() => df.filter(bf.col("score").str.startsWith("a")), C.TYPE_MISMATCH, "float64");
    expectCode(() => df.withColumns({ y: bf.col("id").dt.year() }), C.TYPE_MISMATCH, "int32");
    expectCode(() => df.filter(bf.col("score")), C.TYPE_MISMATCH, "float64", "bool");
    expectCode(
      () => df.filter(bf.col("score").gt(0).and(bf.col("id"))),
      C.TYPE_MISMATCH,
      "int32",
      "bool",
    );
    expectCode(() => df.groupby("id").agg({ name: "mean" }), C.TYPE_MISMATCH, "utf8", "mean");
    expectCode(
      () => df.merge(df, { leftOn: "id", rightOn: "name" }),
      C.TYPE_MISMATCH,
      "int32",
      "utf8",
    );
    expectCode(() => bf.concat([df, df.select("id")]), C.SCHEMA_MISMATCH, "id: int32");
  });

  test("bad options are OptionErrors that name the option", () => {
    expectCode(() => df.repartition(0), "BARN_INVALID_OPTION", "repartition");
    expectCode(
      () => df.groupby("id").agg({ score: "mode" as never }),
      "BARN_INVALID_OPTION",
      "mode",
    );
    expectCode(() => df.merge(df, {}), "BARN_INVALID_OPTION", "on");
    expectCode(
      () => df.groupby("id").agg({ score: "sum" }, { splitOut: -1 }),
      "BARN_INVALID_OPTION",
      "splitOut",
    );
  });

  test("bad sources: mixed record types, an unknown reader, no parts", () => {
    expectCode(
      () => bf.fromRecords([{ a: 1 }, { a: "x" }]),
      C.TYPE_MISMATCH,
      '"a"',
      "int32",
      "utf8",
    );
    expectCode(
      () => bf.sourceFrame({ reader: "no-such-format", parts: [{}], schema: [] }),
      "BARN_INVALID_OPTION",
      '"no-such-format"',
      "memory",
    );
    expectCode(() => bf.fromBatches([]), "BARN_INVALID_OPTION", "schema");
  });

  test("a mapPartitions function that captures a variable fails at build time", () => {
    const factor = 3;
    assert.throws(
      () => df.mapPartitions((b: bf.Batch) => ({ ...b, length: b.length * factor })),
      ShippingError,
    );
  });
});

describe("typed schemas", () => {
  test("column names are checked at compile time", () => {
    const df = bf.fromRecords(rows);
    const picked: bf.DataFrame<{ id: number; name: string }> = df.select("id", "name");
    assert.deepEqual(picked.columns, ["id", "name"]);
    assert.deepEqual(df.rename({ name: "who" }).select("who", "id").columns, ["who", "id"]);
    assert.deepEqual(df.drop("at").columns, ["id", "name", "score"]);
    assert.ok(df.filter(df.col("score").gt(0.2)).filter(bf.col("id").ne(2)));
    const typos = [
      // @ts-expect-error "nmae" is not a column
      () => df.select("nmae"),
      // @ts-expect-error a typo in col() inside filter
      () => df.filter(bf.col("scroe").gt(1)),
      // @ts-expect-error df.col only takes known names
      () => df.col("idd"),
      // @ts-expect-error groupby keys are checked
      () => df.groupby("nam"),
      // @ts-expect-error the renamed-away column is gone
      () => df.rename({ name: "who" }).select("name"),
      // @ts-expect-error a dropped column is gone
      () => df.drop("at").select("at"),
      // @ts-expect-error sort keys are checked
      () => df.sortValues("scor"),
      // @ts-expect-error distinct subsets are checked
      () => df.distinct(["nmae"]),
      // @ts-expect-error unique takes a known column
      () => df.unique("nmae"),
      // @ts-expect-error unique's frame has only that column
      () => df.unique("name").select("id"),
    ];
    for (const t of typos.slice(0, 2)) assert.throws(t, BarnError);
    const agg = df.groupby("name").agg({ score: ["mean", "max"], id: "count", n: ["id", "size"] });
    assert.deepEqual(agg.select("name", "score_mean", "score_max", "id", "n").columns, [
      "name",
      "score_mean",
      "score_max",
      "id",
      "n",
    ]);
    // @ts-expect-error a list of functions names its outputs column_fn
    assert.throws(() => agg.select("score"), BarnError);
  });
});

describe("optimiser", () => {
  let client: Client;
  before(async () => {
    client = await Client.connect({ scheduler: "sync" });
    bf.registerReader("test-range", { read: fixtureOps.readRange, usesFilters: true });
  });
  after(async () => {
    await client.close();
  });

  const src = () =>
    bf.sourceFrame({
      reader: "test-range",
      parts: [
        { start: 0, end: 10 },
        { start: 10, end: 20 },
        { start: 20, end: 30 },
      ],
      schema: [
        { name: "id", type: "int32", nullable: false },
        { name: "x", type: "float64", nullable: false },
        { name: "g", type: "int32", nullable: false },
      ],
    });

  test("projection and predicate pushdown reach the reader; the filter still applies exactly", async () => {
    calls.length = 0;
    const q = src()
      .filter(bf.col("x").ge(0.5).and(bf.col("id").lt(25)))
      .select("id");
    const plan = q.explain();
    assert.match(
      plan,
      /source test-range +partitions=3 +columns=\[id, x\] +filters=\[x >= 0.5 AND id < 25\]/,
    );
    const got = await q.toRecords({ client });
    assert.deepEqual(
      got.map((r) => r.id),
      [5, 6, 7, 8, 9, 15, 16, 17, 18, 19],
    );
    assert.equal(calls.length, 3);
    for (const c of calls) {
      assert.deepEqual(c.columns, ["id", "x"]);
      assert.deepEqual(c.filters, [
        { column: "x", op: "ge", value: 0.5 },
        { column: "id", op: "lt", value: 25 },
      ]);
    }
  });

  test("pushdown goes through renames but not past a withColumns that rewrites the column", () => {
    const renamed = src().rename({ x: "y" }).filter(bf.col("y").gt(0.2));
    assert.match(renamed.explain(), /filters=\[x > 0.2\]/);
    const rewritten = src()
      .withColumns({ x: bf.col("x").mul(10) })
      .filter(bf.col("x").gt(2));
    assert.doesNotMatch(rewritten.explain(), /filters=/);
  });

  test("groupby and join read only the columns they use", () => {
    const agg = src().groupby("g").agg({ x: "sum" });
    assert.match(agg.explain(), /source test-range +partitions=3 +columns=\[x, g\]/);
    const dim = bf.fromRecords([{ g: 0, label: "zero", unused: 1 }]);
    const j = src().merge(dim, { on: "g" }).select("id", "label");
    const text = j.explain();
    assert.match(text, /columns=\[id, g\]/);
    assert.match(text, /source memory +partitions=1 +columns=\[g, label\]/);
    assert.match(text, /strategy=broadcast-right/);
  });

  test("a chain of row-wise verbs is one task per partition", () => {
    const q = src()
      .filter(bf.col("x").gt(0.1))
      .withColumns({ z: bf.col("x").add(bf.col("id")) })
      .rename({ z: "w" })
      .select("w", "g")
      .filter(bf.col("g").eq(1));
    assert.match(q.explain(), /^blockwise \(5 fused: /);
    const { graph, keys } = graphOfPlan(q.plan);
    const fused = fuseLinear(graph, new Set(keys));
    assert.equal(fused.size, 3, "read + pipeline fused into one node per partition");
    for (const k of keys) assert.equal(fused.get(k)?.kind, "fused");
  });

  test("an aggregation with many estimated groups splits its output", () => {
    const n = 150_000;
    const ids = Int32Array.from({ length: n }, (_, i) => i);
    const part = (from: number, to: number): bf.Batch => ({
      names: ["id", "v"],
      columns: [
        { type: "int32", length: to - from, data: ids.slice(from, to) },
        { type: "float64", length: to - from, data: new Float64Array(to - from) },
      ],
      length: to - from,
    });
    const df = bf.fromBatches([part(0, 50_000), part(50_000, 100_000), part(100_000, n)]);
    assert.equal(df.groupby("id").agg({ v: "sum" }).npartitions, 2);
    assert.equal(
      df
        .withColumns({ w: bf.col("v").add(1) })
        .groupby("id")
        .agg({ v: "sum" }).npartitions,
      2,
    );
    assert.equal(df.groupby("id").agg({ v: "sum" }, { splitOut: 1 }).npartitions, 1);
    const few = bf.fromRecords(rows, { npartitions: 2 });
    assert.equal(few.groupby("name").agg({ score: "sum" }).npartitions, 1);
  });

  test("explain prints the whole tree, indented", () => {
    const text = src().groupby("g").agg({ x: "mean" }, { splitOut: 2 }).sortValues("g").explain();
    const lines = text.split("\n");
    assert.match(lines[0]!, /^sort by \[g asc\]/);
    assert.match(lines[1]!, /^ {2}groupby \[g\] agg mean\(x\) as x +partitions=2/);
    assert.match(lines[2]!, /^ {4}source test-range/);
  });
});
