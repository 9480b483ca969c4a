/**
 * Group ids from key columns with an open-addressing hash table (linear probing, power-of-two
 * capacity, load at most 1/2). Each group remembers its first row, which is both the row its
 * keys are read from and the representative equality is checked against. A single int32, date
 * or dict key takes a fast path that probes on the raw value.
 */
import type { Column } from "./batch.js";
import { isValid } from "./bitmap.js";
import { finalizeHash, hashRows, rowsEqual } from "./hash.js";
import { hashBytes } from "./strings.js";

/** Rows mapped to dense group ids in order of first appearance. */
export interface Groups {
  /** Group id of every row. */
  readonly ids: Int32Array;
  /** Number of groups. */
  readonly count: number;
  /** The first row of each group (length `count`). */
  readonly firstRow: Int32Array;
}

/**
 * Groups the slot table is first sized for: it doubles as groups appear, so a table stays about
 * as large as its groups need and its probes stay in cache (a table sized for every row of a
 * million-row batch with a thousand groups missed the cache on almost every probe).
 */
const INITIAL_GROUPS = 1024;

function capacityFor(n: number): number {
  let cap = 16;
  while (cap < n * 2) cap <<= 1;
  return cap;
}

/**
 * Group the `n` rows of `keys` by equal key values (null is a group of its own). `ids`, when
 * given, is where the group ids are written (length n; its old contents do not matter), so a
 * caller can pass scratch memory.
 */
export function groupIds(
  keys: readonly Column[],
  n: number,
  ids: Int32Array = new Int32Array(n),
): Groups {
  // No keys: one group holding every row, even with no rows (a global aggregate has one row).
  if (keys.length === 0) return { ids: ids.fill(0), count: 1, firstRow: new Int32Array(1) };
  const k0 = keys[0]!;
  if (
    keys.length === 1 &&
    k0.type === "dict" &&
    k0.dictionary!.length <= Math.max(n, INITIAL_GROUPS)
  ) {
    return groupDict(k0, n, ids);
  }
  if (keys.length === 1 && (k0.type === "int32" || k0.type === "date" || k0.type === "dict")) {
    return groupInt32(k0, n, ids);
  }
  if (keys.length === 1 && k0.type === "utf8") return groupUtf8(k0, n, ids);
  return groupGeneric(keys, n, ids);
}

/** One utf8 key: hash and compare the bytes in place (no per-row dispatch on type). */
function groupUtf8(col: Column, n: number, ids: Int32Array): Groups {
  const bytes = col.data as Uint8Array;
  const off = col.offsets!;
  const valid = col.valid;
  const hashes = new Int32Array(n);
  for (let i = 0; i < n; i++) hashes[i] = finalizeHash(hashBytes(bytes, off[i]!, off[i + 1]!));
  let slots: Int32Array = new Int32Array(capacityFor(Math.min(n, INITIAL_GROUPS))).fill(-1);
  let mask = slots.length - 1;
  let firstRow: Int32Array = new Int32Array(64);
  let count = 0;
  let nullGroup = -1;
  for (let i = 0; i < n; i++) {
    if (valid !== undefined && ((valid[i >> 3]! >> (i & 7)) & 1) === 0) {
      if (nullGroup < 0) {
        if (count === firstRow.length) firstRow = grow(firstRow);
        firstRow[count] = i;
        nullGroup = count++;
      }
      ids[i] = nullGroup;
      continue;
    }
    const h = hashes[i]!;
    const start = off[i]!;
    const len = off[i + 1]! - start;
    let s = h & mask;
    for (;;) {
      const g = slots[s]!;
      if (g < 0) {
        if (count === firstRow.length) firstRow = grow(firstRow);
        firstRow[count] = i;
        slots[s] = count;
        ids[i] = count++;
        if (count * 2 > slots.length) {
          slots = rehash(slots, count, nullGroup, (g) => hashes[firstRow[g]!]!);
          mask = slots.length - 1;
        }
        break;
      }
      const r = firstRow[g]!;
      if (hashes[r] === h && g !== nullGroup && off[r + 1]! - off[r]! === len) {
        const rs = off[r]!;
        let same = true;
        for (let k = 0; k < len; k++) {
          if (bytes[rs + k] !== bytes[start + k]) {
            same = false;
            break;
          }
        }
        if (same) {
          ids[i] = g;
          break;
        }
      }
      s = (s + 1) & mask;
    }
  }
  return { ids, count, firstRow: firstRow.slice(0, count) };
}

/**
 * The slot table doubled, holding every group but `skip` (the null group) again. Rare (the
 * table doubles), so the group's hash comes through a callback without costing the hot loop.
 */
