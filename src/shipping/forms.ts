/**
 * The two textual forms a function's source can take. `fn.toString()` gives an expression for
 * arrows, function expressions and declarations, but a bare method definition for shorthand
 * methods, getters and setters (`f(x) { return x }`, `get size() { ... }`). Parsing (on the
 * client) and compiling (on the worker) both go through these wrappers, so they always agree.
 */

/** How a function's source is wrapped to make it a single expression. */
export type SourceForm = "expression" | "method";

/** The forms in the order they are tried: no method source is also a valid expression. */
export const SOURCE_FORMS: readonly SourceForm[] = ["expression", "method"];

/**
 * Wrap `source` as one parenthesised expression. The newline before the closing bracket keeps a
 * trailing line comment in the source from swallowing it.
 */
export function wrapSource(source: string, form: SourceForm): string {
  return form === "expression" ? `(${source}\n)` : `({${source}\n})`;
}

/**
 * The function an evaluated wrapper stands for: the value itself for the expression form, the
 * single method, getter or setter of the object literal for the method form.
 */
export function unwrapValue(value: unknown, form: SourceForm): unknown {
  if (form === "expression") return value;
  if (typeof value !== "object" || value === null) return undefined;
  const key = Reflect.ownKeys(value)[0];
  if (key === undefined) return undefined;
  const desc = Object.getOwnPropertyDescriptor(value, key);
  return desc?.value ?? desc?.get ?? desc?.set;
}
