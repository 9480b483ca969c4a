import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { expandPaths, globToRegExp } from "../../../src/io/glob.js";
import { tempDir } from "./helpers.js";

function tree(): string {
  const dir = tempDir();
  for (const f of [
    "b.csv",
    "a.csv",
    "c.parquet",
    "sub/d.csv",
    "sub/deep/e.csv",
    "sub/x.txt",
    "y2.csv",
    "y10.csv",
  ]) {
    mkdirSync(join(dir, f, ".."), { recursive: true });
    writeFileSync(join(dir, f), "");
  }
  return dir;
}

test("a directory gives its files with the format's extensions, sorted, recursively", () => {
  const dir = tree();
  assert.deepEqual(
    expandPaths(dir, [".csv"]).map((f) => f.slice(dir.length + 1)),
    ["a.csv", "b.csv", "sub/d.csv", "sub/deep/e.csv", "y10.csv", "y2.csv"],
  );
});

test("globs support *, ?, **, {a,b} and arrays of specs (deduplicated)", () => {
  const dir = tree();
  const rel = (xs: string[]) => xs.map((f) => f.slice(dir.length + 1));
  assert.deepEqual(rel(expandPaths(`${dir}/*.csv`, [])), ["a.csv", "b.csv", "y10.csv", "y2.csv"]);
  assert.deepEqual(rel(expandPaths(`${dir}/?.csv`, [])), ["a.csv", "b.csv"]);
  assert.deepEqual(rel(expandPaths(`${dir}/**/*.csv`, [])), [
    "a.csv",
    "b.csv",
    "sub/d.csv",
    "sub/deep/e.csv",
    "y10.csv",
    "y2.csv",
  ]);
  assert.deepEqual(rel(expandPaths(`${dir}/{a,c}.*`, [])), ["a.csv", "c.parquet"]);
  assert.deepEqual(rel(expandPaths([`${dir}/a.csv`, `${dir}/*.csv`], [])), [
    "a.csv",
    "b.csv",
    "y10.csv",
    "y2.csv",
  ]);
  assert.ok(globToRegExp("**/x.txt").test("sub/x.txt"));
  assert.ok(!globToRegExp("*.csv").test("sub/d.csv"));
});

test("a spec that matches nothing throws BARN_IO_NOT_FOUND naming it", () => {
  const dir = tree();
  assert.throws(
    () => expandPaths(`${dir}/*.json`, []),
    (e: Error & { code?: string }) =>
      e.code === "BARN_IO_NOT_FOUND" && e.message.includes("*.json"),
  );
  assert.throws(
    () => expandPaths(join(dir, "missing.csv"), [".csv"]),
    /no file matches ".*missing\.csv"/,
  );
});
