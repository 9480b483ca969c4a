/** Making a source chunk from its reader (plan.ts `Reader`) and its place in the array. */
import { BarnError, ErrorCodes } from "../../../errors.js";
import { giveBack, takeScratch } from "../../../kernels/scratch.js";
import type { ShippedFn } from "../../../shipping/ship.js";
import { type AnyTypedArray, type DType, dtypeOfTyped, itemsize } from "../dtype.js";
import type { ChunkInfo, Reader } from "../plan.js";
import { sizeOf, stridesOf } from "../shape.js";
import { allocShared } from "./block.js";
import { randomChunk } from "./random.js";

/** Resolves a shipped user function on this thread (the bag's resolver). */
export type Resolve = (fn: ShippedFn) => Promise<Function>;

type Writable = { length: number; [i: number]: number | bigint };

/** The global flat index of each element of the chunk, in C order, fed to `f`. */
function eachFlat(info: ChunkInfo, f: (i: number, coords: readonly number[]) => void): void {
  const nd = info.shape.length;
  const n = sizeOf(info.shape);
  const gst = stridesOf(info.arrayShape);
  const c = info.start.slice();
  for (let i = 0; i < n; i++) {
    let g = 0;
    for (let d = 0; d < nd; d++) g += c[d]! * gst[d]!;
    f(g, c);
    for (let d = nd - 1; d >= 0; d--) {
      if (++c[d]! < info.start[d]! + info.shape[d]!) break;
      c[d] = info.start[d]!;
    }
  }
}

function setNum(out: Writable, dtype: DType, i: number, v: number): void {
  out[i] = dtype === "int64" ? BigInt(Math.trunc(v)) : v;
}

/** Readers that are pure functions of the chunk's place: consumers may make them in place. */
export type Generated = Reader & { readonly r: "fill" | "arange" | "linspace" | "eye" | "random" };

export function isGenerated(reader: Reader): reader is Generated {
  return (
    reader.r === "fill" ||
    reader.r === "arange" ||
    reader.r === "linspace" ||
    reader.r === "eye" ||
    reader.r === "random"
  );
}

/** Writes the generated chunk at `info` into `out` (of the chunk's dtype and size). */
export function generate(reader: Generated, info: ChunkInfo, out: AnyTypedArray): void {
  const n = out.length;
  const o = out as unknown as Writable;
  switch (reader.r) {
    case "fill": {
      const v = info.dtype === "int64" ? BigInt(reader.value) : Number(reader.value);
      (out as { fill(x: unknown): unknown }).fill(v);
      return;
    }
    case "arange": {
      const s0 = info.start[0] ?? 0;
      for (let i = 0; i < n; i++) setNum(o, info.dtype, i, reader.start + (s0 + i) * reader.step);
      return;
    }
    case "linspace": {
      const div = reader.endpoint ? reader.num - 1 : reader.num;
      const step = div > 0 ? (reader.stop - reader.start) / div : 0;
      const s0 = info.start[0] ?? 0;
      for (let i = 0; i < n; i++) {
        const k = s0 + i;
        const v =
          reader.endpoint && k === reader.num - 1 && reader.num > 1
            ? reader.stop
            : reader.start + k * step;
        setNum(o, info.dtype, i, v);
      }
      return;
    }
    case "eye": {
      (out as { fill(x: unknown): unknown }).fill(info.dtype === "int64" ? 0n : 0);
      const one = info.dtype === "int64" ? 1n : 1;
      const [r0, c0] = [info.start[0]!, info.start[1]!];
      const cols = info.shape[1]!;
      for (let r = 0; r < info.shape[0]!; r++) {
        const c = r0 + r + reader.k - c0;
        if (c >= 0 && c < cols) o[r * cols + c] = one;
      }
      return;
    }
    case "random": {
      const target = out instanceof Float64Array ? out : new Float64Array(n);
      randomChunk(reader.d, reader.seed, info.shape, info.start, info.arrayShape, target);
      if (target !== out) for (let i = 0; i < n; i++) setNum(o, info.dtype, i, target[i]!);
      return;
    }
    default:
      reader satisfies never;
  }
}

/** The chunk at `info` of a source read by `reader`. */
export async function readChunk(
  reader: Reader,
  info: ChunkInfo,
  resolve: Resolve,
): Promise<AnyTypedArray> {
  if (isGenerated(reader)) {
    const out = allocShared(info.dtype, sizeOf(info.shape));
    generate(reader, info, out);
    return out;
  }
  switch (reader.r) {
    case "blocks":
      return reader.blocks[0]!;
    case "fn": {
      const f = await resolve(reader.fn);
      return checkChunk(await f(info), info, `fromFunction(${reader.fn.name})`);
    }
    case "zarr": {
      // Loaded on first use: workers that never read a store never load zarrita.
      const { readZarrSource } = await import("./zarr-read.js");
      return readZarrSource(reader.info, info);
    }
    case "call":
      return checkChunk(await reader.fn(reader.arg, info), info, reader.fn.name || "reader");
    default:
      return reader satisfies never;
  }
}

/** A chunk from user code: the right typed array and length, or a BarnError saying which. */
export function checkChunk(x: unknown, info: ChunkInfo, where: string): AnyTypedArray {
  const n = sizeOf(info.shape);
  const dt = dtypeOfTyped(x);
  const ok = dt !== undefined && (dt === info.dtype || (info.dtype === "bool" && dt === "uint8"));
  if (!ok || (x as AnyTypedArray).length !== n) {
    throw new BarnError(
      ErrorCodes.ARRAY_SHAPE,
      `${where} returned ${dt === undefined ? typeof x : `a ${dt} array of ${(x as AnyTypedArray).length}`} for chunk [${info.index.join(", ")}], which needs ${n} ${info.dtype} elements (shape [${info.shape.join(", ")}]). Fix: return a typed array of the chunk's dtype and size, in C order`,
    );
  }
  return x as AnyTypedArray;
}

export { eachFlat };

/** A chunk a consumer makes itself instead of reading it from another task. */
export interface InlineChunk {
  readonly inline: Generated;
  readonly info: ChunkInfo;
}

export function isInline(x: unknown): x is InlineChunk {
  return typeof x === "object" && x !== null && !ArrayBuffer.isView(x) && "inline" in x;
}

const CTOR: Record<DType, new (b: ArrayBuffer, at: number, n: number) => AnyTypedArray> = {
  float64: Float64Array,
  float32: Float32Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
} as never;

/**
 * Inputs with inline chunks generated into this thread's scratch buffers (warm memory: fresh
 * multi-MiB buffers fault every page in again, which costs more than generating the values).
 * `done()` gives the buffers back; nothing made here may escape into a result.
 */
export function materialize(inputs: readonly unknown[]): {
  arrays: AnyTypedArray[];
  done: () => void;
} {
  const taken: Uint8Array[] = [];
  const arrays = inputs.map((x) => {
    if (!isInline(x)) return x as AnyTypedArray;
    const n = sizeOf(x.info.shape);
    const bytes = takeScratch(n * itemsize(x.info.dtype));
    taken.push(bytes);
    const view = new CTOR[x.info.dtype](bytes.buffer as ArrayBuffer, 0, n);
    generate(x.inline, x.info, view);
    return view;
  });
  return {
    arrays,
    done: () => {
      for (const b of taken) giveBack(b);
    },
  };
}
