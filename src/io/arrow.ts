/**
 * Batches to and from `apache-arrow`, the interchange type users see (`compute()` returns an
 * Arrow Table), and `batchFromRecords` for plain JS objects. Buffers are wrapped, not copied,
 * where the layouts agree (int32, float64, int64, date, utf8, dict codes, validity); bool (Arrow
 * packs bits, a batch keeps a byte per row) and timestamp (Arrow keeps int64, a batch float64
 * milliseconds) are converted.
 */

import {
  Bool,
  type Data,
  DateDay,
  Dictionary,
  Float64,
  Int32,
  Int64,
  makeData,
  makeVector,
  type RecordBatch,
  Table,
  TimestampMillisecond,
  Type,
  Utf8,
  type Vector,
} from "apache-arrow";
import { BarnError, ErrorCodes } from "../errors.js";
import type { Batch, Column, DType, Schema } from "../kernels/batch.js";
import { IoErrorCodes } from "./codes.js";
import {
  type Cell,
  columnFromCells,
  dictColumn,
  isValid,
  nullCount,
  utf8Column,
  validFrom,
} from "./columns.js";

/** An Arrow Table or RecordBatch as a Batch (one column per field; nested types are refused). */
export function batchFromArrow(input: Table | RecordBatch): Batch {
  const names: string[] = [];
  const columns: Column[] = [];
  input.schema.fields.forEach((field, i) => {
    const vector = input.getChildAt(i);
    if (vector === null) return;
    names.push(field.name);
    columns.push(columnFromVector(field.name, vector));
  });
  return { names, columns, length: input.numRows };
}

/** A Batch as an Arrow Table (one record batch). */
export function batchToArrow(batch: Batch): Table {
  const vectors: Record<string, Vector> = {};
  batch.names.forEach((name, i) => {
    vectors[name] = makeVector(dataFromColumn(batch.columns[i]!));
  });
  return new Table(vectors);
}

/**
 * Plain objects as a Batch. Column types come from `schema` when given, else from the values:
 * number -> int32 when every value is an integer in range, else float64; string -> utf8;
 * boolean -> bool; Date -> timestamp; bigint -> int64; null/undefined -> null. A column whose
 * values are all null is float64. Mixed kinds throw BARN_INVALID_OPTION naming the column.
 */
export function batchFromRecords(
  records: readonly Record<string, unknown>[],
  schema?: Schema,
): Batch {
  const names = schema ? schema.map((f) => f.name) : recordNames(records);
  const columns = names.map((name, j) => {
    const raw = records.map((r) => r[name]);
    const type = schema ? schema[j]!.type : inferType(name, raw);
    const values = raw.map(toCell);
    return columnFromCells(type, values);
  });
  return { names, columns, length: records.length };
}

function recordNames(records: readonly Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

function toCell(v: unknown): Cell {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return v.getTime();
  return v as Cell;
}

const kindToType: Record<string, DType> = {
  string: "utf8",
  boolean: "bool",
  bigint: "int64",
  date: "timestamp",
};

function inferType(name: string, values: readonly unknown[]): DType {
  let kind: string | undefined;
  let allInt = true;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    const k = v instanceof Date ? "date" : typeof v;
    if (kind !== undefined && k !== kind) {
      throw new BarnError(
        ErrorCodes.INVALID_OPTION,
        `column "${name}" mixes ${kind} and ${k} values: pass a schema to batchFromRecords, or make the values one kind`,
      );
    }
    kind = k;
    if (k === "number" && allInt) allInt = Number.isInteger(v) && Math.abs(v as number) < 2 ** 31;
  }
  if (kind === undefined) return "float64";
  if (kind === "number") return allInt ? "int32" : "float64";
  const t = kindToType[kind];
  if (t === undefined) {
    throw new BarnError(
      ErrorCodes.INVALID_OPTION,
      `column "${name}" holds ${kind} values, which a batch cannot hold: convert them to numbers, strings, booleans, bigints or Dates`,
    );
  }
  return t;
}

/* ---------------------------------- Arrow -> column ---------------------------------- */

