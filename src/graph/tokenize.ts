/**
 * Content names for tasks (dask's `tokenize`), used for `pure: true` keys: equal inputs give
 * equal tokens in every process and on every machine, so a pure task submitted twice is
 * computed once. The walk writes a canonical, type-tagged and length-prefixed encoding into a
 * 64-bit hash (hash.ts); the encoding never depends on insertion order of object keys or of
 * Map and Set entries.
 *
 * What counts as "equal": primitives by type and value (-0 differs from 0); plain objects by
 * sorted own enumerable keys; arrays by items; typed arrays, DataViews and ArrayBuffers by type
 * and bytes; Map and Set by their entries in any order; Date by time; RegExp by source and
 * flags; functions by source text; TaskRef by key; Error by name and message; other class
 * instances by class name and own enumerable fields (objects whose identity matters should
 * define [TOKENIZE]). Symbols hash by description. A value that contains itself hashes the
 * cycle by position (how many levels up it points), so cycles end and are stable.
 */
import { Hasher } from "./hash.js";
import { TaskRef } from "./spec.js";

/**
 * A method name an object may define to choose what it is tokenized as: `[TOKENIZE]()` returns
 * a value that is tokenized in its place (for example an id, or the fields that matter).
 */
export const TOKENIZE: unique symbol = Symbol.for("barn.tokenize");

/** A deterministic 16-hex-digit (64-bit) token of `values`. */
export function tokenize(...values: unknown[]): string {
  const h = new Hasher();
  walk(h, values, { depthOf: new Map(), depth: 0 });
  return h.digest();
}

/** Containers being walked. Shared with nested walks (Map and Set entries) to find cycles. */
interface Ancestors {
  /** Each container on the current path, with its depth when entered. */
  readonly depthOf: Map<object, number>;
  depth: number;
}

/** Work items of the iterative walk: what to do with the value on the value stack. */
const VALUE = 0;
const KEY = 1;
const LEAVE = 2;

interface Work {
  readonly ops: number[];
  readonly vals: unknown[];
}

function walk(h: Hasher, root: unknown, path: Ancestors): void {
  const work: Work = { ops: [VALUE], vals: [root] };
  while (work.ops.length > 0) {
    const op = work.ops.pop();
    const v = work.vals.pop();
    if (op === KEY) field(h, "k", v as string);
    else if (op === LEAVE) leave(path, v as object);
    else if (typeof v === "object" && v !== null) object(h, v, path, work);
    else primitive(h, v);
  }
}

function primitive(h: Hasher, v: unknown): void {
  switch (typeof v) {
    case "string":
      field(h, "s", v);
      break;
    case "number":
      field(h, "n", Object.is(v, -0) ? "-0" : String(v));
      break;
    case "bigint":
      field(h, "g", v.toString());
      break;
    case "boolean":
      h.unit(v ? 0x54 : 0x46);
      break;
    case "undefined":
      h.unit(0x75);
      break;
    case "symbol":
      field(h, "y", Symbol.keyFor(v) ?? v.description ?? "");
      break;
    case "function":
      field(h, "f", Function.prototype.toString.call(v));
      break;
    default:
      h.unit(0x7a); // null
  }
}

function object(h: Hasher, v: object, path: Ancestors, work: Work): void {
  const seenAt = path.depthOf.get(v);
  if (seenAt !== undefined) field(h, "C", String(path.depth - seenAt));
  else if (v instanceof TaskRef) field(h, "r", v.key);
  else if (!leaf(h, v)) container(h, v, path, work);
}

/** Objects walked into: their parts are queued on `work`. */
function container(h: Hasher, v: object, path: Ancestors, work: Work): void {
  if (typeof (v as Hookable)[TOKENIZE] === "function") {
    open(h, "h", v, path, work, [(v as Required<Hookable>)[TOKENIZE]()]);
  } else if (Array.isArray(v)) open(h, `a${v.length}`, v, path, work, v);
  else if (v instanceof Map || v instanceof Set) unordered(h, v, path);
  else record(h, v as Record<string, unknown>, path, work);
}

interface Hookable {
  [TOKENIZE]?: () => unknown;
}

/** Plain objects and class instances: class name, then fields by sorted key. */
function record(h: Hasher, v: Record<string, unknown>, path: Ancestors, work: Work): void {
  const proto: unknown = Object.getPrototypeOf(v);
  const plain = proto === null || proto === Object.prototype;
  const tag = plain ? "o" : `i${(v as { constructor?: { name?: string } }).constructor?.name}`;
  const keys = Object.keys(v).sort();
  open(h, `${tag}${keys.length}`, v, path, work, []);
  for (let i = keys.length - 1; i >= 0; i--) {
    work.ops.push(VALUE, KEY);
    work.vals.push(v[keys[i]!], keys[i]);
  }
}

/** Objects hashed whole, without walking into them. True when `v` was one. */
function leaf(h: Hasher, v: object): boolean {
  if (ArrayBuffer.isView(v)) {
    field(h, "v", v.constructor.name);
    bytes(h, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  } else if (v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) {
    bytes(h, new Uint8Array(v));
  } else if (v instanceof Date) field(h, "d", String(v.getTime()));
  else if (v instanceof RegExp) field(h, "x", `${v.flags}/${v.source}`);
  else if (v instanceof Error) field(h, "E", `${v.name}:${v.message}`);
  else if (v instanceof Number || v instanceof String || v instanceof Boolean) {
    field(h, "P", typeof v.valueOf());
    primitive(h, v.valueOf());
  } else return false;
  return true;
}

/** Enter container `v`: tag it, put it on the path, and queue `items` then leaving it. */
function open(
  h: Hasher,
  tag: string,
  v: object,
  path: Ancestors,
  work: Work,
  items: readonly unknown[],
): void {
  field(h, "c", tag);
  path.depthOf.set(v, path.depth++);
  work.ops.push(LEAVE);
  work.vals.push(v);
  for (let i = items.length - 1; i >= 0; i--) {
    work.ops.push(VALUE);
    work.vals.push(items[i]);
  }
}

function leave(path: Ancestors, v: object): void {
  path.depthOf.delete(v);
  path.depth--;
}

/** Map and Set: each entry is tokenized on its own and the tokens are sorted. */
function unordered(h: Hasher, v: Map<unknown, unknown> | Set<unknown>, path: Ancestors): void {
  path.depthOf.set(v, path.depth++);
  const tokens: string[] = [];
  for (const entry of v instanceof Map ? v.entries() : v.values()) {
    const sub = new Hasher();
    walk(sub, entry, path);
    tokens.push(sub.digest());
  }
  leave(path, v);
  field(h, v instanceof Map ? "m" : "e", tokens.sort().join(""));
}

function bytes(h: Hasher, b: Uint8Array): void {
  field(h, "b", String(b.length));
  h.bytes(b);
}

/** A tag, then `text` length-prefixed so that no two sequences of fields read the same. */
function field(h: Hasher, tag: string, text: string): void {
  h.text(tag);
  h.text(String(text.length));
  h.unit(0x3a);
  h.text(text);
}
