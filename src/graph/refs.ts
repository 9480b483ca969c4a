/**
 * TaskRefs inside task arguments. A ref may sit anywhere inside plain arrays and plain objects
 * (prototype Object.prototype or null); every other object (typed arrays, Map, Date, class
 * instances) is a leaf and is never looked into, so user data is never copied or walked.
 *
 * Walks recurse on the nesting depth of the arguments, which is small, never on graph size.
 * Arguments nested deeper than MAX_ARG_DEPTH are rejected: that is almost always a container
 * that contains itself, which would otherwise never finish.
 */
import { ErrorCodes, GraphError } from "../errors.js";
import { type Key, TaskRef } from "./spec.js";

/** How deep refs are looked for inside arguments before the walk gives up. */
export const MAX_ARG_DEPTH = 1000;

/** Returned when there are no refs, so the common case allocates nothing. Frozen: never mutate. */
const NO_KEYS: readonly Key[] = Object.freeze([]);

/** True for the containers refs are looked for in: arrays and plain or null-prototype objects. */
export function isPlainContainer(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The keys of every TaskRef inside `args`, each once, in order of first appearance.
 * Hot path (runs once per task at submit): primitives are skipped by a `typeof` test and
 * nothing is allocated unless a ref is found. The result may be shared: do not mutate it.
 */
export function collectRefs(args: readonly unknown[]): readonly Key[] {
  let acc: KeyAccumulator | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (typeof a === "object" && a !== null) acc = collectFrom(a, acc, 0);
  }
  return acc === undefined ? NO_KEYS : acc.keys;
}

/** Unique keys in order; the Set appears only once there are enough keys for it to pay. */
interface KeyAccumulator {
  readonly keys: Key[];
  seen: Set<Key> | undefined;
}

function collectFrom(
  value: object,
  acc: KeyAccumulator | undefined,
  depth: number,
): KeyAccumulator | undefined {
  if (value instanceof TaskRef) return addKey(acc, value.key);
  if (!isPlainContainer(value)) return acc;
  if (depth >= MAX_ARG_DEPTH) throw tooDeep();
  const items: readonly unknown[] = Array.isArray(value) ? value : Object.values(value);
  for (let i = 0; i < items.length; i++) {
    const x = items[i];
    if (typeof x === "object" && x !== null) acc = collectFrom(x, acc, depth + 1);
  }
  return acc;
}

function addKey(acc: KeyAccumulator | undefined, key: Key): KeyAccumulator {
  if (acc === undefined) return { keys: [key], seen: undefined };
  if (acc.seen !== undefined) {
    if (!acc.seen.has(key)) {
      acc.seen.add(key);
      acc.keys.push(key);
    }
  } else if (!acc.keys.includes(key)) {
    acc.keys.push(key);
    // A linear scan beats a Set for the few refs most tasks have; switch once it stops doing so.
    if (acc.keys.length > 32) acc.seen = new Set(acc.keys);
  }
  return acc;
}

/** Where a ref sits inside the arguments: indexes into arrays, property names into objects. */
export type RefPath = readonly (string | number)[];

/** Decides which leaves a rewrite replaces; by default, the TaskRefs. */
export type LeafTest = (value: object) => boolean;

const isTaskRef: LeafTest = (value) => value instanceof TaskRef;

/**
 * `args` with every leaf that passes `test` replaced by `replace(leaf, path)`. Containers that
 * hold no such leaf are returned as they are, not copied; the input is never mutated. The
 * client uses this with its own test to turn Futures into TaskRefs before building a graph.
 * `path` is a live view valid only during the call: copy it to keep it.
 */
export function replaceLeaves(
  args: readonly unknown[],
  test: LeafTest,
  replace: (leaf: object, path: RefPath) => unknown,
): readonly unknown[] {
  return rewriteArray(args, test, replace, [], 0);
}

/** `args` with every TaskRef replaced by `lookup(ref.key)`; ref-free containers are reused. */
export function substituteRefs(
  args: readonly unknown[],
  lookup: (key: Key) => unknown,
): readonly unknown[] {
  return rewriteArray(args, isTaskRef, (leaf) => lookup((leaf as TaskRef).key), undefined, 0);
}

