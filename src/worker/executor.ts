/**
 * Runs one task's RunSpec against a store of inputs. Synchronous when the function is compiled
 * and returns a plain value (the hot path for tiny tasks: no promise is made); returns a promise
 * only when the function is async or must first be imported. Throws what the task throws.
 */
import { BarnError, ErrorCodes } from "../errors.js";
import { decodeArgs } from "../graph/refs.js";
import type { Key } from "../graph/spec.js";
import type { CallSpec, RunSpec } from "../protocol/run-spec.js";
import type { ShippedFn } from "../shipping/ship.js";

/** Where compiled functions come from: a worker's FunctionCache, or the client's own map. */
export interface FunctionSource {
  getSync(id: string): Function | undefined;
  resolve(def: ShippedFn): Function | Promise<Function>;
}

/** What a task needs from its surroundings to run. */
export interface ExecContext {
  readonly fns: FunctionSource;
  /** Every function definition this worker was sent, by id. */
  readonly defs: ReadonlyMap<string, ShippedFn>;
  /** The value of an input key; the state machine guarantees it is present. */
  readonly get: (key: Key) => unknown;
}

export function runSpec(spec: RunSpec, ctx: ExecContext): unknown {
  if ("f" in spec) return call(spec, ctx.get, ctx);
  if ("d" in spec) return spec.d;
  if ("alias" in spec) return ctx.get(spec.alias);
  return runSteps(spec.steps, 0, new Map(), ctx);
}

function call(spec: CallSpec, get: (key: Key) => unknown, ctx: ExecContext): unknown {
  const args = spec.r === undefined ? spec.a : decodeArgs({ args: spec.a, refs: spec.r }, get);
  const fn: Function | undefined = ctx.fns.getSync(spec.f);
  if (fn !== undefined) return fn(...args);
  const def = ctx.defs.get(spec.f);
  if (def === undefined) {
    throw new BarnError(
      ErrorCodes.FUNCTION_NOT_FOUND,
      `function ${spec.f} was never sent to this worker; this is a bug in Barn's function shipping`,
    );
  }
  const resolved = ctx.fns.resolve(def);
  if (typeof resolved === "function") return resolved(...args);
  return resolved.then((f) => f(...args));
}

/** Runs fused steps in order; a step's value is visible to later steps under its key. */
function runSteps(
  steps: readonly (readonly [Key, CallSpec])[],
  from: number,
  local: Map<Key, unknown>,
  ctx: ExecContext,
): unknown {
  const get = (k: Key) => (local.has(k) ? local.get(k) : ctx.get(k));
  let last: unknown;
  for (let i = from; i < steps.length; i++) {
    const [key, spec] = steps[i]!;
    last = call(spec, get, ctx);
    if (isThenable(last)) {
      return Promise.resolve(last).then((v) => {
        local.set(key, v);
        return i + 1 < steps.length ? runSteps(steps, i + 1, local, ctx) : v;
      });
    }
    local.set(key, last);
  }
  return last;
}

export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function"
  );
}
