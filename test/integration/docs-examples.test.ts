/**
 * Every ```ts block of README.md and docs/*.md, as a user would copy it: type-checked under the
 * project's strict tsconfig against the built package ("barn", "barn/frame", "barn/tasks"), then
 * run in a fresh node with a time limit, so an example that fails, or never exits (a client left
 * open), fails here.
 *
 * An HTML comment on the line(s) right before a block changes how it is treated:
 * - `<!-- not-run: why -->`: type-checked only (it needs a remote cluster or files);
 * - `<!-- file: ops.ts -->`: a module other blocks import as "./ops.js" (checked, not run);
 * - `<!-- in: src -->`: an internal API; its "./x.js" imports are the build's src/x.js.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { describeRun, REPO, repoTempDir, runNode } from "./node-run.js";

const RUN_MS = 60_000;
const MARKER = /^\s*<!--\s*(not-run|file|in):\s*(.*?)\s*-->\s*$/;

interface Block {
  /** Where it is, e.g. docs/guide.md:42 (the line of the opening fence). */
  readonly where: string;
  /** The file it is written to: ops.ts for `file:` blocks, else a name from `where`. */
  readonly file: string;
  readonly code: string;
  readonly notRun: string | undefined;
  readonly isModule: boolean;
}

/** The ```ts blocks of one markdown file, with the markers before them. */
function blocksOf(path: string, text: string): Block[] {
  const lines = text.split("\n");
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```ts\s*$/.exec(lines[i] ?? "");
    if (open === null) continue;
    const indent = open[1]?.length ?? 0;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i] ?? ""); i++) {
      body.push((lines[i] ?? "").slice(indent));
    }
    const markers = new Map<string, string>();
    for (let j = start - 1; j >= 0; j--) {
      const m = MARKER.exec(lines[j] ?? "");
      if (m === null) break;
      markers.set(m[1] ?? "", m[2] ?? "");
    }
    const where = `${path}:${start + 1}`;
    const name = markers.get("file");
    const srcRoot = markers.has("in") ? join(REPO, "dist", markers.get("in") ?? "src") : undefined;
    let code = body.join("\n");
    if (srcRoot !== undefined) {
      code = code.replace(
        /from "\.\/([^"]+)"/g,
        (_m, rel: string) => `from "${join(srcRoot, rel)}"`,
      );
    }
    out.push({
      where,
      file: name ?? `${where.replace(/[^A-Za-z0-9]+/g, "_")}.ts`,
      // A module even without imports, as every example says it runs in an ES module.
      code: `${code}\nexport {};\n`,
      notRun: name !== undefined ? "a module other examples import" : markers.get("not-run"),
      isModule: name !== undefined,
    });
  }
  return out;
}

function docFiles(): string[] {
  const docs = readdirSync(join(REPO, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`);
  return ["README.md", ...docs];
}

const blocks = docFiles().flatMap((f) => blocksOf(f, readFileSync(join(REPO, f), "utf8")));

let dir = "";
/** tsc's errors per written file. */
const errors = new Map<string, string[]>();

before(() => {
  dir = repoTempDir("docs-");
  for (const b of blocks) writeFileSync(join(dir, b.file), b.code);
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      extends: join(REPO, "tsconfig.json"),
      compilerOptions: { rootDir: ".", outDir: "out", declaration: false, sourceMap: false },
      include: ["*.ts"],
    }),
  );
  const tsc = join(REPO, "node_modules", "typescript", "bin", "tsc");
  const res = spawnSync(process.execPath, [tsc, "-p", dir, "--pretty", "false"], {
    cwd: dir,
    encoding: "utf8",
    timeout: 120_000,
  });
  let current: string[] | undefined;
  for (const line of res.stdout.split("\n")) {
    const m = /^([^(\s]+\.ts)\(\d+,\d+\): error/.exec(line);
    if (m !== null) {
      const file = basename(m[1] ?? "");
      current = errors.get(file) ?? [];
      errors.set(file, current);
      current.push(line);
    } else if (line.startsWith(" ") && current !== undefined) current.push(line);
  }
  if (res.status !== 0 && errors.size === 0) {
    throw new Error(`tsc failed without file errors: ${res.stdout}${res.stderr}`);
  }
});

// BARN_KEEP_DOCS=1 keeps the folder (its out/ holds each example's compiled .js) to look into.
after(() => {
  if (process.env.BARN_KEEP_DOCS === "1") console.log(`docs examples kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
});

test("docs: the examples are found", () => {
  assert.ok(blocks.length >= 20, `only ${blocks.length} blocks found`);
  assert.ok(blocks.filter((b) => b.notRun === undefined).length >= 10, "most examples must run");
});

describe("docs examples", () => {
  for (const b of blocks) {
    test(`${b.where} type-checks`, () => {
      const found = errors.get(b.file) ?? [];
      assert.equal(found.length, 0, `${b.where}:\n${found.join("\n")}\n--- code\n${b.code}`);
    });
    test(`${b.where} runs and exits`, {
      timeout: RUN_MS + 30_000,
      skip: b.notRun ?? false,
    }, async () => {
      assert.equal((errors.get(b.file) ?? []).length, 0, "does not type-check");
      const js = join("out", b.file.replace(/\.ts$/, ".js"));
      const env = { ...process.env };
      delete env.BARN_TOKEN;
      const run = await runNode([js], { cwd: dir, timeoutMs: RUN_MS, env });
      assert.equal(run.code, 0, `${b.where}: ${describeRun(run)}`);
    });
  }
});
