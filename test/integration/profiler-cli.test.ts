/**
 * `barn worker --profile` and `barn scheduler --profile`: real processes, a remote client, and
 * the scheduler's dashboard serving the call trees of a CPU-heavy task group at /api/profile.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Client } from "../../src/index.js";
import { killAll, startScheduler, startWorker } from "./cluster-harness.js";

after(killAll);

function heavyStep(ms: number): number {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  return x > 0 ? ms : 0;
}

async function profileGroups(
  link: string,
): Promise<{ profiling: unknown; groups: { group: string; tree: { total: number } }[] }> {
  const res = await fetch(new URL("/api/profile", link));
  return (await res.json()) as never;
}

for (const where of ["worker", "scheduler"] as const) {
  test(`barn ${where} --profile: the dashboard serves the task group's call tree`, {
    timeout: 60_000,
  }, async () => {
    const profileFlag = ["--profile", "500"];
    const { proc, address } = await startScheduler([
      "--dashboard-port",
      "0",
      ...(where === "scheduler" ? profileFlag : []),
    ]);
    const rec = await proc.waitFor((r) => r.msg === "dashboard");
    const link = String(rec.link);
    await startWorker(address, where === "worker" ? profileFlag : []);
    const first = await profileGroups(link); // opens the recorder
    assert.equal(first.profiling !== null, where === "scheduler");
    const client = await Client.connect(address, { setAsDefault: false });
    try {
      assert.equal((await client.gather(client.map(heavyStep, [200, 200, 200, 200]))).length, 4);
      const end = Date.now() + 20_000;
      let view = first;
      while (!view.groups?.some((g) => g.group === "heavyStep")) {
        assert.ok(Date.now() < end, `no heavyStep profile: ${JSON.stringify(view).slice(0, 300)}`);
        await new Promise((r) => setTimeout(r, 250));
        view = await profileGroups(link);
      }
      const g = view.groups.find((x) => x.group === "heavyStep")!;
      assert.ok(g.tree.total > 200, `${g.tree.total} ms`);
    } finally {
      await client.close();
    }
  });
}
