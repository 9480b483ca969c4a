/**
 * The P2P shuffle behind a repartition by key (`shuffle(on)`, `repartition(n, { on })`) and a
 * groupby with splitOut (issue 11, item 5), on a thread cluster: the partitions equal the task
 * shuffle's exactly (same rows, same order, same partition), every key lives in one partition,
 * and the rows (or groups) equal DuckDB's, on random rows with null keys, empty partitions,
 * int64 keys at the edges (near 2^63 - 1 and -2^63), empty-string keys, 0 and 1 rows. Left to
 * the planner, 32 partitions go P2P; one case runs on the process cluster, and there a worker
 * killed during a split-out groupby's transfers leaves the result right.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import fc from "fast-check";
import { processClusters } from "../../src/client/process-backend.js";
import { batchToRecords } from "../../src/collections/frame/records.js";
import { computeBatches } from "../../src/collections/frame/run.js";
import type { LocalBackend } from "../../src/deploy/local-backend.js";
import * as bf from "../../src/frame.js";
import { Client } from "../../src/index.js";
import type { Schema } from "../../src/kernels/batch.js";
import { duck, load, query } from "../unit/frame/helpers.js";

const MAX = 2n ** 63n - 1n;
const MIN = -(2n ** 63n);
const KEYS = [0n, 1n, -1n, 2n ** 53n + 1n, MAX, MAX - 1n, MIN, MIN + 1n];
const STRINGS = ["", "a", "b", "é"];

interface Row extends Record<string, unknown> {
  k: bigint | null;
  s: string | null;
  v: number | null;
}
const SCHEMA: Schema = [
  { name: "k", type: "int64", nullable: true },
  { name: "s", type: "utf8", nullable: true },
  { name: "v", type: "float64", nullable: true },
];
const DUCK_COLUMNS = ["k BIGINT", "s VARCHAR", "v DOUBLE"];
const rowArb: fc.Arbitrary<Row> = fc.record({
  k: fc.option(fc.constantFrom(...KEYS), { freq: 5 }),
  s: fc.option(fc.constantFrom(...STRINGS), { freq: 5 }),
  // Quarters: sums are exact whatever the order, so DuckDB's equal Barn's to the bit.
  v: fc.option(
    fc.integer({ min: -50, max: 50 }).map((x) => x / 4),
    { freq: 6 },
  ),
});
// 0 to 25 rows over up to 6 partitions: empty frames, one row and empty partitions are common.
const frameArb = fc.record({
  rows: fc.oneof(
    fc.array(rowArb, { maxLength: 25 }),
    fc.array(rowArb, { minLength: 0, maxLength: 1 }),
  ),
  nparts: fc.integer({ min: 1, max: 6 }),
});
const onArb = fc.constantFrom(["k"], ["s"], ["k", "s"]);

/** A value as a canonical string: bigints and integral numbers alike (counts), -0 as 0. */
function canonValue(v: unknown): string {
  if (typeof v === "bigint") return String(v);
  if (typeof v === "number") return Object.is(v, -0) ? "0" : String(v);
  return JSON.stringify(v ?? null);
}
function canon(rows: readonly Record<string, unknown>[], cols: readonly string[], ordered = false) {
  const out = rows.map((r) => cols.map((c) => canonValue(r[c])).join("|"));
  return ordered ? out : out.sort();
}

const frame = (rows: readonly Row[], nparts: number) =>
  bf.fromRecords(rows, { npartitions: nparts, schema: SCHEMA });

const COLS = ["k", "s", "v"];

/** What the checks need of a frame, whatever its row type. */
interface AnyFrame {
  readonly plan: bf.Plan;
  toRecords(options: { client: Client }): Promise<readonly Record<string, unknown>[]>;
}
const RUNS = { numRuns: 15 };
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "barn-p2p-keyed-"));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Each output partition's rows, canonical and in order. */
async function partitions(df: AnyFrame, client: Client): Promise<string[][]> {
  const batches = await computeBatches(df.plan, { client });
  return batches.map((b) => canon(batchToRecords(b), COLS, true));
}

/**
 * A repartition by `on` checked: P2P's partitions are the task shuffle's; no key is in two
 * partitions; each partition holds its keys' rows in input order; all rows are DuckDB's.
 */
