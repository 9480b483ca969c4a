/**
 * Selection vectors: the row indexes a filter keeps, as an Int32Array. A filter evaluates its
 * predicate to a bool column, turns it into a selection (only rows that are valid AND true
 * survive, as in SQL), and gathers every column once with `takeBatch`. A numeric column
 * compared with a number skips the bool column: the comparison writes the selection itself.
 *
 * The selection loops are branch-free: every row's index is written and the cursor moves by
 * the row's 0/1 flag, as a branch per row mispredicts on every other row of a random
 * predicate.
 */
import type { Batch, Column } from "./batch.js";
import { takeBatch } from "./column.js";
import type { CompareOp } from "./compare.js";
import { int64Literal, wordsOf } from "./int64.js";
import { numbersOf } from "./numeric.js";
import { giveBack, takeScratchInt32 } from "./scratch.js";

/** Indexes of rows where `mask` is true and not null. */
export function selectionOf(mask: Column): Int32Array {
  const room = takeScratchInt32(mask.length + 1);
  try {
    return room.slice(0, selectInto(mask, room));
  } finally {
    giveBack(room);
  }
}

/** Writes the selected rows' indexes to `sel` (room for the count plus one); returns the count. */
function selectInto(mask: Column, sel: Int32Array): number {
  const x = mask.data as Uint8Array;
  const n = mask.length;
  const v = mask.valid;
  let k = 0;
  if (v === undefined) {
    for (let i = 0; i < n; i++) {
      sel[k] = i;
      k += x[i]! & 1;
    }
  } else {
    for (let i = 0; i < n; i++) {
      sel[k] = i;
      k += x[i]! & (v[i >> 3]! >> (i & 7)) & 1;
    }
  }
  return k;
}

/**
 * The rows of `batch` where `mask` is true (the batch itself when every row is kept). With
 * `scratch`, the gathered columns are in scratch memory, for a caller that gives them back.
 */
export function filterBatch(batch: Batch, mask: Column, scratch = false): Batch {
  return filterBy(batch, (room) => selectInto(mask, room), scratch);
}

/**
 * The rows of `batch` where the numeric `column op value` holds (a null row never does). An
 * int64 column compares exactly with its 32-bit words (int64.ts); other columns as numbers.
 */
export function filterCompare(
  batch: Batch,
  op: CompareOp,
  column: Column,
  value: number | bigint,
  scratch = false,
): Batch {
  const n = batch.length;
  if (column.type === "int64") {
    const lit = int64Literal(op, value);
    if ("constant" in lit) {
      return filterBy(
        batch,
        (room) => selectConstant(lit.constant, column.valid, n, room),
        scratch,
      );
    }
    const w = wordsOf(column);
    return filterBy(
      batch,
      (room) => selectInt64(lit.op, w.hi, w.lo, lit.value, column.valid, n, room),
      scratch,
    );
  }
  const x = numbersOf(column);
  const v = Number(value);
  return filterBy(batch, (room) => selectCompare(op, x, v, column.valid, n, room), scratch);
}

/** Every valid row (or none), written to `sel`; returns the count. */
function selectConstant(
  all: boolean,
  valid: Uint8Array | undefined,
  n: number,
  sel: Int32Array,
): number {
  if (!all) return 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    sel[k] = i;
    k += valid === undefined ? 1 : (valid[i >> 3]! >> (i & 7)) & 1;
  }
  return k;
}

/**
 * Rows where the int64 `x[i] op v` holds and the row is valid, from the words of x (row i's
 * high word at hi[2i], low word at lo[2i]); returns the count.
 */
function selectInt64(
  op: CompareOp,
  hi: Int32Array,
  lo: Uint32Array,
  v: bigint,
  valid: Uint8Array | undefined,
  n: number,
  sel: Int32Array,
): number {
  const sh = Number(BigInt.asIntN(32, v >> 32n));
  const sl = Number(BigInt.asUintN(32, v));
  let k = 0;
  for (let i = 0; i < n; i++) {
    const h = hi[2 * i]!;
    const l = lo[2 * i]!;
    const c = h < sh ? -1 : h > sh ? 1 : l < sl ? -1 : l > sl ? 1 : 0;
    sel[k] = i;
    k += +holds(op, c, 0) & (valid === undefined ? 1 : valid[i >> 3]! >> (i & 7));
  }
  return k;
}

