/**
 * Batch <-> apache-arrow conversion on the client (and inside mapPartitions). Buffers are
 * wrapped, not copied, where the layouts agree; booleans are bit-packed for Arrow and unpacked
 * back; timestamps move between float64 ms and Arrow's int64 ms. The one conversion: barn/frame
 * and the IO layer (arrow.ts) both use it.
 */
import * as A from "apache-arrow";
import { BarnError, ErrorCodes } from "../errors.js";
import type { Batch, Column, DType, Field, Schema } from "../kernels/batch.js";
import { nullCount } from "../kernels/bitmap.js";
import { concatBatches, emptyBatch } from "../kernels/column.js";

function arrowType(t: DType): A.DataType {
  switch (t) {
    case "int32":
      return new A.Int32();
    case "float64":
      return new A.Float64();
    case "int64":
      return new A.Int64();
    case "bool":
      return new A.Bool();
    case "utf8":
      return new A.Utf8();
    case "dict":
      return new A.Dictionary(new A.Utf8(), new A.Int32());
    case "timestamp":
      return new A.TimestampMillisecond();
    case "date":
      return new A.DateDay();
    default:
      return t satisfies never;
  }
}

function packBits(bytes: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if (bytes[i] !== 0) out[i >> 3]! |= 1 << (i & 7);
  return out;
}

function toData(c: Column): A.Data {
  const type = arrowType(c.type);
  const base = {
    type,
    length: c.length,
    nullCount: nullCount(c.valid, c.length),
    nullBitmap: c.valid,
  };
  switch (c.type) {
    case "utf8":
      return A.makeData({
        ...base,
        type: type as A.Utf8,
        valueOffsets: c.offsets!,
        data: c.data as Uint8Array,
      });
    case "dict":
      return A.makeData({
        ...base,
        type: type as A.Dictionary<A.Utf8, A.Int32>,
        data: c.data as Int32Array,
        dictionary: A.makeVector(toData(c.dictionary!) as A.Data<A.Utf8>),
      });
    case "bool":
      return A.makeData({
        ...base,
        type: type as A.Bool,
        data: packBits(c.data as Uint8Array, c.length),
      });
    case "timestamp": {
      const src = c.data as Float64Array;
      const data = new BigInt64Array(c.length);
      for (let i = 0; i < c.length; i++)
        data[i] = BigInt(Math.trunc(Number.isFinite(src[i]!) ? src[i]! : 0));
      return A.makeData({ ...base, type: type as A.TimestampMillisecond, data });
    }
    default:
      return A.makeData({ ...base, type: type as A.Int32, data: c.data as Int32Array });
  }
}

/** An apache-arrow Table over the batches (which must share names and types). */
export function batchesToTable(batches: readonly Batch[], schema: Schema): A.Table {
  const b = batches.length === 0 ? emptyBatch(schema) : concatBatches(batches);
  const fields = b.names.map(
    (n, j) => new A.Field(n, arrowType(b.columns[j]!.type), b.columns[j]!.valid !== undefined),
  );
  const children = b.columns.map(toData);
  const struct = A.makeData({
    type: new A.Struct(fields),
    length: b.length,
    nullCount: 0,
    children,
  });
  return new A.Table(new A.Schema(fields), [new A.RecordBatch(new A.Schema(fields), struct)]);
}

function dtypeOf(t: A.DataType, name: string): DType {
  if (A.DataType.isInt(t)) {
    if (t.bitWidth === 64) return "int64";
    if (t.bitWidth === 32 && !t.isSigned) return "float64"; // beyond int32's range
    return "int32";
  }
  if (A.DataType.isNull(t)) return "float64"; // all null
  if (A.DataType.isFloat(t)) return "float64";
  if (A.DataType.isBool(t)) return "bool";
  if (A.DataType.isUtf8(t) || A.DataType.isLargeUtf8(t)) return "utf8";
  if (A.DataType.isDictionary(t)) return "dict";
  if (A.DataType.isTimestamp(t)) return "timestamp";
  if (A.DataType.isDate(t)) return t.unit === A.DateUnit.DAY ? "date" : "timestamp";
  throw new BarnError(
    ErrorCodes.FRAME_TYPE_MISMATCH,
    `fromArrow: column ${JSON.stringify(name)} has Arrow type ${String(t)}, which barn/frame does not support yet. ` +
      "Fix: cast it to one of int32, int64, float, bool, utf8, dictionary<utf8>, timestamp or date.",
  );
}

