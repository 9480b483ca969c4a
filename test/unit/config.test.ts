import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../src/config/load.js";
import { CONFIG_SCHEMA, envName } from "../../src/config/schema.js";
import { adaptDefaults } from "../../src/deploy/adaptive-policy.js";
import { OptionError } from "../../src/errors.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const fmt = (v: unknown) =>
  v === undefined ? "(none)" : typeof v === "string" ? JSON.stringify(v) : String(v);

test("docs/configuration.md lists exactly the schema's settings, variables and defaults", () => {
  const md = readFileSync(join(ROOT, "docs/configuration.md"), "utf8");
  const rows = md
    .split("\n")
    .filter((l) => l.startsWith("| `"))
    .map((l) => l.split("|").map((c) => c.trim()));
  const documented = rows.map((r) => ({
    key: r[1]!.replace(/`/g, ""),
    env: r[2]!.replace(/`/g, ""),
    default: r[4],
  }));
  assert.deepEqual(
    documented,
    CONFIG_SCHEMA.map((e) => ({ key: e.key, env: envName(e.key), default: fmt(e.default) })),
  );
});

test("the schema's defaults are the ones the code falls back to", () => {
  const d = new Map(CONFIG_SCHEMA.map((e) => [e.key, e.default]));
  assert.equal(d.get("adapt.minimum"), adaptDefaults.minimum);
  assert.equal(d.get("adapt.maximum") ?? Number.POSITIVE_INFINITY, adaptDefaults.maximum);
  assert.equal(d.get("adapt.targetDuration"), adaptDefaults.targetDuration);
  assert.equal(d.get("adapt.wait"), adaptDefaults.wait);
  assert.equal(d.get("adapt.intervalMs"), adaptDefaults.intervalMs);
});

function dirs() {
  const base = mkdtempSync(join(tmpdir(), "barn-config-"));
  return {
    base,
    project: base,
    user: join(base, "user"),
    done: () => rmSync(base, { recursive: true, force: true }),
  };
}

test("precedence: environment over project file over user file over defaults", () => {
  const d = dirs();
  try {
    mkdirSync(d.user, { recursive: true });
    writeFileSync(join(d.user, "config.json"), JSON.stringify({ workers: 2, adapt: { wait: 7 } }));
    writeFileSync(join(d.project, "barn.config.json"), JSON.stringify({ workers: 3 }));
    const c = loadConfig({ env: { BARN_ADAPT_WAIT: "9" }, projectDir: d.project, userDir: d.user });
    assert.equal(c.get("workers"), 3, "the project file wins over the user's");
    assert.equal(c.get("adapt.wait"), 9, "the environment wins over both");
    assert.equal(c.get("scheduler.port"), 8786, "the default fills the rest");
    assert.equal(c.has("memoryLimit"), false);
    const b = loadConfig({
      env: { BARN_PROCESSES: "true" },
      projectDir: d.project,
      userDir: d.user,
    });
    assert.equal(b.get("processes"), true);
  } finally {
    d.done();
  }
});

test("bad settings are OptionErrors naming the file or variable and the setting", () => {
  const d = dirs();
  try {
    writeFileSync(join(d.project, "barn.config.json"), JSON.stringify({ wrokers: 3 }));
    assert.throws(
      () => loadConfig({ env: {}, projectDir: d.project, userDir: d.user }),
      (e: unknown) =>
        e instanceof OptionError &&
        /barn\.config\.json/.test(e.message) &&
        /"workers"/.test(e.message),
    );
    writeFileSync(join(d.project, "barn.config.json"), JSON.stringify({ scheduler: { port: -1 } }));
    assert.throws(
      () => loadConfig({ env: {}, projectDir: d.project, userDir: d.user }),
      /scheduler\.port must be a whole number >= 0/,
    );
    writeFileSync(join(d.project, "barn.config.json"), "{ nope");
    assert.throws(
      () => loadConfig({ env: {}, projectDir: d.project, userDir: d.user }),
      /not valid JSON/,
    );
    rmSync(join(d.project, "barn.config.json"));
    assert.throws(
      () => loadConfig({ env: { BARN_WORKERS: "many" }, projectDir: d.project, userDir: d.user }),
      /BARN_WORKERS must be a whole number/,
    );
    assert.throws(
      () => loadConfig({ env: { BARN_LOG_LEVEL: "loud" }, projectDir: d.project, userDir: d.user }),
      /BARN_LOG_LEVEL must be one of/,
    );
  } finally {
    d.done();
  }
});
