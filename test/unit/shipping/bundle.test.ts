import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { BarnError, ErrorCodes } from "../../../src/errors.js";
import { bundleModule, clearBundleCache, withBundle } from "../../../src/shipping/bundle.js";
import { BundleStore } from "../../../src/shipping/bundle-store.js";
import { FunctionCache } from "../../../src/shipping/compile.js";
import { type ShippedFn, shipFunction } from "../../../src/shipping/ship.js";

/** Barn as a user's module imports it: the built package entry, by absolute file URL. */
const BARN_URL = new URL("../../../src/index.js", import.meta.url).href;
const COMPILE_URL = new URL("../../../src/shipping/compile.js", import.meta.url).href;

/**
 * A user's task module written at test time: it imports barn's `tasks`, a helper module by a
 * relative path, an npm package (CommonJS, requiring a node builtin) from its node_modules, and
 * keeps state in a module variable that `score` closes over.
 */
function writeUserModule(): { dir: string; url: string } {
  const dir = mkdtempSync(join(tmpdir(), "barn-bundle-src-"));
  const pkg = join(dir, "node_modules", "tiny-ext");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(
    join(pkg, "package.json"),
    '{"name":"tiny-ext","version":"1.0.0","main":"index.js"}',
  );
  writeFileSync(
    join(pkg, "index.js"),
    'const path = require("node:path");\nexports.ext = (p) => path.extname(p).slice(1);\n',
  );
  writeFileSync(
    join(dir, "helper.mjs"),
    "export const FACTOR = 10;\nexport const times = (x) => x * FACTOR;\n",
  );
  writeFileSync(
    join(dir, "ops.mjs"),
    [
      `import { tasks } from ${JSON.stringify(BARN_URL)};`,
      'import { ext } from "tiny-ext";',
      'import { times } from "./helper.mjs";',
      "let calls = 0;",
      "function score(x) { calls += 1; return times(x) + calls; }",
      "function kind(path) { return ext(path).toUpperCase(); }",
      "export const ops = tasks(import.meta.url, { score, kind });",
      "",
    ].join("\n"),
  );
  return { dir, url: pathToFileURL(join(dir, "ops.mjs")).href };
}

type UserOps = { ops: { score: (x: number) => number; kind: (p: string) => string } };

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

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

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

test("bundle: a tasks() module runs from its installed bundle after its files are gone", async () => {
  const src = writeUserModule();
  const installDir = tempDir("barn-bundle-dst-");
  try {
    const { ops } = (await import(src.url)) as UserOps;
    assert.equal(ops.score(1), 11); // the client's own copy: calls is now 1
    const plain = shipFunction(ops.score);
    assert.equal(plain.kind, "module");
    if (plain.kind !== "module") return;

    const bundle = await bundleModule(plain.url);
    const shipped = structuredClone(withBundle(plain, bundle));
    assert.equal(shipped.bundle, bundle.hash);
    assert.notEqual(shipped.id, plain.id);
    const kindShipped = withBundle(shipFunction(ops.kind) as typeof plain, bundle);

    const cache = new FunctionCache({ bundles: new BundleStore(installDir) });
    const url = await cache.addBundle(bundle.hash, bundle.code);
    assert.equal(url, pathToFileURL(join(installDir, `${bundle.hash}.mjs`)).href);
    rmSync(src.dir, { recursive: true, force: true });

    const score = (await cache.resolve(shipped)) as (x: number) => number;
    assert.notEqual(score, ops.score, "the function comes from the bundle, not the original");
    // The bundle has its own copy of the module state, starting fresh: 4*10 + 1, then + 2.
    assert.equal(score(4), 41);
    assert.equal(score(4), 42);
    assert.equal(cache.resolve(shipped), score, "cached after the first import");
    const kind = (await cache.resolve(kindShipped)) as (p: string) => string;
    assert.equal(kind("/data/report.csv"), "CSV");
  } finally {
    rmSync(src.dir, { recursive: true, force: true });
    rmSync(installDir, { recursive: true, force: true });
  }
});

