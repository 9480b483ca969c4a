import assert from "node:assert/strict";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import {
  childProcessExecArgv,
  withoutInvalidFlags,
  workerThreadExecArgv,
} from "../../../src/deploy/exec-argv.js";

test("exec-argv: a thread keeps loader flags and drops the entry point's", () => {
  const parent = [
    "--input-type=module",
    "-e",
    "console.log(1)",
    "--import",
    "tsx",
    "--conditions=development",
    "-C",
    "custom",
    "--require",
    "./setup.cjs",
    "--experimental-strip-types",
    "--enable-source-maps",
    "--max-old-space-size=4096",
    "--test",
    "--test-reporter",
    "spec",
    "--watch",
    "--inspect=9229",
    "--cpu-prof",
  ];
  assert.deepEqual(workerThreadExecArgv(parent), [
    "--import",
    "tsx",
    "--conditions=development",
    "-C",
    "custom",
    "--require",
    "./setup.cjs",
    "--experimental-strip-types",
    "--enable-source-maps",
    "--cpu-prof",
  ]);
});

test("exec-argv: a child process also keeps process-wide flags such as the heap size", () => {
  assert.deepEqual(
    childProcessExecArgv(["--eval", "x", "--max-old-space-size=4096", "--import=tsx", "-p", "1"]),
    ["--max-old-space-size=4096", "--import=tsx"],
  );
});

test("exec-argv: a value that looks like a flag stays with -e", () => {
  assert.deepEqual(workerThreadExecArgv(["-e", "-1", "--no-warnings"]), ["--no-warnings"]);
});

test("exec-argv: the flags Node rejects in a thread are dropped on retry", () => {
  const argv = ["--import", "tsx", "--some-v8-flag=3", "--no-warnings"];
  let thrown: unknown;
  try {
    new Worker("", { eval: true, execArgv: ["--some-v8-flag=3"] }).terminate();
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown !== undefined, "Node accepted a made-up flag in a worker thread");
  assert.deepEqual(withoutInvalidFlags(argv, thrown), ["--import", "tsx", "--no-warnings"]);
  assert.equal(withoutInvalidFlags(argv, new Error("other")), undefined);
});