/** The selection `fill` writes (into room for every row plus one, in scratch memory), gathered. */
function filterBy(batch: Batch, fill: (room: Int32Array) => number, scratch: boolean): Batch {
  const room = takeScratchInt32(batch.length + 1);
  try {
    const count = fill(room);
    if (count === batch.length) return batch;
    return takeBatch(batch, room.subarray(0, count), count, scratch);
  } finally {
    giveBack(room);
  }
}

/** Rows where `x[i] op v` and the row is valid, written to `sel`; returns the count. */
function selectCompare(
  op: CompareOp,
  x: ArrayLike<number>,
  v: number,
  valid: Uint8Array | undefined,
  n: number,
  sel: Int32Array,
): number {
  if (valid !== undefined) return selectCompareValid(op, x, v, valid, n, sel);
  let k = 0;
  switch (op) {
    case "eq":
      for (let i = 0; i < n; i++) {
        sel[k] = i;
        k += +(x[i] === v);
      }
      return k;
    case "ne":
      for (let i = 0; i < n; i++) {
        sel[k] = i;
        k += +(x[i] !== v);
      }
      return k;
    case "lt":
      for (let i = 0; i < n; i++) {
        sel[k] = i;
        k += +(x[i]! < v);
      }
      return k;
    case "le":
      for (let i = 0; i < n; i++) {
        sel[k] = i;
        k += +(x[i]! <= v);
      }
      return k;
    case "gt":
      for (let i = 0; i < n; i++) {
        sel[k] = i;
        k += +(x[i]! > v);
      }
      return k;
    case "ge":
      for (let i = 0; i < n; i++) {
        sel[k] = i;
        k += +(x[i]! >= v);
      }
      return k;
    default:
      return op satisfies never;
  }
}

/**
 * selectCompare over a column with nulls: one loop per operator (a call per row to pick the
 * operator cost as much as the comparison), the row's validity bit and'ed in.
 */
function selectCompareValid(
  op: CompareOp,
  x: ArrayLike<number>,
  v: number,
  valid: Uint8Array,
  n: number,
  sel: Int32Array,
): number {
  let k = 0;
  switch (op) {
    case "eq":
      for (let i = 0; i < n; i++) {
        sel[k] = i;
        k += +(x[i] === v) & (valid[i >> 3]! >> (i & 7));
      }
      return k;
    case "ne":
      for (let i = 0; i < n; i++) {
        sel[k] = i;
        k += +(x[i] !== v) & (valid[i >> 3]! >> (i & 7));
      }
      return k;
    case "lt":
      for (let i = 0; i < n; i++) {
        sel[k] = i;
        k += +(x[i]! < v) & (valid[i >> 3]! >> (i & 7));
      }
      return k;
    case "le":
      for (let i = 0; i < n; i++) {
        sel[k] = i;
        k += +(x[i]! <= v) & (valid[i >> 3]! >> (i & 7));
      }
      return k;
    case "gt":
      for (let i = 0; i < n; i++) {
        sel[k] = i;
        k += +(x[i]! > v) & (valid[i >> 3]! >> (i & 7));
      }
      return k;
    case "ge":
      for (let i = 0; i < n; i++) {
        sel[k] = i;
        k += +(x[i]! >= v) & (valid[i >> 3]! >> (i & 7));
      }
      return k;
    default:
      return op satisfies never;
  }
}

function holds(op: CompareOp, a: number, b: number): boolean {
  switch (op) {
    case "eq":
      return a === b;
    case "ne":
      return a !== b;
    case "lt":
      return a < b;
    case "le":
      return a <= b;
    case "gt":
      return a > b;
    case "ge":
      return a >= b;
    default:
      return op satisfies never;
  }
}
