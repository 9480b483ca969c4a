/**
 * The P2P shuffle at scale, on the process cluster (issue 11, item 5's acceptance): a merge and
 * a sortValues of two Parquet data sets larger than the workers' memory equal DuckDB's results
 * on the same files, through shuffle: "p2p", with each worker process's peak RSS (VmHWM, from
 * /proc) under its limit plus MARGIN; and a worker killed in the middle of a shuffle loses
 * nothing (its manifests are recomputed elsewhere, the output tasks run again).
 *
 * Results are never gathered here: Barn writes them to Parquet and DuckDB compares them with
 * its own answer (EXCEPT ALL both ways, counts, and the sort order over the written files).
 *
 * Sizes: BARN_P2P_FULL=1 runs the acceptance's sizes (two workers of 256 MiB; a left data set
 * of 15M rows of 36 bytes, about 515 MiB in memory, and a right one of 15M rows of about 42
 * bytes, about 600 MiB: each larger than the 512 MiB the workers have together; tens of
 * minutes on a shared 2-core machine). The default is scaled to fit
 * npm test on a shared 2-core CI machine: the same workers and checks, 1.5M rows (about 55 MiB)
 * per data set, so it checks the process path (peer links, disks, RSS) rather than the scale.
 */

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import { processClusters } from "../../src/client/process-backend.js";
import type { LocalBackend } from "../../src/deploy/local-backend.js";
import * as bf from "../../src/frame.js";
import { Client } from "../../src/index.js";
import { duck, query } from "../unit/frame/helpers.js";
import { peakRss } from "./proc-memory.js";

const MiB = 2 ** 20;
const FULL = process.env.BARN_P2P_FULL === "1";
const ROWS = FULL ? 15_000_000 : 1_500_000;
/** Rows of the kill test's input. */
const SMALL_ROWS = 1_500_000;
/** Distinct join keys (the right side has one row per key). */
const KEYS = FULL ? 15_000_000 : 400_000;
const LIMIT = 256 * MiB;
/** A worker's peak may pass its limit by one partition in flight and the pieces it splits into. */
const MARGIN = 64 * MiB;
/** Partitions of about this many uncompressed bytes. */
const BLOCK = 8 * MiB;

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "barn-p2p-scale-"));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const one = async (db: DuckDBConnection, sql: string): Promise<number> =>
  Number(Object.values((await query(db, sql))[0]!)[0]);

/** Rows in one of `a`, `b` (SQL queries) and not the other, counting repeats. */
const differing = (db: DuckDBConnection, a: string, b: string) =>
  one(db, `SELECT count(*) FROM ((${a} EXCEPT ALL ${b}) UNION ALL (${b} EXCEPT ALL ${a}))`);

