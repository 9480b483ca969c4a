/**
 * Whether a value can leave the thread it is in: a task's result, and a task's arguments or
 * scattered data on their way out of the client. Values cross threads by
 * structured clone and machines by msgpack; a function, a symbol, a promise, a weak collection
 * or a cycle survives neither (structured clone throws, msgpack overflows its stack or drops the
 * value). Results are checked once, when the task finishes, so the task fails with a message
 * naming the part instead of the worker dying later, at the first send, in a loop of
 * recomputations; arguments and scattered data when they are submitted, so the call throws
 * instead of the scheduler failing to send them to a worker.
 */

/**
 * A description of the first part of `value` that cannot be copied ("a function at .f"), or
 * undefined when all of it can. Binary buffers are not looked into.
 */
export function uncopyablePart(value: unknown): string | undefined {
  const t = typeof value;
  if (t !== "object" && t !== "function" && t !== "symbol") return undefined;
  return walk(value, "", new Set());
}

function walk(v: unknown, path: string, ancestors: Set<object>): string | undefined {
  switch (typeof v) {
    case "function":
      return `a function${at(path)}`;
    case "symbol":
      return `a symbol${at(path)}`;
    case "object":
      break;
    default:
      return undefined;
  }
  if (v === null || ArrayBuffer.isView(v) || isBinary(v)) return undefined;
  if (v instanceof Date || v instanceof RegExp || v instanceof Error) return undefined;
  const obj = v as object;
  const kind = unsupportedKind(obj);
  if (kind !== undefined) return `${kind}${at(path)}`;
  if (ancestors.has(obj)) return `a circular reference${at(path)}`;
  ancestors.add(obj);
  const found = walkChildren(obj, path, ancestors);
  ancestors.delete(obj);
  return found;
}

function walkChildren(obj: object, path: string, ancestors: Set<object>): string | undefined {
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) {
      const found = walk(obj[i], `${path}[${i}]`, ancestors);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (obj instanceof Map) {
    for (const [k, x] of obj) {
      const found =
        walk(k, `${path}.<map key>`, ancestors) ?? walk(x, `${path}.get(${label(k)})`, ancestors);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (obj instanceof Set) {
    for (const x of obj) {
      const found = walk(x, `${path}.<set item>`, ancestors);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const k of Object.keys(obj)) {
    const found = walk((obj as Record<string, unknown>)[k], `${path}.${k}`, ancestors);
    if (found !== undefined) return found;
  }
  return undefined;
}

function isBinary(v: object): boolean {
  return (
    v instanceof ArrayBuffer ||
    (typeof SharedArrayBuffer !== "undefined" && v instanceof SharedArrayBuffer)
  );
}

/** Objects neither structured clone nor msgpack can carry. */
function unsupportedKind(v: object): string | undefined {
  if (v instanceof Promise) return "a promise (await it inside the task)";
  if (v instanceof WeakMap || v instanceof WeakSet) return "a weak collection";
  if (typeof WeakRef !== "undefined" && v instanceof WeakRef) return "a WeakRef";
  return undefined;
}

function at(path: string): string {
  return path === "" ? "" : ` at ${path}`;
}

function label(k: unknown): string {
  return typeof k === "string" ? JSON.stringify(k) : String(k);
}
