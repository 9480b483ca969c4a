/**
 * client.profile(fn, { sample }): fn runs on a sync client in this thread under the CPU
 * profiler; the CPU time of each task group comes back as a call tree holding the function
 * that burned it, with the top functions and a text rendering; the caller's default client is
 * the default again afterwards.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Client, delayed } from "../../src/index.js";
import type { CallTree } from "../../src/protocol/profile.js";

function crunch(n: number): number {
  let x = 0;
  const end = Date.now() + n;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  return x > 0 ? n : 0;
}

function addAll(...xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function names(t: CallTree, out = new Set<string>()): Set<string> {
  out.add(t.name);
  for (const c of t.children) names(c, out);
  return out;
}

test("client.profile returns per-group call trees of a sample run inline", {
  timeout: 60_000,
}, async () => {
  const client = await Client.connect({ workers: 1, dashboard: false });
  try {
    const result = await client.profile(
      async (sample: number[], c) => {
        assert.equal(c.scheduler, "sync");
        assert.equal(Client.current(), c, "the sync client is the default meanwhile");
        const parts = c.map(crunch, sample);
        const total = await c.submit(addAll, ...parts);
        const viaDelayed = await delayed(crunch)(30).compute();
        return total + viaDelayed;
      },
      { sample: [40, 40, 40] },
    );
    assert.equal(result.value, 150);
    const crunchGroup = result.groups.find((g) => g.group === "crunch");
    assert.ok(crunchGroup, `groups: ${result.groups.map((g) => g.group).join(", ")}`);
    assert.ok(names(crunchGroup.tree).has("crunch"));
    assert.ok(crunchGroup.tree.total > 60, `${crunchGroup.tree.total} ms in crunch`);
    assert.equal(result.groups[0]!.group, "crunch", "most time first");
    assert.ok(
      result.top.some((f) => f.name === "crunch"),
      JSON.stringify(result.top.slice(0, 5)),
    );
    assert.ok(names(result.tree).has("crunch"), "the whole thread's tree holds it too");
    assert.match(result.toText(), /task group crunch: .* ms/);
    assert.equal(Client.current(), client, "the caller's default client is back");
  } finally {
    await client.close();
  }
});

test("client.profile rejects a bad function or interval by name", async () => {
  const client = await Client.connect({ scheduler: "sync" });
  try {
    await assert.rejects(client.profile(42 as never), /fn must be a function/);
    await assert.rejects(
      client.profile(() => 1, { intervalUs: 1 }),
      /intervalUs/,
    );
    await assert.rejects(
      client.profile(() => {
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.equal(Client.current(), client);
  } finally {
    await client.close();
  }
});
