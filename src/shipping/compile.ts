/**
 * The worker side of shipping: rebuild a {@link ShippedFn} into a callable function, once per
 * content id per thread. Later tasks with the same id get the cached function synchronously.
 */

import { BarnError, ErrorCodes } from "../errors.js";
import { SOURCE_FORMS, unwrapValue, wrapSource } from "./forms.js";
import { resolveModuleFunction } from "./modules.js";
import type { ShippedFn } from "./ship.js";

/**
 * Any call of eval that is not literally `eval(...)` is indirect: the code runs in the global
 * scope and cannot see this module's variables.
 */
// biome-ignore lint/security/noGlobalEval: compiling checked task source is this file's job.
const indirectEval: (code: string) => unknown = globalThis.eval;

/** Compiled and imported task functions of one thread, keyed by {@link ShippedFn.id}. */
export class FunctionCache {
  /** id -> function; only grows: ids are content hashes of code, a finite set per program. */
  readonly #ready = new Map<string, Function>();
  /** id -> module import in flight; removed when it settles, so a failure can be retried. */
  readonly #pending = new Map<string, Promise<Function>>();

  /**
   * The function `shipped` stands for: synchronously for source (and anything cached), as a
   * promise for a module reference seen the first time.
   * @throws BarnError FUNCTION_NOT_SHIPPABLE (source does not compile here) or
   * FUNCTION_NOT_FOUND (module reference cannot be resolved).
   */
  resolve(shipped: ShippedFn): Function | Promise<Function> {
    const hit = this.#ready.get(shipped.id);
    if (hit !== undefined) return hit;
    switch (shipped.kind) {
      case "source": {
        const fn = compileSource(shipped.source, shipped.name, shipped.id);
        this.#ready.set(shipped.id, fn);
        return fn;
      }
      case "module":
        return this.#load(shipped.id, shipped.url, shipped.name);
      default: {
        const never: never = shipped;
        throw new BarnError(
          ErrorCodes.INTERNAL,
          `unknown shipped function ${JSON.stringify(never)}`,
        );
      }
    }
  }

  /** The function for `id` if it is already compiled or imported in this thread. */
  getSync(id: string): Function | undefined {
    return this.#ready.get(id);
  }

  /** How many functions are ready. */
  get size(): number {
    return this.#ready.size;
  }

  #load(id: string, url: string, name: string): Promise<Function> {
    let pending = this.#pending.get(id);
    if (pending === undefined) {
      pending = resolveModuleFunction(url, name).then(
        (fn) => {
          this.#ready.set(id, fn);
          this.#pending.delete(id);
          return fn;
        },
        (err: unknown) => {
          this.#pending.delete(id);
          throw err;
        },
      );
      this.#pending.set(id, pending);
    }
    return pending;
  }
}

/**
 * Compile a function's source in this thread's global scope (indirect eval: it sees only
 * globals, which is exactly what the client checked it needs). Strict mode first, as the source
 * almost always came from an ES module; sloppy mode as a fallback for CommonJS-era code.
 * @throws BarnError FUNCTION_NOT_SHIPPABLE when no form compiles to a function.
 */
export function compileSource(source: string, name: string, id: string): Function {
  const sourceUrl = `\n//# sourceURL=barn-task:${encodeURIComponent(name)}/${id}`;
  let firstError: unknown;
  for (const form of SOURCE_FORMS) {
    for (const prologue of ['"use strict";', ""]) {
      try {
        const value: unknown = indirectEval(prologue + wrapSource(source, form) + sourceUrl);
        const fn = unwrapValue(value, form);
        if (typeof fn === "function") return fn;
      } catch (err) {
        firstError ??= err;
      }
    }
  }
  const reason = firstError instanceof Error ? firstError.message : "it is not a function";
  throw new BarnError(
    ErrorCodes.FUNCTION_NOT_SHIPPABLE,
    `cannot compile shipped function "${name}" (${id}) on this worker: ${reason}. ` +
      "Fix: check that the worker's Node version supports the syntax the function uses, or " +
      "declare it in a module with tasks(import.meta.url, { ... }).",
    { cause: firstError },
  );
}
