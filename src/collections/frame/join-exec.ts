/**
 * Joining two batches: hash join on the key columns, then the output columns gathered once
 * through the pair selections. Output naming (shared with plan-time schema inference): every
 * left column, then every right column except a key whose name equals its left key (those are
 * merged, taking the right value where the left row is missing), with `suffix` added to right
 * names that clash with left ones.
 */
import type { Batch, Column, DType, Field, Schema } from "../../kernels/batch.js";
import { concatColumns, takeColumn } from "../../kernels/column.js";
import { dictEncode } from "../../kernels/dictionary.js";
import { hashJoin, type JoinHow, releasePairs } from "../../kernels/join.js";
import { toFloat64 } from "../../kernels/numeric.js";

/** How the right side's columns appear in a join's output. */
export interface RightColumn {
  /** The right column's name. */
  readonly from: string;
  /** Its output name. */
  readonly to: string;
}

/** The right columns of a join's output (merged keys left out). */
export function rightOutputColumns(
  leftNames: readonly string[],
  rightNames: readonly string[],
  leftOn: readonly string[],
  rightOn: readonly string[],
  suffix: string,
): RightColumn[] {
  const merged = new Set(rightOn.filter((r, k) => leftOn[k] === r));
  const taken = new Set(leftNames);
  const out: RightColumn[] = [];
  for (const n of rightNames) {
    if (merged.has(n)) continue;
    let to = taken.has(n) ? `${n}${suffix}` : n;
    while (taken.has(to)) to = `${to}${suffix}`;
    taken.add(to);
    out.push({ from: n, to });
  }
  return out;
}

/** The common type two key columns are joined as. */
export function joinKeyType(a: DType, b: DType): DType {
  if (a === b) return a;
  if ((a === "utf8" || a === "dict") && (b === "utf8" || b === "dict")) return "utf8";
  return "float64";
}

/** The output schema of a join. */
export function joinSchema(
  left: Schema,
  right: Schema,
  leftOn: readonly string[],
  rightOn: readonly string[],
  how: JoinHow,
  suffix: string,
): Schema {
  const rights = rightOutputColumns(
    left.map((f) => f.name),
    right.map((f) => f.name),
    leftOn,
    rightOn,
    suffix,
  );
  const leftFields = left.map((f): Field => {
    const k = leftOn.indexOf(f.name);
    const rf = k >= 0 ? right.find((x) => x.name === rightOn[k]) : undefined;
    const type = rf !== undefined ? joinKeyType(f.type, rf.type) : f.type;
    const merged = k >= 0 && rightOn[k] === f.name;
    return {
      name: f.name,
      type,
      nullable: f.nullable || how === "outer" || (how === "right" && !merged),
    };
  });
  const rightFields = rights.map((rc): Field => {
    const f = right.find((x) => x.name === rc.from)!;
    const k = rightOn.indexOf(rc.from);
    const lf = k >= 0 ? left.find((x) => x.name === leftOn[k]) : undefined;
    const type = lf !== undefined ? joinKeyType(lf.type, f.type) : f.type;
    return { name: rc.to, type, nullable: f.nullable || how === "outer" || how === "left" };
  });
  return [...leftFields, ...rightFields];
}

function colOf(b: Batch, name: string): Column {
  return b.columns[b.names.indexOf(name)]!;
}

function castKey(c: Column, t: DType): Column {
  if (c.type === t || (t === "utf8" && (c.type === "utf8" || c.type === "dict"))) return c;
  return toFloat64(c);
}

/**
 * `left` joined with `right` on the key columns. With `scratch`, gathered fixed-width columns
 * are in scratch memory (takeColumn), for a caller that gives them back.
 */
export function joinBatches(
  left: Batch,
  right: Batch,
  leftOn: readonly string[],
  rightOn: readonly string[],
  how: JoinHow,
  suffix: string,
  scratch = false,
): Batch {
  const types = leftOn.map((l, k) =>
    joinKeyType(colOf(left, l).type, colOf(right, rightOn[k]!).type),
  );
  const lk = leftOn.map((l, k) => castKey(colOf(left, l), types[k]!));
  const rk = rightOn.map((r, k) => castKey(colOf(right, r), types[k]!));
  const pairs = hashJoin(lk, left.length, rk, right.length, how);
  // Every left row matched exactly one right row, in order (a many-to-one join against a
  // dimension table): the left columns are the output's as they are, with no gather.
  const leftAsIs = isIdentity(pairs.left, pairs.length, left.length);
  const gatherLeft = (c: Column) => (leftAsIs ? c : gather(c, pairs.left, pairs.length, scratch));
  const names: string[] = [];
  const columns: Column[] = [];
  left.names.forEach((name, j) => {
    const k = leftOn.indexOf(name);
    names.push(name);
    if (k >= 0 && rightOn[k] === name && (how === "right" || how === "outer")) {
      columns.push(coalesce(lk[k]!, rk[k]!, pairs.left, pairs.right, left.length));
    } else if (k >= 0) {
      columns.push(gatherLeft(lk[k]!));
    } else {
      columns.push(gatherLeft(left.columns[j]!));
    }
  });
  for (const rc of rightOutputColumns(left.names, right.names, leftOn, rightOn, suffix)) {
    const k = rightOn.indexOf(rc.from);
    names.push(rc.to);
    const c = k >= 0 ? rk[k]! : colOf(right, rc.from);
    columns.push(gather(c, pairs.right, pairs.length, scratch));
  }
  releasePairs(pairs);
  return { names, columns, length: pairs.length };
}

/** True when `sel` is 0, 1, ..., n - 1 over all `length` rows. */
function isIdentity(sel: Int32Array, n: number, length: number): boolean {
  if (n !== length) return false;
  for (let i = 0; i < n; i++) if (sel[i] !== i) return false;
  return true;
}

/**
 * Rows `sel` of `col`. A utf8 column gathered into many more rows than it has (the small side
 * of a join) is dictionary-encoded first, so the output is int32 codes into its few strings
 * instead of a copy of every string.
 */
function gather(col: Column, sel: Int32Array, n: number, scratch: boolean): Column {
  if (col.type === "utf8" && col.length * 4 <= n)
    return takeColumn(dictEncode(col), sel, n, scratch);
  return takeColumn(col, sel, n, scratch);
}

/** A merged key: the left value, or the right one where the row has no left side. */
function coalesce(
  l: Column,
  r: Column,
  ls: Int32Array,
  rs: Int32Array,
  leftLength: number,
): Column {
  const both = concatColumns([l, r]);
  const sel = new Int32Array(ls.length);
  for (let k = 0; k < ls.length; k++) sel[k] = ls[k]! >= 0 ? ls[k]! : leftLength + rs[k]!;
  return takeColumn(both, sel);
}
