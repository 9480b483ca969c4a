/**
 * The P2P shuffle on a thread cluster (issue 11, item 5): merge (every how) and sortValues
 * through shuffle: "p2p" give the task shuffle's rows and DuckDB's, on random rows with nulls,
 * empty partitions, int64 keys at the edges (near 2^63) and empty strings; the shuffle files go
 * when their manifests are released; a shuffle directory that cannot be written is
 * SHUFFLE_FAILED naming it.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, watch, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import fc from "fast-check";
import * as bf from "../../src/frame.js";
import { Client, ErrorCodes } from "../../src/index.js";
import type { Schema } from "../../src/kernels/batch.js";
import { duck, load, query } from "../unit/frame/helpers.js";

const MAX = 2n ** 63n - 1n;
const MIN = -(2n ** 63n);
const KEYS = [0n, 1n, -1n, 2n ** 53n + 1n, MAX, MAX - 1n, MIN, MIN + 1n];

interface L extends Record<string, unknown> {
  k: bigint | null;
  s: string | null;
  v: number | null;
}
interface R extends Record<string, unknown> {
  k: bigint | null;
  w: number | null;
}
const L_SCHEMA: Schema = [
  { name: "k", type: "int64", nullable: true },
  { name: "s", type: "utf8", nullable: true },
  { name: "v", type: "float64", nullable: true },
];
const R_SCHEMA: Schema = [
  { name: "k", type: "int64", nullable: true },
  { name: "w", type: "int32", nullable: true },
];
const keyArb = fc.option(fc.constantFrom(...KEYS), { freq: 6 });
const lArb: fc.Arbitrary<L> = fc.record({
  k: keyArb,
  s: fc.option(fc.constantFrom("", "a", "b", "é"), { freq: 6 }),
  v: fc.option(
    fc.integer({ min: -50, max: 50 }).map((x) => x / 4),
    { freq: 6 },
  ),
});
const rArb: fc.Arbitrary<R> = fc.record({
  k: keyArb,
  w: fc.option(fc.integer({ min: -9, max: 9 }), { freq: 6 }),
});
// Few rows over up to 6 partitions: empty partitions are common.
const sideArb = <T>(row: fc.Arbitrary<T>) =>
  fc.record({ rows: fc.array(row, { maxLength: 25 }), nparts: fc.integer({ min: 1, max: 6 }) });

/** Rows as canonical strings (bigints exact, -0 as 0), sorted unless `ordered`. */
function canon(rows: readonly Record<string, unknown>[], cols: readonly string[], ordered = false) {
  const out = rows.map((r) =>
    JSON.stringify(
      cols.map((c) => {
        const v = r[c];
        if (typeof v === "bigint") return `${v}n`;
        if (typeof v === "number") return v === 0 ? 0 : v;
        return v ?? null;
      }),
    ),
  );
  return ordered ? out : out.sort();
}

const RUNS = { numRuns: 15 };
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "barn-p2p-it-"));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Every shuffle file under `dir`, at any depth. */
function shuffleFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".bsh"));
}

