/**
 * Strings to a typed Column for the text formats: one monomorphic loop per type over the parsed
 * strings of one column, nulls from a set of null spellings, and a report of the first row that
 * does not parse (or every such row, when bad rows are being skipped).
 */

import type { Column, DType } from "../kernels/batch.js";
import { dictColumn, isValid, utf8Column, validFrom } from "./columns.js";
import { parseAs } from "./text-values.js";

/** Called for a row whose text does not parse; returns true to go on (skip mode), false to stop. */
export type OnBadValue = (row: number, text: string) => boolean;

/**
 * A column of `type` from `strings` (undefined counts as null). Rows in `values` are values even
 * when their text spells a null (a quoted `""` in CSV is the empty string).
 */
export function columnFromText(
  type: DType,
  strings: readonly (string | undefined)[],
  nulls: ReadonlySet<string>,
  onBad: OnBadValue,
  values?: ReadonlySet<number>,
): Column {
  const n = strings.length;
  const isNull = (i: number) => {
    const s = strings[i];
    return s === undefined || (nulls.has(s) && values?.has(i) !== true);
  };
  if (type === "utf8" || type === "dict") {
    const texts = strings.map((s, i) => (isNull(i) ? null : s!));
    return type === "dict" ? dictColumn(texts) : utf8Column(texts);
  }
  const data =
    type === "int64"
      ? new BigInt64Array(n)
      : type === "float64" || type === "timestamp"
        ? new Float64Array(n)
        : type === "bool"
          ? new Uint8Array(n)
          : new Int32Array(n);
  let hasNull = false;
  for (let i = 0; i < n; i++) {
    const s = strings[i];
    if (isNull(i)) {
      hasNull = true;
      continue;
    }
    const v = parseAs(type, s!);
    if (v === undefined) {
      if (!onBad(i, s!)) break;
      continue;
    }
    data[i] = v as never;
  }
  return { type, length: n, data, valid: hasNull ? validFrom(n, isNull) : undefined };
}

/** The rows `keep` (ascending indices) of a column. */
export function takeRows(col: Column, keep: Int32Array): Column {
  const n = keep.length;
  const valid = col.valid === undefined ? undefined : validFrom(n, (i) => !isValid(col, keep[i]!));
  if (col.type === "utf8") {
    const offsets = col.offsets!;
    const src = col.data as Uint8Array;
    const outOffsets = new Int32Array(n + 1);
    let size = 0;
    for (let i = 0; i < n; i++) size += offsets[keep[i]! + 1]! - offsets[keep[i]!]!;
    const out = new Uint8Array(size);
    let pos = 0;
    for (let i = 0; i < n; i++) {
      const a = offsets[keep[i]!]!;
      const b = offsets[keep[i]! + 1]!;
      out.set(src.subarray(a, b), pos);
      pos += b - a;
      outOffsets[i + 1] = pos;
    }
    return { type: "utf8", length: n, data: out, offsets: outOffsets, valid };
  }
  const src = col.data;
  const out = new (src.constructor as new (n: number) => typeof src)(n);
  for (let i = 0; i < n; i++) out[i] = src[keep[i]!]!;
  return { ...col, length: n, data: out, valid };
}