function columnFromVector(name: string, vector: Vector): Column {
  const data = vector.data.length === 1 ? vector.data[0]! : undefined;
  const simple = data !== undefined && data.offset === 0;
  const valid =
    vector.nullCount > 0 ? validFrom(vector.length, (i) => !vector.isValid(i)) : undefined;
  const n = vector.length;
  const typeId = vector.type.typeId as Type;
  switch (typeId) {
    case Type.Int: {
      const { bitWidth, isSigned } = vector.type as { bitWidth: number; isSigned: boolean };
      if (bitWidth === 64)
        return { type: "int64", length: n, data: toBigInt64(vector.toArray()), valid };
      if (bitWidth === 32 && !isSigned)
        return {
          type: "float64",
          length: n,
          data: Float64Array.from(vector.toArray() as Uint32Array),
          valid,
        };
      const arr = vector.toArray();
      return {
        type: "int32",
        length: n,
        data: arr instanceof Int32Array ? arr : Int32Array.from(arr as ArrayLike<number>),
        valid,
      };
    }
    case Type.Float: {
      const arr = vector.toArray();
      return {
        type: "float64",
        length: n,
        data: arr instanceof Float64Array ? arr : Float64Array.from(arr as ArrayLike<number>),
        valid,
      };
    }
    case Type.Bool: {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = vector.get(i) === true ? 1 : 0;
      return { type: "bool", length: n, data: out, valid };
    }
    case Type.Utf8: {
      if (simple)
        return {
          type: "utf8",
          length: n,
          data: data.values as Uint8Array,
          offsets: data.valueOffsets as Int32Array,
          valid,
        };
      return utf8Column(stringsOf(vector));
    }
    case Type.LargeUtf8:
      return utf8Column(stringsOf(vector));
    case Type.Dictionary: {
      const dictType = (vector.type as Dictionary).dictionary;
      if (dictType.typeId !== Type.Utf8) break;
      if (simple && data.dictionary !== undefined) {
        const codes =
          data.values instanceof Int32Array
            ? data.values
            : Int32Array.from(data.values as ArrayLike<number>);
        return {
          type: "dict",
          length: n,
          data: codes,
          dictionary: columnFromVector(name, data.dictionary),
          valid,
        };
      }
      return dictColumn(stringsOf(vector));
    }
    case Type.Timestamp: {
      const unit = (vector.type as { unit: number }).unit; // 0 s, 1 ms, 2 us, 3 ns
      const div = [1e-3, 1, 1e3, 1e6][unit]!;
      const out = new Float64Array(n);
      let k = 0;
      for (const d of vector.data) {
        const values = d.values as ArrayLike<number | bigint>;
        for (let i = 0; i < d.length; i++) out[k++] = Number(values[d.offset + i]!) / div;
      }
      return { type: "timestamp", length: n, data: out, valid };
    }
    case Type.Date: {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = vector.get(i) as Date | number | null;
        if (v !== null) out[i] = Math.floor((typeof v === "number" ? v : v.getTime()) / 86_400_000);
      }
      return { type: "date", length: n, data: out, valid };
    }
    case Type.Null:
      return {
        type: "float64",
        length: n,
        data: new Float64Array(n),
        valid: validFrom(n, () => true),
      };
    default:
      break;
  }
  throw new BarnError(
    IoErrorCodes.UNSUPPORTED,
    `column "${name}" has Arrow type ${String(vector.type)}, which a batch cannot hold: cast it to a number, string, boolean, timestamp or date column first`,
  );
}

function stringsOf(vector: Vector): (string | null)[] {
  const out: (string | null)[] = new Array(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = vector.get(i) as string | null;
  return out;
}

function toBigInt64(arr: unknown): BigInt64Array {
  if (arr instanceof BigInt64Array) return arr;
  return BigInt64Array.from(arr as ArrayLike<bigint>, (v) => BigInt(v));
}

/* ---------------------------------- column -> Arrow ---------------------------------- */

function dataFromColumn(col: Column): Data {
  const length = col.length;
  const nullBitmap = col.valid;
  const base = { length, nullCount: nullCount(col), ...(nullBitmap ? { nullBitmap } : {}) };
  switch (col.type) {
    case "int32":
      return makeData({ type: new Int32(), data: col.data as Int32Array, ...base });
    case "float64":
      return makeData({ type: new Float64(), data: col.data as Float64Array, ...base });
    case "int64":
      return makeData({ type: new Int64(), data: col.data as BigInt64Array, ...base });
    case "date":
      return makeData({ type: new DateDay(), data: col.data as Int32Array, ...base });
    case "bool": {
      const bits = new Uint8Array((length + 7) >> 3);
      const d = col.data as Uint8Array;
      for (let i = 0; i < length; i++) if (d[i] === 1) bits[i >> 3]! |= 1 << (i & 7);
      return makeData({ type: new Bool(), data: bits, ...base });
    }
    case "timestamp": {
      const d = col.data as Float64Array;
      const out = new BigInt64Array(length);
      for (let i = 0; i < length; i++) if (isValid(col, i)) out[i] = BigInt(Math.round(d[i]!));
      return makeData({ type: new TimestampMillisecond(), data: out, ...base });
    }
    case "utf8":
      return makeData({
        type: new Utf8(),
        data: col.data as Uint8Array,
        valueOffsets: col.offsets!,
        ...base,
      });
    case "dict": {
      const dictionary = makeVector(dataFromColumn(col.dictionary!)) as Vector<Utf8>;
      return makeData({
        type: new Dictionary(new Utf8(), new Int32()),
        data: col.data as Int32Array,
        dictionary,
        ...base,
      });
    }
  }
}
