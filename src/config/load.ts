/**
 * Reading the configuration: the environment (BARN_*), then barn.config.json in the project
 * directory (the current one), then the user's (`$XDG_CONFIG_HOME/barn/config.json`, else
 * `~/.config/barn/config.json`; `%APPDATA%\barn\config.json` on Windows), then the schema's
 * defaults. Options given in code win over all of them. A bad value, an unknown key or
 * unreadable JSON is an OptionError naming the file (or variable) and the key.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { OptionError } from "../errors.js";
import { CONFIG_SCHEMA, type ConfigEntry, envName } from "./schema.js";

export type ConfigValue = number | boolean | string;

export interface ConfigSources {
  /** Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Default: process.cwd(). */
  readonly projectDir?: string | undefined;
  /** Default: the user's config directory (see above). */
  readonly userDir?: string | undefined;
}

export const CONFIG_FILE = "barn.config.json";

/** The user's config directory for Barn. */
export function userConfigDir(env: Readonly<Record<string, string | undefined>>): string {
  if (process.platform === "win32" && env.APPDATA) return join(env.APPDATA, "barn");
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, "barn");
  return join(homedir(), ".config", "barn");
}

/** Every setting with a value from some source (defaults included), by dotted key. */
export function loadConfig(sources: ConfigSources = {}): ReadonlyMap<string, ConfigValue> {
  const env = sources.env ?? process.env;
  const out = new Map<string, ConfigValue>();
  for (const e of CONFIG_SCHEMA) if (e.default !== undefined) out.set(e.key, e.default);
  const files = [
    join(sources.userDir ?? userConfigDir(env), "config.json"),
    join(sources.projectDir ?? process.cwd(), CONFIG_FILE),
  ];
  for (const file of files) {
    if (!existsSync(file)) continue;
    for (const [k, v] of readFile(file)) out.set(k, v);
  }
  for (const e of CONFIG_SCHEMA) {
    const raw = env[envName(e.key)];
    if (raw !== undefined && raw !== "") out.set(e.key, parseEnv(e, raw));
  }
  return out;
}

/** Process-wide configuration, read once (tests pass sources to loadConfig instead). */
let cached: ReadonlyMap<string, ConfigValue> | undefined;
export function config(): ReadonlyMap<string, ConfigValue> {
  cached ??= loadConfig();
  return cached;
}

/** Forget the cached configuration (the next config() reads again). */
export function resetConfig(): void {
  cached = undefined;
}

function readFile(file: string): Map<string, ConfigValue> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new OptionError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new OptionError(`${file} must hold a JSON object of settings`);
  }
  const out = new Map<string, ConfigValue>();
  flatten(json as Record<string, unknown>, "", file, out);
  return out;
}

function flatten(
  obj: Record<string, unknown>,
  prefix: string,
  file: string,
  out: Map<string, ConfigValue>,
): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix + k;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      if (!CONFIG_SCHEMA.some((e) => e.key.startsWith(`${key}.`))) throw unknownKey(key, file);
      flatten(v as Record<string, unknown>, `${key}.`, file, out);
      continue;
    }
    const e = CONFIG_SCHEMA.find((x) => x.key === key);
    if (e === undefined) throw unknownKey(key, file);
    out.set(key, check(e, v, `${file}: ${key}`));
  }
}

function unknownKey(key: string, where: string): OptionError {
  const near = closest(key);
  return new OptionError(
    `${where}: unknown setting "${key}"${near ? `; did you mean "${near}"?` : ""} (docs/configuration.md lists them)`,
  );
}

function parseEnv(e: ConfigEntry, raw: string): ConfigValue {
  const where = envName(e.key);
  if (e.type === "boolean") {
    if (/^(1|true|yes)$/i.test(raw)) return true;
    if (/^(0|false|no)$/i.test(raw)) return false;
    throw new OptionError(`${where} must be true or false; got ${JSON.stringify(raw)}`);
  }
  if (e.type === "integer" || e.type === "number") return check(e, Number(raw), where, raw);
  return check(e, raw, where);
}

/** The value if it fits the entry's type; else an OptionError saying where it came from. */
export function check(e: ConfigEntry, v: unknown, where: string, raw: unknown = v): ConfigValue {
  const bad = (what: string) =>
    new OptionError(`${where} must be ${what}; got ${JSON.stringify(raw)}`);
  switch (e.type) {
    case "integer": {
      const min = e.min ?? 1;
      if (!(typeof v === "number" && Number.isInteger(v) && v >= min)) {
        throw bad(`a whole number >= ${min}`);
      }
      return v;
    }
    case "number":
      if (!(typeof v === "number" && Number.isFinite(v) && v > 0)) throw bad("a positive number");
      return v;
    case "boolean":
      if (typeof v !== "boolean") throw bad("true or false");
      return v;
    case "bytes":
      if (!((typeof v === "number" && v > 0) || (typeof v === "string" && v !== ""))) {
        throw bad('a number of bytes or a size such as "4GiB"');
      }
      return v;
    case "string":
      if (typeof v !== "string" || v === "") throw bad("a non-empty string");
      if (e.choices !== undefined && !e.choices.includes(v)) {
        throw bad(`one of ${e.choices.join(", ")}`);
      }
      return v;
    default:
      return e.type satisfies never;
  }
}

function closest(key: string): string | undefined {
  let best: string | undefined;
  let bestD = 4;
  for (const e of CONFIG_SCHEMA) {
    const d = distance(key.toLowerCase(), e.key.toLowerCase());
    if (d < bestD) {
      best = e.key;
      bestD = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