describe("P2P shuffle on a thread cluster", { concurrency: false }, () => {
  let client: Client;
  let db: DuckDBConnection;
  let local: string;
  before(async () => {
    local = tempDir();
    client = await Client.connect({ workers: 3, localDirectory: local, setAsDefault: false });
    db = await duck();
  });
  after(async () => {
    await client.close();
  });

  test("merge through p2p equals the task shuffle and DuckDB (every how)", {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        sideArb(lArb),
        sideArb(rArb),
        fc.constantFrom("inner", "left", "right", "outer") as fc.Arbitrary<
          "inner" | "left" | "right" | "outer"
        >,
        fc.integer({ min: 1, max: 5 }),
        async (l, r, how, npartitions) => {
          await load(db, "l", ["k BIGINT", "s VARCHAR", "v DOUBLE"], l.rows);
          await load(db, "r", ["k BIGINT", "w INTEGER"], r.rows);
          const left = bf.fromRecords(l.rows, { npartitions: l.nparts, schema: L_SCHEMA });
          const right = bf.fromRecords(r.rows, { npartitions: r.nparts, schema: R_SCHEMA });
          const merged = (shuffle: "p2p" | "tasks") =>
            left
              .merge(right, { on: "k", how, broadcast: false, npartitions, shuffle })
              .select("k", "s", "v", "w")
              .toRecords({ client });
          const cols = ["k", "s", "v", "w"];
          const p2p = canon(await merged("p2p"), cols);
          assert.deepEqual(p2p, canon(await merged("tasks"), cols), `${how}: p2p vs tasks`);
          const sqlHow = { inner: "INNER", left: "LEFT", right: "RIGHT", outer: "FULL OUTER" }[how];
          const want = await query(
            db,
            `SELECT coalesce(l.k, r.k) AS k, l.s, l.v, r.w FROM l ${sqlHow} JOIN r ON l.k = r.k`,
          );
          assert.deepEqual(p2p, canon(want, cols), `${how}: p2p vs DuckDB`);
        },
      ),
      RUNS,
    );
  });

  test("sortValues through p2p equals DuckDB's order (int64 near 2^63, nulls, empty strings)", {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(sideArb(lArb), fc.boolean(), fc.boolean(), async (l, a1, a2) => {
        await load(db, "l", ["k BIGINT", "s VARCHAR", "v DOUBLE"], l.rows);
        const got = await bf
          .fromRecords(l.rows, { npartitions: l.nparts, schema: L_SCHEMA })
          .sortValues(["k", "s"], { ascending: [a1, a2], shuffle: "p2p" })
          .select("k", "s")
          .toRecords({ client });
        const dir = (a: boolean) => (a ? "ASC" : "DESC");
        const want = await query(
          db,
          `SELECT k, s FROM l ORDER BY k ${dir(a1)} NULLS LAST, s ${dir(a2)} NULLS LAST`,
        );
        assert.deepEqual(canon(got, ["k", "s"], true), canon(want, ["k", "s"], true));
      }),
      RUNS,
    );
  });

  test("the shuffle files go when the result is released", { timeout: 60_000 }, async () => {
    const sorted = (n: number) =>
      bf
        .fromRecords(
          Array.from({ length: n }, (_, i) => ({ k: i % 101, v: i })),
          { npartitions: 8 },
        )
        .sortValues("v", { shuffle: "p2p" });
    // A first shuffle makes every worker's shuffle folder, so the watch below sees into them.
    assert.equal((await sorted(100).toRecords({ client })).length, 100);
    // Files appear and go within one computation (a fast machine releases the manifests before
    // persist resolves), so they are seen as the OS reports them, not by listing afterwards.
    // Only this computation's: a loaded machine once left two of an earlier merge's.
    const earlier = new Set(shuffleFiles(local));
    const seen = new Set<string>();
    const watcher = watch(local, { recursive: true }, (_event, name) => {
      if (typeof name === "string" && name.endsWith(".bsh") && !earlier.has(name)) seen.add(name);
    });
    try {
      const persisted = await sorted(5000).persist({ client });
      for (const f of shuffleFiles(local)) if (!earlier.has(f)) seen.add(f);
      assert.ok(seen.size > 0, "the transfers wrote files");
      assert.equal((await persisted.toRecords({ client })).length, 5000);
      // The manifests were released once the outputs were computed; their files follow.
      const left = () => [...seen].filter((f) => existsSync(join(local, f)));
      const deadline = Date.now() + 20_000;
      while (left().length > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(left(), []);
    } finally {
      watcher.close();
    }
  });
});

test("a shuffle directory that cannot be written is SHUFFLE_FAILED naming it", {
  timeout: 60_000,
}, async () => {
  // A regular file where the local directory should be: no folder can be made under it (root
  // ignores a read-only mode, not this).
  const blocker = join(tempDir(), "not-a-dir");
  writeFileSync(blocker, "");
  const c = await Client.connect({ workers: 2, localDirectory: blocker, setAsDefault: false });
  try {
    const rows = Array.from({ length: 100 }, (_, i) => ({ k: i % 7, v: i }));
    const df = bf.fromRecords(rows, { npartitions: 3 }).sortValues("v", { shuffle: "p2p" });
    await assert.rejects(df.toRecords({ client: c }), (e: Error & { code?: string }) => {
      assert.equal(e.code, ErrorCodes.SHUFFLE_FAILED);
      assert.match(e.message, new RegExp(blocker.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
      assert.match(e.message, /localDirectory/);
      return true;
    });
    // The cluster keeps working.
    assert.equal(await c.submit((x: number) => x + 1, 1).result(), 2);
  } finally {
    await c.close();
  }
});
