/**
 * Physical planning: given logical plans, the physical nodes chosen (the fused Parquet read +
 * filter + broadcast join + partial aggregation, broadcast vs shuffle joins by size, tree
 * reduction vs split_out, local vs sampled range sort, the shuffled dropDuplicates), lowering
 * one physical node to its tasks, and explain({ physical: true }) naming what runs.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { lower, newContext } from "../../../src/collections/frame/lower.js";
import { optimize } from "../../../src/collections/frame/optimize/index.js";
import type {
  PhysicalNode,
  ScanAggregateNode,
} from "../../../src/collections/frame/physical/nodes.js";
import { physicalPlan } from "../../../src/collections/frame/physical/planner.js";
import { readerOps } from "../../../src/collections/frame/readers.js";
import { graphOfPlan } from "../../../src/collections/frame/run.js";
import * as bf from "../../../src/frame.js";
import type { TaskNode } from "../../../src/graph/spec.js";
import { Client } from "../../../src/index.js";
import { batchFromRecords } from "../../../src/io/arrow.js";
import { writeParquet } from "../../../src/io/parquet.js";

const physical = (df: bf.DataFrame<bf.Row>): PhysicalNode => physicalPlan(optimize(df.plan));

/** The node of `kind` the path of first inputs leads to, checking each kind on the way. */
function expectChain(node: PhysicalNode, kinds: readonly PhysicalNode["kind"][]): PhysicalNode[] {
  const out: PhysicalNode[] = [];
  let p: PhysicalNode | undefined = node;
  for (const kind of kinds) {
    assert.ok(p !== undefined, `expected ${kind}, found nothing`);
    assert.equal(p.kind, kind, `expected ${kinds.join(" > ")}`);
    out.push(p);
    p = "input" in p ? p.input : undefined;
  }
  return out;
}

const facts = Array.from({ length: 400 }, (_, i) => ({
  id: i,
  k: `k${i % 7}`,
  x: (i % 10) / 10,
}));
const dimRows = Array.from({ length: 7 }, (_, i) => ({ k: `k${i}`, label: `L${i % 3}` }));

