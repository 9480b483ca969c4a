/**
 * Free-variable analysis of a function's source text: which names does the function use that it
 * does not declare itself? Those are the values it would need from where it was written, and a
 * worker does not have them.
 */

import { parse } from "acorn";
import { analyze } from "eslint-scope";
import { SOURCE_FORMS, type SourceForm, wrapSource } from "./forms.js";
import { isSafeGlobal } from "./globals.js";

/** An ESTree node, read generically: the walk below only needs `type` and the children. */
type AnyNode = { readonly type: string; readonly start: number; readonly [key: string]: unknown };

/** Whether `this` and `super` are bound at a point of the walk (by an enclosing function). */
interface Binding {
  readonly this: boolean;
  readonly super: boolean;
}

const UNBOUND: Binding = { this: false, super: false };
const IN_METHOD: Binding = { this: true, super: true };
const NOT_CHILDREN = new Set(["type", "start", "end", "range", "loc"]);

/** A parsed function source: the root function node (or method property) and its form. */
export interface ParsedFunction {
  readonly root: AnyNode;
  readonly program: AnyNode;
  readonly form: SourceForm;
}

/**
 * Parse what `fn.toString()` returned, as an expression or, failing that, as a shorthand method.
 * @throws SyntaxError (acorn's) when the text is neither.
 */
export function parseFunctionSource(source: string): ParsedFunction {
  let firstError: unknown;
  for (const form of SOURCE_FORMS) {
    try {
      // allowImportExportEverywhere lets `import.meta` parse so it can be reported by name.
      const program = parse(wrapSource(source, form), {
        ecmaVersion: "latest",
        sourceType: "script",
        allowImportExportEverywhere: true,
        ranges: true,
      }) as unknown as AnyNode;
      const statement = (program.body as AnyNode[])[0] as AnyNode;
      const expression = statement.expression as AnyNode;
      const root = form === "expression" ? expression : (expression.properties as AnyNode[])[0];
      if (root !== undefined) return { root, program, form };
    } catch (err) {
      firstError ??= err;
    }
  }
  throw firstError;
}

/**
 * The identifiers `source` uses but does not declare, minus the globals every worker has
 * (see globals.ts), in order of first use. Also reports `"this"` and `"super"` unless a function
 * or class inside the task function binds them, and `"import.meta"`: a worker calls the task
 * function on its own, so even a method's own `this` is not there.
 * `arguments` is reported only where it is free, i.e. in a top-level arrow.
 * @throws SyntaxError when `source` is not a function's source.
 */
export function freeVariables(source: string): string[] {
  const { root, program, form } = parseFunctionSource(source);
  const uses: { name: string; at: number }[] = [];
  // ignoreEval: a direct eval() must not turn every local into a "through" reference.
  const global = analyze(program, {
    ecmaVersion: 2022,
    sourceType: "script",
    ignoreEval: true,
  }).globalScope;
  for (const ref of global?.through ?? []) {
    if (!isSafeGlobal(ref.identifier.name)) {
      uses.push({ name: ref.identifier.name, at: ref.identifier.start });
    }
  }
  const report = (name: string, node: AnyNode) => uses.push({ name, at: node.start });
  // The root function's own `this` is unbound too: a worker calls it as a plain function.
  if (form === "method") {
    if (root.computed === true) visit(root.key as AnyNode, UNBOUND, report);
    visitChildren(root.value as AnyNode, UNBOUND, report);
  } else {
    visitChildren(root, UNBOUND, report);
  }
  uses.sort((a, b) => a.at - b.at);
  return [...new Set(uses.map((u) => u.name))];
}

type Report = (name: string, node: AnyNode) => void;

/** Find `this`, `super` and `import.meta` that refer to something outside the root function. */
function visit(node: AnyNode, bound: Binding, report: Report): void {
  switch (node.type) {
    case "ThisExpression":
      if (!bound.this) report("this", node);
      return;
    case "Super":
      if (!bound.super) report("super", node);
      return;
    case "MetaProperty":
      if ((node.meta as AnyNode).name === "import") report("import.meta", node);
      return;
    case "FunctionExpression":
    case "FunctionDeclaration":
      visitChildren(node, { this: true, super: false }, report);
      return;
    case "Property":
      if (node.method !== true && node.kind === "init") break;
      visitMember(node, bound, report);
      return;
    case "MethodDefinition":
    case "PropertyDefinition":
      visitMember(node, bound, report);
      return;
    case "StaticBlock":
      visitChildren(node, IN_METHOD, report);
      return;
  }
  visitChildren(node, bound, report);
}

/** A method, accessor or class field: its key is evaluated outside, its body has this/super. */
function visitMember(node: AnyNode, bound: Binding, report: Report): void {
  if (node.computed === true) visit(node.key as AnyNode, bound, report);
  const value = node.value as AnyNode | null;
  if (value === null) return;
  if (value.type === "FunctionExpression") visitChildren(value, IN_METHOD, report);
  else visit(value, IN_METHOD, report);
}

function visitChildren(node: AnyNode, bound: Binding, report: Report): void {
  for (const key of Object.keys(node)) {
    if (NOT_CHILDREN.has(key)) continue;
    const child = node[key];
    if (Array.isArray(child)) {
      for (const c of child) if (isNode(c)) visit(c, bound, report);
    } else if (isNode(child)) {
      visit(child, bound, report);
    }
  }
}

function isNode(v: unknown): v is AnyNode {
  return typeof v === "object" && v !== null && typeof (v as { type?: unknown }).type === "string";
}
