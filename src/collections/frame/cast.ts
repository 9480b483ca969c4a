/**
 * `expr.cast(type)` over a column: numbers and bools between int32, int64, float64 and bool
 * (a float rounds to the nearest integer, half to even, as DuckDB does; a value out of the target's range is
 * BARN_FRAME_OVERFLOW), strings parsed as the text readers parse them (a text that is not a
 * value is BARN_FRAME_TYPE_MISMATCH naming it), and date <-> timestamp (UTC days). Null stays
 * null. Runs on the worker; expr-types.ts has refused every other pair when the query was built.
 */
import { BarnError, ErrorCodes } from "../../errors.js";
import { parseAs } from "../../io/text-values.js";
import type { Column, DType } from "../../kernels/batch.js";
import { isValid } from "../../kernels/bitmap.js";
import { allocData } from "../../kernels/column.js";
import { dictToUtf8, utf8Column } from "../../kernels/strings.js";
import { formatColumn } from "./cast-string.js";

const DAY_MS = 86_400_000;
const MIN64 = -(2n ** 63n);
const MAX64 = 2n ** 63n - 1n;

/** `col` as a column of type `to`. */
export function castColumn(col: Column, to: DType): Column {
  if (col.type === to) return col;
  if (col.type === "dict") return castColumn(dictToUtf8(col), to);
  if (col.type === "utf8") return fromStrings(col, to);
  if (to === "utf8") return formatColumn(col);
  const n = col.length;
  const out = allocData(to, n);
  for (let i = 0; i < n; i++) {
    if (!isValid(col.valid, i)) continue;
    (out as unknown as unknown[])[i] = convert(col.data[i]!, col.type, to);
  }
  return { type: to, length: n, data: out, valid: col.valid };
}

/** One non-null value of type `from` as type `to`. */
function convert(v: number | bigint, from: DType, to: DType): number | bigint {
  if (from === "date" && to === "timestamp") return (v as number) * DAY_MS;
  if (from === "timestamp" && to === "date") return Math.floor((v as number) / DAY_MS);
  if (to === "float64") return Number(v);
  if (to === "bool") return v !== 0 && v !== 0n ? 1 : 0;
  const whole = typeof v === "bigint" ? v : roundHalfEven(v);
  if (to === "int64") {
    const b = typeof whole === "bigint" ? whole : BigInt(whole);
    if (b < MIN64 || b > MAX64) throw outOfRange(v, to);
    return b;
  }
  const x = Number(whole);
  if (x !== (x | 0) || (typeof whole === "bigint" && BigInt(x) !== whole)) throw outOfRange(v, to);
  return x;
}

function roundHalfEven(v: number): number | bigint {
  if (!Number.isFinite(v)) throw outOfRange(v, "an integer");
  const f = Math.floor(v);
  const d = v - f;
  const r = d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
  return Math.abs(r) < 2 ** 53 ? r : BigInt(r);
}

function outOfRange(v: number | bigint, to: string): BarnError {
  return new BarnError(
    ErrorCodes.FRAME_OVERFLOW,
    `cast: ${String(v)} is out of the range of ${to}. Fix: cast to a wider type (int64, float64), or filter such rows first`,
  );
}

function fromStrings(col: Column, to: DType): Column {
  const n = col.length;
  const offsets = col.offsets!;
  const bytes = col.data as Uint8Array;
  const decoder = new TextDecoder();
  const texts: (string | null)[] = new Array(n);
  for (let i = 0; i < n; i++)
    texts[i] = isValid(col.valid, i)
      ? decoder.decode(bytes.subarray(offsets[i]!, offsets[i + 1]!))
      : null;
  if (to === "utf8") return utf8Column(texts);
  const out = allocData(to, n);
  for (let i = 0; i < n; i++) {
    const s = texts[i];
    if (s === null || s === undefined) continue;
    const v = parseAs(to, s.trim());
    if (v === undefined) {
      throw new BarnError(
        ErrorCodes.FRAME_TYPE_MISMATCH,
        `cast: cannot read ${JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s)} as ${to}. Fix: filter such rows first, or clean the text`,
      );
    }
    (out as unknown as unknown[])[i] = v;
  }
  return { type: to, length: n, data: out, valid: col.valid };
}
