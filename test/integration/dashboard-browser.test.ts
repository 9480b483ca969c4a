/**
 * The dashboard in a real browser: Debian's chromium, headless, driven by playwright-core,
 * opens the page of a thread cluster and of a process cluster while a computation runs, and
 * checks that the task stream, the progress bars and the memory chart receive data; then opens
 * a performance report offline and finds the task counts the diagnostics channels recorded
 * and a flame graph. The profile view, switched on from the page, draws a flame graph of a
 * CPU-heavy task group; the graph view draws a small computation's tasks.
 * Screenshots go to test-artifacts/. Skipped, saying why, only where chromium is not installed.
 *
 * Code that runs in the page is written as strings: the tests compile without the DOM types.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { subscribe } from "../../src/diagnostics/channels.js";
import { Client, performanceReport } from "../../src/index.js";

const CHROMIUM = process.env.BARN_CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = join(process.cwd(), "test-artifacts");
const skip = existsSync(CHROMIUM)
  ? false
  : `no chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does), or set BARN_CHROMIUM`;

async function sleepy(x: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 8));
  return x;
}

/** A CPU-heavy task: the profiler's samples land in it. */
function burnCpu(ms: number): number {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  return x > 0 ? ms : 0;
}

describe("the dashboard in chromium", { skip }, () => {
  let browser: Browser;
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: 30_000 });
  });
  after(async () => {
    await browser?.close();
  });

  for (const processes of [false, true]) {
    const kind = processes ? "processes" : "threads";
    test(`live data from a ${kind} cluster`, { timeout: 90_000 }, async () => {
      const client = await Client.connect({
        workers: 2,
        processes,
        dashboard: { port: 0 },
        setAsDefault: false,
      });
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.setDefaultTimeout(30_000);
      try {
        await page.goto(client.dashboardLink!);
        await page.waitForFunction("window.__barn.updates > 0");
        const running = client.gather(
          client.map(
            sleepy,
            Array.from({ length: 300 }, (_, i) => i),
          ),
        );
        // Data while it runs: stream entries drawn, a progress row for the group, heap samples.
        await page.waitForFunction(
          `(window.__barn.drawnTasks ?? 0) > 0 && (window.__barn.memoryPoints ?? 0) > 0 &&
           document.querySelector('[data-group="sleepy"]') !== null`,
        );
        assert.equal((await running).length, 300);
        await page.waitForFunction(
          `/300 done/.test(document.querySelector('[data-group="sleepy"]')?.textContent ?? "")`,
        );
        // A task whose input lives on the other worker: its fetch is drawn on the stream.
        const [w1, w2] = client.workers();
        const made = client.with({ workers: [w1!.id] }).submit(function make(): number[] {
          return [1, 2, 3];
        });
        const total = client.with({ workers: [w2!.id] }).submit((v: number[]) => v.length, made);
        assert.equal(await total, 3);
        await page.waitForFunction("(window.__barn.drawnTransfers ?? 0) > 0");
        const view = (await page.evaluate(`({
          tasks: window.__barn.streamTasks,
          bars: window.__barn.bars.length,
          drawn: window.__barn.drawnTasks,
          memoryPoints: window.__barn.memoryPoints,
          workers: window.__barn.last.workers.length,
        })`)) as {
          tasks: number;
          bars: number;
          drawn: number;
          memoryPoints: number;
          workers: number;
        };
        assert.ok(view.tasks >= 300, `the stream got every task: ${view.tasks}`);
        assert.ok(view.bars > 0 && view.bars <= view.tasks, JSON.stringify(view));
        assert.ok(view.drawn > 0 && view.memoryPoints > 0, JSON.stringify(view));
        assert.equal(view.workers, 2);
        assert.equal(await page.locator("#workers tr").count(), 3, "a header and a row per worker");
        await page.screenshot({ path: join(ARTIFACTS, `dashboard-${kind}.png`), fullPage: true });
      } finally {
        await page.close();
        await client.close();
      }
    });
  }

  test("the profile view draws a flame graph and the graph view draws the tasks", {
    timeout: 90_000,
  }, async () => {
    const client = await Client.connect({
      workers: 2,
      dashboard: { port: 0 },
      setAsDefault: false,
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    page.setDefaultTimeout(30_000);
    try {
      await page.goto(client.dashboardLink!);
      await page.waitForFunction("window.__barn.updates > 0 && window.__barn.profileVersion >= 0");
      // The page's switch turns every worker's profiler on.
      await page.click("#prof-toggle");
      await page.waitForFunction("window.__barn.profiling !== null");
      // A small computation: 24 CPU-heavy tasks and a sum over them, held (so it stays live).
      const parts = client.map(
        burnCpu,
        Array.from({ length: 24 }, () => 60),
      );
      const total = client.submit((...xs: number[]) => xs.reduce((a, b) => a + b, 0), ...parts);
      assert.equal(await total, 24 * 60);
      await page.waitForFunction(
        `(window.__barn.profile ?? []).some((g) => g.group === "burnCpu")`,
        undefined,
        { timeout: 30_000 },
      );
      await page.selectOption("#prof-group", "burnCpu");
      await page.waitForFunction(
        `window.__barn.flameGroup === "burnCpu" && window.__barn.flameFrames > 2`,
      );
      const flame = (await page.evaluate(`(() => {
        const g = window.__barn.profile.find((p) => p.group === "burnCpu");
        const names = [];
        (function walk(n) { names.push(n.name); n.children.forEach(walk); })(g.tree);
        return { frames: window.__barn.flameFrames, names, ms: g.tree.total };
      })()`)) as { frames: number; names: string[]; ms: number };
      assert.ok(flame.names.includes("burnCpu"), `burnCpu in the tree: ${flame.names.join(", ")}`);
      assert.ok(flame.ms > 200, `${flame.ms} ms sampled`);
      // The graph view: the 25 live tasks, drawn as nodes.
      await page.waitForFunction("(window.__barn.graphNodes ?? 0) >= 25");
      const graph = (await page.evaluate(
        "({ nodes: window.__barn.graph.nodes.length, edges: window.__barn.graph.edges.length, layers: window.__barn.graph.layers })",
      )) as { nodes: number; edges: number; layers: number };
      assert.deepEqual(graph, { nodes: 25, edges: 24, layers: 2 });
      await page.screenshot({ path: join(ARTIFACTS, "dashboard-profile.png"), fullPage: true });
      // And off again from the page.
      await page.click("#prof-toggle");
      await page.waitForFunction("window.__barn.profiling === null");
      assert.equal(parts.length, 24);
    } finally {
      await page.close();
      await client.close();
    }
  });

  test("a performance report opens offline with the recorded task counts", {
    timeout: 90_000,
  }, async () => {
    const client = await Client.connect({ workers: 2, dashboard: false, setAsDefault: false });
    const counted = new Map<string, number>();
    const off = subscribe("taskFinished", (e) =>
      counted.set(e.group, (counted.get(e.group) ?? 0) + 1),
    );
    const file = join(ARTIFACTS, "performance-report.html");
    try {
      const total = await performanceReport(
        file,
        async () => {
          const xs = await client.gather(
            client.map(
              sleepy,
              Array.from({ length: 120 }, (_, i) => i),
            ),
          );
          await client.gather(client.map(burnCpu, [80, 80, 80, 80, 80, 80]));
          const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
          return client.submit(sum, client.scatter(xs) as never);
        },
        { client },
      );
      assert.equal(await total, 7140);
    } finally {
      off();
      await client.close();
    }
    const context = await browser.newContext({ offline: true });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    try {
      await page.goto(pathToFileURL(file).href);
      await page.waitForFunction("window.__report && window.__report.drawnTasks !== undefined");
      const rows = (await page.evaluate(
        `Object.fromEntries([...document.querySelectorAll("#groups tr[data-group]")].map(
          (r) => [r.dataset.group, Number(r.querySelector(".finished").textContent)]))`,
      )) as Record<string, number>;
      assert.deepEqual(rows, Object.fromEntries(counted), "the report's counts are the channels'");
      assert.equal(rows.sleepy, 120);
      const profiled = (await page.evaluate(
        "({ frames: window.__report.flameFrames, groups: window.__report.profile.map((p) => p.group) })",
      )) as { frames: number; groups: string[] };
      assert.ok(profiled.groups.includes("burnCpu"), `profiled: ${profiled.groups.join(", ")}`);
      // At least the group's root and its function (a short burn may sample no deeper frame).
      assert.ok(profiled.frames >= 2, `${profiled.frames} flame frames drawn`);
      assert.ok(
        requests.every((u) => u.startsWith("file:")),
        `no network: ${requests.join(" ")}`,
      );
      await page.screenshot({ path: join(ARTIFACTS, "performance-report.png"), fullPage: true });
    } finally {
      await context.close();
    }
  });
});