/** `args` with every TaskRef replaced by `f(ref)`; ref-free containers are reused. */
export function mapRefs(
  args: readonly unknown[],
  f: (ref: TaskRef, path: RefPath) => unknown,
): readonly unknown[] {
  return rewriteArray(args, isTaskRef, (leaf, path) => f(leaf as TaskRef, path), [], 0);
}

type Replace = (leaf: object, path: RefPath) => unknown;

/** `path` is undefined when no caller needs it, so the hot path does not push and pop. */
function rewrite(
  value: object,
  test: LeafTest,
  replace: Replace,
  path: (string | number)[] | undefined,
  depth: number,
): unknown {
  if (test(value)) return replace(value, path ?? []);
  if (!isPlainContainer(value)) return value;
  if (depth >= MAX_ARG_DEPTH) throw tooDeep();
  return Array.isArray(value)
    ? rewriteArray(value, test, replace, path, depth + 1)
    : rewriteObject(value as Record<string, unknown>, test, replace, path, depth + 1);
}

function rewriteArray(
  arr: readonly unknown[],
  test: LeafTest,
  replace: Replace,
  path: (string | number)[] | undefined,
  depth: number,
): readonly unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < arr.length; i++) {
    const x = arr[i];
    if (typeof x !== "object" || x === null) continue;
    path?.push(i);
    const y = rewrite(x, test, replace, path, depth);
    path?.pop();
    if (y === x) continue;
    out ??= arr.slice();
    out[i] = y;
  }
  return out ?? arr;
}

function rewriteObject(
  obj: Record<string, unknown>,
  test: LeafTest,
  replace: Replace,
  path: (string | number)[] | undefined,
  depth: number,
): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(obj)) {
    const x = obj[k];
    if (typeof x !== "object" || x === null) continue;
    path?.push(k);
    const y = rewrite(x, test, replace, path, depth);
    path?.pop();
    if (y === x) continue;
    out ??= shallowCopy(obj);
    out[k] = y;
  }
  return out ?? obj;
}

/** A copy with the same prototype (plain or null) and own enumerable properties. */
export function shallowCopy<T extends object>(value: T): T {
  if (Array.isArray(value)) return value.slice() as T;
  if (Object.getPrototypeOf(value) === null) return Object.assign(Object.create(null), value);
  return { ...value };
}

function tooDeep(): GraphError {
  return new GraphError(
    ErrorCodes.GRAPH_INVALID,
    `task arguments nest more than ${MAX_ARG_DEPTH} arrays or objects deep; an array or object ` +
      "probably contains itself. Pass arguments without cycles, or wrap deep data in a class " +
      "instance (class instances are not looked into).",
  );
}

/** A ref's place in encoded arguments and the key whose value goes there. */
export type RefSlot = readonly [path: RefPath, key: Key];

/**
 * Arguments ready to cross a thread or the wire, where class instances (TaskRef among them)
 * do not survive: each ref is replaced by null in `args` and recorded in `refs`.
 * `refs` is absent when there are none.
 */
export interface EncodedArgs {
  readonly args: readonly unknown[];
  readonly refs?: readonly RefSlot[] | undefined;
}

/** Encode `args` for sending; reuses `args` itself when it holds no ref. */
export function encodeArgs(args: readonly unknown[]): EncodedArgs {
  const refs: RefSlot[] = [];
  const out = mapRefs(args, (r, path) => {
    refs.push([path.slice(), r.key]);
    return null;
  });
  return refs.length === 0 ? { args: out } : { args: out, refs };
}

/**
 * The arguments `enc` was encoded from, with each ref's slot filled by `lookup(key)`.
 * `enc` is not mutated (an inline executor may decode the same encoding twice): the containers
 * on each ref's path are copied, the rest are shared.
 */
export function decodeArgs(enc: EncodedArgs, lookup: (key: Key) => unknown): readonly unknown[] {
  const refs = enc.refs;
  if (refs === undefined || refs.length === 0) return enc.args;
  const root = enc.args.slice();
  const copies = new Set<object>([root]);
  for (const [path, key] of refs) {
    let node = root as unknown as Record<string | number, unknown>;
    for (let i = 0; i < path.length - 1; i++) {
      const step = path[i]!;
      let child = node[step] as Record<string | number, unknown>;
      if (!copies.has(child)) {
        child = shallowCopy(child);
        copies.add(child);
        node[step] = child;
      }
      node = child;
    }
    node[path[path.length - 1]!] = lookup(key);
  }
  return root;
}
