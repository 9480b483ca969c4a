/**
 * The frame suite's three queries on Parquet that Barn did not write: the same rows as the
 * frame dataset, written by DuckDB with its defaults and by nodejs-polars with its defaults
 * (bench/foreign-data.ts: 20 files of 500,000 rows), read by Barn on the suite's cluster and by
 * DuckDB (the peer) on the same files. Barn's answer is checked against DuckDB's.
 *
 * Cases `<query>-parquet-duckdb` and `<query>-parquet-polars`; the Polars ones are opt-in
 * (`--case`) where nodejs-polars is not installed (it writes their files).
 */
import { createRequire } from "node:module";
import { type ForeignData, foreignData, type Writer } from "../foreign-data.js";
import type { BenchCase, CaseResult } from "../harness.js";
import type { Rec, SuiteContext } from "./frame.js";

const polarsInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve("nodejs-polars");
    return true;
  } catch {
    return false;
  }
})();

const written = new Map<Writer, Promise<ForeignData>>();

function files(ctx: SuiteContext, writer: Writer): Promise<ForeignData> {
  let d = written.get(writer);
  if (d === undefined) {
    d = (async () => {
      const src = await ctx.dataset();
      const pl = writer === "polars" ? await ctx.polars() : undefined;
      if (writer === "polars" && pl === undefined)
        throw new Error("nodejs-polars does not load here: install the dev dependencies");
      return foreignData(src, `${ctx.dir}-${writer}`, writer, pl);
    })();
    written.set(writer, d);
  }
  return d;
}

function sqlList(paths: readonly string[]): string {
  return `[${paths.map((p) => `'${p.replaceAll("'", "''")}'`).join(", ")}]`;
}

function foreignCase(ctx: SuiteContext, query: string, writer: Writer): BenchCase {
  const q = ctx.queries[query]!;
  const name = `${query}-parquet-${writer}`;
  return {
    name,
    optIn: writer === "polars" && !polarsInstalled,
    async run(): Promise<CaseResult> {
      const d = await files(ctx, writer);
      const c = await ctx.client();
      const read = (which: "facts" | "dim") =>
        ctx.bf.readParquet(which === "facts" ? d.parquet : d.dimParquet);
      const t0 = performance.now();
      const got = (await q.barn(read).toRecords({ client: c })) as Rec[];
      const barn_s = (performance.now() - t0) / 1000;
      const conn = await ctx.duck();
      const t1 = performance.now();
      const want = (
        await conn.runAndReadAll(
          q.sql(`read_parquet(${sqlList(d.parquet)})`, `read_parquet(${sqlList([d.dimParquet])})`),
        )
      ).getRowObjectsJS() as Rec[];
      const peer_s = (performance.now() - t1) / 1000;
      ctx.check(name, q.key, got, want);
      return { n: d.rows, barn_s, peer: "duckdb", peer_s, extra: { groups: got.length } };
    },
  };
}

/** The cases, for the frame suite to append (it passes what they share with its own cases). */
export function foreignCases(ctx: SuiteContext): BenchCase[] {
  return (["duckdb", "polars"] as const).flatMap((writer) =>
    Object.keys(ctx.queries).map((query) => foreignCase(ctx, query, writer)),
  );
}
