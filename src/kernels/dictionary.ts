/**
 * Dictionary encoding of utf8 columns: distinct strings become the dictionary and rows become
 * int32 codes, so grouping, comparing and string functions run once per distinct value.
 */
import type { Column } from "./batch.js";
import { takeColumn } from "./column.js";
import { groupIds } from "./group-ids.js";

/** A utf8 column as a dict column (codes in order of first appearance; nulls stay null). */
export function dictEncode(col: Column): Column {
  if (col.type === "dict") return col;
  const g = groupIds([col], col.length);
  // The null group (if any) must not become a dictionary entry: drop it and renumber.
  const keep: number[] = [];
  const remap = new Int32Array(g.count).fill(-1);
  for (let k = 0; k < g.count; k++) {
    const r = g.firstRow[k]!;
    if (col.valid === undefined || ((col.valid[r >> 3]! >> (r & 7)) & 1) === 1) {
      remap[k] = keep.length;
      keep.push(r);
    }
  }
  const dictionary = takeColumn(col, Int32Array.from(keep));
  const codes = new Int32Array(col.length);
  for (let i = 0; i < col.length; i++) codes[i] = Math.max(0, remap[g.ids[i]!]!);
  return { type: "dict", length: col.length, data: codes, dictionary, valid: col.valid };
}
