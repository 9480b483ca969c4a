/**
 * The profiler on real clusters: with `profile` on, every worker's task thread (threads and
 * processes) samples itself, and the call trees of a CPU-heavy task group reach the
 * `barn:profile` channel in the scheduler's process, attributed to that group, with the
 * function that burned the time in them. Off, nothing is published.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ProfileEvent, subscribe } from "../../src/diagnostics/channels.js";
import { Client } from "../../src/index.js";
import type { CallTree } from "../../src/protocol/profile.js";

function spinHot(ms: number): number {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  return x > 0 ? 1 : 0;
}

function names(t: CallTree, out = new Set<string>()): Set<string> {
  out.add(t.name);
  for (const c of t.children) names(c, out);
  return out;
}

async function until(ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("profiler", () => {
  for (const processes of [false, true]) {
    test(`${processes ? "process" : "thread"} workers send call trees per task group`, {
      timeout: 60_000,
    }, async () => {
      const events: ProfileEvent[] = [];
      const off = subscribe("profile", (e) => events.push(e));
      const client = await Client.connect({
        workers: 2,
        processes,
        dashboard: false,
        setAsDefault: false,
        profile: { intervalUs: 500, periodMs: 300 },
      });
      try {
        const futures = client.map(spinHot, [150, 150, 150, 150, 150, 150]);
        await client.gather(futures);
        await until(() => events.some((e) => e.groups.some((g) => g.group === "spinHot")), 15_000);
        const trees = events.flatMap((e) => e.groups.filter((g) => g.group === "spinHot"));
        const seen = new Set<string>();
        for (const g of trees) names(g.tree, seen);
        assert.ok(
          seen.has("spinHot"),
          `spinHot in the trees: ${[...seen].slice(0, 20).join(", ")}`,
        );
        const ms = trees.reduce((a, g) => a + g.tree.total, 0);
        assert.ok(ms > 100, `${ms} ms sampled in spinHot's tasks`);
      } finally {
        off();
        await client.close();
      }
    });
  }

  test("off by default: no profile reaches the channel", { timeout: 30_000 }, async () => {
    const events: ProfileEvent[] = [];
    const off = subscribe("profile", (e) => events.push(e));
    const client = await Client.connect({ workers: 1, dashboard: false, setAsDefault: false });
    try {
      await client.gather(client.map(spinHot, [100, 100, 100]));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(events.length, 0);
    } finally {
      off();
      await client.close();
    }
  });
});
