/**
 * Plain JS records <-> batches. Types are inferred from the values: integers that fit int32
 * become int32, other numbers float64, bigint int64, boolean bool, string utf8, Date timestamp;
 * null and undefined are nulls. A column with no non-null value is float64.
 */
import type { Batch, Column, DType, Field, Schema } from "../../kernels/batch.js";
import { compactValidity, isValid, newBitmap, setValid } from "../../kernels/bitmap.js";
import { allocData } from "../../kernels/column.js";
import { stringAt, utf8Column } from "../../kernels/strings.js";
import { typeMismatch } from "./errors.js";

function kindOf(v: unknown): DType | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === "number")
    return Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31 ? "int32" : "float64";
  if (typeof v === "bigint") return "int64";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "string") return "utf8";
  if (v instanceof Date) return "timestamp";
  return undefined;
}

/** The schema of records: column names in order of first appearance. */
export function inferSchema(rows: readonly Record<string, unknown>[]): Schema {
  const types = new Map<string, DType | undefined>();
  const nullable = new Set<string>();
  for (const r of rows) {
    for (const k of Object.keys(r)) {
      const t = kindOf(r[k]);
      const prev = types.get(k);
      if (!types.has(k)) types.set(k, t);
      else if (t !== undefined && prev !== t) {
        if (prev === undefined) types.set(k, t);
        else if ((prev === "int32" && t === "float64") || (prev === "float64" && t === "int32"))
          types.set(k, "float64");
        else
          throw typeMismatch(
            `fromRecords: column ${JSON.stringify(k)}`,
            prev,
            t,
            "give every record the same type in a column, or pass { schema }",
          );
      }
      if (t === undefined) nullable.add(k);
    }
  }
  for (const r of rows) for (const k of types.keys()) if (!(k in r)) nullable.add(k);
  return [...types].map(
    ([name, t]): Field => ({ name, type: t ?? "float64", nullable: nullable.has(name) }),
  );
}

/** A batch of `rows` under `schema` (values are converted to the column's type). */
export function recordsToBatch(rows: readonly Record<string, unknown>[], schema: Schema): Batch {
  const n = rows.length;
  const columns = schema.map((f): Column => {
    if (f.type === "utf8" || f.type === "dict") {
      const c = utf8Column(rows.map((r) => (r[f.name] == null ? null : String(r[f.name]))));
      return c;
    }
    const data = allocData(f.type, n);
    const valid = newBitmap(n);
    for (let i = 0; i < n; i++) {
      const v = rows[i]![f.name];
      if (v === null || v === undefined) continue;
      setValid(valid, i);
      if (f.type === "int64") (data as BigInt64Array)[i] = BigInt(v as bigint | number);
      else if (f.type === "timestamp")
        (data as Float64Array)[i] = v instanceof Date ? v.getTime() : Number(v);
      else if (f.type === "date")
        (data as Int32Array)[i] =
          v instanceof Date ? Math.floor(v.getTime() / 86_400_000) : Number(v);
      else if (f.type === "bool") (data as Uint8Array)[i] = v ? 1 : 0;
      else (data as Float64Array)[i] = Number(v);
    }
    return { type: f.type, length: n, data, valid: compactValidity(valid, n) };
  });
  return { names: schema.map((f) => f.name), columns, length: n };
}

/** The value of row i of a column as JS: number, bigint, boolean, string, Date or null. */
export function valueAt(c: Column, i: number): unknown {
  if (!isValid(c.valid, i)) return null;
  switch (c.type) {
    case "utf8":
    case "dict":
      return stringAt(c, i);
    case "bool":
      return (c.data as Uint8Array)[i] === 1;
    case "timestamp":
      return new Date((c.data as Float64Array)[i]!);
    case "date":
      return new Date((c.data as Int32Array)[i]! * 86_400_000);
    default:
      return c.data[i];
  }
}

/** The rows of a batch as plain records. */
export function batchToRecords(b: Batch): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = new Array(b.length);
  for (let i = 0; i < b.length; i++) {
    const r: Record<string, unknown> = {};
    for (let j = 0; j < b.names.length; j++) r[b.names[j]!] = valueAt(b.columns[j]!, i);
    out[i] = r;
  }
  return out;
}
