/**
 * barn/frame over files, end to end: random tables are written by DuckDB to Parquet (several
 * row groups) and CSV (several files), queried through readParquet / readCsv (filter + groupby,
 * join, select) on the sync scheduler and on a local cluster of worker threads, and compared
 * with DuckDB's answers on the same files. Also: pushdown reaches the readers (explain, and the
 * Parquet reader skips row groups by statistics), round trips through toParquet / toCsv /
 * toJson, and malformed CSV (BARN_CSV_PARSE naming file, line and column; "skip" warns).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import fc from "fast-check";
import { readerOps } from "../../src/collections/frame/readers.js";
import * as bf from "../../src/frame.js";
import { Client } from "../../src/index.js";
import { planParquetSync } from "../../src/io/parquet.js";
import { assertSameRows, duck, load, query } from "../unit/frame/helpers.js";

interface Fact extends Record<string, unknown> {
  id: number;
  k: string | null;
  cat: string;
  x: number;
  y: number | null;
  ts: Date;
}

const factArb = (id: number): fc.Arbitrary<Fact> =>
  fc.record({
    id: fc.constant(id),
    k: fc.option(fc.constantFrom("a", "a", "a", "b", "c", "dd", "é", "k,1", 'q"t'), { freq: 8 }),
    cat: fc.constantFrom("x", "y", "z"),
    x: fc.integer({ min: 0, max: 100 }).map((v) => v / 100),
    y: fc.option(
      fc.integer({ min: -1000, max: 1000 }).map((v) => v / 8),
      { freq: 6 },
    ),
    ts: fc.integer({ min: 0, max: 10_000 }).map((s) => new Date(Date.UTC(2024, 0, 1) + s * 1000)),
  });

/** A seeded random table of `n` rows (ids 0..n-1 in order). */
function facts(n: number, seed: number): Fact[] {
  return fc.sample(fc.tuple(...Array.from({ length: n }, (_, i) => factArb(i))), {
    seed,
    numRuns: 1,
  })[0]!;
}

const COLUMNS = ["id INTEGER", "k VARCHAR", "cat VARCHAR", "x DOUBLE", "y DOUBLE", "ts TIMESTAMP"];
const DIM = ["a", "b", "c", "dd", "é", "k,1", "zz"].map((k, i) => ({ k, region: `r${i % 3}` }));
/** A second dimension, on cat; "z" has no row, so an inner join drops those facts. */
const CATS = [
  { cat: "x", label: "ex" },
  { cat: "y", label: "why" },
];

interface Files {
  readonly parquet: string[];
  readonly csv: string[];
  readonly dimParquet: string;
  readonly catsParquet: string;
  readonly dimCsv: string;
}

/** Writes the table with DuckDB as three Parquet files and three CSV files (by id range). */
async function writeWithDuck(c: DuckDBConnection, dir: string, rows: Fact[]): Promise<Files> {
  await load(c, "t", COLUMNS, rows);
  await load(c, "dim", ["k VARCHAR", "region VARCHAR"], DIM);
  await load(c, "cats", ["cat VARCHAR", "label VARCHAR"], CATS);
  const parquet: string[] = [];
  const csv: string[] = [];
  const third = Math.ceil(rows.length / 3);
  for (let i = 0; i < 3; i++) {
    const part = `SELECT * FROM t WHERE id >= ${i * third} AND id < ${(i + 1) * third} ORDER BY id`;
    csv.push(join(dir, `t-${i}.csv`));
    parquet.push(join(dir, `t-${i}.parquet`));
    await c.run(`COPY (${part}) TO '${csv[i]}' (HEADER, DELIMITER ',')`);
    await c.run(`COPY (${part}) TO '${parquet[i]}' (FORMAT parquet)`);
  }
  const dimParquet = join(dir, "dim.parquet");
  const dimCsv = join(dir, "dim.csv");
  await c.run(`COPY dim TO '${dimParquet}' (FORMAT parquet)`);
  const catsParquet = join(dir, "cats.parquet");
  await c.run(`COPY cats TO '${catsParquet}' (FORMAT parquet)`);
  await c.run(`COPY dim TO '${dimCsv}' (HEADER)`);
  return { parquet, csv, dimParquet, dimCsv, catsParquet };
}

