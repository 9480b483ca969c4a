/**
 * Estimated size in bytes of a stored value, reported to the scheduler for locality decisions
 * and memory accounting. Binary data is exact; other values are estimated by walking at most a
 * bounded number of elements and extrapolating, so sizing a huge array of records stays cheap.
 */

const SAMPLE = 64;

export function sizeof(value: unknown): number {
  return sizeOfDepth(value, 0);
}

function sizeOfDepth(value: unknown, depth: number): number {
  switch (typeof value) {
    case "number":
      return 8;
    case "string":
      return 16 + value.length * 2;
    case "boolean":
    case "undefined":
      return 8;
    case "bigint":
      return 16;
    case "object":
      break;
    default:
      return 16;
  }
  if (value === null) return 8;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return value.byteLength;
  if (depth > 4) return 64;
  if (Array.isArray(value)) return 16 + sampled(value, value.length, depth);
  if (value instanceof Map) return 32 + 2 * sampled([...value.values()], value.size, depth);
  if (value instanceof Set) return 32 + sampled([...value], value.size, depth);
  let total = 32;
  let n = 0;
  for (const k in value) {
    total += 16 + k.length * 2 + sizeOfDepth((value as Record<string, unknown>)[k], depth + 1);
    if (++n > SAMPLE) break;
  }
  return total;
}

function sampled(items: readonly unknown[], length: number, depth: number): number {
  const n = Math.min(length, SAMPLE);
  if (n === 0) return 0;
  const step = length / n;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sizeOfDepth(items[Math.floor(i * step)], depth + 1);
  return Math.round((sum / n) * length);
}
