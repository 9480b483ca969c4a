/**
 * Finding the Futures inside a value a user hands to gather (a Future, or arrays and plain
 * objects holding them) and rebuilding the same shape with their values.
 */
import type { Key } from "../graph/spec.js";
import { Future } from "./future.js";

/** The shape of `X` with every Future<T> replaced by T. */
export type Gathered<X> =
  X extends Future<infer T>
    ? T
    : X extends readonly unknown[]
      ? { -readonly [K in keyof X]: Gathered<X[K]> }
      : X extends Record<string, unknown>
        ? { [K in keyof X]: Gathered<X[K]> }
        : X;

function isPlainObject(v: object): boolean {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** Every Future inside `x`, once each, in first-appearance order. */
export function collectFutures(x: unknown): Future[] {
  const out: Future[] = [];
  const seen = new Set<Key>();
  const stack: unknown[] = [x];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null) continue;
    if (v instanceof Future) {
      if (!seen.has(v.key)) {
        seen.add(v.key);
        out.push(v);
      }
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    } else if (isPlainObject(v)) {
      const vals = Object.values(v);
      for (let i = vals.length - 1; i >= 0; i--) stack.push(vals[i]);
    }
  }
  return out;
}

/** `x` with every Future replaced by its value. */
export function rebuild(x: unknown, values: ReadonlyMap<Key, unknown>): unknown {
  if (typeof x !== "object" || x === null) return x;
  if (x instanceof Future) return values.get(x.key);
  if (Array.isArray(x)) {
    const out = new Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = rebuild(x[i], values);
    return out;
  }
  if (!isPlainObject(x)) return x;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) out[k] = rebuild(v, values);
  return out;
}