async function checkByKey(
  db: DuckDBConnection,
  client: Client,
  rows: readonly Row[],
  byKey: (method: "p2p" | "tasks") => AnyFrame,
  on: readonly string[],
  n: number,
): Promise<void> {
  const p2p = await partitions(byKey("p2p"), client);
  assert.equal(p2p.length, n);
  assert.deepEqual(p2p, await partitions(byKey("tasks"), client), "p2p vs tasks, by partition");
  const keyOf = (r: Record<string, unknown>) => on.map((c) => canonValue(r[c])).join("|");
  const home = new Map<string, number>();
  const batches = await computeBatches(byKey("p2p").plan, { client });
  batches.forEach((b, j) => {
    for (const r of batchToRecords(b)) {
      const key = keyOf(r);
      assert.equal(home.get(key) ?? j, j, `key ${key} in partitions ${home.get(key)} and ${j}`);
      home.set(key, j);
    }
  });
  const wantParts = Array.from({ length: n }, (_, j) =>
    canon(
      rows.filter((r) => home.get(keyOf(r)) === j),
      COLS,
      true,
    ),
  );
  assert.deepEqual(p2p, wantParts, "each partition: its keys' rows in input order");
  await load(db, "t", DUCK_COLUMNS, rows);
  const want = await query(db, "SELECT k, s, v FROM t");
  assert.deepEqual(p2p.flat().sort(), canon(want, COLS), "p2p vs DuckDB");
}

const AGG = {
  total: ["v", "sum"],
  avg: ["v", "mean"],
  lo: ["v", "min"],
  hi: ["v", "max"],
  n: ["v", "count"],
  nrows: ["v", "size"],
} as const;
const AGG_COLS = ["total", "avg", "lo", "hi", "n", "nrows"];
const AGG_SQL = "sum(v) total, avg(v) avg, min(v) lo, max(v) hi, count(v) n, count(*) nrows";

/** A split-out groupby checked: P2P's rows are the task shuffle's in order, and DuckDB's. */
async function checkGroupby(
  db: DuckDBConnection,
  client: Client,
  rows: readonly Row[],
  grouped: (method: "p2p" | "tasks") => AnyFrame,
  keys: readonly string[],
): Promise<void> {
  const cols = [...keys, ...AGG_COLS];
  const p2p = canon(await grouped("p2p").toRecords({ client }), cols, true);
  assert.deepEqual(p2p, canon(await grouped("tasks").toRecords({ client }), cols, true));
  await load(db, "t", DUCK_COLUMNS, rows);
  const ks = keys.join(", ");
  const want = await query(db, `SELECT ${ks}, ${AGG_SQL} FROM t GROUP BY ${ks}`);
  assert.deepEqual([...p2p].sort(), canon(want, cols), "p2p vs DuckDB");
}

describe("P2P repartition by key and groupby splitOut on a thread cluster", {
  concurrency: false,
}, () => {
  let client: Client;
  let db: DuckDBConnection;
  before(async () => {
    client = await Client.connect({ workers: 3, localDirectory: tempDir(), setAsDefault: false });
    db = await duck();
  });
  after(async () => {
    await client.close();
  });

  test("shuffle(on) and repartition(n, { on }) through p2p equal the task shuffle and DuckDB", {
    timeout: 180_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(frameArb, onArb, fc.integer({ min: 1, max: 5 }), async (t, on, n) => {
        const df = frame(t.rows, t.nparts);
        await checkByKey(
          db,
          client,
          t.rows,
          (shuffle) => df.shuffle(on as never, { npartitions: n, shuffle }),
          on,
          n,
        );
        await checkByKey(
          db,
          client,
          t.rows,
          (shuffle) => df.repartition(n, { on: on as never, shuffle }),
          on,
          n,
        );
      }),
      RUNS,
    );
  });

  test("groupby with splitOut through p2p equals the task shuffle (in order) and DuckDB", {
    timeout: 180_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        frameArb,
        fc.constantFrom(["k"], ["k", "s"], ["s"]),
        fc.integer({ min: 2, max: 5 }),
        fc.constantFrom(2, 8),
        async (t, keys, splitOut, splitEvery) => {
          const df = frame(t.rows, t.nparts);
          await checkGroupby(
            db,
            client,
            t.rows,
            (shuffle) =>
              df.groupby(keys as never).agg(AGG as never, { splitOut, splitEvery, shuffle }),
            keys,
          );
        },
      ),
      RUNS,
    );
  });

  test("0 rows and 1 row: both shuffles give the same, empty or whole, partitions", {
    timeout: 60_000,
  }, async () => {
    const one: Row[] = [{ k: MAX, s: "", v: 1.5 }];
    for (const rows of [[], one]) {
      const df = frame(rows, 3);
      await checkByKey(db, client, rows, (m) => df.shuffle("k", { shuffle: m }), ["k"], 3);
      await checkByKey(
        db,
        client,
        rows,
        (m) => df.repartition(4, { on: "s", shuffle: m }),
        ["s"],
        4,
      );
      await checkGroupby(
        db,
        client,
        rows,
        (m) => df.groupby("k").agg(AGG as never, { splitOut: 3, shuffle: m }),
        ["k"],
      );
    }
  });

  test("left to the planner, 32 partitions go P2P and equal the task shuffle", {
    timeout: 180_000,
  }, async () => {
    const rows: Row[] = Array.from({ length: 4000 }, (_, i) => ({
      k: i % 11 === 0 ? null : KEYS[i % KEYS.length]!,
      s: i % 7 === 0 ? null : `${STRINGS[i % STRINGS.length]}${i % 97}`,
      v: i % 5 === 0 ? null : (i % 41) / 4,
    }));
    const df = frame(rows, 32);
    const auto = df.shuffle(["k", "s"], { npartitions: 6 });
    assert.match(auto.explain({ physical: true }), /shuffle=hash \(p2p: 32 input partitions/);
    await checkByKey(
      db,
      client,
      rows,
      (m) => df.shuffle(["k", "s"], { npartitions: 6, ...(m === "p2p" ? {} : { shuffle: m }) }),
      ["k", "s"],
      6,
    );
    const agg = (m: "p2p" | "tasks") =>
      df
        .groupby(["k", "s"])
        .agg(AGG as never, { splitOut: 4, ...(m === "p2p" ? {} : { shuffle: m }) });
    assert.match(agg("p2p").explain({ physical: true }), /p2p: 32 input partitions/);
    await checkGroupby(db, client, rows, agg, ["k", "s"]);
  });
});