const list = (ps: readonly string[]) => `[${ps.map((p) => `'${p}'`).join(", ")}]`;

/** The three queries, in barn/frame and in SQL over the same files. */
function cases(f: Files, format: "csv" | "parquet") {
  const facts =
    format === "csv" ? bf.readCsv(f.csv, { blocksize: 2048 }) : bf.readParquet(f.parquet);
  const dim = format === "csv" ? bf.readCsv(f.dimCsv) : bf.readParquet(f.dimParquet);
  const src = format === "csv" ? `read_csv(${list(f.csv)})` : `read_parquet(${list(f.parquet)})`;
  const dsrc = format === "csv" ? `read_csv('${f.dimCsv}')` : `read_parquet('${f.dimParquet}')`;
  return [
    {
      name: "filter + groupby-agg",
      frame: facts
        .filter(bf.col("x").gt(0.3).and(bf.col("cat").ne("z")))
        .groupby("k")
        .agg({ x: "mean", y: ["sum", "count"], n: ["id", "size"] }),
      sql: `SELECT k, avg(x) AS x, sum(y) AS y_sum, count(y) AS y_count, count(*) AS n FROM ${src} WHERE x > 0.3 AND cat <> 'z' GROUP BY k`,
    },
    {
      name: "join then groupby",
      frame: facts.merge(dim, { on: "k" }).groupby("region").agg({ y: "sum", x: "max" }),
      sql: `SELECT d.region AS region, sum(f.y) AS y, max(f.x) AS x FROM ${src} f JOIN ${dsrc} d ON f.k = d.k GROUP BY d.region`,
    },
    {
      // Parquet runs the steps and the broadcast join inside each part's aggregation task.
      name: "filter, left join, withColumns, filter, then groupby",
      frame: facts
        .filter(bf.col("x").gt(0.2))
        .merge(dim, { on: "k", how: "left" })
        .withColumns({ z: bf.col("y").mul(2) })
        .filter(bf.col("id").lt(300))
        .groupby("region")
        .agg({ z: "sum", n: ["id", "size"] }),
      sql: `SELECT d.region AS region, sum(f.y * 2) AS z, count(*) AS n FROM ${src} f LEFT JOIN ${dsrc} d ON f.k = d.k WHERE f.x > 0.2 AND f.id < 300 GROUP BY d.region`,
    },
    {
      // Two broadcast joins in one aggregation task (the second on a Parquet table either way).
      name: "two joins, then groupby on a key from each",
      frame: facts
        .merge(dim, { on: "k" })
        .merge(bf.readParquet(f.catsParquet), { on: "cat" })
        .groupby(["region", "label"])
        .agg({ y: "sum", n: ["id", "size"] }),
      sql: `SELECT d.region AS region, c.label AS label, sum(f.y) AS y, count(*) AS n FROM ${src} f JOIN ${dsrc} d ON f.k = d.k JOIN read_parquet('${f.catsParquet}') c ON f.cat = c.cat GROUP BY d.region, c.label`,
    },
    {
      name: "select with a filter",
      frame: facts.filter(bf.col("id").ge(137)).select("id", "k", "ts"),
      sql: `SELECT id, k, ts FROM ${src} WHERE id >= 137`,
    },
  ];
}