describe("physical planning", () => {
  let dir: string;
  let path: string;
  let client: Client;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "barn-physical-"));
    path = join(dir, "facts.parquet");
    await writeParquet(batchFromRecords(facts), path, { rowGroupSize: 100 });
    client = await Client.connect({ scheduler: "sync" });
  });
  after(async () => {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const query = () =>
    bf
      .readParquet(path, { rowGroupsPerPartition: 1 })
      .filter(bf.col("x").gt(0.5))
      .merge(bf.fromRecords(dimRows, { npartitions: 2 }), { on: "k" })
      .groupby("label")
      .agg({ x: "sum", id: "count" });

  test("Parquet read + filter + broadcast join + partial aggregation is one task per part", async () => {
    const root = physical(query().untyped());
    const [tree, fused] = expectChain(root, ["treeAggregate", "scanAggregate"]);
    assert.equal(tree!.npartitions, 1);
    const scan = fused as ScanAggregateNode;
    assert.equal(scan.npartitions, 4, "one task per row group");
    assert.equal(scan.scan.reader, "parquet");
    assert.deepEqual(scan.scan.filters, [{ column: "x", op: "gt", value: 0.5 }]);
    assert.deepEqual(
      scan.steps.map((s) => s.op),
      ["filter", "join"],
    );
    const joinStep = scan.steps[1]!;
    assert.ok(joinStep.op === "join");
    assert.equal(joinStep.how, "inner");
    expectChain(joinStep.right, ["broadcast", "scan"]);
    assert.equal(joinStep.right.npartitions, 1);

    // Lowering maps that node to the reader's aggregate task, once per part, each reading the
    // concatenated small side through a graph reference.
    const { graph } = graphOfPlan(query().plan);
    const partials = [...graph.values()].filter(
      (n): n is TaskNode => n.kind === "task" && n.fn === readerOps.aggregateParquetSource,
    );
    assert.equal(partials.length, 4);
    const reads = [...graph.values()].filter(
      (n) => n.kind === "task" && n.fn === readerOps.readParquetSource,
    );
    assert.equal(reads.length, 0, "no separate read task");

    const got = await query().sortValues("label").toRecords({ client });
    const byLabel = new Map<string, { x: number; id: number }>();
    for (const r of facts) {
      if (!(r.x > 0.5)) continue;
      const label = dimRows.find((d) => d.k === r.k)!.label;
      const acc = byLabel.get(label) ?? { x: 0, id: 0 };
      acc.x += r.x;
      acc.id += 1;
      byLabel.set(label, acc);
    }
    assert.deepEqual(
      got.map((r) => r.label),
      [...byLabel.keys()].sort(),
    );
    for (const r of got) {
      const want = byLabel.get(r.label as string)!;
      assert.ok(Math.abs((r.x as number) - want.x) < 1e-9);
      assert.equal(Number(r.id), want.id);
    }
  });

  test("a memory source is not fused into the read: the row-wise steps run in the partial task", () => {
    const df = bf
      .fromRecords(facts, { npartitions: 4 })
      .filter(bf.col("x").gt(0.5))
      .groupby("k")
      .agg({ x: "sum" });
    const [, partial, scan] = expectChain(physical(df.untyped()), [
      "treeAggregate",
      "partialAggregate",
      "scan",
    ]);
    assert.ok(partial!.kind === "partialAggregate");
    assert.deepEqual(
      partial.steps.map((s) => s.op),
      ["filter"],
    );
    assert.ok(scan!.kind === "scan");
    assert.equal(scan.access, "memory");
  });

  test("groupby: a tree reduction by default, a split-out (shuffled partials) with splitOut", () => {
    const src = bf.fromRecords(facts, { npartitions: 20 });
    const tree = physical(src.groupby("k").agg({ x: "sum" }, { splitEvery: 4 }).untyped());
    assert.ok(tree.kind === "treeAggregate");
    assert.equal(tree.splitEvery, 4);
    assert.equal(tree.input.npartitions, 20);
    const split = physical(src.groupby("k").agg({ x: "sum" }, { splitOut: 3 }).untyped());
    assert.ok(split.kind === "splitAggregate");
    assert.equal(split.npartitions, 3);
    assert.match(split.why, /splitOut is 3/);
  });

  test("joins: broadcast when a side is small, a hash shuffle of both sides when neither is", () => {
    const big = bf.fromRecords(facts, { npartitions: 4 });
    const small = bf.fromRecords(dimRows, { npartitions: 2 });
    const right = physical(big.merge(small, { on: "k", broadcastRows: 10 }).untyped());
    assert.ok(right.kind === "broadcastJoin");
    assert.equal(right.broadcast, "right");
    assert.equal(right.npartitions, 4);
    assert.match(right.why, /the right side holds at most 7 rows/);
    expectChain(right.right, ["broadcast", "scan"]);

    const left = physical(small.merge(big, { on: "k", how: "right", broadcastRows: 10 }).untyped());
    assert.ok(left.kind === "broadcastJoin");
    assert.equal(left.broadcast, "left");
    expectChain(left.left, ["broadcast", "scan"]);

    const hash = physical(big.merge(small, { on: "k", broadcastRows: 5 }).untyped());
    assert.ok(hash.kind === "shuffleJoin");
    assert.equal(hash.npartitions, 4);
    for (const side of [hash.left, hash.right]) {
      assert.equal(side.kind, "hashShuffle");
      assert.equal(side.npartitions, 4);
      assert.deepEqual(side.keys, ["k"]);
    }
    assert.match(hash.why, /at most 5 rows/);
    const forced = physical(big.merge(small, { on: "k", broadcast: false }).untyped());
    assert.ok(forced.kind === "shuffleJoin");
    assert.match(forced.why, /broadcast: false/);
  });

  test("an int key meets a float key: the shuffle hashes that key as float64 on both sides", () => {
    const a = bf.fromRecords([{ k: 1, v: "a" }], {
      schema: [
        { name: "k", type: "int32", nullable: false },
        { name: "v", type: "utf8", nullable: false },
      ],
    });
    const b = bf.fromRecords([{ k: 1.5, w: 2 }], { npartitions: 1 });
    const j = physical(a.merge(b, { on: "k", broadcast: false }).untyped());
    assert.ok(j.kind === "shuffleJoin");
    assert.deepEqual(j.left.asFloat, [true]);
    assert.deepEqual(j.right.asFloat, [true]);
  });

  test("sort: one partition sorts as is; several take a sampled range shuffle first", () => {
    const one = physical(bf.fromRecords(facts).sortValues("x").untyped());
    expectChain(one, ["sortPartitions", "scan"]);
    const many = physical(
      bf
        .fromRecords(facts, { npartitions: 3 })
        .sortValues(["x", "id"], { ascending: false })
        .untyped(),
    );
    const [, shuffle] = expectChain(many, ["sortPartitions", "rangeShuffle", "scan"]);
    assert.ok(shuffle!.kind === "rangeShuffle");
    assert.deepEqual(shuffle.by, ["x", "id"]);
    assert.deepEqual(shuffle.ascending, [false, false]);
    assert.equal(shuffle.npartitions, 3);
    assert.ok(shuffle.samples > 0);
  });

  test("dropDuplicates dedupes each partition, shuffles by the subset, dedupes again", () => {
    const df = bf.fromRecords(facts, { npartitions: 3 }).dropDuplicates(["k"]);
    const [top, shuffle, local] = expectChain(physical(df.untyped()), [
      "map",
      "hashShuffle",
      "map",
      "scan",
    ]);
    assert.ok(top!.kind === "map" && local!.kind === "map");
    assert.equal(top.fn, "dedupe");
    assert.equal(local.fn, "dedupe");
    assert.ok(shuffle!.kind === "hashShuffle");
    assert.deepEqual(shuffle.keys, ["k"]);
    expectChain(physical(bf.fromRecords(facts).dropDuplicates(["k"]).untyped()), ["map", "scan"]);
  });

  test("a node reached twice is planned once, so lowering computes it once", () => {
    const f = bf.fromRecords(facts, { npartitions: 2 }).filter(bf.col("x").gt(0.2));
    const both = bf.concat([f, f]).plan;
    const root = physicalPlan(both);
    assert.ok(root.kind === "concat");
    assert.equal(root.inputs[0], root.inputs[1]);
    const ctx = newContext("t");
    assert.equal(lower(root, ctx).length, 4);
    const pipelines = [...ctx.graph.keys()].filter((k) => k.startsWith("blockwise-"));
    assert.equal(pipelines.length, 2, "one blockwise task per partition, not per use");
  });

  test("explain({ physical: true }) names the fused tasks, the join strategy and the shuffle kind", () => {
    const text = query().explain({ physical: true });
    const lines = text.split("\n");
    assert.match(lines[0]!, /^tree-reduce aggregate +splitEvery=8/);
    assert.match(
      lines[1]!,
      /^ {2}fused read\+aggregate \[read parquet \| filter \(x > 0\.5\) \| broadcast-join inner on \[k\] = \[k\] \| partial groupby \[label\] sum\(x\) as x, count\(id\) as id\] +partitions=4 +columns=\* +filters=\[x > 0\.5\]/,
    );
    assert.match(lines[2]!, /^ {4}broadcast \(2 partitions concatenated into one/);
    assert.match(lines[3]!, /^ {6}scan memory +partitions=2/);

    const big = bf.fromRecords(facts, { npartitions: 4 });
    const hash = big
      .merge(bf.fromRecords(dimRows, { npartitions: 2 }), { on: "k", broadcast: false })
      .sortValues("id")
      .explain({ physical: true });
    assert.match(hash, /sort partitions by \[id asc\]/);
    assert.match(
      hash,
      /shuffle=range \(tasks: 4 input partitions \(P2P from 32\); boundaries from 64 sampled keys per partition\)/,
    );
    assert.match(hash, /join inner on \[k\] = \[k\] +strategy=hash-shuffle +partitions=4/);
    assert.match(
      hash,
      /shuffle=hash \(tasks: 6 input partitions \(P2P from 32\)\) by \[k\] +partitions=4/,
    );
    const small = big.merge(bf.fromRecords(dimRows), { on: "k" }).explain({ physical: true });
    assert.match(small, /strategy=broadcast +broadcast=right .*the right side is one partition/);
    const rows = big.filter(bf.col("x").lt(0.3)).select("id").explain({ physical: true });
    assert.match(rows, /^fused rows \[filter \(x < 0\.3\) \| project \[id\]\]/);
    assert.equal(
      big.explain(),
      big.explain({ physical: false }),
      "explain() stays the logical view",
    );
    assert.throws(
      () => big.explain({ phisical: true } as never),
      /physical/,
      "a misspelt option is rejected, naming the valid key",
    );
  });
});
