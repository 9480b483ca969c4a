/**
 * Hash join: build a table over the right side's keys (rows grouped per distinct key, in CSR
 * form), probe it with every left row, and emit matching row pairs as two selection vectors.
 * Null keys never match (SQL). Unmatched rows are kept per `how` with -1 on the other side,
 * which `takeColumn` turns into nulls.
 */
import type { Column } from "./batch.js";
import { isValid } from "./bitmap.js";
import { hashRows, rowsEqual } from "./hash.js";
import { giveBack, takeScratchInt32 } from "./scratch.js";

/** Which unmatched rows a join keeps. */
export type JoinHow = "inner" | "left" | "right" | "outer";

/** Row pairs of a join: `left[k]` pairs with `right[k]`; -1 means no row on that side. */
export interface JoinPairs {
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly length: number;
}

function anyNull(cols: readonly Column[], i: number): boolean {
  for (const c of cols) if (!isValid(c.valid, i)) return true;
  return false;
}

/** The built side: distinct keys in an open-addressing table, rows per key in CSR form. */
interface Built {
  readonly slots: Int32Array;
  readonly rep: Int32Array;
  readonly start: Int32Array;
  readonly rows: Int32Array;
  readonly hashes: Int32Array;
}

function build(keys: readonly Column[], n: number): Built {
  const hashes = hashRows(keys, n);
  let cap = 16;
  while (cap < n * 2) cap <<= 1;
  const slots = new Int32Array(cap).fill(-1);
  const mask = cap - 1;
  const gid = new Int32Array(n).fill(-1);
  const repList: number[] = [];
  for (let i = 0; i < n; i++) {
    if (anyNull(keys, i)) continue;
    const h = hashes[i]!;
    let s = h & mask;
    for (;;) {
      const g = slots[s]!;
      if (g < 0) {
        slots[s] = repList.length;
        gid[i] = repList.length;
        repList.push(i);
        break;
      }
      const r = repList[g]!;
      if (hashes[r] === h && rowsEqual(keys, r, keys, i)) {
        gid[i] = g;
        break;
      }
      s = (s + 1) & mask;
    }
  }
  const groups = repList.length;
  const start = new Int32Array(groups + 1);
  for (let i = 0; i < n; i++) if (gid[i]! >= 0) start[gid[i]! + 1]!++;
  for (let g = 0; g < groups; g++) start[g + 1]! += start[g]!;
  const at = start.slice(0, groups);
  const rows = new Int32Array(start[groups]!);
  for (let i = 0; i < n; i++) if (gid[i]! >= 0) rows[at[gid[i]!]!++] = i;
  return { slots, rep: Int32Array.from(repList), start, rows, hashes };
}

/** Hands a join's pair arrays back to the scratch pool (nothing may use them afterwards). */
export function releasePairs(p: JoinPairs): void {
  giveBack(p.left);
  giveBack(p.right);
}

/** Matching row pairs of `left` and `right` key columns (same count, compatible types). */
export function hashJoin(
  leftKeys: readonly Column[],
  leftLength: number,
  rightKeys: readonly Column[],
  rightLength: number,
  how: JoinHow,
): JoinPairs {
  const b = build(rightKeys, rightLength);
  const mask = b.slots.length - 1;
  // Pairs usually number about the left rows: the first arrays come from scratch memory (the
  // caller gives them back with `releasePairs` once the output columns are gathered).
  let outL = takeScratchInt32(Math.max(16, leftLength));
  let outR = takeScratchInt32(outL.length);
  let k = 0;
  const matched = how === "right" || how === "outer" ? new Uint8Array(rightLength) : undefined;
  const keepLeft = how === "left" || how === "outer";
  const push = (l: number, r: number) => {
    if (k === outL.length) {
      const nl = new Int32Array(k * 2);
      nl.set(outL);
      outL = nl;
      const nr = new Int32Array(k * 2);
      nr.set(outR);
      outR = nr;
    }
    outL[k] = l;
    outR[k++] = r;
  };
  const probe = (keys: readonly Column[], hashes: Int32Array, i: number): number => {
    let s = hashes[i]! & mask;
    for (;;) {
      const cand = b.slots[s]!;
      if (cand < 0) return -1;
      const r = b.rep[cand]!;
      if (b.hashes[r] === hashes[i] && rowsEqual(rightKeys, r, keys, i)) return cand;
      s = (s + 1) & mask;
    }
  };
  // A single dict key probes once per dictionary entry; rows then look their entry up.
  const k0 = leftKeys[0]!;
  let perEntry: Int32Array | undefined;
  if (leftKeys.length === 1 && k0.type === "dict") {
    const dict = [k0.dictionary!];
    const dh = hashRows(dict, dict[0]!.length);
    perEntry = new Int32Array(dict[0]!.length);
    for (let e = 0; e < perEntry.length; e++) perEntry[e] = probe(dict, dh, e);
  }
  const codes = k0.data as Int32Array;
  const unique =
    perEntry === undefined || k0.valid !== undefined ? undefined : uniqueRows(b, perEntry);
  if (unique !== undefined) {
    // A dimension table (each key on one right row) and a left key with no nulls: a left row's
    // pair is its dictionary entry's row, and the pairs fit the first arrays.
    k = pairDictUnique(codes, unique, leftLength, keepLeft, outL, outR);
    if (matched !== undefined) for (let p = 0; p < k; p++) if (outR[p]! >= 0) matched[outR[p]!] = 1;
  } else {
    const lh = perEntry === undefined ? hashRows(leftKeys, leftLength) : new Int32Array(0);
    for (let i = 0; i < leftLength; i++) {
      let g = -1;
      if (perEntry !== undefined) {
        if (isValid(k0.valid, i)) g = perEntry[codes[i]!]!;
      } else if (!anyNull(leftKeys, i)) {
        g = probe(leftKeys, lh, i);
      }
      if (g < 0) {
        if (keepLeft) push(i, -1);
        continue;
      }
      for (let p = b.start[g]!; p < b.start[g + 1]!; p++) {
        const r = b.rows[p]!;
        push(i, r);
        if (matched !== undefined) matched[r] = 1;
      }
    }
  }
  if (matched !== undefined) {
    for (let r = 0; r < rightLength; r++) if (matched[r] === 0) push(-1, r);
  }
  return { left: outL.subarray(0, k), right: outR.subarray(0, k), length: k };
}

/**
 * Per dictionary entry, its one right row (-1: no match), or undefined when some entry
 * matches several right rows.
 */
function uniqueRows(b: Built, perEntry: Int32Array): Int32Array | undefined {
  const out = new Int32Array(perEntry.length);
  for (let e = 0; e < perEntry.length; e++) {
    const g = perEntry[e]!;
    if (g < 0) out[e] = -1;
    else if (b.start[g + 1]! - b.start[g]! === 1) out[e] = b.rows[b.start[g]!]!;
    else return undefined;
  }
  return out;
}

/**
 * Pairs of a many-to-one join on dict codes: row i pairs with `unique[codes[i]]`; a row with
 * no match is kept (paired with -1) only when `keepLeft`. Branch-free: every row is written and
 * the cursor moves when the pair is kept. Returns the number of pairs.
 */
function pairDictUnique(
  codes: Int32Array,
  unique: Int32Array,
  n: number,
  keepLeft: boolean,
  outL: Int32Array,
  outR: Int32Array,
): number {
  const keepAll = keepLeft ? 1 : 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const r = unique[codes[i]!]!;
    outL[k] = i;
    outR[k] = r;
    k += +(r >= 0) | keepAll;
  }
  return k;
}
