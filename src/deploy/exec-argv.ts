/**
 * Which of this process's Node flags (`process.execArgv`) a worker gets. Workers must load the
 * user's modules the way the parent does (`--import tsx`, `--conditions`, type stripping), but
 * not re-run what only made sense for the parent's entry point: `node --input-type=module -e`
 * handed to a worker thread makes it refuse its own entry file, `--test` or `--watch` would run
 * the test runner or watcher again, `--inspect` would fight over the parent's port. Profiling
 * flags (`--cpu-prof`) stay: a profile per thread is what bench/profile-top.js reads. Pure: the
 * caller passes the flags in.
 */

/** One option as Node received it: `--flag`, `--flag=value`, or `--flag` and its value. */
type Option = readonly string[];

/** Options whose value may come as the next token (so it is never read as a flag). */
const TAKES_VALUE = new Set([
  "-e",
  "--eval",
  "-p",
  "--print",
  "-r",
  "--require",
  "--import",
  "--loader",
  "--experimental-loader",
  "-C",
  "--conditions",
  "--input-type",
  "--env-file",
  "--env-file-if-exists",
  "--watch-path",
  "--inspect-port",
  "--debug-port",
  "--title",
  "--disable-warning",
  "--run",
  "--test-reporter",
  "--test-reporter-destination",
  "--test-name-pattern",
  "--test-skip-pattern",
  "--test-concurrency",
  "--test-timeout",
  "--test-shard",
]);

/** Flags that belong to the parent's entry point or tooling, never to a worker. */
const ENTRY_ONLY = [
  "-e",
  "--eval",
  "-p",
  "--print",
  "--input-type",
  "-i",
  "--interactive",
  "-c",
  "--check",
  "--test",
  "--test-*",
  "--experimental-test-*",
  "--watch",
  "--watch-*",
  "--inspect",
  "--inspect-*",
  "--debug*",
  "--run",
  "--env-file",
  "--env-file-if-exists",
  "--build-snapshot",
  "--snapshot-blob",
  "--experimental-sea-config",
  "--title",
];

/**
 * Flags Node refuses in a worker thread's execArgv (per-process and V8 options): the thread's
 * heap limit comes from `resourceLimits` instead. Flags missing here are caught at spawn time
 * (see {@link invalidWorkerFlags}).
 */
const PROCESS_ONLY = [
  "--max-old-space-size",
  "--max-semi-space-size",
  "--stack-trace-limit",
  "--expose-gc",
  "--expose_gc",
  "--experimental-default-type",
];

/** The parent's flags a worker thread should start with. */
export function workerThreadExecArgv(execArgv: readonly string[]): string[] {
  return keep(execArgv, (name) => !matches(name, ENTRY_ONLY) && !matches(name, PROCESS_ONLY));
}

/** The parent's flags a worker child process (`processes: true`) should start with. */
export function childProcessExecArgv(execArgv: readonly string[]): string[] {
  return keep(execArgv, (name) => !matches(name, ENTRY_ONLY));
}

/**
 * `argv` without the flags that Node named in an ERR_WORKER_INVALID_EXEC_ARGV message
 * ("Initiated Worker with invalid execArgv flags: --a, --b=1"), or undefined when `err` is not
 * that error: one flag Node rejects must not stop a cluster that works without it.
 */
export function withoutInvalidFlags(argv: readonly string[], err: unknown): string[] | undefined {
  const bad = invalidWorkerFlags(err);
  if (bad === undefined) return undefined;
  return keep(argv, (_name, option) => !option.some((t) => bad.has(t)));
}

function invalidWorkerFlags(err: unknown): Set<string> | undefined {
  if ((err as { code?: unknown } | null)?.code !== "ERR_WORKER_INVALID_EXEC_ARGV") return undefined;
  const listed = String((err as Error).message).split("flags:")[1];
  if (listed === undefined) return undefined;
  return new Set(listed.split(",").map((s) => s.trim().split(" ")[0] ?? ""));
}

/** The flags of `execArgv` (with their values) for which `wanted` holds. */
function keep(
  execArgv: readonly string[],
  wanted: (name: string, option: Option) => boolean,
): string[] {
  return options(execArgv)
    .filter((o) => wanted(nameOf(o[0] ?? ""), o))
    .flat();
}

/** Group tokens into options. execArgv holds no script or positional argument, so a token that
 * does not start with "-" is the value of the option before it. */
function options(execArgv: readonly string[]): Option[] {
  const out: string[][] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const token = execArgv[i] ?? "";
    const next = execArgv[i + 1];
    const separateValue =
      !token.includes("=") &&
      next !== undefined &&
      (TAKES_VALUE.has(token) || !next.startsWith("-"));
    if (separateValue) {
      out.push([token, next]);
      i++;
    } else out.push([token]);
  }
  return out;
}

function nameOf(token: string): string {
  const eq = token.indexOf("=");
  return eq === -1 ? token : token.slice(0, eq);
}

function matches(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith("*") ? name.startsWith(p.slice(0, -1)) : name === p));
}
