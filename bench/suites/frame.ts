/**
 * The DataFrame benchmark: three queries over the seeded dataset (bench/frame-data.ts), read
 * from CSV and from Parquet, by Barn (barn/frame on the default local cluster) and by DuckDB
 * (the peer, same SQL on the same files) in the same run, and nodejs-polars (a second peer,
 * `polars_s` and `ratio_polars`, where it loads). Barn's answer is checked against DuckDB's: a
 * wrong answer fails the case. Every figure is a median of the repeats (polars_s too; see harness.ts).
 *
 * Data: `BARN_BENCH_DIR` (default `os.tmpdir()/barn-frame-bench`)/<rows>, generated once and
 * reused. Rows: `BARN_FRAME_ROWS` (default 10,000,000). The `-events` cases read a second
 * dataset of another shape (frame-data.ts `FrameShape`), `BARN_FRAME_EVENTS_ROWS` rows (default
 * 2,000,000) in `frame-events-<rows>`. `n` is rows, so the harness's tasks_per_s column reads as
 * rows per second here.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import * as bf from "../../src/frame.js";
import { Client } from "../../src/index.js";
import { type FrameData, type FrameShape, generateFrameData } from "../frame-data.js";
import type { BenchCase, CaseResult, Suite } from "../harness.js";
import { foreignCases } from "./frame-foreign.js";
import { frameJsonCases } from "./frame-json.js";

export type Rec = Record<string, unknown>;
export type Format = "csv" | "parquet";

const rows = Number(process.env.BARN_FRAME_ROWS ?? 10_000_000);
/** Where the frame dataset lives: `BARN_BENCH_DIR` (default os.tmpdir()/barn-frame-bench)/<rows>. */
export function frameBenchDir(): string {
  return join(process.env.BARN_BENCH_DIR ?? join(tmpdir(), "barn-frame-bench"), String(rows));
}
const dir = frameBenchDir();
/** Rows of the "events" dataset: `BARN_FRAME_EVENTS_ROWS` (default 2,000,000, in 10 files). */
const eventRows = Number(process.env.BARN_FRAME_EVENTS_ROWS ?? 2_000_000);
const eventsDir = join(
  process.env.BARN_BENCH_DIR ?? join(tmpdir(), "barn-frame-bench"),
  `frame-events-${eventRows}`,
);

const data = new Map<FrameShape, Promise<FrameData>>();
/**
 * A dataset, generated on first use (minutes for 10M rows) and cached on disk: the "facts" shape
 * (the default) or the "events" shape (other keys, types, nulls and column order; frame-data.ts).
 */
export function dataset(shape: FrameShape = "facts"): Promise<FrameData> {
  let d = data.get(shape);
  if (d === undefined) {
    d =
      shape === "facts"
        ? generateFrameData(dir, { rows })
        : generateFrameData(eventsDir, { rows: eventRows, files: 10, shape });
    data.set(shape, d);
  }
  return d;
}

/** nodejs-polars' lazy API, as much of it as the queries use (optional; see polars()). */
// biome-ignore lint/suspicious/noExplicitAny: polars' own types are not needed for three queries
type Polars = any;
// biome-ignore lint/suspicious/noExplicitAny: a polars LazyFrame
type LazyFrame = any;

/** One query: Barn's frame, DuckDB's SQL, polars' lazy frame, and the output's key column. */
interface Query {
  readonly key: string;
  barn(read: (which: "facts" | "dim") => bf.DataFrame): bf.DataFrame;
  sql(facts: string, dim: string): string;
  polars(pl: Polars, facts: LazyFrame, dim: LazyFrame): LazyFrame;
}

