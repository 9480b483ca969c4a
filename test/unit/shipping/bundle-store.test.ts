import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { BarnError, ErrorCodes } from "../../../src/errors.js";
import { BundleStore, defaultBundleDir } from "../../../src/shipping/bundle-store.js";
import { FunctionCache } from "../../../src/shipping/compile.js";
import type { ShippedFn } from "../../../src/shipping/ship.js";

const STORE_URL = new URL("../../../src/shipping/bundle-store.js", import.meta.url).href;
const MODULES_URL = new URL("../../../src/shipping/modules.js", import.meta.url).href;

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Run `fn(dir)` with a fresh temp folder that is removed afterwards. */
async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "barn-store-"));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Hand-written bundled code, as esbuild would emit it: it registers `name` with the registry
 * (through barn's modules.js) under its own import.meta.url.
 */
function taskCode(name: string, body: string): string {
  return [
    `import { tasks } from ${JSON.stringify(MODULES_URL)};`,
    `function ${name}(x) { ${body} }`,
    `export const ops = tasks(import.meta.url, { ${name} });`,
    "",
  ].join("\n");
}

function bundledRef(name: string, hash: string): ShippedFn {
  return { kind: "module", id: `bundle-${hash}`, name, url: "file:///gone/ops.mjs", bundle: hash };
}

test("store: install writes <hash>.mjs once, privately, and returns its file URL", async () => {
  await inTempDir(async (dir) => {
    const store = new BundleStore(join(dir, "nested", "cache"));
    const code = "export const x = 1;\n";
    const hash = sha256(code);
    assert.equal(store.has(hash), false);
    assert.equal(store.urlOf(hash), undefined);
    const url = await store.install(hash, code);
    const path = join(dir, "nested", "cache", `${hash}.mjs`);
    assert.equal(url, pathToFileURL(path).href);
    assert.equal(readFileSync(path, "utf8"), code);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(store.has(hash), true);
    assert.equal(store.urlOf(hash), url);
    assert.equal(await store.install(hash, code), url);
    assert.deepEqual(readdirSync(join(dir, "nested", "cache")), [`${hash}.mjs`]);
  });
});

test("store: tampered code or a hash that is not a sha256 is refused and nothing is written", async () => {
  await inTempDir(async (dir) => {
    const store = new BundleStore(dir);
    const code = "export const x = 1;\n";
    const hash = sha256(code);
    await assert.rejects(
      store.install(hash, code.replace("1", "2")),
      (err: unknown) =>
        err instanceof BarnError &&
        err.code === ErrorCodes.FUNCTION_NOT_SHIPPABLE &&
        err.message.includes(hash) &&
        err.message.includes(sha256(code.replace("1", "2"))),
    );
    for (const bad of ["../../etc/passwd", hash.toUpperCase(), hash.slice(1), ""]) {
      await assert.rejects(store.install(bad, code), { code: ErrorCodes.FUNCTION_NOT_SHIPPABLE });
    }
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(store.has(hash), false);
  });
});

test("store: a corrupted file left in the folder is replaced, a good one reused", async () => {
  await inTempDir(async (dir) => {
    const code = "export const y = 2;\n";
    const hash = sha256(code);
    const path = join(dir, `${hash}.mjs`);
    writeFileSync(path, "export const y = 666;\n");
    await new BundleStore(dir).install(hash, code);
    assert.equal(readFileSync(path, "utf8"), code);
    const before = statSync(path).mtimeMs;
    await new BundleStore(dir).install(hash, code);
    assert.equal(statSync(path).mtimeMs, before, "an intact file is not rewritten");
  });
});

test("store: four processes installing one bundle at once all get the whole file", {
  timeout: 30_000,
}, async () => {
  await inTempDir(async (dir) => {
    // Large enough that a non-atomic write would be seen half-written.
    const code = `export const big = ${JSON.stringify("x".repeat(4_000_000))};\n`;
    const hash = sha256(code);
    const script = [
      `const { installBundle } = await import(${JSON.stringify(STORE_URL)});`,
      "let code = '';",
      "for await (const chunk of process.stdin) code += chunk;",
      "const url = await installBundle(process.env.HASH, code);",
      "const mod = await import(url);",
      "console.log(mod.big.length);",
    ].join("\n");
    const outs = await Promise.all(
      [1, 2, 3, 4].map(() => runNode(script, code, { BARN_BUNDLE_DIR: dir, HASH: hash })),
    );
    assert.deepEqual(
      outs.map((o) => o.trim()),
      ["4000000", "4000000", "4000000", "4000000"],
    );
    assert.deepEqual(readdirSync(dir), [`${hash}.mjs`], "no temp files left behind");
    assert.equal(sha256(readFileSync(join(dir, `${hash}.mjs`), "utf8")), hash);
  });
});

test("store: BARN_BUNDLE_DIR overrides the default folder", () => {
  const saved = process.env.BARN_BUNDLE_DIR;
  try {
    delete process.env.BARN_BUNDLE_DIR;
    assert.equal(defaultBundleDir(), join(tmpdir(), "barn-bundles"));
    process.env.BARN_BUNDLE_DIR = "/srv/barn/bundles";
    assert.equal(defaultBundleDir(), "/srv/barn/bundles");
  } finally {
    if (saved === undefined) delete process.env.BARN_BUNDLE_DIR;
    else process.env.BARN_BUNDLE_DIR = saved;
  }
});

test("FunctionCache: a bundle never added is FUNCTION_NOT_FOUND naming the hash and the fix", async () => {
  await inTempDir(async (dir) => {
    const cache = new FunctionCache({ bundles: new BundleStore(dir) });
    const hash = sha256("never sent");
    assert.throws(
      () => cache.resolve(bundledRef("f", hash)),
      (err: unknown) =>
        err instanceof BarnError &&
        err.code === ErrorCodes.FUNCTION_NOT_FOUND &&
        err.message.includes(hash) &&
        err.message.includes('"f"') &&
        /Fix: .*addBundle/.test(err.message),
    );
  });
});

test("FunctionCache: resolving while addBundle is in flight waits for the install", async () => {
  await inTempDir(async (dir) => {
    const cache = new FunctionCache({ bundles: new BundleStore(dir) });
    const code = taskCode("inc", "return x + 1;");
    const hash = sha256(code);
    const installed = cache.addBundle(hash, code);
    const fn = (await cache.resolve(bundledRef("inc", hash))) as (x: number) => number;
    assert.equal(fn(41), 42);
    assert.equal(await installed, pathToFileURL(join(dir, `${hash}.mjs`)).href);
    assert.equal(cache.getSync(`bundle-${hash}`), fn);
  });
});

test("FunctionCache: a bundle that throws on import is FUNCTION_NOT_FOUND naming it", async () => {
  await inTempDir(async (dir) => {
    const cache = new FunctionCache({ bundles: new BundleStore(dir) });
    const code = 'throw new Error("native addon missing");\n';
    const hash = sha256(code);
    await cache.addBundle(hash, code);
    await assert.rejects(
      cache.resolve(bundledRef("f", hash)) as Promise<Function>,
      (err: unknown) =>
        err instanceof BarnError &&
        err.code === ErrorCodes.FUNCTION_NOT_FOUND &&
        err.message.includes(hash) &&
        err.message.includes("native addon missing") &&
        /docs\/shipping\.md/.test(err.message),
    );
  });
});

test("FunctionCache: a bundle without the name lists what it registers", async () => {
  await inTempDir(async (dir) => {
    const cache = new FunctionCache({ bundles: new BundleStore(dir) });
    const code = taskCode("present", "return x;");
    const hash = sha256(code);
    await cache.addBundle(hash, code);
    await assert.rejects(
      cache.resolve(bundledRef("absent", hash)) as Promise<Function>,
      (err: unknown) =>
        err instanceof BarnError &&
        err.code === ErrorCodes.FUNCTION_NOT_FOUND &&
        /registers "present"/.test(err.message),
    );
  });
});

test("FunctionCache: addBundle refuses tampered code", async () => {
  await inTempDir(async (dir) => {
    const cache = new FunctionCache({ bundles: new BundleStore(dir) });
    const code = taskCode("g", "return x;");
    await assert.rejects(cache.addBundle(sha256(code), `${code}//`), {
      code: ErrorCodes.FUNCTION_NOT_SHIPPABLE,
    });
  });
});

/** Run an ES module script in a fresh node process, with `input` on its stdin; its stdout. */
function runNode(script: string, input: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (err += d));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`)),
    );
    child.stdin.end(input);
  });
}
