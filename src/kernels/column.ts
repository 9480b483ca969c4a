/**
 * Building, slicing, gathering (`take`) and concatenating columns and batches. `take` with a
 * selection vector is how filters, joins and sorts materialise rows: one pass per column, one
 * allocation per output buffer.
 */
import type { Batch, Column, DType } from "./batch.js";
import { compactValidity, isValid, newBitmap, setValid } from "./bitmap.js";
import { takeScratch, takeScratchInt32 } from "./scratch.js";
import { bytesEqual, dictToUtf8 } from "./strings.js";

/** An empty typed array of the kind `type` stores its values in. */
export function allocData(
  type: DType,
  n: number,
): Int32Array | Float64Array | BigInt64Array | Uint8Array {
  switch (type) {
    case "int32":
    case "date":
    case "dict":
      return new Int32Array(n);
    case "float64":
    case "timestamp":
      return new Float64Array(n);
    case "int64":
      return new BigInt64Array(n);
    case "bool":
    case "utf8":
      return new Uint8Array(n);
    default:
      return type satisfies never;
  }
}

/** A column with no rows. */
export function emptyColumn(type: DType): Column {
  if (type === "utf8")
    return { type, length: 0, data: new Uint8Array(0), offsets: new Int32Array(1) };
  if (type === "dict") {
    return { type, length: 0, data: new Int32Array(0), dictionary: emptyColumn("utf8") };
  }
  return { type, length: 0, data: allocData(type, 0) };
}

/** A batch with no rows and the given columns. */
export function emptyBatch(fields: readonly { name: string; type: DType }[]): Batch {
  return {
    names: fields.map((f) => f.name),
    columns: fields.map((f) => emptyColumn(f.type)),
    length: 0,
  };
}

/** The column named `name`, or undefined. */
export function columnOf(batch: Batch, name: string): Column | undefined {
  const i = batch.names.indexOf(name);
  return i < 0 ? undefined : batch.columns[i];
}

/**
 * Rows `sel[0..n)` of `col`, in that order. A negative index gives a null row (outer joins).
 * With `scratch`, fixed-width values go to scratch memory (for a caller that gives them back).
 */
export function takeColumn(col: Column, sel: Int32Array, n = sel.length, scratch = false): Column {
  if (col.type === "utf8") return takeUtf8(col, sel, n);
  const src = col.valid;
  let hasNeg = false;
  for (let k = 0; k < n; k++) {
    if (sel[k]! < 0) {
      hasNeg = true;
      break;
    }
  }
  let valid: Uint8Array | undefined;
  if (src !== undefined || hasNeg) {
    valid = newBitmap(n);
    for (let k = 0; k < n; k++) {
      const i = sel[k]!;
      if (i >= 0 && isValid(src, i)) setValid(valid, k);
    }
  }
  const data = gatherData(col.data, sel, n, scratch);
  return {
    type: col.type,
    length: n,
    data,
    valid: compactValidity(valid, n),
    ...(col.dictionary !== undefined ? { dictionary: col.dictionary } : {}),
  };
}

function gatherData(
  data: Int32Array | Float64Array | BigInt64Array | Uint8Array,
  sel: Int32Array,
  n: number,
  scratch: boolean,
): Int32Array | Float64Array | BigInt64Array | Uint8Array {
  if (data instanceof Float64Array) {
    const out = scratch ? new Float64Array(takeScratch(n * 8).buffer, 0, n) : new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const i = sel[k]!;
      out[k] = i >= 0 ? data[i]! : 0;
    }
    return out;
  }
  if (data instanceof Int32Array) {
    const out = scratch ? takeScratchInt32(n) : new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const i = sel[k]!;
      out[k] = i >= 0 ? data[i]! : 0;
    }
    return out;
  }
  if (data instanceof BigInt64Array) {
    const out = scratch ? new BigInt64Array(takeScratch(n * 8).buffer, 0, n) : new BigInt64Array(n);
    for (let k = 0; k < n; k++) {
      const i = sel[k]!;
      out[k] = i >= 0 ? data[i]! : 0n;
    }
    return out;
  }
  const out = scratch ? takeScratch(n) : new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const i = sel[k]!;
    out[k] = i >= 0 ? data[i]! : 0;
  }
  return out;
}