describe("barn/frame readers against DuckDB on the same files", { timeout: 120_000 }, () => {
  let c: DuckDBConnection;
  let dir: string;
  let files: Files;
  let rows: Fact[];
  before(async () => {
    c = await duck();
    await c.run("SET TimeZone = 'UTC'");
    dir = mkdtempSync(join(tmpdir(), "barn-frame-io-"));
    rows = facts(400, 7);
    files = await writeWithDuck(c, dir, rows);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const scheduler of ["sync", "cluster"] as const) {
    test(`filter + groupby, join, select over Parquet and CSV (${scheduler})`, async () => {
      const client =
        scheduler === "sync"
          ? await Client.connect({ scheduler: "sync", setAsDefault: false })
          : await Client.connect({ scheduler: "threads", workers: 2, setAsDefault: false });
      try {
        for (const format of ["parquet", "csv"] as const) {
          for (const q of cases(files, format)) {
            const got = await q.frame.toRecords({ client });
            const want = await query(c, q.sql);
            assertSameRows(got, want, `${format} ${q.name} (${scheduler})`);
          }
        }
      } finally {
        await client.close();
      }
    });
  }

  test("projection and predicate pushdown reach the readers (explain, row groups skipped)", async () => {
    const path = join(dir, "barn-written");
    await bf.fromRecords(rows).toParquet(path, { rowGroupSize: 50, scheduler: "sync" });
    // By default the small row groups share one partition (up to blocksize bytes).
    assert.equal(bf.readParquet(path).npartitions, 1, "the row groups of 50 share a partition");
    assert.equal(bf.readParquet(path, { blocksize: 1 }).npartitions, 8, "a row group each");
    const df = bf.readParquet(path, { rowGroupsPerPartition: 1 });
    assert.equal(df.npartitions, 8, "one partition per row group of 50");
    const q = df.filter(bf.col("id").ge(380)).select("id", "x");
    const plan = q.explain();
    assert.match(
      plan,
      /source parquet {2}partitions=8 {2}columns=\[id, x\] {2}filters=\[id >= 380\]/,
    );
    const csvPlan = bf.readCsv(files.csv).filter(bf.col("x").lt(0.5)).select("k").explain();
    assert.match(csvPlan, /source csv {2}partitions=3 {2}columns=\[k, x\]/);
    // The reader task skips the row groups whose statistics rule the filter out.
    const parts = planParquetSync(path).parts;
    const read = await Promise.all(
      parts.map((p) =>
        readerOps.readParquetSource(p, ["id"], [{ column: "id", op: "ge", value: 380 }]),
      ),
    );
    assert.deepEqual(
      read.map((b) => b.length),
      [0, 0, 0, 0, 0, 0, 0, 50],
    );
    const out = await q.toRecords({ scheduler: "sync" });
    assert.deepEqual(
      out.map((r) => r.id),
      rows.filter((r) => r.id >= 380).map((r) => r.id),
    );
  });

  test("toParquet dictionary-encodes repeating string columns; DuckDB and joins with utf8 agree", async () => {
    // 10,000 keys over 40,000 rows: hyparquet-writer's own 1,000-value sample sees them as
    // nearly distinct and wrote PLAIN, so readers got utf8 and hashed bytes per row.
    const n = 40_000;
    const recs = Array.from({ length: n }, (_, i) => ({
      i,
      key: `k${String((i * 7919) % 10_000).padStart(4, "0")}`,
      tag: i % 13 === 0 ? null : `t${i % 50}`,
      uniq: `u${i}`,
    }));
    const path = join(dir, "barn-dict");
    await bf.fromRecords(recs).toParquet(path, { scheduler: "sync" });
    const meta = await query(
      c,
      `SELECT path_in_schema AS col, encodings FROM parquet_metadata('${path}/*.parquet')`,
    );
    const encodings = (name: string) =>
      meta.filter((m) => m.col === name).map((m) => String(m.encodings));
    assert.ok(encodings("key").length > 0);
    for (const e of [...encodings("key"), ...encodings("tag")]) assert.match(e, /DICTIONARY/);
    for (const e of encodings("uniq")) assert.doesNotMatch(e, /DICTIONARY/, "distinct: PLAIN");
    const back = bf.readParquet(path);
    const types = Object.fromEntries(back.schema.map((f) => [f.name, f.type]));
    assert.deepEqual(types, { i: "int32", key: "dict", tag: "dict", uniq: "utf8" });
    assertSameRows(
      await back.toRecords({ scheduler: "sync" }),
      await query(c, `SELECT * FROM read_parquet('${path}/*.parquet')`),
      "DuckDB reads Barn's dictionary pages",
    );
    // A dict key (Parquet) joined with a utf8 key (records), and concatenated with utf8.
    const dim = Array.from({ length: 300 }, (_, j) => ({
      key: `k${String(j * 31).padStart(4, "0")}`,
      w: j,
    }));
    const joined = await back
      .join(bf.fromRecords(dim), { on: "key" })
      .groupby("key")
      .agg({ n: ["i", "count"], w: ["w", "max"] })
      .toRecords({ scheduler: "sync" });
    const byKey = new Map(dim.map((d) => [d.key, d.w]));
    const want = new Map<string, number>();
    for (const r of recs) if (byKey.has(r.key)) want.set(r.key, (want.get(r.key) ?? 0) + 1);
    assert.equal(joined.length, want.size);
    for (const r of joined) {
      assert.equal(r.n, want.get(r.key as string), `count of ${r.key}`);
      assert.equal(r.w, byKey.get(r.key as string));
    }
    const mixed = await bf
      .concat([back.select("key"), bf.fromRecords<Record<string, unknown>>([{ key: "zz" }])])
      .toRecords({ scheduler: "sync" });
    assert.equal(mixed.length, n + 1);
    assert.equal(mixed.at(-1)?.key, "zz");
    // Row groups whose values are all null get an empty dictionary; both readers take them.
    const sparse = Array.from({ length: 300 }, (_, i) => ({ i, s: i < 100 ? null : `v${i % 5}` }));
    const sparsePath = join(dir, "barn-dict-nulls");
    await bf.fromRecords(sparse).toParquet(sparsePath, { rowGroupSize: 50, scheduler: "sync" });
    assert.deepEqual(await bf.readParquet(sparsePath).toRecords({ scheduler: "sync" }), sparse);
    assertSameRows(
      sparse,
      await query(c, `SELECT * FROM read_parquet('${sparsePath}/*.parquet')`),
      "DuckDB reads all-null dictionary chunks",
    );
  });

  test("columns option and unknown columns fail when the query is built", () => {
    assert.deepEqual(bf.readParquet(files.parquet, { columns: ["x", "id"] }).columns, ["x", "id"]);
    assert.deepEqual(bf.readCsv(files.csv, { columns: ["cat"] }).columns, ["cat"]);
    assert.throws(
      () => bf.readParquet(files.parquet, { columns: ["nope"] }),
      (e: Error & { code?: string }) => e.code === "BARN_UNKNOWN_COLUMN" && /nope/.test(e.message),
    );
    assert.throws(
      () => bf.readCsv(files.csv).select("nope"),
      (e: Error & { code?: string }) => e.code === "BARN_UNKNOWN_COLUMN",
    );
    assert.throws(
      () => bf.readParquet(join(dir, "missing-*.parquet")),
      (e: Error & { code?: string }) =>
        e.code === "BARN_IO_NOT_FOUND" && /missing-/.test(e.message),
    );
    assert.throws(
      () => bf.readCsv(files.csv, { onBadLines: "warn" as "skip" }),
      (e: Error & { code?: string }) =>
        e.code === "BARN_INVALID_OPTION" && /onBadLines/.test(e.message),
    );
  });
});

describe("groupby over Parquet reuses the read buffers between parts (scan + aggregate tasks)", {
  timeout: 120_000,
}, () => {
  // Parts large enough that their columns go back to the scratch pool and the next part (or the
  // next query) decodes into them: an answer that still pointed into a recycled buffer would
  // come out wrong in a later query.
  let c: DuckDBConnection;
  let dir: string;
  let src: string;
  let paths: string[];
  before(async () => {
    c = await duck();
    dir = mkdtempSync(join(tmpdir(), "barn-frame-scan-"));
    paths = [0, 1, 2].map((i) => join(dir, `big-${i}.parquet`));
    for (const [i, p] of paths.entries()) {
      await c.run(`COPY (SELECT r AS id,
          CASE WHEN r % 13 = 0 THEN NULL ELSE 'k' || ((r * 7 + ${i}) % 97) END AS k,
          CASE WHEN r % 5 = 0 THEN 'lo' ELSE 'hi' END AS cat,
          ((r * 31 + ${i}) % 1000) / 10.0 AS x,
          CASE WHEN r % 11 = 0 THEN NULL ELSE (r % 17) - 8 END::DOUBLE AS y
        FROM range(${i * 40_000}, ${(i + 1) * 40_000}) t(r)) TO '${p}' (FORMAT parquet, ROW_GROUP_SIZE 20000)`);
    }
    src = `read_parquet([${paths.map((p) => `'${p}'`).join(", ")}])`;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const scheduler of ["sync", "one worker"] as const) {
    test(`queries one after another agree with DuckDB (${scheduler})`, async () => {
      const client =
        scheduler === "sync"
          ? await Client.connect({ scheduler: "sync", setAsDefault: false })
          : await Client.connect({ workers: 1, setAsDefault: false });
      try {
        const df = bf.readParquet(paths);
        const queries = [
          [
            df
              .groupby("k")
              .agg({ x: ["mean", "min", "max"], y: ["sum", "count"], n: ["id", "size"] }),
            `SELECT k, avg(x) x_mean, min(x) x_min, max(x) x_max, sum(y) y_sum, count(y) y_count, count(*) n FROM ${src} GROUP BY k`,
          ],
          [
            df
              .filter(bf.col("x").gt(40))
              .groupby("cat")
              .agg({ k: ["nunique", "min", "max"], y: "sum" }),
            `SELECT cat, count(DISTINCT k) k_nunique, min(k) k_min, max(k) k_max, sum(y) y FROM ${src} WHERE x > 40 GROUP BY cat`,
          ],
          [
            df
              .filter(bf.col("id").lt(50_000))
              .groupby(["cat", "k"])
              .agg({ x: "first", y: "last", id: "max" }),
            `SELECT cat, k, first(x ORDER BY id) x, last(y ORDER BY id) FILTER (WHERE y IS NOT NULL) y, max(id) id FROM ${src} WHERE id < 50000 GROUP BY cat, k`,
          ],
          [
            df.groupby("k").agg({ x: "mean", y: "sum" }).untyped(),
            `SELECT k, avg(x) x, sum(y) y FROM ${src} GROUP BY k`,
          ],
        ] as const;
        for (let round = 0; round < 2; round++) {
          for (const [i, [frame, sql]] of queries.entries()) {
            const got = await frame.toRecords({ client });
            assertSameRows(got, await query(c, sql), `query ${i}, round ${round} (${scheduler})`);
          }
        }
      } finally {
        await client.close();
      }
    });
  }
});

describe("writers: round trips through toParquet, toCsv, toJson", { timeout: 60_000 }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "barn-frame-write-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const readBack = {
    parquet: (d: string) => bf.readParquet(d),
    csv: (d: string) => bf.readCsv(d, { schema: { k: "utf8" } }),
    json: (d: string) => bf.readJson(d, { schema: { k: "utf8" } }),
  };

  for (const format of ["parquet", "csv", "json"] as const) {
    test(`${format}: one file per partition, read back equal`, async () => {
      const rows = facts(120, 11).map((r) => ({ ...r, k: r.k === "" ? null : r.k }));
      const df = bf.fromRecords(rows, { npartitions: 3 });
      const out = join(dir, format);
      const write =
        format === "parquet"
          ? df.toParquet(out, { scheduler: "sync" })
          : format === "csv"
            ? df.toCsv(out, { scheduler: "sync" })
            : df.toJson(out, { scheduler: "sync" });
      const result = await write;
      assert.equal(result.rows, 120);
      assert.deepEqual(
        result.files.map((f) => f.slice(out.length + 1)),
        [0, 1, 2].map((i) => `part-0000${i}.${format === "json" ? "jsonl" : format}`),
      );
      const back = await readBack[format](out).toRecords({ scheduler: "sync" });
      assertSameRows(back, rows, `${format} round trip`);
    });
  }

  test("written by tasks on a local cluster, from a filtered frame", async () => {
    const rows = facts(90, 3);
    const client = await Client.connect({ scheduler: "threads", workers: 2, setAsDefault: false });
    try {
      const out = join(dir, "cluster");
      const df = bf.fromRecords(rows, { npartitions: 4 }).filter(bf.col("x").gt(0.5));
      const { files } = await df.toParquet(out, { client });
      assert.equal(files.length, 4);
      const back = await bf.readParquet(out).toRecords({ client });
      assertSameRows(
        back,
        rows.filter((r) => r.x > 0.5),
      );
    } finally {
      await client.close();
    }
  });
});

