/**
 * The worker side of shipping: rebuild a {@link ShippedFn} into a callable function, once per
 * content id per thread. Later tasks with the same id get the cached function synchronously.
 */

import { BarnError, ErrorCodes } from "../errors.js";
import { type BundleStore, defaultBundleStore } from "./bundle-store.js";
import { SOURCE_FORMS, unwrapValue, wrapSource } from "./forms.js";
import { resolveModuleFunction } from "./modules.js";
import type { ModuleShippedFn, ShippedFn } from "./ship.js";

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
  /** Where bundled modules (module refs with `bundle`) are installed and imported from. */
  readonly #bundles: BundleStore;

  /** `bundles`: the store for bundled modules; this thread's default store if not given. */
  constructor(options: { bundles?: BundleStore } = {}) {
    this.#bundles = options.bundles ?? defaultBundleStore();
  }

  /**
   * Install a bundle that arrived with a message, so module refs carrying its hash resolve.
   * Resolves to the installed file's URL. The shell calls it before resolving the functions.
   * Rejects with BarnError FUNCTION_NOT_SHIPPABLE when `code` does not hash to `hash`.
   */
  addBundle(hash: string, code: string): Promise<string> {
    return this.#bundles.install(hash, code);
  }

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
        return shipped.bundle === undefined
          ? this.#load(shipped.id, () => resolveModuleFunction(shipped.url, shipped.name))
          : this.#load(shipped.id, this.#bundled(shipped, shipped.bundle));
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

  /**
   * How to load a bundled function: import the installed bundle (waiting for an install in
   * flight). Its `tasks(import.meta.url, ...)` registers under the installed file's URL.
   * @throws BarnError FUNCTION_NOT_FOUND, now, when the bundle was never added to this thread.
   */
  #bundled(shipped: ModuleShippedFn, hash: string): () => Promise<Function> {
    const installed = this.#bundles.urlOf(hash);
    const installing = installed === undefined ? this.#bundles.installing(hash) : undefined;
    if (installed === undefined && installing === undefined) {
      throw new BarnError(
        ErrorCodes.FUNCTION_NOT_FOUND,
        `cannot load task function "${shipped.name}" of ${shipped.url}: its bundle ${hash} ` +
          "is not installed on this worker. Fix: install the bundles that arrive with a " +
          "message (FunctionCache.addBundle(hash, code)) before resolving its functions.",
      );
    }
    return async () => {
      const url = installed ?? (await installing!);
      try {
        await import(url);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new BarnError(
          ErrorCodes.FUNCTION_NOT_FOUND,
          `cannot load task function "${shipped.name}": the bundle ${hash} of ${shipped.url} ` +
            `failed to load on this worker (${reason}). Fix: a bundle carries the module's ` +
            "JavaScript, but native addons, and files it requires or reads by a computed path, " +
            "must exist on the worker too (see docs/shipping.md).",
          { cause: err },
        );
      }
      return resolveModuleFunction(url, shipped.name);
    };
  }

  #load(id: string, load: () => Promise<Function>): Promise<Function> {
    let pending = this.#pending.get(id);
    if (pending === undefined) {
      pending = load().then(
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