test("bundle: another process with only the bundle (BARN_BUNDLE_DIR) runs the function", {
  timeout: 30_000,
}, async () => {
  const src = writeUserModule();
  const installDir = tempDir("barn-bundle-proc-");
  try {
    const { ops } = (await import(src.url)) as UserOps;
    const plain = shipFunction(ops.score) as Extract<ShippedFn, { kind: "module" }>;
    const bundle = await bundleModule(plain.url);
    rmSync(src.dir, { recursive: true, force: true });
    const script = [
      `const { FunctionCache } = await import(${JSON.stringify(COMPILE_URL)});`,
      "let input = '';",
      "for await (const chunk of process.stdin) input += chunk;",
      "const { shipped, code } = JSON.parse(input);",
      "const cache = new FunctionCache();",
      "await cache.addBundle(shipped.bundle, code);",
      "const fn = await cache.resolve(shipped);",
      "console.log(JSON.stringify([fn(7), fn(7)]));",
    ].join("\n");
    const input = JSON.stringify({ shipped: withBundle(plain, bundle), code: bundle.code });
    const stdout = await runNode(script, input, { BARN_BUNDLE_DIR: installDir });
    assert.deepEqual(JSON.parse(stdout), [71, 72]);
    assert.deepEqual(readdirSync(installDir), [`${bundle.hash}.mjs`]);
  } finally {
    rmSync(src.dir, { recursive: true, force: true });
    rmSync(installDir, { recursive: true, force: true });
  }
});