describe("P2P shuffle on the process cluster", { concurrency: false }, () => {
  let db: DuckDBConnection;
  let data: string;
  let left: string;
  let right: string;
  /** The kill test's input: the default size whatever BARN_P2P_FULL says. */
  let small: string;
  before(async () => {
    db = await duck();
    data = tempDir();
    left = join(data, "left.parquet");
    right = join(data, "right.parquet");
    small = join(data, "small.parquet");
    await db.run(
      `COPY (SELECT (hash(i) % ${KEYS})::BIGINT AS k, i::BIGINT AS id, (i % 1000) * 0.25 AS v,
              'row-' || (i % 5000)::VARCHAR AS s
            FROM range(${ROWS}) t(i))
       TO '${left}' (FORMAT PARQUET, ROW_GROUP_SIZE 131072)`,
    );
    await db.run(
      `COPY (SELECT i::BIGINT AS k, (i % 97)::INTEGER AS w,
              'r-' || lpad((i % 1000000)::VARCHAR, 24, '0') AS t
            FROM range(${KEYS}) t(i))
       TO '${right}' (FORMAT PARQUET, ROW_GROUP_SIZE 131072)`,
    );
    await db.run(
      `COPY (SELECT * FROM '${left}' LIMIT ${SMALL_ROWS}) TO '${small}' (FORMAT PARQUET, ROW_GROUP_SIZE 131072)`,
    );
  });

  test(`2 workers x 256 MiB: merge and sortValues of ${ROWS} rows through p2p equal DuckDB; peak RSS under the limit + 64 MiB`, {
    timeout: FULL ? 2_400_000 : 240_000,
  }, async () => {
    const c = await Client.connect({
      processes: true,
      workers: 2,
      memoryLimit: "256MiB",
      localDirectory: tempDir(),
      setAsDefault: false,
    });
    const cluster = processClusters.get(c.backend as LocalBackend)!;
    try {
      const pids = cluster.pids();
      const a = bf.readParquet(left, { blocksize: BLOCK });
      const b = bf.readParquet(right, { blocksize: BLOCK });
      const sorted = join(data, "sorted");
      const merged = join(data, "merged");
      const t0 = Date.now();
      await a.sortValues("k", { shuffle: "p2p" }).toParquet(sorted, { client: c });
      const t1 = Date.now();
      await a
        .merge(b, { on: "k", broadcast: false, shuffle: "p2p" })
        .toParquet(merged, { client: c });
      const t2 = Date.now();
      const peaks = pids.map(peakRss);
      console.log(
        `# sort ${((t1 - t0) / 1000).toFixed(1)} s, merge ${((t2 - t1) / 1000).toFixed(1)} s, ` +
          `worker peaks (MiB): ${peaks.map((p) => (p / MiB).toFixed(0)).join(" ")}`,
      );
      assert.deepEqual(cluster.pids(), pids, "no worker was restarted");

      // The sort: the same rows as the input, and k never decreases over the files in order.
      const out = `read_parquet('${sorted}/*.parquet', filename = true, file_row_number = true)`;
      assert.equal(
        await differing(db, `SELECT k, id, v, s FROM ${out}`, `SELECT k, id, v, s FROM '${left}'`),
        0,
      );
      assert.equal(await one(db, `SELECT count(*) FROM ${out}`), ROWS);
      assert.equal(
        await one(
          db,
          `SELECT count(*) FROM (SELECT k, lag(k) OVER (ORDER BY filename, file_row_number) AS prev
             FROM ${out}) WHERE prev > k`,
        ),
        0,
        "sorted across and within the partitions",
      );
      // The merge: DuckDB's join of the same files.
      const mine = `SELECT k, id, v, s, w, t FROM read_parquet('${merged}/*.parquet')`;
      const theirs = `SELECT a.k, a.id, a.v, a.s, b.w, b.t FROM '${left}' a JOIN '${right}' b ON a.k = b.k`;
      assert.equal(await one(db, `SELECT count(*) FROM (${mine})`), ROWS);
      assert.equal(await differing(db, mine, theirs), 0);

      for (const peak of peaks) {
        assert.ok(peak < LIMIT + MARGIN, `a worker peaked at ${(peak / MiB).toFixed(0)} MiB`);
      }
    } finally {
      await c.close();
    }
  });

  for (const phase of ["transfers", "outputs"] as const) {
    test(`a worker killed during the ${phase} of a P2P sort: the result is still right`, {
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
      try {
        await killMidShuffle(c, cluster, local, phase);
      } finally {
        await c.close();
      }
    });
  }

  /**
   * Sort with slow transfers and slow output tasks (each waits 100 ms, 300 ms), and kill a
   * worker once pieces are written ("transfers") or once the first output is written
   * ("outputs": the other workers then hold copies of the victim's manifests, which name its
   * files, and are reading from it).
   */
  async function killMidShuffle(
    c: Client,
    cluster: { pids(): number[] },
    local: string,
    phase: "transfers" | "outputs",
  ): Promise<void> {
    const victim = cluster.pids()[1]!;
    const df = bf
      .readParquet(small, { blocksize: 2 * MiB })
      .mapPartitions((p) => {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        return p;
      })
      .sortValues("k", { shuffle: "p2p" })
      .mapPartitions((p) => {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
        return p;
      });
    const outDir = join(data, `killed-${phase}`);
    const done = df.toParquet(outDir, { client: c });
    const count = (dir: string, ext: string) =>
      existsSync(dir)
        ? readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(ext))
            .length
        : 0;
    const ready = () =>
      phase === "transfers" ? count(local, ".bsh") >= 6 : count(outDir, ".parquet") >= 1;
    const deadline = Date.now() + 120_000;
    while (!ready() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(ready(), `the ${phase} started`);
    process.kill(victim, "SIGKILL");
    await done;
    assert.notEqual(cluster.pids()[1], victim, "the victim was replaced");
    const out = `read_parquet('${outDir}/*.parquet', filename = true, file_row_number = true)`;
    assert.equal(await one(db, `SELECT count(*) FROM ${out}`), SMALL_ROWS);
    assert.equal(
      await differing(db, `SELECT k, id FROM ${out}`, `SELECT k, id FROM '${small}'`),
      0,
    );
    assert.equal(
      await one(
        db,
        `SELECT count(*) FROM (SELECT k, lag(k) OVER (ORDER BY filename, file_row_number) AS prev
           FROM ${out}) WHERE prev > k`,
      ),
      0,
    );
  }
});
