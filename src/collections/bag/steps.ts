/**
 * The fused element-wise loop of one partition: the steps become a chain of small closures, each
 * calling the next directly, so an element goes from the source to the sink with no promise and
 * no intermediate array. A user function that throws is reported with the step and the index of
 * the source element it was working on (the source loop keeps that index).
 */
import { FunctionCache } from "../../shipping/compile.js";
import type { ShippedFn } from "../../shipping/ship.js";
import type { Step } from "./plan.js";

/** Receives one element. */
export type Sink = (x: unknown) => void;

const userFns = new FunctionCache();

/** The function a ShippedFn stands for in this thread (compiled or imported once). */
export function resolveFn(fn: ShippedFn): Function | Promise<Function> {
  return userFns.resolve(fn);
}

/** A user function threw inside step `step`; the source loop adds the element's index. */
export class StepFailure {
  constructor(
    readonly step: string,
    readonly cause: unknown,
  ) {}
}

/** What a step is called in errors: `map(parse)`, `filter(lambda)`, `pluck("user")`. */
export function describeStep(step: Step): string {
  switch (step.op) {
    case "map":
    case "filter":
    case "flatMap":
      return `${step.op}(${step.fn.name})`;
    case "pluck":
      return `pluck(${JSON.stringify(step.key)})`;
    case "pluckMany":
      return `pluck(${JSON.stringify(step.keys)})`;
    case "flatten":
      return "flatten()";
    case "join":
      return `join(${step.onSelf.name})`;
    default:
      return step satisfies never;
  }
}

/** The functions the steps call, resolved (awaits only a module import seen the first time). */
export async function resolveSteps(steps: readonly Step[]): Promise<Function[][]> {
  const out: Function[][] = [];
  for (const s of steps) {
    switch (s.op) {
      case "map":
      case "filter":
      case "flatMap":
        out.push([await resolveFn(s.fn)]);
        break;
      case "join":
        out.push([await resolveFn(s.onSelf), await resolveFn(s.onOther)]);
        break;
      default:
        out.push([]);
    }
  }
  return out;
}

/** The chain `steps` then `sink`, as one Sink. `fns[i]` are step i's resolved functions. */
export function chain(steps: readonly Step[], fns: readonly Function[][], sink: Sink): Sink {
  let next = sink;
  for (let i = steps.length - 1; i >= 0; i--) next = link(steps[i]!, fns[i]!, next);
  return next;
}

function link(step: Step, fns: readonly Function[], next: Sink): Sink {
  switch (step.op) {
    case "map": {
      const f = fns[0]!;
      return (x) => {
        let y: unknown;
        try {
          y = f(x);
        } catch (e) {
          throw new StepFailure(describeStep(step), e);
        }
        next(y);
      };
    }
    case "filter": {
      const f = fns[0]!;
      return (x) => {
        let keep: unknown;
        try {
          keep = f(x);
        } catch (e) {
          throw new StepFailure(describeStep(step), e);
        }
        if (keep) next(x);
      };
    }
    case "flatMap": {
      const f = fns[0]!;
      return (x) => {
        let ys: unknown;
        try {
          ys = f(x);
        } catch (e) {
          throw new StepFailure(describeStep(step), e);
        }
        emitAll(ys, next, step);
      };
    }
    case "flatten":
      return (x) => emitAll(x, next, step);
    case "pluck":
      return pluck(step, next);
    case "pluckMany": {
      const keys = step.keys;
      return (x) => {
        const o = x as Record<string | number, unknown>;
        next(keys.map((k) => fieldOf(o, k, step)));
      };
    }
    case "join":
      return join(step, fns, next);
    default:
      return step satisfies never;
  }
}

function pluck(step: Step & { op: "pluck" }, next: Sink): Sink {
  const key = step.key;
  const fallback = step.fallback;
  if (fallback !== undefined) {
    return (x) => {
      const v = x == null ? undefined : (x as Record<string | number, unknown>)[key];
      next(v === undefined && !hasKey(x, key) ? fallback.value : v);
    };
  }
  return (x) => next(fieldOf(x as Record<string | number, unknown>, key, step));
}

function fieldOf(x: Record<string | number, unknown>, key: string | number, step: Step): unknown {
  const v = x == null ? undefined : x[key];
  if (v === undefined && !hasKey(x, key)) {
    throw new StepFailure(
      describeStep(step),
      new Error(
        `the element has no ${typeof key === "number" ? "index" : "key"} ${JSON.stringify(key)} (got ${preview(x)}). ` +
          "Fix: pass a default, pluck(key, default), or filter such elements out first",
      ),
    );
  }
  return v;
}

function hasKey(x: unknown, key: string | number): boolean {
  return x !== null && (typeof x === "object" || typeof x === "function") && key in (x as object);
}

function emitAll(ys: unknown, next: Sink, step: Step): void {
  if (Array.isArray(ys)) {
    for (let j = 0; j < ys.length; j++) next(ys[j]);
    return;
  }
  if (ys == null || typeof (ys as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new StepFailure(
      describeStep(step),
      new TypeError(
        `expected an array or another iterable, got ${preview(ys)}. Fix: return an array (use map() for one value per element)`,
      ),
    );
  }
  for (const y of ys as Iterable<unknown>) next(y);
}

function join(step: Step & { op: "join" }, fns: readonly Function[], next: Sink): Sink {
  const onSelf = fns[0]!;
  const onOther = fns[1]!;
  const table = new Map<unknown, unknown[]>();
  for (const o of step.other) {
    const k = onOther(o);
    const list = table.get(k);
    if (list === undefined) table.set(k, [o]);
    else list.push(o);
  }
  return (x) => {
    let k: unknown;
    try {
      k = onSelf(x);
    } catch (e) {
      throw new StepFailure(describeStep(step), e);
    }
    const matches = table.get(k);
    if (matches === undefined) return;
    for (let j = 0; j < matches.length; j++) next([matches[j], x]);
  };
}

/** A short description of a value for an error message. */
export function preview(x: unknown): string {
  let s: string;
  try {
    s = typeof x === "string" ? JSON.stringify(x) : (JSON.stringify(x) ?? String(x));
  } catch (err) {
    // A BigInt or a cycle is a TypeError; a toJSON of the user's may throw anything, and the
    // preview is only for a message, so it says what it could not print and why.
    const why = err instanceof Error ? err.message : String(err);
    s = `${Object.prototype.toString.call(x)} (not printable: ${why})`;
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
