/**
 * Task modules written in TypeScript, on a worker. Under Node's type stripping (default from
 * 23.6, `--experimental-strip-types` on 22.6+) a worker loads `.ts` like its parent. Under tsx
 * it does not always: `--import tsx` registers tsx's hooks only in the main thread on the Node
 * versions whose module hooks misbehave in workers (all of Node 20, 22 before 22.22.3, 24 before
 * 24.11.1), so a worker thread handed `--import tsx` still cannot import `.ts`. So a worker
 * thread registers tsx through its API (`tsx/esm/api`, found from the flags this process was
 * started with) before its first `.ts` task module; where tsx registered itself already, the
 * second registration is harmless.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const TS_EXTENSION = /\.(ts|mts|cts|tsx)$/;

/** The flags that load code before the entry point, whose value names a module. */
const PRELOAD_FLAGS = new Set(["--import", "--loader", "--experimental-loader", "--require", "-r"]);

/** Whether `url` names a TypeScript file. */
export function isTypeScriptUrl(url: string): boolean {
  return URL.canParse(url) && TS_EXTENSION.test(new URL(url).pathname);
}

/** Whether `err` is one of the errors a failed file or module lookup throws (by its code). */
function isLookupError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    typeof code === "string" &&
    (LOOKUP_CODES.has(code) || code.startsWith("ERR_INVALID_") || code.startsWith("E"))
  );
}

/** Codes of a module that cannot be resolved (Node's resolvers and require.resolve). */
const LOOKUP_CODES = new Set([
  "MODULE_NOT_FOUND",
  "ERR_MODULE_NOT_FOUND",
  "ERR_PACKAGE_PATH_NOT_EXPORTED",
]);

/** Node's answer to importing a file type it has no loader for. */
export function isUnknownExtension(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "ERR_UNKNOWN_FILE_EXTENSION";
}

/** The preloaded module specifiers in `argv` (execArgv or NODE_OPTIONS split on spaces). */
export function preloadSpecifiers(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? "";
    const eq = token.indexOf("=");
    const name = eq === -1 ? token : token.slice(0, eq);
    if (!PRELOAD_FLAGS.has(name)) continue;
    const value = eq === -1 ? argv[++i] : token.slice(eq + 1);
    if (value !== undefined && value !== "") out.push(value);
  }
  return out;
}

let registering: Promise<boolean> | undefined;

/**
 * Register tsx in this thread if this process was started with it (`--import tsx`, the `tsx`
 * command, or either in NODE_OPTIONS). Resolves to whether tsx was found and registered; once
 * per thread.
 */
export function registerTsxFromFlags(): Promise<boolean> {
  registering ??= registerTsx();
  return registering;
}

async function registerTsx(): Promise<boolean> {
  const options = (process.env.NODE_OPTIONS ?? "").split(/\s+/).filter((s) => s !== "");
  const specs = preloadSpecifiers([...process.execArgv, ...options]);
  for (const spec of specs) {
    const root = tsxRootOf(spec);
    if (root === undefined) continue;
    // require.resolve finds the CommonJS build of the API; its ES module twin sits beside it.
    const cjs = createRequire(join(root, "package.json")).resolve("tsx/esm/api");
    const esm = cjs.replace(/\.cjs$/, ".mjs");
    const api = existsSync(esm) ? esm : cjs;
    type Api = { register?: () => unknown; default?: Api };
    const mod = (await import(pathToFileURL(api).href)) as Api;
    const register = mod.register ?? mod.default?.register;
    if (typeof register !== "function") return false;
    register();
    return true;
  }
  return false;
}

/** The folder of the tsx package that `spec` (a preload flag's value) loads from, if any. */
function tsxRootOf(spec: string): string | undefined {
  const path = pathOf(spec);
  if (path === undefined) return undefined;
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, "package.json");
    if (!existsSync(pkg)) continue;
    try {
      if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: unknown }).name === "tsx") return dir;
    } catch (err) {
      // A package.json that cannot be read or parsed is not tsx's: not a reason to fail a task.
      if (!(err instanceof SyntaxError) && !isLookupError(err)) throw err;
      return undefined;
    }
  }
  return undefined;
}

/** A preload flag's value as a file path: resolved as Node does, from the working directory. */
function pathOf(spec: string): string | undefined {
  try {
    if (spec.startsWith("file:")) return fileURLToPath(spec);
    if (/^\.{0,2}\//.test(spec)) return resolve(spec);
    return createRequire(join(process.cwd(), "noop.js")).resolve(spec);
  } catch (err) {
    // A preload flag naming something this process cannot resolve: not tsx, so not ours.
    if (!isLookupError(err)) throw err;
    return undefined;
  }
}

/** What to do when a worker cannot import a TypeScript task module. */
export function typeScriptFix(url: string): string {
  const tsx = url.endsWith(".tsx")
    ? "Node's type stripping does not load .tsx files. "
    : `This worker's Node (${process.version}) was not started to load TypeScript. `;
  return (
    `${tsx}Fix: start the program with tsx (\`node --import tsx main.ts\` or \`npx tsx main.ts\`: ` +
    "Barn hands tsx on to its workers), or on Node >= 23.6 run the .ts file directly " +
    "(on 22.6+ with --experimental-strip-types), or compile with tsc and submit the tasks of " +
    "the compiled .js module."
  );
}
