/**
 * Pushed-down filters inside the JSON lines scan: a string column compared `==` or `!=` with a
 * string is decided from the located bytes, before any column is built, so the rows a filter
 * drops are never copied or interned (late materialisation). Only rows that certainly fail are
 * dropped (a null or missing value, or a string that compares false); a value of the wrong kind
 * is kept, so the builders still report it, and the frame applies the filter again anyway.
 */

import type { Schema } from "../kernels/batch.js";
import type { Predicate } from "./filters.js";
import { type JsonChunk, KIND_NESTED, KIND_NULL, KIND_SIDE, KIND_STRING } from "./json-scan.js";

/** One filter the scan can apply: column `t` of a chunk equals (or not) `value`'s bytes. */
export interface ScanFilter {
  readonly t: number;
  readonly value: Uint8Array;
  readonly equal: boolean;
}

const encoder = new TextEncoder();

/** The predicates the scan can decide on `schema`'s columns (string columns, == / != a string). */
export function scanFilters(
  predicates: readonly Predicate[] | undefined,
  schema: Schema,
): ScanFilter[] {
  const out: ScanFilter[] = [];
  for (const p of predicates ?? []) {
    if ((p.op !== "eq" && p.op !== "ne") || typeof p.value !== "string") continue;
    const t = schema.findIndex((f) => f.name === p.column);
    if (t < 0) continue;
    const type = schema[t]!.type;
    if (type !== "utf8" && type !== "dict") continue;
    out.push({ t, value: encoder.encode(p.value), equal: p.op === "eq" });
  }
  return out;
}

/**
 * Splits the chunk's rows into those every filter may keep (`keep`) and those one drops
 * (`drop`), as row indices in the chunk; returns how many were kept.
 */
export function splitRows(
  bytes: Uint8Array,
  chunk: JsonChunk,
  filters: readonly ScanFilter[],
  keep: Int32Array,
  drop: Int32Array,
): number {
  const { rows, ncols, kinds, starts, ends, side } = chunk;
  let nk = 0;
  let nd = 0;
  for (let i = 0; i < rows; i++) {
    let pass = true;
    for (let f = 0; f < filters.length && pass; f++) {
      const { t, value, equal } = filters[f]!;
      const j = i * ncols + t;
      const k = kinds[j]!;
      if (k <= KIND_NULL) pass = false;
      else if ((k & 7) === KIND_STRING || k === KIND_NESTED) {
        const src = (k & KIND_SIDE) !== 0 ? side : bytes;
        const a = starts[j]!;
        const len = ends[j]! - a;
        let same = len === value.length;
        for (let q = 0; same && q < len; q++) same = src[a + q] === value[q];
        pass = same === equal;
      }
    }
    if (pass) keep[nk++] = i;
    else drop[nd++] = i;
  }
  return nk;
}

/** The chunk's rows `rows[0, n)` as a chunk of their own, in `into`'s arrays. */
export function compactChunk(
  chunk: JsonChunk,
  rows: Int32Array,
  n: number,
  into: { kinds: Uint8Array; starts: Int32Array; ends: Int32Array; lines: Int32Array },
): JsonChunk {
  const { ncols, kinds, starts, ends, lines } = chunk;
  for (let r = 0; r < n; r++) {
    const i = rows[r]!;
    into.lines[r] = lines[i]!;
    for (let t = 0; t < ncols; t++) {
      into.kinds[r * ncols + t] = kinds[i * ncols + t]!;
      into.starts[r * ncols + t] = starts[i * ncols + t]!;
      into.ends[r * ncols + t] = ends[i * ncols + t]!;
    }
  }
  return { ...into, rows: n, ncols, side: chunk.side };
}
