/**
 * The columnar batch: one partition of a DataFrame as plain data. Typed arrays and nothing with
 * methods, so a batch crosses threads (structured clone, large buffers shared) and machines
 * (the transport's codec sends large buffers as raw frames) unchanged, and kernels read it with
 * monomorphic loops. The layout follows Apache Arrow's (validity bitmaps, utf8 offsets,
 * dictionary codes), so converting to and from `apache-arrow` (arrow.ts) wraps buffers instead
 * of copying them where the types allow.
 *
 * Invariants: every column has `length === batch.length`; `names` are unique and align with
 * `columns`; a `valid` bitmap, when present, has bit i (LSB first, as Arrow) set when row i is
 * not null; a column without `valid` has no nulls.
 */

/** The logical types a column can have. */
export type DType =
  /** Int32Array values. */
  | "int32"
  /** Float64Array values (integers beyond 2^31 are read as float64 or int64). */
  | "float64"
  /** BigInt64Array values. */
  | "int64"
  /** Uint8Array values, one byte per row (0 or 1). */
  | "bool"
  /** UTF-8 strings: `offsets` (Int32Array, length + 1) into `data` (Uint8Array bytes). */
  | "utf8"
  /** Dictionary-encoded strings: Int32Array codes into `dictionary` (a utf8 column). */
  | "dict"
  /** Milliseconds since the Unix epoch, UTC, in a Float64Array. */
  | "timestamp"
  /** Days since the Unix epoch in an Int32Array. */
  | "date";

export interface Column {
  readonly type: DType;
  readonly length: number;
  /**
   * The values: Int32Array (int32, date, and dict codes), Float64Array (float64, timestamp),
   * BigInt64Array (int64), Uint8Array (bool: one byte per row; utf8: the UTF-8 bytes).
   */
  readonly data: Int32Array | Float64Array | BigInt64Array | Uint8Array;
  /** utf8 only: row i is `data[offsets[i]..offsets[i+1])`. */
  readonly offsets?: Int32Array | undefined;
  /** dict only: the distinct strings the codes index (a utf8 column without nulls). */
  readonly dictionary?: Column | undefined;
  /** Validity bitmap (Arrow layout), absent when the column has no nulls. */
  readonly valid?: Uint8Array | undefined;
}

/** One partition: named columns of equal length. */
export interface Batch {
  readonly names: readonly string[];
  readonly columns: readonly Column[];
  readonly length: number;
}

/** A column's name and type: the schema a plan carries before any data is read. */
export interface Field {
  readonly name: string;
  readonly type: DType;
  readonly nullable: boolean;
}

export type Schema = readonly Field[];
