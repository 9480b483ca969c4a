/**
 * progress(): its frames as pure text, then on a real thread cluster as a terminal sees it
 * (bars redrawn in place) and as a log sees it (plain lines), and through barn/frame's
 * `compute({ progress })`.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { bar, renderBars, renderLine } from "../../src/diagnostics/progress-render.js";
import * as bf from "../../src/frame.js";
import { Client, delayed, progress } from "../../src/index.js";

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { isTTY, columns: 100, write: (s: string) => chunks.push(s), chunks };
}

test("frames: bars, counts, rate and ETA", () => {
  const g = { name: "inc", total: 100, done: 50, running: 10, erred: 0 };
  assert.equal(bar(g, 10), "█████▒····");
  assert.equal(bar({ ...g, done: 100, running: 0 }, 10), "██████████");
  assert.equal(bar({ ...g, done: 99, running: 0, erred: 1 }, 10), "█████████✗", "one erred shows");
  assert.equal(bar({ ...g, done: 99, running: 1 }, 10), "█████████▒", "99% is not full");
  assert.equal(bar({ ...g, total: 0, done: 0, running: 0 }, 4), "████", "empty group is complete");
  const [line] = renderBars([g], 10_000, 100);
  assert.equal(line, `inc  |${bar(g, 40)}| 50/100 10 running 5.0/s eta 10s`);
  assert.equal(
    renderLine([g, { name: "sum", total: 1, done: 0, running: 0, erred: 1 }], 10_000),
    "[barn progress 10s] inc 50/100 (10 running, 5.0/s, eta 10s); sum 0/1 (0 running, 1 erred, 0.0/s, eta 0.0s)",
  );
});

describe("progress on a thread cluster", () => {
  let client: Client;
  const ci = process.env.CI;
  before(async () => {
    client = await Client.connect({ workers: 2, setAsDefault: false });
  });
  after(async () => {
    if (ci !== undefined) process.env.CI = ci;
    await client.close();
  });

  async function nap(x: number): Promise<number> {
    await new Promise((r) => setTimeout(r, 3));
    return x;
  }

  test("not a terminal: plain periodic lines, a last one at 100%", {
    timeout: 30_000,
  }, async () => {
    const out = sink(false);
    const fs = client.map(
      nap,
      Array.from({ length: 120 }, (_, i) => i),
    );
    await progress(fs, { stream: out, intervalMs: 40 });
    assert.ok(out.chunks.length >= 2, `periodic lines: ${out.chunks.length}`);
    assert.ok(out.chunks.every((c) => c.startsWith("[barn progress") && c.endsWith("\n")));
    assert.ok(!out.chunks.join("").includes("\x1b"), "no escape codes in a log");
    assert.match(out.chunks.at(-1)!, /nap 120\/120 \(0 running/);
    assert.ok(fs.every((f) => f.status === "finished"));
  });

  test("a terminal: bars redrawn in place, every group of the graph", {
    timeout: 30_000,
  }, async () => {
    delete process.env.CI;
    const out = sink(true);
    const parts = Array.from({ length: 40 }, (_, i) => delayed(nap)(i));
    const total = delayed(function add(...xs: number[]) {
      return xs.reduce((a, b) => a + b, 0);
    })(...parts);
    const f = total.persist({ client });
    await progress(f, { stream: out, intervalMs: 20 });
    assert.equal(await f, 780);
    // ESC spelled out, so the patterns hold no control characters.
    const text = out.chunks.join("").replaceAll("\x1b", "ESC");
    assert.match(text, /ESC\[\d+F/, "moves the cursor back up to redraw");
    const last = out.chunks
      .at(-1)!
      .replaceAll("\x1b", "ESC")
      .split("\n")
      .filter((l) => l !== "");
    assert.equal(last.length, 2, "one bar per group: nap and add");
    assert.match(last[0]!, /^(ESC\[2F)?ESC\[2Knap +\|█+\| 40\/40 /);
    assert.match(last[1]!, /^ESC\[2Kadd +\|█+\| 1\/1 /);
  });

  test("CI set: plain lines even on a terminal", { timeout: 30_000 }, async () => {
    process.env.CI = "true";
    try {
      const out = sink(true);
      await progress(client.map(nap, [1, 2, 3]), { stream: out, intervalMs: 1000 });
      assert.ok(!out.chunks.join("").includes("\x1b"), "no escape codes under CI");
      assert.match(out.chunks.at(-1)!, /^\[barn progress .*nap 3\/3/);
    } finally {
      delete process.env.CI;
    }
  });

  test("erred tasks are counted, not thrown", { timeout: 30_000 }, async () => {
    const out = sink(false);
    const fs = client.map(
      function odd(x: number) {
        if (x % 2 === 1) throw new Error("odd");
        return x;
      },
      [0, 1, 2, 3],
    );
    await progress(fs, { stream: out, intervalMs: 1000 });
    assert.match(out.chunks.at(-1)!, /odd 2\/4 \(0 running, 2 erred/);
  });

  test("frame compute({ progress }) draws the frame's task groups", {
    timeout: 30_000,
  }, async () => {
    const out = sink(false);
    const rows = Array.from({ length: 1000 }, (_, i) => ({ k: i % 7, x: i }));
    const t = await bf
      .fromRecords(rows, { npartitions: 4 })
      .groupby("k")
      .agg({ x: "sum" })
      .compute({ client, progress: { stream: out, intervalMs: 1000 } });
    assert.equal(t.numRows, 7);
    const last = out.chunks.at(-1)!;
    assert.match(last, /^\[barn progress/);
    assert.ok((last.match(/(\d+)\/\1 /g) ?? []).length >= 2, `groups all done: ${last}`);
  });

  test("frame toParquet({ progress }) draws its write tasks", { timeout: 30_000 }, async () => {
    const out = sink(false);
    const dir = mkdtempSync(join(tmpdir(), "barn-progress-"));
    try {
      const rows = Array.from({ length: 100 }, (_, i) => ({ x: i }));
      const r = await bf
        .fromRecords(rows, { npartitions: 3 })
        .toParquet(dir, { client, progress: { stream: out, intervalMs: 1000 } });
      assert.equal(r.rows, 100);
      assert.match(out.chunks.at(-1)!, /write\S* 3\/3 /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
