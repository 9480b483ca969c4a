/**
 * The worker side of bundles: write a bundle's code once to a cache folder, under its content
 * hash, and remember the file's URL so task functions can be imported from it. Several worker
 * processes on one machine may install the same bundle at once: each writes a temp file and
 * renames it into place, so readers only ever see a whole file.
 */

import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BarnError, ErrorCodes } from "../errors.js";

/** A sha256 in lowercase hex: the only names the store writes, so a hash can never be a path. */
const HASH = /^[0-9a-f]{64}$/;

/**
 * The content address of bundled code: sha256 in lowercase hex. Lives here, not in bundle.ts, so
 * workers can verify bundles without loading esbuild.
 */
export function bundleHash(code: string): string {
  return createHash("sha256").update(code).digest("hex");
}

/** The cache folder: `BARN_BUNDLE_DIR` if set, else `<os tmpdir>/barn-bundles`. */
export function defaultBundleDir(): string {
  const fromEnv = process.env.BARN_BUNDLE_DIR;
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : join(tmpdir(), "barn-bundles");
}

/** Installed bundles of one cache folder, as seen by this thread. */
export class BundleStore {
  /** The folder bundles are written to. */
  readonly dir: string;
  /** hash -> file URL once installed in this thread. */
  readonly #installed = new Map<string, string>();
  /** hash -> install in flight; removed when it settles, so a failed write can be retried. */
  readonly #installing = new Map<string, Promise<string>>();

  constructor(dir: string = defaultBundleDir()) {
    this.dir = dir;
  }

  /**
   * Install `code` under `hash` and return the file URL to import. Verifies sha256(code) first;
   * a file already there (another process) is reused only if its content has the same hash.
   * Rejects with BarnError FUNCTION_NOT_SHIPPABLE when `hash` is not a sha256 or does not match
   * `code` (nothing is written), or with the filesystem's error when the folder is not writable.
   */
  install(hash: string, code: string): Promise<string> {
    const done = this.#installed.get(hash);
    if (done !== undefined) return Promise.resolve(done);
    let pending = this.#installing.get(hash);
    if (pending === undefined) {
      const bad = hashProblem(hash, code);
      if (bad !== undefined) return Promise.reject(bad);
      pending = this.#write(hash, code).then(
        (url) => {
          this.#installed.set(hash, url);
          this.#installing.delete(hash);
          return url;
        },
        (err: unknown) => {
          this.#installing.delete(hash);
          throw err;
        },
      );
      this.#installing.set(hash, pending);
    }
    return pending;
  }

  /** Whether the bundle `hash` is installed (and importable) in this thread. */
  has(hash: string): boolean {
    return this.#installed.has(hash);
  }

  /** The installed bundle's file URL, or undefined when it is not installed yet. */
  urlOf(hash: string): string | undefined {
    return this.#installed.get(hash);
  }

  /** The install of `hash` in flight, if one was started and has not settled. */
  installing(hash: string): Promise<string> | undefined {
    return this.#installing.get(hash);
  }

  async #write(hash: string, code: string): Promise<string> {
    const path = join(this.dir, `${hash}.mjs`);
    const url = pathToFileURL(path).href;
    if ((await existingHash(path)) === hash) return url;
    // Private by default: a bundle is code this worker will run.
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const temp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      await writeFile(temp, code, { mode: 0o600 });
      await rename(temp, path);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    return url;
  }
}

/** Why `code` must not be installed as `hash`, or undefined when it may. */
function hashProblem(hash: string, code: string): BarnError | undefined {
  if (!HASH.test(hash)) {
    return new BarnError(
      ErrorCodes.FUNCTION_NOT_SHIPPABLE,
      `refusing to install bundle ${JSON.stringify(hash)}: a bundle hash is 64 lowercase hex ` +
        "digits (sha256 of the code). Fix: send the hash bundleModule() returned.",
    );
  }
  const actual = bundleHash(code);
  if (actual === hash) return undefined;
  return new BarnError(
    ErrorCodes.FUNCTION_NOT_SHIPPABLE,
    `refusing to install bundle ${hash}: its code hashes to ${actual} (changed or corrupted ` +
      "on the way). Fix: send the code and hash exactly as bundleModule() returned them.",
  );
}

/** The hash of the file at `path`, or undefined when there is none. */
async function existingHash(path: string): Promise<string | undefined> {
  try {
    return bundleHash(await readFile(path, "utf8"));
  } catch {
    return undefined;
  }
}

let defaultStore: BundleStore | undefined;

/** This thread's store in {@link defaultBundleDir}, made on first use. */
export function defaultBundleStore(): BundleStore {
  defaultStore ??= new BundleStore();
  return defaultStore;
}

/** Install a bundle into this thread's default store; resolves to the file URL to import. */
export function installBundle(hash: string, code: string): Promise<string> {
  return defaultBundleStore().install(hash, code);
}

/** Whether the bundle `hash` is installed in this thread's default store. */
export function hasBundle(hash: string): boolean {
  return defaultBundleStore().has(hash);
}
