/**
 * The client side of shipping a module to workers on other machines: esbuild turns the module
 * that declares a task function (and everything it imports but node builtins) into one ES module
 * text, content-addressed by its sha256. Workers install that text (bundle-store.ts) and import
 * it instead of the original file, which they do not have.
 */

import { stat } from "node:fs/promises";
import { isAbsolute, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import type { BuildFailure, Message, Metafile, Plugin } from "esbuild";
import { BarnError, ErrorCodes, ShippingError } from "../errors.js";
import { bundleHash } from "./bundle-store.js";
import { contentId, type ModuleShippedFn } from "./ship.js";

/** One module and all it imports as a single ES module text; `hash` is sha256(code) in hex. */
export interface ModuleBundle {
  readonly hash: string;
  readonly code: string;
}

/**
 * Bundled code runs as an ES module, but CommonJS dependencies that esbuild wraps still call
 * `require` for node builtins; without a real `require` in scope esbuild's shim throws
 * "Dynamic require of ... is not supported". This gives them one.
 */
const REQUIRE_BANNER =
  'import { createRequire as __barnCreateRequire } from "node:module";\n' +
  "const require = __barnCreateRequire(import.meta.url);";

/** A source file the bundle was built from, and what it looked like then. */
interface InputStamp {
  readonly path: string;
  readonly mtimeMs: number;
  readonly size: number;
}

interface CacheEntry {
  readonly bundle: ModuleBundle;
  /** The files to re-check before reusing `bundle`: the entry and its imports outside node_modules. */
  readonly stamps: readonly InputStamp[];
}

/** url -> the last bundle built in this process; replaced when a checked input changed. */
const built = new Map<string, CacheEntry>();
/** url -> the build in flight, so concurrent callers share one esbuild run. */
const building = new Map<string, Promise<ModuleBundle>>();

/**
 * Bundle the module at `url` (a file: or data: URL, usually a `tasks()` module's
 * `import.meta.url`) for workers that do not have its files. Cached per URL for the process;
 * rebuilt when the module or one of its imports outside node_modules changed on disk.
 * @throws BarnError FUNCTION_NOT_FOUND when the file does not exist; ShippingError
 * (FUNCTION_NOT_SHIPPABLE) when esbuild cannot bundle it (syntax error, unresolvable import).
 */
export async function bundleModule(url: string): Promise<ModuleBundle> {
  const cached = built.get(url);
  if (cached !== undefined && !building.has(url) && (await unchanged(cached.stamps))) {
    return cached.bundle;
  }
  // Checked after the await above too: a concurrent caller may have started the rebuild.
  const inFlight = building.get(url);
  if (inFlight !== undefined) return inFlight;
  const pending = buildEntry(url).then(
    (entry) => {
      built.set(url, entry);
      building.delete(url);
      return entry.bundle;
    },
    (err: unknown) => {
      building.delete(url);
      throw err;
    },
  );
  building.set(url, pending);
  return pending;
}

/**
 * The form of `fn` sent to workers that import `bundle` instead of `fn.url`. The id hashes in the
 * bundle's hash, so a worker never confuses it with the unbundled reference or an older bundle.
 */
export function withBundle(fn: ModuleShippedFn, bundle: ModuleBundle): ModuleShippedFn {
  return {
    kind: "module",
    id: contentId("bundle", bundle.hash, fn.name),
    name: fn.name,
    url: fn.url,
    bundle: bundle.hash,
  };
}

/** Forget every cached bundle (tests, or a long-lived client that wants fresh builds). */
export function clearBundleCache(): void {
  built.clear();
}

async function buildEntry(url: string): Promise<CacheEntry> {
  const entry = await entryOf(url);
  // Loaded on first use: importing esbuild costs ~150 ms, which clients that never bundle skip.
  const { build } = await import("esbuild");
  let result: { outputFiles: { text: string }[]; metafile: Metafile };
  try {
    result = await build({
      ...entry.input,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      write: false,
      metafile: true,
      logLevel: "silent",
      banner: { js: REQUIRE_BANNER },
      plugins: [fileUrlImports],
    });
  } catch (err) {
    throw buildError(url, err);
  }
  const code = result.outputFiles[0]?.text ?? "";
  const stamps = await stampsOf(localInputs(result.metafile, entry.path));
  return { bundle: { hash: bundleHash(code), code }, stamps };
}

type EsbuildInput = { entryPoints: string[] } | { stdin: { contents: string; resolveDir: string } };

/** What esbuild starts from: the file for a file: URL, the decoded text for a data: URL. */
async function entryOf(url: string): Promise<{ input: EsbuildInput; path: string | undefined }> {
  if (url.startsWith("data:")) {
    const contents = await (await fetch(url)).text();
    return { input: { stdin: { contents, resolveDir: process.cwd() } }, path: undefined };
  }
  if (!url.startsWith("file:")) {
    throw new BarnError(
      ErrorCodes.FUNCTION_NOT_FOUND,
      `cannot bundle ${url} for remote workers: only file: and data: module URLs can be bundled. ` +
        "Fix: declare the task functions in a local module with tasks(import.meta.url, { ... }).",
    );
  }
  const path = fileURLToPath(url);
  try {
    await stat(path);
  } catch (err) {
    throw new BarnError(
      ErrorCodes.FUNCTION_NOT_FOUND,
      `cannot bundle ${url} for remote workers: the file ${path} does not exist (moved or ` +
        "deleted since it was imported). Fix: restore the module, or restart the client so it " +
        "imports the module from where it is now.",
      { cause: err },
    );
  }
  return { input: { entryPoints: [path] }, path };
}

/** esbuild does not resolve `import ... from "file:///..."`; node does, so users may write it. */
const fileUrlImports: Plugin = {
  name: "barn-file-urls",
  setup(b) {
    b.onResolve({ filter: /^file:/ }, (args) => ({ path: fileURLToPath(args.path) }));
  },
};

function buildError(url: string, err: unknown): BarnError {
  const first: Message | undefined = (err as Partial<BuildFailure>).errors?.[0];
  const reason = first === undefined ? String(err) : describeMessage(first);
  return new ShippingError(
    `cannot bundle ${url} for remote workers: esbuild failed: ${reason}. Fix: make the module ` +
      "and its imports build (a syntax error, or an import that cannot be resolved from the " +
      "module's folder); see docs/shipping.md for what a bundled module may do.",
    [],
    { cause: err },
  );
}

function describeMessage(m: Message): string {
  const at = m.location;
  return at === null ? m.text : `${resolvePath(at.file)}:${at.line}:${at.column + 1}: ${m.text}`;
}

/**
 * The absolute paths of the files that can change under a running client: the entry and its
 * imports outside node_modules (installed packages are taken as fixed for the process).
 */
function localInputs(meta: Metafile, entry: string | undefined): string[] {
  const paths = Object.keys(meta.inputs)
    .filter((p) => !p.includes("node_modules/") && !p.startsWith("<"))
    .map((p) => (isAbsolute(p) ? p : resolvePath(p)));
  if (entry !== undefined && !paths.includes(entry)) paths.push(entry);
  return paths;
}

async function stampsOf(paths: readonly string[]): Promise<InputStamp[]> {
  return Promise.all(
    paths.map(async (path) => {
      const s = await stat(path);
      return { path, mtimeMs: s.mtimeMs, size: s.size };
    }),
  );
}

async function unchanged(stamps: readonly InputStamp[]): Promise<boolean> {
  try {
    const now = await stampsOf(stamps.map((s) => s.path));
    return now.every((s, i) => s.mtimeMs === stamps[i]!.mtimeMs && s.size === stamps[i]!.size);
  } catch {
    return false;
  }
}