function rehash(
  old: Int32Array,
  count: number,
  skip: number,
  hashOf: (group: number) => number,
): Int32Array {
  const slots = new Int32Array(old.length * 2).fill(-1);
  const mask = slots.length - 1;
  for (let g = 0; g < count; g++) {
    if (g === skip) continue;
    let s = hashOf(g) & mask;
    while (slots[s]! >= 0) s = (s + 1) & mask;
    slots[s] = g;
  }
  return slots;
}

function groupInt32(col: Column, n: number, ids: Int32Array): Groups {
  const values = col.data as Int32Array;
  const valid = col.valid;
  const cap = capacityFor(Math.min(n, INITIAL_GROUPS));
  let mask = cap - 1;
  let slots: Int32Array = new Int32Array(cap).fill(-1);
  let firstRow: Int32Array = new Int32Array(64);
  let count = 0;
  let nullGroup = -1;
  for (let i = 0; i < n; i++) {
    if (valid !== undefined && !isValid(valid, i)) {
      if (nullGroup < 0) {
        if (count === firstRow.length) firstRow = grow(firstRow);
        firstRow[count] = i;
        nullGroup = count++;
      }
      ids[i] = nullGroup;
      continue;
    }
    const v = values[i]!;
    let s = finalizeHash(v) & mask;
    for (;;) {
      const g = slots[s]!;
      if (g < 0) {
        if (count === firstRow.length) firstRow = grow(firstRow);
        firstRow[count] = i;
        slots[s] = count;
        ids[i] = count++;
        if (count * 2 > slots.length) {
          slots = rehash(slots, count, nullGroup, (g) => finalizeHash(values[firstRow[g]!]!));
          mask = slots.length - 1;
        }
        break;
      }
      if (g !== nullGroup && values[firstRow[g]!] === v) {
        ids[i] = g;
        break;
      }
      s = (s + 1) & mask;
    }
  }
  return { ids, count, firstRow: firstRow.slice(0, count) };
}

/**
 * One dict key: its codes index the dictionary's distinct strings, so a table from code to group
 * (as long as the dictionary) replaces hashing.
 */
function groupDict(col: Column, n: number, ids: Int32Array): Groups {
  const codes = col.data as Int32Array;
  const valid = col.valid;
  const groupOf = new Int32Array(col.dictionary!.length).fill(-1);
  const first = { rows: new Int32Array(64), count: 0 };
  if (valid === undefined) {
    // The common case gets a loop of its own: a load, a lookup and a store per row.
    for (let i = 0; i < n; i++) {
      const c = codes[i]!;
      let g = groupOf[c]!;
      if (g < 0) g = groupOf[c] = newGroup(first, i);
      ids[i] = g;
    }
  } else {
    let nullGroup = -1;
    for (let i = 0; i < n; i++) {
      let g: number;
      if (!isValid(valid, i)) {
        if (nullGroup < 0) nullGroup = newGroup(first, i);
        g = nullGroup;
      } else {
        const c = codes[i]!;
        g = groupOf[c]!;
        if (g < 0) g = groupOf[c] = newGroup(first, i);
      }
      ids[i] = g;
    }
  }
  return { ids, count: first.count, firstRow: first.rows.slice(0, first.count) };
}

/** Records row `i` as the first of a new group and returns the group's id. */
function newGroup(first: { rows: Int32Array; count: number }, i: number): number {
  if (first.count === first.rows.length) first.rows = grow(first.rows);
  first.rows[first.count] = i;
  return first.count++;
}

function grow(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

function groupGeneric(keys: readonly Column[], n: number, ids: Int32Array): Groups {
  const hashes = hashRows(keys, n);
  let slots: Int32Array = new Int32Array(capacityFor(Math.min(n, INITIAL_GROUPS))).fill(-1);
  let mask = slots.length - 1;
  let firstRow: Int32Array = new Int32Array(64);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const h = hashes[i]!;
    let s = h & mask;
    for (;;) {
      const g = slots[s]!;
      if (g < 0) {
        if (count === firstRow.length) firstRow = grow(firstRow);
        firstRow[count] = i;
        slots[s] = count;
        ids[i] = count++;
        if (count * 2 > slots.length) {
          slots = rehash(slots, count, -1, (g) => hashes[firstRow[g]!]!);
          mask = slots.length - 1;
        }
        break;
      }
      const r = firstRow[g]!;
      if (hashes[r] === h && rowsEqual(keys, r, keys, i)) {
        ids[i] = g;
        break;
      }
      s = (s + 1) & mask;
    }
  }
  return { ids, count, firstRow: firstRow.slice(0, count) };
}
