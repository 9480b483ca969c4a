/**
 * User functions given to bag methods, checked and shipped when the method is called (so a
 * closure that cannot ship fails at once, with the same error as `client.submit`), and keys
 * given as a field name or an index turned into a small shippable getter.
 */
import { OptionError } from "../../errors.js";
import { contentId, type ShippedFn, shipFunction } from "../../shipping/ship.js";

/** `fn` as a ShippedFn, or an OptionError naming the method when it is not a function. */
export function shipUserFn(where: string, fn: unknown): ShippedFn {
  if (typeof fn !== "function") {
    throw new OptionError(`${where}: expected a function, got ${fn === null ? "null" : typeof fn}`);
  }
  return shipFunction(fn);
}

/** A key: a function of the element, or the field name / index to read from it. */
export type KeyArg<T> = ((x: T) => unknown) | string | number;

/** A key argument as a ShippedFn (a getter function for a field name or an index). */
export function shipKey(where: string, key: unknown): ShippedFn {
  if (typeof key === "string" || typeof key === "number") {
    const source = `(x) => x[${JSON.stringify(key)}]`;
    return {
      kind: "source",
      id: contentId("source", source),
      name: `get${JSON.stringify(key)}`,
      source,
    };
  }
  return shipUserFn(where, key);
}
