/**
 * Shared by the frame tests: random tables (fast-check), the DuckDB oracle (the same rows
 * loaded into an in-memory DuckDB), and row comparison that ignores order and float noise.
 */
import assert from "node:assert/strict";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import fc from "fast-check";
import type { Schema } from "../../../src/kernels/batch.js";

/** A row of the random test table. */
export interface TRow extends Record<string, unknown> {
  i: number | null;
  f: number | null;
  s: string | null;
  d: Date;
}

/** The test table's schema (fixed, so all-null columns keep their types). */
export const T_SCHEMA: Schema = [
  { name: "i", type: "int32", nullable: true },
  { name: "f", type: "float64", nullable: true },
  { name: "s", type: "utf8", nullable: true },
  { name: "d", type: "timestamp", nullable: false },
];

/** Skewed string keys: "a" most of the time, some rare ones, some nulls. */
export const keyArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant("a") },
  { weight: 3, arbitrary: fc.constantFrom("b", "c") },
  { weight: 1, arbitrary: fc.constantFrom("dd", "é", "", "zz") },
  { weight: 1, arbitrary: fc.constant(null) },
);

/** One random row. */
export const rowArb: fc.Arbitrary<TRow> = fc.record({
  i: fc.option(fc.integer({ min: -5, max: 5 }), { freq: 5 }),
  // Quarters in [-5, 5] plus rare wide values: repeats and ties with literals happen, and no
  // subnormal values make std differ between two correct summation orders.
  f: fc.option(
    fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: -20, max: 20 }).map((v) => v / 4) },
      {
        weight: 1,
        arbitrary: fc.integer({ min: -10_000_000, max: 10_000_000 }).map((v) => v / 100),
      },
    ),
    { freq: 5 },
  ),
  s: keyArb,
  d: fc.integer({ min: 0, max: 2_000_000_000_000 }).map((ms) => new Date(ms)),
});

/** A random table and how many partitions to cut it into (empty partitions happen). */
export const tableArb = fc.record({
  rows: fc.array(rowArb, { maxLength: 60 }),
  nparts: fc.integer({ min: 1, max: 4 }),
});

/** An in-memory DuckDB connection (one per test file). */
export async function duck(): Promise<DuckDBConnection> {
  const inst = await DuckDBInstance.create(":memory:");
  return inst.connect();
}

function sqlValue(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "string") return `'${v.replace(/'/g, "''")}'`;
  if (typeof v === "number") return Object.is(v, -0) ? "0.0" : `${v}`;
  if (v instanceof Date) return `epoch_ms(${v.getTime()})`;
  return String(v);
}

/** (Re)creates table `name` in DuckDB with `columns` ("name TYPE") holding `rows`. */
export async function load(
  c: DuckDBConnection,
  name: string,
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  await c.run(`DROP TABLE IF EXISTS ${name}`);
  await c.run(`CREATE TABLE ${name} (${columns.join(", ")})`);
  if (rows.length === 0) return;
  const names = columns.map((x) => x.split(" ")[0]!);
  const values = rows.map((r) => `(${names.map((n) => sqlValue(r[n])).join(", ")})`);
  await c.run(`INSERT INTO ${name} VALUES ${values.join(", ")}`);
}

/** The rows of a DuckDB query. */
export async function query(c: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await c.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

function norm(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number" && v === 0) return 0;
  if (v instanceof Date) return v.getTime();
  return v;
}

/** A record with bigints as numbers, Dates as ms, -0 as 0 and keys sorted. */
export function normRow(r: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(r).sort()) out[k] = norm(r[k]);
  return out;
}

function close(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") {
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  return a === b;
}

function rowsClose(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => k in b && close(a[k], b[k]));
}

/** The same rows, ignoring order; numbers equal to a relative 1e-9. */
export function assertSameRows(
  actual: readonly Record<string, unknown>[],
  expected: readonly Record<string, unknown>[],
  message?: string,
): void {
  const left = actual.map(normRow);
  const right = expected.map(normRow);
  const unmatched: Record<string, unknown>[] = [];
  for (const e of right) {
    const at = left.findIndex((a) => rowsClose(a, e));
    if (at < 0) unmatched.push(e);
    else left.splice(at, 1);
  }
  if (unmatched.length > 0 || left.length > 0) {
    assert.deepEqual(
      { extra: left, missing: unmatched },
      { extra: [], missing: [] },
      `${message ?? "rows differ"}\nactual: ${JSON.stringify(actual.map(normRow))}`,
    );
  }
}

/** The same rows in the same order; numbers equal to a relative 1e-9. */
export function assertSameOrderedRows(
  actual: readonly Record<string, unknown>[],
  expected: readonly Record<string, unknown>[],
  message?: string,
): void {
  const a = actual.map(normRow);
  const e = expected.map(normRow);
  assert.equal(a.length, e.length, message);
  a.forEach((r, i) => {
    if (!rowsClose(r, e[i]!)) assert.deepEqual(r, e[i], `${message ?? "row"} ${i}`);
  });
}

/** The DuckDB columns of the test table. */
export const T_COLUMNS = ["i INTEGER", "f DOUBLE", "s VARCHAR", "d TIMESTAMP"];
