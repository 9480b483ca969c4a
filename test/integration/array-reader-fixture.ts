/** A chunk reader declared with tasks(), as a storage layer declares one (array-api.test.ts). */
import type { ChunkInfo } from "../../src/array.js";
import { tasks } from "../../src/tasks.js";

function fillWithStart(arg: { scale: number }, info: ChunkInfo): Float64Array {
  const n = info.shape.reduce((a, b) => a * b, 1);
  return new Float64Array(n).fill(info.start[0]! * arg.scale);
}

export const readerOps = tasks(import.meta.url, { fillWithStart });
