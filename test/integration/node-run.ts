/**
 * Running a script in a fresh `node` as a user would (own flags, own working directory), with a
 * bound: a script that never exits is killed and reported, so the test fails instead of hanging.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (tests run from dist/test/...). */
export const REPO = fileURLToPath(new URL("../../../", import.meta.url));

/** A fresh folder inside the repository, so scripts there import "barn" (the package itself,
 * built) and dev dependencies such as tsx as a user's project would. */
export function repoTempDir(prefix: string): string {
  const base = join(REPO, ".tmp");
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, prefix));
}

export interface NodeRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the script was killed for running past `timeoutMs`. */
  readonly timedOut: boolean;
}

/** Run `node ...args` in `cwd`, killed after `timeoutMs`. */
export function runNode(
  args: readonly string[],
  options: { cwd: string; timeoutMs: number; node?: string; env?: NodeJS.ProcessEnv },
): Promise<NodeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.node ?? process.execPath, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so a timeout also ends the worker processes it started.
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-(child.pid ?? 0), "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, options.timeoutMs);
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** A one-line account of a run for assertion messages. */
export function describeRun(run: NodeRun): string {
  const how = run.timedOut ? "timed out" : `exit ${run.code ?? run.signal}`;
  return `${how}\n--- stdout\n${run.stdout.slice(-2000)}\n--- stderr\n${run.stderr.slice(-4000)}`;
}
