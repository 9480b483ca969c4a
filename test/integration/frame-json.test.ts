/**
 * readJson queries against DuckDB's read_json on the same JSON lines files, on the sync
 * scheduler and the thread cluster: event records with escaped and non-ASCII users, nested tags
 * to skip, keys in varied order, missing keys and nulls, CRLF lines and blank lines, files split
 * into many parts so part boundaries fall inside the data.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import * as bf from "../../src/frame.js";
import { Client } from "../../src/index.js";
import { assertSameRows, duck, query } from "../unit/frame/helpers.js";

const ACTIONS = ["click", "view", "buy", "cl\\u0069ck", "\\u00e9t\\u00e9"];
const USERS = ["u1", "u2", 'q\\"uote', "\\ud83d\\ude00", "é✓", "back\\\\slash", "u3"];

/** Seeded event lines in the shape of the benchmark's, with the awkward cases mixed in. */
function eventLines(n: number, seed: number): string[] {
  let r = seed;
  const next = (m: number) => {
    r = (Math.imul(r, 1103515245) + 12345) >>> 0;
    return (r >>> 8) % m;
  };
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const user = `"user":"${USERS[next(USERS.length)]}"`;
    const action = next(10) === 0 ? `"action":null` : `"action":"${ACTIONS[next(ACTIONS.length)]}"`;
    const value = `"value":${next(5) === 0 ? "1.5e2" : (next(100_000) / 100).toString()}`;
    const tags = `"tags":[${next(3) === 0 ? '{"k":["x",{"y":"}"}]}' : '"red","b\\"lue"'}]`;
    const members = [user, action, value, tags].filter(() => next(12) !== 0);
    if (next(2) === 0) members.reverse();
    lines.push(`{${members.join(next(4) === 0 ? " , " : ",")}}`);
    if (next(50) === 0) lines.push("");
  }
  return lines;
}

describe("readJson against DuckDB read_json on the same files", { timeout: 120_000 }, () => {
  let c: DuckDBConnection;
  let dir: string;
  let files: string[];
  before(async () => {
    c = await duck();
    dir = mkdtempSync(join(tmpdir(), "barn-frame-json-"));
    files = [0, 1, 2].map((k) => {
      const path = join(dir, `events-${k}.jsonl`);
      const eol = k === 1 ? "\r\n" : "\n";
      writeFileSync(path, `${eventLines(3000, k + 1).join(eol)}${eol}`);
      return path;
    });
    writeFileSync(join(dir, "events-3.jsonl"), ""); // an empty file adds nothing
    files.push(join(dir, "events-3.jsonl"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const source = () =>
    `read_json([${files.map((f) => `'${f}'`).join(", ")}], format = 'newline_delimited', ` +
    `columns = {"user": 'VARCHAR', action: 'VARCHAR', value: 'DOUBLE', tags: 'JSON'})`;

  for (const scheduler of ["sync", "threads"] as const) {
    test(`filter + valueCounts, groupby mean, != filter (${scheduler})`, async () => {
      const client =
        scheduler === "sync"
          ? await Client.connect({ scheduler: "sync", setAsDefault: false })
          : await Client.connect({ scheduler: "threads", workers: 2, setAsDefault: false });
      try {
        const frame = () => bf.readJson(files, { blocksize: 20_000 });
        const cases: [bf.DataFrame, string][] = [
          [
            frame().filter(bf.col("action").eq("click")).valueCounts("user").untyped(),
            `SELECT "user", count(*) AS count FROM ${source()} WHERE action = 'click' GROUP BY "user"`,
          ],
          [
            frame().groupby("action").agg({ value: "mean" }).untyped(),
            `SELECT action, avg(value) AS value FROM ${source()} GROUP BY action`,
          ],
          [
            frame()
              .filter(bf.col("action").ne("view"))
              .groupby("user")
              .agg({ value: "sum" })
              .untyped(),
            `SELECT "user", sum(value) AS value FROM ${source()} WHERE action <> 'view' GROUP BY "user"`,
          ],
          [
            frame().filter(bf.col("user").eq("é✓")).select("action", "value").untyped(),
            `SELECT action, value FROM ${source()} WHERE "user" = 'é✓'`,
          ],
        ];
        for (const [q, sql] of cases) {
          const got = await q.toRecords({ client });
          assert.ok(got.length > 1, sql);
          assertSameRows(got, await query(c, sql), sql);
        }
      } finally {
        await client.close();
      }
    });
  }
});