test("process cluster: shuffle(on) and groupby splitOut through p2p equal DuckDB", {
  timeout: 180_000,
}, async () => {
  const c = await Client.connect({
    processes: true,
    workers: 2,
    localDirectory: tempDir(),
    setAsDefault: false,
  });
  const db = await duck();
  try {
    const rows: Row[] = Array.from({ length: 20_000 }, (_, i) => ({
      k: i % 13 === 0 ? null : i % 5 === 0 ? KEYS[i % KEYS.length]! : BigInt(i % 1009) - 500n,
      s: i % 17 === 0 ? null : i % 3 === 0 ? "" : `s${i % 31}`,
      v: i % 9 === 0 ? null : (i % 203) / 4,
    }));
    const df = frame(rows, 8);
    await checkByKey(db, c, rows, (m) => df.shuffle("k", { npartitions: 5, shuffle: m }), ["k"], 5);
    await checkGroupby(
      db,
      c,
      rows,
      (m) => df.groupby(["k", "s"]).agg(AGG as never, { splitOut: 3, shuffle: m }),
      ["k", "s"],
    );
  } finally {
    await c.close();
  }
});

test("process cluster: a worker killed during a P2P split-out groupby's transfers, the result is still right", {
  timeout: 240_000,
}, async () => {
  const local = tempDir();
  const c = await Client.connect({
    processes: true,
    workers: 3,
    localDirectory: local,
    setAsDefault: false,
  });
  const cluster = processClusters.get(c.backend as LocalBackend)!;
  const db = await duck();
  try {
    const rows: Row[] = Array.from({ length: 30_000 }, (_, i) => ({
      k: i % 11 === 0 ? null : i % 4 === 0 ? KEYS[i % KEYS.length]! : BigInt(i % 2003),
      s: i % 19 === 0 ? null : `s${i % 7}`,
      v: i % 9 === 0 ? null : (i % 101) / 4,
    }));
    // Slow partitions (150 ms each), so the kill lands while transfers are still being written.
    const grouped = frame(rows, 24)
      .mapPartitions((p) => {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 150);
        return p;
      })
      .groupby(["k", "s"])
      .agg(AGG as never, { splitOut: 4, shuffle: "p2p" });
    const victim = cluster.pids()[1]!;
    const done = grouped.toRecords({ client: c });
    const files = () =>
      existsSync(local)
        ? readdirSync(local, { recursive: true, encoding: "utf8" }).filter((f) =>
            f.endsWith(".bsh"),
          ).length
        : 0;
    const deadline = Date.now() + 120_000;
    while (files() < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(files() >= 4, "the transfers started");
    process.kill(victim, "SIGKILL");
    const got = await done;
    assert.notEqual(cluster.pids()[1], victim, "the victim was replaced");
    const cols = ["k", "s", ...AGG_COLS];
    await load(db, "t", DUCK_COLUMNS, rows);
    const want = await query(db, `SELECT k, s, ${AGG_SQL} FROM t GROUP BY k, s`);
    assert.deepEqual(canon(got, cols), canon(want, cols));
  } finally {
    await c.close();
  }
});
