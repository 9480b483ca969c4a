/**
 * Scheduling for memory (issue 11, item 4): a groupby over a Parquet dataset 5x the workers'
 * total memory limit runs at constant memory on the process cluster (2 workers x 256 MiB).
 *
 * The dataset is 8-column rows (an int32 key, 1,000 groups, and seven float64 columns: 60 bytes
 * a row decoded), stored uncompressed so that the bytes read equal the bytes decoded. Four
 * distinct files of 1.9M rows are written by DuckDB in the test's temp dir and hard-linked under
 * further names (the full dataset: 24 files, 45.6M rows, 2.55 GiB decoded, 5.1x the total
 * limit; the half: 12). A link is read as a file of its own, exactly like a copy would be; it
 * saves writing gigabytes to the disk of a shared CI machine.
 *
 * Checked: the answer equals DuckDB's on the same list of files; no worker holds or spills more
 * than a few MiB at the end (nothing piled up); each worker process's peak RSS (VmHWM, from /proc) stays under its limit plus a
 * stated margin; and the peak over the full dataset is no more than a little above the peak
 * over the half (memory does not grow with the data).
 */

import assert from "node:assert/strict";
import { linkSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import { processClusters } from "../../src/client/process-backend.js";
import type { LocalBackend } from "../../src/deploy/local-backend.js";
import * as bf from "../../src/frame.js";
import { Client } from "../../src/index.js";
import { duck } from "../unit/frame/helpers.js";
import { peakRss, resetPeak } from "./proc-memory.js";

const MiB = 2 ** 20;
const LIMIT = 256 * MiB;
/**
 * Above the limit a worker may stand for a moment: one partition (~64 MiB of file bytes, read
 * into scratch memory and decoded) in flight past the pause line, as in memory.test.ts.
 */
const MARGIN = 64 * MiB;
/**
 * How much more the full dataset's peak may be than the half's: noise, not growth (growing with
 * the data would add over a GiB). The full run's peak is the highest of twice as many
 * partitions in flight: Node 24 measured 260 -> 290 MiB.
 */
const GROWTH = 48 * MiB;
/** Results held or spilled by a worker at the end that would mean inputs piled up. */
const PILED = 16 * MiB;
const FILE_ROWS = 1_900_000;
const BASE_FILES = 4;
const ROW_BYTES = 4 + 7 * 8;

const AGGS = { a: "sum", b: "mean", c: "max", d: "min", e: "sum", f: "mean", g: "count" } as const;
const SQL_AGGS =
  "sum(a) AS a, avg(b) AS b, max(c) AS c, min(d) AS d, sum(e) AS e, avg(f) AS f, count(g) AS g";

type Rec = Record<string, unknown>;

function sameAnswer(barn: readonly Rec[], duckRows: readonly Rec[]): void {
  assert.equal(barn.length, duckRows.length, "as many groups as DuckDB");
  const byKey = new Map(duckRows.map((r) => [Number(r.key), r]));
  for (const r of barn) {
    const d = byKey.get(Number(r.key));
    assert.ok(d !== undefined, `group ${String(r.key)} is in DuckDB's answer`);
    for (const col of Object.keys(AGGS)) {
      const a = Number(r[col]);
      const b = Number(d[col]);
      assert.ok(
        Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)),
        `group ${String(r.key)}: ${col} = ${a}, DuckDB ${b}`,
      );
    }
  }
}

describe("a groupby over Parquet larger than memory", {
  concurrency: false,
}, () => {
  let dir: string;
  let conn: DuckDBConnection;
  /** The full dataset's files: the base files, then links to them. */
  let files: string[];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "barn-memory-groupby-"));
    conn = await duck();
    const base: string[] = [];
    for (let f = 0; f < BASE_FILES; f++) {
      const path = join(dir, `part-${f}.parquet`);
      const lo = f * FILE_ROWS;
      await conn.run(
        `COPY (SELECT (i * 7919 % 1000)::INTEGER AS key, i * 0.5 AS a, i * 1.25 + 1 AS b,
           (i % 100003) * 0.001 AS c, i * 1e-3 AS d, (i % 7777) * 3.0 AS e, i * 2.0 - 5 AS f,
           (i % 65537) * 0.25 AS g FROM range(${lo}, ${lo + FILE_ROWS}) t(i))
         TO '${path}' (FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE 500000)`,
      );
      base.push(path);
    }
    files = Array.from({ length: 6 * BASE_FILES }, (_, i) => {
      if (i < BASE_FILES) return base[i]!;
      const link = join(dir, `link-${i}.parquet`);
      linkSync(base[i % BASE_FILES]!, link);
      return link;
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("processes: 2 workers x 256 MiB; 5x the total limit runs at the memory of half as much, each worker under its limit + 64 MiB", {
    timeout: 240_000,
  }, async () => {
    const c = await Client.connect({
      processes: true,
      workers: 2,
      memoryLimit: "256MiB",
      localDirectory: dir,
      setAsDefault: false,
    });
    try {
      const pids = processClusters.get(c.backend as LocalBackend)!.pids();
      const run = async (copies: number) => {
        const paths = files.slice(0, copies * BASE_FILES);
        const rows = paths.length * FILE_ROWS;
        for (const p of pids) resetPeak(p);
        const t0 = performance.now();
        const barn = await bf.readParquet(paths).groupby("key").agg(AGGS).toRecords({ client: c });
        const peaks = pids.map(peakRss);
        const seconds = (performance.now() - t0) / 1000;
        const report = await c.memoryReport();
        const list = paths.map((p) => `'${p}'`).join(", ");
        const reader = await conn.runAndReadAll(
          `SELECT key, ${SQL_AGGS} FROM read_parquet([${list}]) GROUP BY key`,
        );
        sameAnswer(barn as Rec[], reader.getRowObjects() as Rec[]);
        console.log(
          `# ${rows} rows: Barn ${seconds.toFixed(1)} s, DuckDB ${((performance.now() - t0) / 1000 - seconds).toFixed(1)} s`,
        );
        return { rows, peaks, report };
      };
      const half = await run(3);
      const full = await run(6);
      const fmt = (xs: number[]) => xs.map((x) => (x / MiB).toFixed(0)).join(" ");
      console.log(
        `# ${full.rows} rows (${((full.rows * ROW_BYTES) / MiB).toFixed(0)} MiB decoded): worker peaks (MiB) ${fmt(full.peaks)}; half: ${fmt(half.peaks)}`,
      );
      assert.ok(full.rows * ROW_BYTES >= 5 * 2 * LIMIT, "the dataset is 5x the total limit");
      for (const peak of [...half.peaks, ...full.peaks]) {
        assert.ok(peak < LIMIT + MARGIN, `a worker peaked at ${(peak / MiB).toFixed(0)} MiB`);
      }
      for (let i = 0; i < pids.length; i++) {
        assert.ok(
          full.peaks[i]! <= half.peaks[i]! + GROWTH,
          `worker ${i}'s peak grew with the data: ${fmt(half.peaks)} -> ${fmt(full.peaks)} MiB`,
        );
      }
      // Nothing piled up: inputs are read as they are used and partial aggregates are small.
      // (A worker whose RSS stands above 70% of its limit, as a reading one does, moves a few
      // partials to disk: kilobytes.)
      for (const w of full.report) {
        assert.ok(w.spilled < PILED, `little spilled: ${JSON.stringify(full.report)}`);
        assert.ok(w.managed < PILED, `little held: ${JSON.stringify(full.report)}`);
      }
    } finally {
      await c.close();
    }
  });
});
