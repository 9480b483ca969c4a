/**
 * The frame suite's JSON lines cases (wired into bench/suites/frame.ts): the seeded event records
 * of bench/events-data.ts (`BARN_EVENTS_ROWS`, default 2,000,000 rows in 10 files, about 140 MB)
 * through `readJson(files).filter(col("action").eq("click")).valueCounts("user")`.
 *
 * Barn's time includes `Client.connect()` (a fresh default local cluster, one worker thread per
 * core) and closing it: the figure a script that reads the files once would see. Peers: DuckDB's
 * `read_json` (same query in SQL, `peer_s`, `ratio`) and a plain single-threaded Node loop (read
 * each file, split lines, JSON.parse, count: `plain_s`, `ratio_plain`; the target is
 * ratio_plain at most 1 / 1.8 = 0.56). Barn's answer is checked against both.
 */
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import * as bf from "../../src/frame.js";
import { Client } from "../../src/index.js";
import { type EventsData, generateEvents } from "../events-data.js";
import type { BenchCase, CaseResult } from "../harness.js";

const rows = Number(process.env.BARN_EVENTS_ROWS ?? 2_000_000);
const dir = join(
  process.env.BARN_BENCH_DIR ?? join(tmpdir(), "barn-frame-bench"),
  `events-${rows}`,
);

let data: Promise<EventsData> | undefined;
function events(): Promise<EventsData> {
  data ??= generateEvents(dir, { rows, files: 10 });
  return data;
}

function seconds(t0: number): number {
  return (performance.now() - t0) / 1000;
}

/** The plain loop: one thread, JSON.parse per line, counting clicks per user. */
function plainLoop(files: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of files) {
    for (const line of readFileSync(f, "utf8").split("\n")) {
      if (line === "") continue;
      const r = JSON.parse(line) as { user: string; action: string };
      if (r.action === "click") counts.set(r.user, (counts.get(r.user) ?? 0) + 1);
    }
  }
  return counts;
}

function checkCounts(who: string, got: Map<string, number>, want: Map<string, number>): void {
  if (got.size !== want.size)
    throw new Error(`json-clicks: Barn found ${want.size} users, ${who} ${got.size}`);
  for (const [user, n] of want) {
    if (got.get(user) !== n)
      throw new Error(`json-clicks: user ${user}: Barn ${n}, ${who} ${got.get(user)}`);
  }
}

const jsonClicks: BenchCase = {
  name: "json-clicks",
  async run(): Promise<CaseResult> {
    const d = await events();
    const t0 = performance.now();
    const client = await Client.connect({ setAsDefault: false });
    let got: Record<string, unknown>[];
    try {
      got = await bf
        .readJson(d.files)
        .filter(bf.col("action").eq("click"))
        .valueCounts("user")
        .toRecords({ client });
    } finally {
      await client.close();
    }
    const barn_s = seconds(t0);
    const barn = new Map(got.map((r) => [String(r.user), Number(r.count)]));

    const conn = await (await DuckDBInstance.create(":memory:")).connect();
    const list = d.files.map((f) => `'${f.replaceAll("'", "''")}'`).join(", ");
    const t1 = performance.now();
    const duck = (
      await conn.runAndReadAll(
        `SELECT "user", count(*) AS n FROM read_json([${list}], format = 'newline_delimited') WHERE action = 'click' GROUP BY "user"`,
      )
    ).getRowObjectsJS();
    const peer_s = seconds(t1);
    conn.closeSync();
    checkCounts("DuckDB", new Map(duck.map((r) => [String(r.user), Number(r.n)])), barn);

    const t2 = performance.now();
    const plain = plainLoop(d.files);
    const plain_s = seconds(t2);
    checkCounts("the plain loop", plain, barn);
    return {
      n: d.rows,
      barn_s,
      peer: "duckdb",
      peer_s,
      extra: {
        groups: barn.size,
        plain_s: Number(plain_s.toPrecision(4)),
        ratio_plain: Number((barn_s / plain_s).toPrecision(4)),
      },
    };
  },
};

/** The JSON lines cases of the frame suite. */
export const frameJsonCases: readonly BenchCase[] = [jsonClicks];