function unpackValidity(d: A.Data): Uint8Array | undefined {
  if (d.nullCount === 0 || d.nullBitmap === undefined || d.nullBitmap.length === 0)
    return undefined;
  if (d.offset === 0) return d.nullBitmap;
  const out = new Uint8Array((d.length + 7) >> 3);
  for (let i = 0; i < d.length; i++) {
    const j = i + d.offset;
    if ((d.nullBitmap[j >> 3]! >> (j & 7)) & 1) out[i >> 3]! |= 1 << (i & 7);
  }
  return out;
}

function fromData(d: A.Data, type: DType): Column {
  const n = d.length;
  if (A.DataType.isNull(d.type)) {
    return { type, length: n, data: new Float64Array(n), valid: new Uint8Array((n + 7) >> 3) };
  }
  const valid = unpackValidity(d);
  const t = d.type as A.DataType;
  switch (type) {
    case "utf8": {
      const o = d.valueOffsets as Int32Array;
      const offsets = new Int32Array(n + 1);
      const base = o[d.offset]!;
      for (let i = 0; i <= n; i++) offsets[i] = o[d.offset + i]! - base;
      const data = (d.values as Uint8Array).slice(base, o[d.offset + n]!);
      return { type, length: n, data, offsets, valid };
    }
    case "dict": {
      const dict = d.dictionary!;
      const dcol = fromData(dict.data.length === 1 ? dict.data[0]! : concatDicts(dict), "utf8");
      const codes = Int32Array.from(d.values.subarray(d.offset, d.offset + n) as ArrayLike<number>);
      return { type, length: n, data: codes, dictionary: dcol, valid };
    }
    case "bool": {
      const data = new Uint8Array(n);
      const bits = d.values as Uint8Array;
      for (let i = 0; i < n; i++) {
        const j = i + d.offset;
        data[i] = (bits[j >> 3]! >> (j & 7)) & 1;
      }
      return { type, length: n, data, valid };
    }
    case "timestamp": {
      const data = new Float64Array(n);
      const unit = A.DataType.isTimestamp(t) ? t.unit : A.TimeUnit.MILLISECOND;
      const scale = [1000, 1, 1e-3, 1e-6][unit] ?? 1;
      const v = d.values as BigInt64Array | Int32Array;
      if (v instanceof BigInt64Array)
        for (let i = 0; i < n; i++) data[i] = Number(v[d.offset + i]!) * scale;
      else
        for (let i = 0; i < n; i++)
          data[i] = v[2 * (d.offset + i)]! + v[2 * (d.offset + i) + 1]! * 2 ** 32;
      return { type, length: n, data, valid };
    }
    case "int32": {
      const v = d.values as ArrayLike<number> & {
        subarray(a: number, b: number): ArrayLike<number>;
      };
      return { type, length: n, data: Int32Array.from(v.subarray(d.offset, d.offset + n)), valid };
    }
    case "float64": {
      const v = d.values as ArrayLike<number> & {
        subarray(a: number, b: number): ArrayLike<number>;
      };
      return {
        type,
        length: n,
        data: Float64Array.from(v.subarray(d.offset, d.offset + n)),
        valid,
      };
    }
    case "int64":
      return {
        type,
        length: n,
        data: (d.values as BigInt64Array).slice(d.offset, d.offset + n),
        valid,
      };
    case "date":
      return {
        type,
        length: n,
        data: (d.values as Int32Array).slice(d.offset, d.offset + n),
        valid,
      };
    default:
      return type satisfies never;
  }
}

function concatDicts(v: A.Vector): A.Data {
  return A.vectorFromArray(v.toArray() as string[], new A.Utf8()).data[0]!;
}

/** The schema of an arrow Table in barn/frame types. */
export function schemaOfTable(table: A.Table): Schema {
  return table.schema.fields.map(
    (f): Field => ({ name: f.name, type: dtypeOf(f.type, f.name), nullable: f.nullable }),
  );
}

/** Each record batch of an arrow Table as a Batch. */
export function tableToBatches(table: A.Table): Batch[] {
  const schema = schemaOfTable(table);
  return table.batches.map((rb) => ({
    names: schema.map((f) => f.name),
    columns: schema.map((f, j) => fromData(rb.data.children[j]!, f.type)),
    length: rb.numRows,
  }));
}

/** The whole arrow Table as one Batch. */
export function tableToBatch(table: A.Table): Batch {
  const bs = tableToBatches(table);
  return bs.length === 0 ? emptyBatch(schemaOfTable(table)) : concatBatches(bs);
}

/** Whether a value is an apache-arrow Table (of the copy of apache-arrow this thread loaded). */
export function isArrowTable(x: unknown): x is A.Table {
  return x instanceof A.Table;
}