describe("malformed CSV", { timeout: 60_000 }, () => {
  let dir: string;
  const file = (name: string) => join(dir, name);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "barn-frame-badcsv-"));
    const lines = ["id,name,v"];
    for (let i = 0; i < 40; i++) lines.push(`${i},n${i},${i / 2}`);
    const value = [...lines];
    value[23] = "22,n22,oops"; // line 24 of the file: v is not a number
    const short = [...lines];
    short[31] = "30,n30"; // line 32: a field short
    writeFileSync(file("a-value.csv"), `${value.join("\n")}\n`);
    writeFileSync(file("b-short.csv"), `${short.join("\n")}\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("error mode names the file, line and column", async () => {
    const isParse =
      (path: string, line: number, column: string) => (e: Error & { code?: string }) =>
        e.code === "BARN_CSV_PARSE" &&
        e.message.includes(`${path}:${line}:`) &&
        e.message.includes(`column "${column}"`);
    await assert.rejects(
      bf.readCsv(file("a-value.csv"), { sampleBytes: 64 }).toRecords({ scheduler: "sync" }),
      isParse(file("a-value.csv"), 24, "v"),
    );
    await assert.rejects(
      bf.readCsv(file("b-short.csv"), { sampleBytes: 64 }).toRecords({ scheduler: "sync" }),
      isParse(file("b-short.csv"), 32, "v"),
    );
  });

  test('"skip" drops the bad rows and reports how many in BARN_BAD_LINES warnings', async () => {
    const warnings: (Error & { code?: string; detail?: string })[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const out = await bf
        .readCsv(dir, { sampleBytes: 64, onBadLines: "skip" })
        .toRecords({ scheduler: "sync" });
      assert.equal(out.length, 78);
      assert.equal(out.filter((r) => r.id === 22 || r.id === 30).length, 2);
      await new Promise((r) => setImmediate(r));
      const mine = warnings
        .filter((w) => w.code === "BARN_BAD_LINES")
        .map((w) => JSON.parse(w.detail!) as { path: string })
        .sort((a, b) => a.path.localeCompare(b.path));
      assert.deepEqual(mine, [
        { path: file("a-value.csv"), badLines: 1 },
        { path: file("b-short.csv"), badLines: 1 },
      ]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  test("countBadLines gives the figure per file, on the sync scheduler and on a cluster", async () => {
    const df = bf
      .readCsv(dir, { sampleBytes: 64, onBadLines: "skip", blocksize: 128 })
      .filter(bf.col("v").gt(3));
    assert.ok(df.npartitions > 2, "files split into several parts");
    const want = { total: 2, byFile: { [file("a-value.csv")]: 1, [file("b-short.csv")]: 1 } };
    assert.deepEqual(await bf.countBadLines(df, { scheduler: "sync" }), want);
    const client = await Client.connect({ scheduler: "threads", workers: 2, setAsDefault: false });
    try {
      assert.deepEqual(await bf.countBadLines(df, { client }), want);
    } finally {
      await client.close();
    }
    assert.deepEqual(await bf.countBadLines(bf.fromRecords([{ a: 1 }]), { scheduler: "sync" }), {
      total: 0,
      byFile: {},
    });
  });
});
