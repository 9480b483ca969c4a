/**
 * The text of the errors a user meets when a function cannot be shipped. Each names the problem
 * and shows the fixes; tests pin the wording of the captured-variable one.
 */

const SNIPPET_LENGTH = 60;

/** Example argument names for the non-identifier things a function can capture. */
const ARGUMENT_NAMES: Readonly<Record<string, string>> = {
  this: "self",
  super: "base",
  "import.meta": "meta",
};

/** `function "score"`, or the start of the source for an anonymous function. */
function subject(name: string, source: string): string {
  if (name !== "lambda" && name !== "") return `function "${name}"`;
  const flat = source.replace(/\s+/g, " ");
  const short = flat.length > SNIPPET_LENGTH ? `${flat.slice(0, SNIPPET_LENGTH)}...` : flat;
  return `anonymous function \`${short}\``;
}

/** `"a"`, `"a" and "b"`, `"a", "b" and "c"`. */
function quoteList(names: readonly string[]): string {
  const quoted = names.map((n) => `"${n}"`);
  const last = quoted.pop();
  return quoted.length === 0 ? `${last}` : `${quoted.join(", ")} and ${last}`;
}

/** The fix that declares the function in a module, with a sensible name for a lambda. */
function moduleFix(name: string): string {
  const id = /^[A-Za-z_$][\w$]*$/.test(name) && name !== "lambda" ? name : undefined;
  return id === undefined
    ? "or declare it as a named function in a module with tasks(import.meta.url, { myTask }) and submit ops.myTask."
    : `or declare the function in a module with tasks(import.meta.url, { ${id} }) and submit ops.${id}.`;
}

/** The function uses variables (or `this`, `super`, `import.meta`) from where it was written. */
export function capturedMessage(name: string, source: string, captured: readonly string[]): string {
  const one = captured.length === 1;
  const args = captured.map((c) => ARGUMENT_NAMES[c] ?? c);
  const self = captured.includes("this")
    ? "A worker calls a task function on its own, with no object as `this` (a method's too). "
    : "";
  return (
    `cannot ship ${subject(name, source)} to workers: it uses ${quoteList(captured)}, ` +
    `which ${one ? "is" : "are"} defined outside it. ${self}` +
    `Fix: pass ${one ? "it as an argument" : "them as arguments"} ` +
    `(client.submit((x, ${args.join(", ")}) => ..., x, ${args.join(", ")})), ${moduleFix(name)}`
  );
}

/** Native functions and bound functions have no source to ship. */
export function nativeMessage(name: string): string {
  return (
    `cannot ship function "${name}" to workers: it is a native or bound function, so its source ` +
    "is not available. Fix: wrap it in an inline function (client.submit((x) => Math.sqrt(x), x)) " +
    "and pass bound values as arguments instead of using .bind()."
  );
}

/** A class constructor cannot be called without `new`, so it cannot be a task. */
export function classMessage(name: string): string {
  return (
    `cannot ship class "${name}" to workers: a class constructor is not a task function. ` +
    `Fix: submit a function that creates the instance, e.g. declare make${name} in a module ` +
    `with tasks(import.meta.url, { make${name} }) and submit ops.make${name}.`
  );
}

/** fn.toString() gave text that is not JavaScript we can parse (e.g. a private method). */
export function unparsableMessage(name: string, source: string, reason: string): string {
  return (
    `cannot ship ${subject(name, source)} to workers: its source could not be parsed ` +
    `(${reason}). Fix: ${moduleFix(name).replace(/^or /, "")}`
  );
}