export const queries: Record<string, Query> = {
  groupby: {
    key: "key",
    barn: (read) => read("facts").groupby("key").agg({ x: "mean", y: "sum" }).untyped(),
    sql: (f) => `SELECT key, avg(x) AS x, sum(y) AS y FROM ${f} GROUP BY key`,
    polars: (pl, f) => f.groupBy("key").agg(pl.col("x").mean(), pl.col("y").sum()),
  },
  "filter-count": {
    key: "cat",
    barn: (read) =>
      read("facts")
        .filter(bf.col("x").gt(0.5))
        .groupby("cat")
        .agg({ n: ["x", "size"] })
        .untyped(),
    sql: (f) => `SELECT cat, count(*) AS n FROM ${f} WHERE x > 0.5 GROUP BY cat`,
    polars: (pl, f) =>
      f.filter(pl.col("x").gt(0.5)).groupBy("cat").agg(pl.col("x").count().alias("n")),
  },
  join: {
    key: "region",
    barn: (read) =>
      read("facts").merge(read("dim"), { on: "key" }).groupby("region").agg({ y: "sum" }).untyped(),
    sql: (f, d) =>
      `SELECT d.region AS region, sum(f.y) AS y FROM ${f} f JOIN ${d} d ON f.key = d.key GROUP BY d.region`,
    polars: (pl, f, d) => f.join(d, { on: "key" }).groupBy("region").agg(pl.col("y").sum()),
  },
};

function sqlList(paths: readonly string[]): string {
  return `[${paths.map((p) => `'${p.replaceAll("'", "''")}'`).join(", ")}]`;
}

export function reader(d: FrameData, format: Format) {
  return (which: "facts" | "dim"): bf.DataFrame => {
    if (format === "csv") return bf.readCsv(which === "facts" ? d.csv : d.dimCsv);
    return bf.readParquet(which === "facts" ? d.parquet : d.dimParquet);
  };
}

function sources(d: FrameData, format: Format): [string, string] {
  if (format === "csv") return [`read_csv(${sqlList(d.csv)})`, `read_csv(${sqlList([d.dimCsv])})`];
  return [`read_parquet(${sqlList(d.parquet)})`, `read_parquet(${sqlList([d.dimParquet])})`];
}

/** Barn's rows equal DuckDB's: same keys, numbers within a relative 1e-9 (sums: 1e-9 of the scale). */
function check(name: string, key: string, barn: readonly Rec[], duck: readonly Rec[]): void {
  const fail = (why: string) => {
    throw new Error(`benchmark ${name}: Barn's answer differs from DuckDB's: ${why}`);
  };
  if (barn.length !== duck.length) fail(`${barn.length} groups, DuckDB ${duck.length}`);
  const byKey = new Map(duck.map((r) => [String(r[key]), r]));
  for (const r of barn) {
    const d = byKey.get(String(r[key]));
    if (d === undefined) fail(`group ${String(r[key])} is not in DuckDB's answer`);
    for (const [c, v] of Object.entries(r)) {
      if (c === key) continue;
      const a = Number(v);
      const b = Number(d![c]);
      if (!(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)) * 1e3))
        fail(`group ${String(r[key])}: ${c} = ${a}, DuckDB ${b}`);
    }
  }
}

let polarsP: Promise<Polars | undefined> | undefined;
/** nodejs-polars when it loads here (its native part is a separate package), else undefined. */
function polars(): Promise<Polars | undefined> {
  // A dev dependency (nodejs-polars and its linux-x64-gnu native package, pinned); loaded by
  // name so that a machine without its native package still runs the other figures.
  const name: string = "nodejs-polars";
  polarsP ??= import(name).then(
    (m) => m.default ?? m,
    () => undefined,
  );
  return polarsP;
}

/** Polars' time for the query on the same files, in seconds (its groups are counted too). */
async function polarsTime(q: Query, d: FrameData, format: Format): Promise<number | undefined> {
  const pl = await polars();
  if (pl === undefined) return undefined;
  const scan = (paths: readonly string[]) =>
    pl.concat(paths.map((p) => (format === "csv" ? pl.scanCSV(p) : pl.scanParquet(p))));
  const facts = scan(format === "csv" ? d.csv : d.parquet);
  const dim = scan([format === "csv" ? d.dimCsv : d.dimParquet]);
  await dim.collect(); // warm-up, as for Barn and DuckDB: the native module and the reader
  const t0 = performance.now();
  const out = await q.polars(pl, facts, dim).collect();
  const s = seconds(t0);
  if (out.height === 0) throw new Error("polars returned no groups");
  return s;
}