test("bundle: a module importing tasks() by a relative path to barn's files runs bundled", async () => {
  const dir = tempDir("barn-bundle-rel-");
  const installDir = tempDir("barn-bundle-rel-dst-");
  try {
    const modulesPath = fileURLToPath(new URL("../../../src/shipping/modules.js", import.meta.url));
    const rel = relative(dir, modulesPath).split(sep).join("/");
    writeFileSync(
      join(dir, "rel.mjs"),
      `import { tasks } from ${JSON.stringify(rel)};\n` +
        "export const ops = tasks(import.meta.url, { half: (x) => x / 2 });\n",
    );
    const url = pathToFileURL(join(dir, "rel.mjs")).href;
    const bundle = await bundleModule(url);
    rmSync(dir, { recursive: true, force: true });
    const cache = new FunctionCache({ bundles: new BundleStore(installDir) });
    await cache.addBundle(bundle.hash, bundle.code);
    const plain = { kind: "module" as const, id: "rel", name: "half", url };
    const half = (await cache.resolve(withBundle(plain, bundle))) as (x: number) => number;
    assert.equal(half(9), 4.5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(installDir, { recursive: true, force: true });
  }
});

test("bundle: the hash is sha256 of the code and stable across rebuilds", async () => {
  const src = writeUserModule();
  try {
    const first = await bundleModule(src.url);
    assert.equal(first.hash, sha256(first.code));
    assert.match(first.hash, /^[0-9a-f]{64}$/);
    assert.equal(await bundleModule(src.url), first, "cached per URL while nothing changed");
    clearBundleCache();
    const again = await bundleModule(src.url);
    assert.notEqual(again, first, "rebuilt after the cache was cleared");
    assert.equal(again.hash, first.hash);
    assert.equal(again.code, first.code);
  } finally {
    rmSync(src.dir, { recursive: true, force: true });
  }
});

test("bundle: concurrent calls for one URL share one build", async () => {
  const src = writeUserModule();
  try {
    clearBundleCache();
    const [a, b] = await Promise.all([bundleModule(src.url), bundleModule(src.url)]);
    assert.equal(a, b);
  } finally {
    rmSync(src.dir, { recursive: true, force: true });
  }
});

test("bundle: editing the module or a helper it imports rebuilds it", async () => {
  const src = writeUserModule();
  const installDir = tempDir("barn-bundle-edit-");
  try {
    const before = await bundleModule(src.url);
    writeFileSync(join(src.dir, "helper.mjs"), "export const times = (x) => x * 100;\n");
    const helperEdited = await bundleModule(src.url);
    assert.notEqual(helperEdited.hash, before.hash);
    assert.match(helperEdited.code, /x \* 100/);

    const entry = fileURLToPath(src.url);
    writeFileSync(entry, readFileSync(entry, "utf8").replace("calls += 1", "calls += 2"));
    const entryEdited = await bundleModule(src.url);
    assert.notEqual(entryEdited.hash, helperEdited.hash);

    // The rebuilt bundle really runs the new code: 3*100 + 2.
    const cache = new FunctionCache({ bundles: new BundleStore(installDir) });
    await cache.addBundle(entryEdited.hash, entryEdited.code);
    const shipped: ShippedFn = withBundle(
      { kind: "module", id: "plain", name: "score", url: src.url },
      entryEdited,
    );
    const score = (await cache.resolve(shipped)) as (x: number) => number;
    assert.equal(score(3), 302);
  } finally {
    rmSync(src.dir, { recursive: true, force: true });
    rmSync(installDir, { recursive: true, force: true });
  }
});

test("bundle: withBundle gives each bundle its own id and keeps name and url", () => {
  const plain = { kind: "module" as const, id: "p", name: "score", url: "file:///x/ops.mjs" };
  const a = withBundle(plain, { hash: "a".repeat(64), code: "" });
  const b = withBundle(plain, { hash: "b".repeat(64), code: "" });
  assert.deepEqual({ ...a, id: "" }, { ...plain, id: "", bundle: "a".repeat(64) });
  assert.notEqual(a.id, b.id);
  assert.notEqual(a.id, plain.id);
  assert.equal(withBundle(plain, { hash: "a".repeat(64), code: "" }).id, a.id);
});

test("bundle: a missing module is FUNCTION_NOT_FOUND naming the file and the fix", async () => {
  const dir = tempDir("barn-bundle-missing-");
  rmSync(dir, { recursive: true, force: true });
  const url = pathToFileURL(join(dir, "gone.mjs")).href;
  await assert.rejects(bundleModule(url), (err: unknown) => {
    assert.ok(err instanceof BarnError);
    assert.equal(err.code, ErrorCodes.FUNCTION_NOT_FOUND);
    assert.ok(err.message.includes(join(dir, "gone.mjs")));
    assert.match(err.message, /does not exist.*Fix:/);
    return true;
  });
});

test("bundle: a syntax error is FUNCTION_NOT_SHIPPABLE with esbuild's first error and place", async () => {
  const dir = tempDir("barn-bundle-syntax-");
  try {
    writeFileSync(join(dir, "bad.mjs"), "export const ok = 1;\nexport const bad = 1 +;\n");
    const url = pathToFileURL(join(dir, "bad.mjs")).href;
    await assert.rejects(bundleModule(url), (err: unknown) => {
      assert.ok(err instanceof BarnError);
      assert.equal(err.code, ErrorCodes.FUNCTION_NOT_SHIPPABLE);
      assert.ok(err.message.includes(url), err.message);
      assert.ok(err.message.includes(`${join(dir, "bad.mjs")}:2:23: Unexpected ";"`), err.message);
      assert.match(err.message, /Fix:/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bundle: an import that does not resolve names the import", async () => {
  const dir = tempDir("barn-bundle-unresolved-");
  try {
    writeFileSync(join(dir, "m.mjs"), 'import { x } from "./nowhere.mjs";\nexport const y = x;\n');
    const url = pathToFileURL(join(dir, "m.mjs")).href;
    await assert.rejects(
      bundleModule(url),
      (err: unknown) =>
        err instanceof BarnError &&
        err.code === ErrorCodes.FUNCTION_NOT_SHIPPABLE &&
        /Could not resolve "\.\/nowhere\.mjs"/.test(err.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bundle: a failed build is not cached; fixing the file lets it bundle", async () => {
  const dir = tempDir("barn-bundle-fix-");
  try {
    const path = join(dir, "m.mjs");
    writeFileSync(path, "export const broken = ;\n");
    const url = pathToFileURL(path).href;
    await assert.rejects(bundleModule(url), { code: ErrorCodes.FUNCTION_NOT_SHIPPABLE });
    writeFileSync(path, "export const fixed = 1;\n");
    const bundle = await bundleModule(url);
    assert.match(bundle.code, /fixed = 1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bundle: a data: module bundles its text", async () => {
  const url = `data:text/javascript,${encodeURIComponent("export const answer = 6 * 7;")}`;
  const bundle = await bundleModule(url);
  assert.match(bundle.code, /answer = 6 \* 7/);
  assert.equal(bundle.hash, sha256(bundle.code));
});

test("bundle: a TypeScript tasks() module (types, a .js import of a .ts helper) bundles and runs", async () => {
  const dir = tempDir("barn-bundle-ts-");
  const installDir = tempDir("barn-bundle-ts-dst-");
  try {
    writeFileSync(join(dir, "helper.ts"), "export const times = (x: number): number => x * 10;\n");
    writeFileSync(
      join(dir, "ops.ts"),
      [
        `import { tasks } from ${JSON.stringify(BARN_URL)};`,
        'import { times } from "./helper.js";',
        "interface P { readonly x: number }",
        "enum Offset { One = 1 }",
        "function score(p: P): number { return times(p.x) + Offset.One; }",
        "export const ops = tasks(import.meta.url, { score });",
        "",
      ].join("\n"),
    );
    const url = pathToFileURL(join(dir, "ops.ts")).href;
    const bundle = await bundleModule(url);
    const plain: Extract<ShippedFn, { kind: "module" }> = {
      kind: "module",
      id: "ts-score",
      name: "score",
      url,
    };
    const cache = new FunctionCache({ bundles: new BundleStore(installDir) });
    await cache.addBundle(bundle.hash, bundle.code);
    const score = (await cache.resolve(withBundle(plain, bundle))) as (p: { x: number }) => number;
    assert.equal(score({ x: 4 }), 41);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(installDir, { recursive: true, force: true });
  }
});
