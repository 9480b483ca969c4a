/**
 * Property: whatever a small graph does (tasks that throw, return values that cannot be
 * copied, futures released, cancelled or awaited after release), every awaited Future settles
 * within a bound, with its value or a BarnError whose code its history allows, and the cluster
 * computes correctly afterwards. On worker threads and on worker processes.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { BarnError, Client, ErrorCodes, type Future } from "../../src/index.js";

/** What a node's task does. */
type Kind = "ok" | "throw" | "uncopyable";
/** What the test does with the node's future after submitting the graph. */
type Action = "await" | "release" | "cancel" | "await-then-release" | "none";

interface Node {
  readonly kind: Kind;
  /** Indexes of earlier nodes whose values this one takes. */
  readonly deps: readonly number[];
  readonly action: Action;
}

const nodeArb = (i: number) =>
  fc.record({
    kind: fc.constantFrom<Kind>("ok", "ok", "ok", "throw", "uncopyable"),
    deps: i === 0 ? fc.constant([]) : fc.uniqueArray(fc.nat(i - 1), { maxLength: 3 }),
    action: fc.constantFrom<Action>(
      "await",
      "await",
      "release",
      "cancel",
      "await-then-release",
      "none",
    ),
  });

const graphArb = fc
  .integer({ min: 1, max: 8 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => nodeArb(i))));

const KIND_CODE = { ok: 0, throw: 1, uncopyable: 2 } as const;

/** The task every node runs: its index plus its inputs, or a failure of its kind. */
function step(kind: number, i: number, ...inputs: number[]): unknown {
  if (kind === 1) throw new Error(`node ${i} throws`);
  if (kind === 2) return { value: i, callback: () => i };
  return inputs.reduce((a, b) => a + b, i);
}

/** Plain JS: each node's value, or undefined where it or an input fails. */
function oracle(nodes: readonly Node[]): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  nodes.forEach((n, i) => {
    const inputs = n.deps.map((d) => out[d]);
    out.push(
      n.kind !== "ok" || inputs.some((v) => v === undefined)
        ? undefined
        : inputs.reduce<number>((a, b) => a + b!, i),
    );
  });
  return out;
}

/** Codes node `i` may settle with, given what it and its ancestors do. */
function allowedCodes(
  nodes: readonly Node[],
  i: number,
  awaitedAfterRelease: boolean,
): Set<string> {
  const codes = new Set<string>();
  if (awaitedAfterRelease) codes.add(ErrorCodes.FUTURE_RELEASED);
  const seen = new Set<number>();
  const stack = [i];
  while (stack.length > 0) {
    const j = stack.pop()!;
    if (seen.has(j)) continue;
    seen.add(j);
    const n = nodes[j]!;
    if (n.kind === "throw") codes.add(ErrorCodes.TASK_FAILED);
    if (n.kind === "uncopyable") codes.add(ErrorCodes.RESULT_NOT_SERIALIZABLE);
    if (n.action === "cancel") codes.add(ErrorCodes.CANCELLED);
    stack.push(...n.deps);
  }
  return codes;
}

/** The future's outcome, or a failure when it does not settle within `ms`. */
async function settle(f: Future, ms: number): Promise<{ value?: unknown; error?: unknown }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`future ${f.key} did not settle in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([
      f.result().then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      limit,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function runGraph(client: Client, nodes: readonly Node[]): Promise<void> {
  const futures: Future[] = [];
  nodes.forEach((n, i) => {
    futures.push(
      client.submit(step, KIND_CODE[n.kind], i, ...n.deps.map((d) => futures[d] as Future<number>)),
    );
  });
  const expected = oracle(nodes);
  const checks: Promise<void>[] = [];
  nodes.forEach((n, i) => {
    const f = futures[i]!;
    const check = async (afterRelease: boolean) => {
      const got = await settle(f, 15_000);
      const allowed = allowedCodes(nodes, i, afterRelease);
      if ("value" in got && !("error" in got)) {
        assert.ok(
          !afterRelease && expected[i] !== undefined,
          `node ${i} gave ${String(got.value)}; expected an error with one of ${[...allowed]}`,
        );
        assert.equal(got.value, expected[i], `node ${i}`);
        return;
      }
      const e = got.error;
      assert.ok(e instanceof BarnError, `node ${i} rejected with a BarnError, got ${String(e)}`);
      assert.ok(
        allowed.has(e.code),
        `node ${i}: code ${e.code} not in ${[...allowed]}: ${e.message}`,
      );
    };
    switch (n.action) {
      case "await":
        checks.push(check(false));
        break;
      case "release":
        f.release();
        checks.push(check(true));
        break;
      case "cancel":
        void client.cancel(f);
        checks.push(check(false));
        break;
      case "await-then-release":
        checks.push(
          check(false).then(async () => {
            f.release();
            await check(true);
          }),
        );
        break;
      case "none":
        break;
      default:
        n.action satisfies never;
    }
  });
  await Promise.all(checks);
  for (const f of futures) f.release();
}

for (const processes of [false, true]) {
  const kind = processes ? "worker processes" : "worker threads";
  describe(`random graphs with failures, releases and cancels on ${kind}`, {
    timeout: 180_000,
  }, () => {
    let client: Client;
    before(async () => {
      client = await Client.connect({
        workers: 2,
        processes,
        setAsDefault: false,
        schedulerConfig: { validate: true },
      });
    });
    after(async () => {
      await client?.close();
    });

    test("every future settles with its value or an allowed code; the cluster still computes", {
      timeout: 150_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(graphArb, async (nodes) => {
          await runGraph(client, nodes);
          const check = client.map((x: number) => x * 2, [1, 2, 3]);
          assert.deepEqual(await client.gather(check, { release: true }), [2, 4, 6]);
        }),
        { numRuns: processes ? 50 : 100 },
      );
    });
  });
}
