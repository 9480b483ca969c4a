/**
 * Programs as TypeScript users run them: `.ts` files under tsx or Node's type stripping, and
 * scripts given with `-e`. Their `tasks()` modules must load on worker threads and on worker
 * processes, and the parent's entry-point flags must not reach the workers.
 */
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { describeRun, REPO, repoTempDir, runNode } from "./node-run.js";

const RUN_MS = 60_000;
const TEST_MS = 90_000;

const OPS_TS = `import { tasks } from "barn";
import type { Client } from "barn";

interface Point {
  readonly x: number;
}
export type Maybe = Client | undefined;

function double(p: Point): number {
  return p.x * 2;
}

export const ops = tasks(import.meta.url, { double });
`;

const MAIN_TS = `import { Client } from "barn";
import { ops } from "./ops.ts";

const processes: boolean = process.argv[2] === "processes";
const client = await Client.connect({ workers: 1, processes });
try {
  const value: number = await client.submit(ops.double, { x: 21 });
  console.log(JSON.stringify({ value }));
} finally {
  await client.close();
}
`;

const MAIN_EVAL = (processes: boolean) => `import { Client } from "barn";
const client = await Client.connect({ workers: 1, processes: ${processes} });
try {
  console.log(JSON.stringify({ value: await client.submit((x) => x * 2, 21) }));
} finally {
  await client.close();
}`;

/** The flag that turns on Node's type stripping here, "" where it is on by default, or
 * undefined where this Node has none. */
function stripTypesFlag(): string | undefined {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  if (major > 23 || (major === 23 && minor >= 6)) return "";
  if (major >= 23 || (major === 22 && minor >= 6)) return "--experimental-strip-types";
  return undefined;
}

const TSX_CLI = join(REPO, "node_modules", "tsx", "dist", "cli.mjs");

let dir = "";
before(() => {
  dir = repoTempDir("ts-workers-");
  writeFileSync(join(dir, "ops.ts"), OPS_TS);
  writeFileSync(join(dir, "main.ts"), MAIN_TS);
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function expect42(args: readonly string[]): Promise<void> {
  const run = await runNode(args, { cwd: dir, timeoutMs: RUN_MS });
  assert.equal(run.code, 0, describeRun(run));
  assert.deepEqual(JSON.parse(run.stdout.trim().split("\n").at(-1) ?? ""), { value: 42 });
}

for (const kind of ["threads", "processes"] as const) {
  describe(`TypeScript tasks() module on ${kind}`, () => {
    test("under node --import tsx", { timeout: TEST_MS }, async () => {
      await expect42(["--import", "tsx", "main.ts", kind]);
    });

    test("under the tsx command", { timeout: TEST_MS }, async () => {
      await expect42([TSX_CLI, "main.ts", kind]);
    });

    const flag = stripTypesFlag();
    test("under Node's type stripping", {
      timeout: TEST_MS,
      skip:
        flag === undefined &&
        `Node ${process.version} has no type stripping (it came in 22.6; default from 23.6)`,
    }, async () => {
      await expect42([...(flag ? [flag] : []), "main.ts", kind]);
    });
  });

  test(`a script given with --input-type=module -e starts ${kind}`, {
    timeout: TEST_MS,
  }, async () => {
    await expect42(["--input-type=module", "-e", MAIN_EVAL(kind === "processes")]);
  });
}
