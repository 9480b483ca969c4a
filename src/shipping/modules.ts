/**
 * Task functions declared in modules. `tasks(import.meta.url, { parse, score })` records each
 * function under (module URL, name). A function that needs imports or captured state ships as
 * that reference; the worker imports the module, which runs the same `tasks()` call there and
 * fills that thread's registry, and then looks the function up.
 */

import { isMainThread } from "node:worker_threads";
import { BarnError, ErrorCodes, OptionError } from "../errors.js";
import {
  isTypeScriptUrl,
  isUnknownExtension,
  registerTsxFromFlags,
  typeScriptFix,
} from "./typescript.js";

/** Where a task function is declared: the module's URL and the name given to `tasks()`. */
export interface ModuleRef {
  readonly url: string;
  readonly name: string;
}

interface Registry {
  /** url -> name -> function, filled by `tasks()` calls in this thread. */
  readonly byUrl: Map<string, Map<string, Function>>;
  /** function -> its first registration; decides how the function ships. */
  readonly refs: WeakMap<Function, ModuleRef>;
  /** url -> the import in flight or done; a failed import is removed so it can be retried. */
  readonly imports: Map<string, Promise<unknown>>;
}

/**
 * One registry per thread, kept on globalThis under a registered symbol: if a user's module and
 * the worker load two copies of barn, they must still see the same registrations.
 */
const KEY = Symbol.for("barn.shipping.modules");
const slot = globalThis as unknown as Record<symbol, Registry | undefined>;
slot[KEY] ??= { byUrl: new Map(), refs: new WeakMap(), imports: new Map() };
const registry: Registry = slot[KEY];

/**
 * Declare the task functions of a module so they can be shipped by reference. Call it at the top
 * level of the module, with that module's own `import.meta.url`, and export the result:
 * `export const ops = tasks(import.meta.url, { parse, score })`. Returns `fns` unchanged, so
 * `ops.parse(...)` still works locally.
 * @throws OptionError when `moduleUrl` is not a file: or data: URL, or a value is not a function.
 */
export function tasks<T extends Record<string, Function>>(moduleUrl: string, fns: T): T {
  validateModuleUrl(moduleUrl);
  if (typeof fns !== "object" || fns === null) {
    throw new OptionError(
      `tasks(moduleUrl, fns): fns must be an object of functions, e.g. tasks(import.meta.url, { parse, score }); got ${describe(fns)}`,
    );
  }
  const entries = Object.entries(fns);
  // Validate every entry before registering any, so a bad call registers nothing.
  for (const [name, fn] of entries) {
    if (typeof fn !== "function") {
      throw new OptionError(
        `tasks(moduleUrl, fns): fns.${name} must be a function, got ${describe(fn)}`,
      );
    }
  }
  let names = registry.byUrl.get(moduleUrl);
  if (names === undefined) {
    names = new Map();
    registry.byUrl.set(moduleUrl, names);
  }
  for (const [name, fn] of entries) {
    names.set(name, fn);
    if (!registry.refs.has(fn)) registry.refs.set(fn, { url: moduleUrl, name });
  }
  return fns;
}

/** The module a function was declared in with `tasks()`, if it was. */
export function moduleRefOf(fn: Function): ModuleRef | undefined {
  return registry.refs.get(fn);
}

/**
 * The function registered as `name` by the module at `url`, importing the module (once per
 * thread) if it has not registered yet.
 * @throws BarnError FUNCTION_NOT_FOUND when the module cannot be imported or does not register
 * `name`.
 */
export async function resolveModuleFunction(url: string, name: string): Promise<Function> {
  const known = registry.byUrl.get(url)?.get(name);
  if (known !== undefined) return known;
  try {
    await importTaskModule(url);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const fix =
      isTypeScriptUrl(url) && isUnknownExtension(err)
        ? typeScriptFix(url)
        : "Fix: make sure the module and its dependencies exist at the same path on every worker.";
    throw new BarnError(
      ErrorCodes.FUNCTION_NOT_FOUND,
      `cannot load task function "${name}": importing ${url} failed on this worker (${reason}). ${fix}`,
      { cause: err },
    );
  }
  const fn = registry.byUrl.get(url)?.get(name);
  if (fn !== undefined) return fn;
  const registered = [...(registry.byUrl.get(url)?.keys() ?? [])];
  throw new BarnError(
    ErrorCodes.FUNCTION_NOT_FOUND,
    `cannot find task function "${name}" in ${url}: the module registers ` +
      `${registered.length === 0 ? "no functions" : registered.map((n) => `"${n}"`).join(", ")} ` +
      `with tasks(). Fix: declare it there at top level with tasks(import.meta.url, { ${name} }).`,
  );
}

/**
 * Import a task module. Before a worker thread's first `.ts` module, tsx is registered in the
 * thread when this process was started with it: a failed import is cached by Node, so it cannot
 * be registered after the fact (see typescript.ts).
 */
async function importTaskModule(url: string): Promise<unknown> {
  if (!isMainThread && isTypeScriptUrl(url)) await registerTsxFromFlags();
  return importOnce(url);
}

function importOnce(url: string): Promise<unknown> {
  let pending = registry.imports.get(url);
  if (pending === undefined) {
    pending = import(url);
    registry.imports.set(url, pending);
    pending.catch(() => registry.imports.delete(url));
  }
  return pending;
}

function validateModuleUrl(moduleUrl: unknown): void {
  if (typeof moduleUrl === "string" && /^(file|data):/.test(moduleUrl)) return;
  throw new OptionError(
    `tasks(moduleUrl, fns): moduleUrl must be the module's own import.meta.url (a file: or data: URL), ` +
      `got ${describe(moduleUrl)}. Fix: tasks(import.meta.url, { ... }).`,
  );
}

function describe(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  return typeof v === "object" ? (v.constructor?.name ?? "object") : typeof v;
}
