/**
 * Structured logs: one JSON object per line on stderr (time, level, component, msg, fields).
 * The CLI's `--log-level` picks the threshold. Callers never pass secrets: tokens and keys of
 * TLS certificates are not fields of any log line.
 */

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error", "silent"];

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger for a sub-component, same level and sink. */
  child(component: string): Logger;
}

export interface LoggerOptions {
  readonly level?: LogLevel | undefined;
  readonly component?: string | undefined;
  /** Where lines go. Default: process.stderr. */
  readonly write?: ((line: string) => void) | undefined;
}

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = RANK[options.level ?? "info"];
  const component = options.component ?? "barn";
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < threshold) return;
    const rec = { time: new Date().toISOString(), level, component, msg, ...fields };
    write(`${JSON.stringify(rec, replacer)}\n`);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (c) => createLogger({ ...options, component: `${component}.${c}` }),
  };
}

/** A logger that drops everything (library use without a CLI). */
export const silentLogger: Logger = createLogger({ level: "silent" });

function replacer(_key: string, v: unknown): unknown {
  if (v instanceof Error || isErrorLike(v)) {
    const e = v as { name?: unknown; message: string; code?: unknown };
    return { name: e.name, message: e.message, code: e.code };
  }
  if (typeof v === "bigint") return v.toString();
  return v;
}

/**
 * An error from another realm or thread (a DOMException posted out of a worker thread arrives
 * as an object whose fields are not enumerable): JSON.stringify would write `{}` and lose why.
 */
function isErrorLike(v: unknown): boolean {
  return (
    typeof v === "object" &&
    v !== null &&
    typeof (v as { message?: unknown }).message === "string" &&
    Object.keys(v).length === 0
  );
}
