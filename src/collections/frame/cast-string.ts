/**
 * `expr.cast("utf8")` from a non-string column: every value as text. int32 and int64 in
 * decimal (int64 exact, from the bigint); float64 as JavaScript prints a number (the shortest
 * text that reads back to the same value: 100, 0.1, 1e+21, NaN, Infinity; DuckDB would print
 * 100.0 and 1e+21); bool as true/false; date as YYYY-MM-DD and timestamp (UTC) as
 * YYYY-MM-DD HH:MM:SS with .fff milliseconds when not zero (trailing zeros dropped), as DuckDB
 * casts them (ISO 8601 with a space). Null stays null.
 */
import type { Column } from "../../kernels/batch.js";
import { isValid } from "../../kernels/bitmap.js";
import { utf8Column } from "../../kernels/strings.js";

const DAY_MS = 86_400_000;

/** `col` (not a string column) as a utf8 column of its values' text. */
export function formatColumn(col: Column): Column {
  const format = formatterOf(col.type);
  const out: (string | null)[] = new Array(col.length);
  for (let i = 0; i < col.length; i++) {
    out[i] = isValid(col.valid, i) ? format(col.data[i]!) : null;
  }
  return utf8Column(out);
}

function formatterOf(type: Column["type"]): (v: number | bigint) => string {
  switch (type) {
    case "bool":
      return (v) => (v === 0 ? "false" : "true");
    case "date":
      return (v) => isoDate((v as number) * DAY_MS);
    case "timestamp":
      return (v) => isoTimestamp(v as number);
    default:
      return (v) => String(v);
  }
}

const pad = (n: number, w: number) => String(n).padStart(w, "0");

function isoDate(ms: number): string {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  // Years outside 0..9999 keep JavaScript's sign and width (DuckDB writes "(BC)" instead).
  const year = y >= 0 && y <= 9999 ? pad(y, 4) : (y < 0 ? "-" : "+") + pad(Math.abs(y), 6);
  return `${year}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
}

function isoTimestamp(ms: number): string {
  const d = new Date(ms);
  const time = `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  const milli = d.getUTCMilliseconds();
  const frac = milli === 0 ? "" : `.${pad(milli, 3).replace(/0+$/, "")}`;
  return `${isoDate(ms)} ${time}${frac}`;
}