let duckConn: Promise<DuckDBConnection> | undefined;
function duck(): Promise<DuckDBConnection> {
  duckConn ??= DuckDBInstance.create(":memory:").then((i) => i.connect());
  return duckConn;
}

let clientP: Promise<Client> | undefined;
/**
 * Barn's default local cluster (one worker thread per core), kept for the whole suite, and
 * warmed up as the other suites do: a query over the dimension table in both formats loads the
 * readers and kernels on every worker, and DuckDB reads the same files once, so the cases
 * measure steady state, not start-up.
 */
function client(d: FrameData): Promise<Client> {
  clientP ??= (async () => {
    const c = await Client.connect({ setAsDefault: false });
    const conn = await duck();
    for (const format of ["csv", "parquet"] as const) {
      const dim = reader(d, format)("dim");
      await dim.repartition(4).groupby("region").agg({ key: "count" }).toRecords({ client: c });
      await conn.runAndReadAll(`SELECT count(*) FROM ${sources(d, format)[1]}`);
    }
    return c;
  })();
  return clientP;
}

function seconds(t0: number): number {
  return (performance.now() - t0) / 1000;
}

function frameCase(query: string, format: Format, shape: FrameShape): BenchCase {
  const q = queries[query]!;
  const name = `${query}-${format}${shape === "facts" ? "" : `-${shape}`}`;
  return {
    name,
    async run(): Promise<CaseResult> {
      const d = await dataset(shape);
      const c = await client(await dataset());
      const t0 = performance.now();
      const got = (await q.barn(reader(d, format)).toRecords({ client: c })) as Rec[];
      const barn_s = seconds(t0);
      const conn = await duck();
      const [facts, dim] = sources(d, format);
      const t1 = performance.now();
      const want = (await conn.runAndReadAll(q.sql(facts, dim))).getRowObjectsJS() as Rec[];
      const peer_s = seconds(t1);
      check(name, q.key, got, want);
      const polars_s = await polarsTime(q, d, format);
      const extra: Record<string, number | string> = { groups: got.length };
      if (polars_s !== undefined) {
        extra.polars_s = Number(polars_s.toPrecision(4));
        extra.ratio_polars = Number((barn_s / polars_s).toPrecision(4));
      }
      return { n: d.rows, barn_s, peer: "duckdb", peer_s, extra };
    },
  };
}

/** What cases kept in other files (frame-foreign.ts) share with this suite's. */
export interface SuiteContext {
  readonly dir: string;
  readonly bf: typeof bf;
  readonly queries: typeof queries;
  dataset(): Promise<FrameData>;
  client(): Promise<Client>;
  duck(): Promise<DuckDBConnection>;
  check: typeof check;
  polars(): Promise<Polars | undefined>;
}

const context: SuiteContext = {
  dir,
  bf,
  queries,
  dataset,
  client: async () => client(await dataset()),
  duck,
  check,
  polars,
};

/**
 * The frame suite: groupby, filter-count and join over CSV and over Parquet, on the "facts"
 * dataset and then on the "events" one (`-events` cases: the same queries on data of another
 * shape, every schema inferred), then Parquet written by DuckDB and Polars
 * (frame-foreign.ts), then JSON lines (frame-json.ts).
 */
export const frameSuite: Suite = {
  name: "frame",
  cases: [
    ...(["facts", "events"] as const).flatMap((shape) =>
      (["csv", "parquet"] as const).flatMap((format) =>
        Object.keys(queries).map((query) => frameCase(query, format, shape)),
      ),
    ),
    ...foreignCases(context),
    ...frameJsonCases,
  ],
};
