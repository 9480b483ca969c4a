/**
 * The client side of shipping: turn a task function into plain data a worker can rebuild, or
 * fail at submit time with an error that names what the function captures and how to fix it.
 */

import { createHash } from "node:crypto";
import { BarnError, ErrorCodes, ShippingError } from "../errors.js";
import { freeVariables } from "./freevars.js";
import { capturedMessage, classMessage, nativeMessage, unparsableMessage } from "./messages.js";
import { moduleRefOf } from "./modules.js";

/**
 * A function as data: its source text (inline functions with no free variables), or a reference
 * to a module that registers it with `tasks()`. `id` is a content hash: equal ids mean the worker
 * can reuse what it compiled or imported before. A module reference with `bundle` (the sha256 of
 * an esbuild bundle of `url`, see bundle.ts) is for workers without the file: they import the
 * installed bundle instead of `url`, and its id differs from the plain reference's.
 */
export type ShippedFn =
  | { kind: "source"; id: string; name: string; source: string }
  | { kind: "module"; id: string; name: string; url: string; bundle?: string };

/** The module-reference form of {@link ShippedFn}, with or without a bundle. */
export type ModuleShippedFn = Extract<ShippedFn, { kind: "module" }>;

/**
 * Per function object, what it ships as. Shipping runs once per submitted task, so the repeated
 * call must cost one WeakMap lookup. Failures are not cached: they end the submit anyway.
 */
const shipped = new WeakMap<Function, ShippedFn>();

/** The prefix for task keys: the function's name, or "lambda" for an anonymous one. */
export function functionName(fn: Function): string {
  const name: unknown = fn.name;
  return typeof name === "string" && name !== "" ? name : "lambda";
}

/**
 * Turn `fn` into a {@link ShippedFn}. The same function object gives the same object back.
 * @throws ShippingError (`.captured` lists the free identifiers) when `fn` captures variables,
 * is a class, a native or bound function, or has source that does not parse.
 */
export function shipFunction(fn: Function): ShippedFn {
  const hit = shipped.get(fn);
  if (hit !== undefined) return hit;
  const result = shipUncached(fn);
  shipped.set(fn, result);
  return result;
}

function shipUncached(fn: Function): ShippedFn {
  if (typeof fn !== "function") {
    throw new BarnError(
      ErrorCodes.GRAPH_NOT_A_FUNCTION,
      `cannot ship ${typeof fn} to workers: a task needs a function`,
    );
  }
  const ref = moduleRefOf(fn);
  if (ref !== undefined) {
    return {
      kind: "module",
      id: contentId("module", ref.url, ref.name),
      name: ref.name,
      url: ref.url,
    };
  }
  const name = functionName(fn);
  const source = Function.prototype.toString.call(fn);
  if (source.endsWith("{ [native code] }")) throw new ShippingError(nativeMessage(name));
  if (/^class\b/.test(source)) throw new ShippingError(classMessage(name));
  const captured = capturedIdentifiers(name, source);
  if (captured.length > 0) {
    throw new ShippingError(capturedMessage(name, source, captured), captured);
  }
  return { kind: "source", id: contentId("source", source), name, source };
}

function capturedIdentifiers(name: string, source: string): string[] {
  try {
    return freeVariables(source);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ShippingError(unparsableMessage(name, source, reason), [], { cause: err });
  }
}

/** A short content hash; the kind is hashed in so a source can never collide with a module ref. */
export function contentId(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 32);
}
