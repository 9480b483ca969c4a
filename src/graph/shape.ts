/**
 * Shape checks for graph keys and nodes: the part of validation that looks at one node at a
 * time. Graphs often come from user code or the wire, so nothing about a node is assumed;
 * every error names the key, what was received, and how to build it correctly.
 */
import { ErrorCodes, GraphError } from "../errors.js";
import type { Key } from "./spec.js";

/** A short description of a value's type for error messages: "null", "array", "Date", "number". */
export function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value !== "object") return typeof value;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === null || proto === Object.prototype) return "object";
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" ? name : "object";
}

/** Throws GRAPH_INVALID unless `key` is a non-empty string. */
export function checkKey(key: unknown, where: string): asserts key is Key {
  if (typeof key === "string" && key !== "") return;
  const got = typeof key === "string" ? "an empty string" : describeType(key);
  throw new GraphError(
    ErrorCodes.GRAPH_INVALID,
    `${where} must be a non-empty string, got ${got}; give every task a unique non-empty ` +
      "string key (tokenize() makes one from the function and its arguments)",
  );
}

/**
 * Throws unless `node` (the node of `key`) is a well-formed task, data, alias or fused node.
 * Fused steps are checked like tasks; `steps` must end with `key` itself.
 */
export function checkNode(key: Key, node: unknown): void {
  if (typeof node !== "object" || node === null) throw badShape(key, describeType(node));
  const kind = (node as { kind?: unknown }).kind;
  switch (kind) {
    case "task":
      checkTask(key, node);
      break;
    case "data":
      break;
    case "alias":
      checkKey((node as { target?: unknown }).target, `the target of alias "${key}"`);
      break;
    case "fused":
      checkFused(key, node);
      break;
    default:
      throw badShape(key, `an object with kind ${describeKind(kind)}`);
  }
}

function checkTask(key: Key, node: object): void {
  const { fn, args } = node as { fn?: unknown; args?: unknown };
  if (typeof fn !== "function") {
    throw new GraphError(
      ErrorCodes.GRAPH_NOT_A_FUNCTION,
      `task "${key}": fn must be a function, got ${describeType(fn)}; pass the function itself ` +
        "(task(inc, 1)), not the result of calling it",
      { key },
    );
  }
  if (!Array.isArray(args)) {
    throw new GraphError(
      ErrorCodes.GRAPH_INVALID,
      `task "${key}": args must be an array, got ${describeType(args)}; build tasks with task(fn, ...args)`,
      { key },
    );
  }
}

function checkFused(key: Key, node: object): void {
  const steps = (node as { steps?: unknown }).steps;
  if (!Array.isArray(steps) || steps.length === 0) {
    throw badShape(key, "a fused node without steps");
  }
  for (const step of steps) {
    if (!Array.isArray(step) || step.length !== 2) throw badShape(key, "a malformed fused step");
    const [stepKey, stepNode] = step as [unknown, unknown];
    checkKey(stepKey, `a step key of fused node "${key}"`);
    const kind = (stepNode as { kind?: unknown } | null)?.kind;
    if (kind !== "task") throw badShape(key, `a fused step "${stepKey}" that is not a task`);
    checkTask(stepKey, stepNode as object);
  }
  const last = (steps[steps.length - 1] as [Key, unknown])[0];
  if (last !== key) {
    throw new GraphError(
      ErrorCodes.GRAPH_INVALID,
      `fused node "${key}" ends with step "${last}"; a fused node must be keyed by its last ` +
        "step (fuseLinear() builds them so)",
      { key },
    );
  }
}

function badShape(key: Key, got: string): GraphError {
  return new GraphError(
    ErrorCodes.GRAPH_INVALID,
    `graph node "${key}" has the wrong shape: got ${got}; build nodes with task(fn, ...args), ` +
      "data(value) or alias(key)",
    { key },
  );
}

function describeKind(kind: unknown): string {
  return typeof kind === "string" ? JSON.stringify(kind) : describeType(kind);
}
