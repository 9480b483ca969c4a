import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { BarnError, ErrorCodes, type ErrorData, OptionError } from "../../../src/errors.js";
import { moduleRefOf, resolveModuleFunction, tasks } from "../../../src/shipping/modules.js";
import { type ShippedFn, shipFunction } from "../../../src/shipping/ship.js";
import { preloadSpecifiers } from "../../../src/shipping/typescript.js";
import { ops } from "./fixtures/ops.js";

const OPS_URL = new URL("./fixtures/ops.js", import.meta.url).href;

type Reply = { ok: true; value: unknown } | { ok: false; error: ErrorData };

/** Run a shipped function in a fresh worker thread, as the scheduler's workers will. */
async function runInWorker(shipped: ShippedFn, args: unknown[]): Promise<Reply> {
  const worker = new Worker(new URL("./fixtures/worker.js", import.meta.url));
  try {
    const reply = new Promise<Reply>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    worker.postMessage({ shipped, args });
    return await reply;
  } finally {
    await worker.terminate();
  }
}

test("tasks: returns the functions unchanged and tags each with its module", () => {
  assert.equal(ops.label("/tmp/data.csv"), "data.csv!");
  assert.deepEqual(moduleRefOf(ops.scale), { url: OPS_URL, name: "scale" });
  assert.equal(
    moduleRefOf(() => 1),
    undefined,
  );
});

test("tasks: accepts a data: URL", () => {
  const inline = { triple: (x: number) => 3 * x };
  assert.equal(tasks("data:text/javascript,export{}", inline), inline);
});

test("tasks: a module URL that is not import.meta.url is an OptionError with the fix", () => {
  for (const bad of ["/work/ops.ts", "ops", "https://example.com/ops.js"]) {
    assert.throws(
      () => tasks(bad, { f: () => 1 }),
      (err: unknown) => err instanceof OptionError && /tasks\(import\.meta\.url/.test(err.message),
    );
  }
});

test("tasks: a value that is not a function is an OptionError naming it", () => {
  const fns = { ok: () => 1, nope: 3 } as unknown as Record<string, Function>;
  assert.throws(() => tasks(OPS_URL, fns), /fns\.nope must be a function/);
});

test("resolveModuleFunction: finds the registered function", async () => {
  assert.equal(await resolveModuleFunction(OPS_URL, "label"), ops.label);
});

test("resolveModuleFunction: an unknown name is FUNCTION_NOT_FOUND naming url, name and fix", async () => {
  await assert.rejects(resolveModuleFunction(OPS_URL, "missing"), (err: unknown) => {
    assert.ok(err instanceof BarnError);
    assert.equal(err.code, ErrorCodes.FUNCTION_NOT_FOUND);
    assert.match(err.message, /"missing"/);
    assert.ok(err.message.includes(OPS_URL));
    assert.match(err.message, /registers "label", "scale" with tasks\(\)/);
    assert.match(err.message, /tasks\(import\.meta\.url, \{ missing \}\)/);
    return true;
  });
});

test("resolveModuleFunction: a module that cannot be imported is FUNCTION_NOT_FOUND", async () => {
  const url = new URL("./fixtures/nowhere.js", import.meta.url).href;
  await assert.rejects(
    resolveModuleFunction(url, "f"),
    (err: unknown) =>
      err instanceof BarnError &&
      err.code === ErrorCodes.FUNCTION_NOT_FOUND &&
      /importing .*nowhere\.js failed/.test(err.message),
  );
});

test("worker: a module reference runs with its imports and captured constants", async () => {
  assert.deepEqual(await runInWorker(shipFunction(ops.label), ["/x/y/report.txt"]), {
    ok: true,
    value: "report.txt!",
  });
  assert.deepEqual(await runInWorker(shipFunction(ops.scale), [4.2]), { ok: true, value: 42 });
});

test("worker: an unknown module function comes back as FUNCTION_NOT_FOUND", async () => {
  const shipped: ShippedFn = { kind: "module", id: "x", name: "missing", url: OPS_URL };
  const reply = await runInWorker(shipped, []);
  assert.equal(reply.ok, false);
  assert.equal(!reply.ok && reply.error.code, ErrorCodes.FUNCTION_NOT_FOUND);
});

test("worker: source that imports what it needs dynamically runs there", async () => {
  const fn = async (...parts: string[]) => {
    const { join } = await import("node:path");
    const { isMainThread } = await import("node:worker_threads");
    return `${join(...parts)} ${isMainThread ? "main" : "worker"}`;
  };
  const shipped = shipFunction(fn);
  assert.equal(shipped.kind, "source");
  assert.deepEqual(await runInWorker(shipped, ["a", "b"]), { ok: true, value: "a/b worker" });
});

test("resolveModuleFunction: a TypeScript module this Node cannot load says how to run it", async () => {
  // .tsx: no Node strips it, so this fails the same way on Node 20 and on Node 24.
  const dir = mkdtempSync(join(tmpdir(), "barn-tsx-"));
  try {
    writeFileSync(join(dir, "ops.tsx"), "export const x: number = 1;\n");
    const url = pathToFileURL(join(dir, "ops.tsx")).href;
    await assert.rejects(resolveModuleFunction(url, "score"), (err: unknown) => {
      assert.ok(err instanceof BarnError);
      assert.equal(err.code, ErrorCodes.FUNCTION_NOT_FOUND);
      assert.match(err.message, /Unknown file extension/);
      assert.match(err.message, /Fix: start the program with tsx \(`node --import tsx main\.ts`/);
      assert.doesNotMatch(err.message, /exist at the same path/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("preloadSpecifiers: the modules --import, --loader and --require name, in order", () => {
  assert.deepEqual(
    preloadSpecifiers([
      "--import",
      "tsx",
      "--conditions=dev",
      "--require=./a.cjs",
      "-r",
      "b",
      "--experimental-loader",
      "file:///l.mjs",
    ]),
    ["tsx", "./a.cjs", "b", "file:///l.mjs"],
  );
});
