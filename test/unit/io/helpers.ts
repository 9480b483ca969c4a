import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import fc from "fast-check";
import { type Cell, columnCells, columnFromCells } from "../../../src/io/columns.js";
import type { Batch, DType } from "../../../src/kernels/batch.js";

export const ALL_TYPES: readonly DType[] = [
  "int32",
  "float64",
  "int64",
  "bool",
  "utf8",
  "dict",
  "timestamp",
  "date",
];

/** A fresh temporary directory. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "barn-io-"));
}

const special = fc.constantFrom(
  "a,b",
  'q"uote',
  "line\nbreak",
  " spaced ",
  "é✓",
  "null",
  "NaN",
  "x\r\ny",
);

/** How special the generated text is: "any" (line breaks too), "inline" (no line breaks), "plain" (nothing CSV must quote). */
export type TextKind = "any" | "inline" | "plain";

function valueArb(type: DType, text: TextKind): fc.Arbitrary<Cell> {
  const newlines = text === "any";
  switch (type) {
    case "int32":
      return fc.integer();
    case "float64":
      return fc
        .oneof(
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.integer({ min: -1e6, max: 1e6 }).map((i) => i / 1000),
        )
        .map((x) => (Object.is(x, -0) ? 0 : x));
    case "int64":
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case "bool":
      return fc.boolean();
    case "utf8":
      return fc
        .oneof(fc.string({ unit: "grapheme", minLength: 1, maxLength: 6 }), special)
        .filter((s) => newlines || !/[\r\n]/.test(s))
        .filter((s) => text !== "plain" || !/[,"\r\n]/.test(s));
    case "dict":
      return fc.constantFrom("red", "green", "blue", text === "plain" ? "b c" : "a,b");
    case "timestamp":
      return fc.integer({ min: -2_208_988_800_000, max: 7_258_118_400_000 });
    case "date":
      return fc.integer({ min: -25_567, max: 84_000 });
  }
}

/**
 * A batch with one column per DType (named by type), up to `maxRows` rows, nulls anywhere;
 * `text` limits what the strings hold.
 */
export function batchArb(maxRows = 30, text: TextKind = "any"): fc.Arbitrary<Batch> {
  return fc.integer({ min: 0, max: maxRows }).chain((n) =>
    fc
      .tuple(
        ...ALL_TYPES.map((t) =>
          fc.array(fc.option(valueArb(t, text), { nil: null, freq: 4 }), {
            minLength: n,
            maxLength: n,
          }),
        ),
      )
      .map((cols) => ({
        names: [...ALL_TYPES],
        columns: cols.map((values, i) => columnFromCells(ALL_TYPES[i]!, values)),
        length: n,
      })),
  );
}

/** A batch's columns as plain values (dict as its strings), for comparisons. */
export function cellsOf(batch: Batch): Record<string, Cell[]> {
  const out: Record<string, Cell[]> = {};
  batch.names.forEach((n, i) => {
    out[n] = columnCells(batch.columns[i]!);
  });
  return out;
}

/** The batch's schema as an override map (name -> type). */
export function typesOf(batch: Batch): Record<string, DType> {
  return Object.fromEntries(batch.names.map((n, i) => [n, batch.columns[i]!.type]));
}

const SQL_TYPES: Record<DType, string> = {
  int32: "INTEGER",
  float64: "DOUBLE",
  int64: "BIGINT",
  bool: "BOOLEAN",
  utf8: "VARCHAR",
  dict: "VARCHAR",
  timestamp: "TIMESTAMPTZ",
  date: "DATE",
};

function selectList(types: Record<string, DType>): string {
  return Object.entries(types)
    .map(([n, t]) => {
      const c = `"${n}"`;
      if (t === "timestamp") return `epoch_ms(${c})::DOUBLE AS ${c}`;
      if (t === "date") return `datediff('day', DATE '1970-01-01', ${c})::INTEGER AS ${c}`;
      return c;
    })
    .join(", ");
}

let duck:
  | Promise<Awaited<ReturnType<Awaited<ReturnType<typeof DuckDBInstance.create>>["connect"]>>>
  | undefined;

async function connection() {
  duck ??= DuckDBInstance.create(":memory:").then(async (db) => {
    const conn = await db.connect();
    await conn.run("SET TimeZone = 'UTC'"); // zone-less CSV timestamps are UTC, as Barn reads them
    return conn;
  });
  return duck;
}

/** Columns as DuckDB reads them from `source` (an SQL table function call), in our units. */
export async function duckColumns(
  source: string,
  types: Record<string, DType>,
): Promise<Record<string, Cell[]>> {
  const conn = await connection();
  const reader = await conn.runAndReadAll(`SELECT ${selectList(types)} FROM ${source}`);
  const cols = reader.getColumnsObjectJS() as Record<string, Cell[]>;
  return cols;
}

/** `read_csv` with explicit types (so DuckDB does not infer). */
export function duckCsv(path: string, types: Record<string, DType>): string {
  const cols = Object.entries(types)
    .map(([n, t]) => `'${n}': '${SQL_TYPES[t]}'`)
    .join(", ");
  return `read_csv('${path}', header = true, columns = {${cols}}, quote = '"', escape = '"')`;
}