function takeUtf8(col: Column, sel: Int32Array, n: number): Column {
  const offs = col.offsets!;
  const bytes = col.data as Uint8Array;
  const offsets = new Int32Array(n + 1);
  const src = col.valid;
  const valid = newBitmap(n);
  let total = 0;
  let nulls = 0;
  for (let k = 0; k < n; k++) {
    const i = sel[k]!;
    if (i >= 0 && isValid(src, i)) {
      total += offs[i + 1]! - offs[i]!;
      setValid(valid, k);
    } else nulls++;
    offsets[k + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let k = 0; k < n; k++) {
    const i = sel[k]!;
    if (offsets[k + 1]! > offsets[k]!)
      data.set(bytes.subarray(offs[i]!, offs[i + 1]!), offsets[k]!);
  }
  return { type: "utf8", length: n, data, offsets, valid: nulls === 0 ? undefined : valid };
}

/** Rows `sel[0..n)` of every column of `batch` (with `scratch`, as in takeColumn). */
export function takeBatch(batch: Batch, sel: Int32Array, n = sel.length, scratch = false): Batch {
  return {
    names: batch.names,
    columns: batch.columns.map((c) => takeColumn(c, sel, n, scratch)),
    length: n,
  };
}

/** Rows [start, end) of `col` (copies the values; bitmaps are re-aligned). */
export function sliceColumn(col: Column, start: number, end: number): Column {
  const sel = new Int32Array(end - start);
  for (let k = 0; k < sel.length; k++) sel[k] = start + k;
  return takeColumn(col, sel);
}

/** Rows [start, end) of `batch`. */
export function sliceBatch(batch: Batch, start: number, end: number): Batch {
  start = Math.max(0, Math.min(start, batch.length));
  end = Math.max(start, Math.min(end, batch.length));
  if (start === 0 && end === batch.length) return batch;
  return {
    names: batch.names,
    columns: batch.columns.map((c) => sliceColumn(c, start, end)),
    length: end - start,
  };
}

/** Columns of one type appended in order. Dict columns with different dictionaries become utf8. */
export function concatColumns(cols: readonly Column[]): Column {
  const first = cols[0]!;
  if (cols.length === 1) return first;
  if (first.type === "dict" && !sameDictionaries(cols)) {
    return concatColumns(cols.map((c) => (c.type === "dict" ? dictToUtf8(c) : c)));
  }
  if (first.type === "utf8" && cols.some((c) => c.type === "dict")) {
    return concatColumns(cols.map((c) => (c.type === "dict" ? dictToUtf8(c) : c)));
  }
  const n = cols.reduce((s, c) => s + c.length, 0);
  const anyNull = cols.some((c) => c.valid !== undefined);
  let valid: Uint8Array | undefined;
  if (anyNull) {
    valid = newBitmap(n);
    let at = 0;
    for (const c of cols) {
      for (let i = 0; i < c.length; i++) if (isValid(c.valid, i)) setValid(valid, at + i);
      at += c.length;
    }
  }
  if (first.type === "utf8") {
    const total = cols.reduce((s, c) => s + c.offsets![c.length]! - c.offsets![0]!, 0);
    const data = new Uint8Array(total);
    const offsets = new Int32Array(n + 1);
    let row = 0;
    let byte = 0;
    for (const c of cols) {
      const o = c.offsets!;
      const base = o[0]!;
      data.set((c.data as Uint8Array).subarray(base, o[c.length]!), byte);
      for (let i = 1; i <= c.length; i++) offsets[row + i] = byte + o[i]! - base;
      row += c.length;
      byte += o[c.length]! - base;
    }
    return { type: "utf8", length: n, data, offsets, valid };
  }
  const data = allocData(first.type, n);
  let at = 0;
  for (const c of cols) {
    (data as Float64Array).set(c.data.subarray(0, c.length) as Float64Array, at);
    at += c.length;
  }
  return {
    type: first.type,
    length: n,
    data,
    valid,
    ...(first.dictionary !== undefined ? { dictionary: first.dictionary } : {}),
  };
}

function sameDictionaries(cols: readonly Column[]): boolean {
  const d0 = cols[0]!.dictionary!;
  for (let k = 1; k < cols.length; k++) {
    const d = cols[k]!.dictionary;
    if (d === undefined || d.length !== d0.length) return false;
    if (d === d0) continue;
    const o0 = d0.offsets!;
    const o1 = d.offsets!;
    if (
      !bytesEqual(
        d0.data as Uint8Array,
        o0[0]!,
        o0[d0.length]!,
        d.data as Uint8Array,
        o1[0]!,
        o1[d.length]!,
      )
    ) {
      return false;
    }
    for (let i = 0; i <= d0.length; i++) if (o0[i]! - o0[0]! !== o1[i]! - o1[0]!) return false;
  }
  return true;
}

/** Batches with the same names appended in order (empty batches are skipped). */
export function concatBatches(batches: readonly Batch[]): Batch {
  const nonEmpty = batches.filter((b) => b.length > 0);
  if (nonEmpty.length === 0) return batches[0]!;
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  const names = nonEmpty[0]!.names;
  return {
    names,
    columns: names.map((_, j) => concatColumns(nonEmpty.map((b) => b.columns[j]!))),
    length: nonEmpty.reduce((s, b) => s + b.length, 0),
  };
}

/** The batch with only `names`, in that order. */
export function projectBatch(batch: Batch, names: readonly string[]): Batch {
  return {
    names,
    columns: names.map((n) => {
      const c = columnOf(batch, n);
      if (c === undefined) throw new Error(`column "${n}" is not in the batch`);
      return c;
    }),
    length: batch.length,
  };
}
