/**
 * A multi-host cluster on one machine: the scheduler, two workers and the client each in a
 * Linux network namespace of their own, joined by veth links to a bridge. Cutting one worker's
 * link in the middle of a computation must still give the right answer: the scheduler notices
 * the silence (heartbeats), and the work and data it held are redone on the other worker.
 * Needs root and iproute2; where they are missing the test says so and is skipped.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { killAll, type Proc, startScheduler, startWorker } from "./cluster-harness.js";

const TOKEN = "netns-test-token-8d1f4b2a6c";
const ENV = { BARN_TOKEN: TOKEN };
const TAG = `b${process.pid % 100000}`;
const HUB = `${TAG}hub`;
const HOSTS = { s: "10.213.0.1", w1: "10.213.0.2", w2: "10.213.0.3", c: "10.213.0.4" } as const;
type Host = keyof typeof HOSTS;

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/** Why the test cannot run here, or undefined when it can. */
function unavailable(): string | undefined {
  if (process.platform !== "linux") return "network namespaces need Linux";
  if (process.getuid?.() !== 0) return "network namespaces need root";
  try {
    ip("netns", "add", `${TAG}probe`);
    ip("netns", "del", `${TAG}probe`);
    return undefined;
  } catch (err) {
    return `ip netns is not usable here: ${(err as Error).message.split("\n")[0]}`;
  }
}

const ns = (h: Host | "hub") => (h === "hub" ? HUB : `${TAG}${h}`);

function setUp(): void {
  ip("netns", "add", HUB);
  ip("-n", HUB, "link", "add", "br0", "type", "bridge");
  ip("-n", HUB, "link", "set", "br0", "up");
  for (const [h, addr] of Object.entries(HOSTS) as [Host, string][]) {
    ip("netns", "add", ns(h));
    ip("-n", ns(h), "link", "set", "lo", "up");
    ip("link", "add", `${TAG}h${h}`, "type", "veth", "peer", "name", `${TAG}b${h}`);
    ip("link", "set", `${TAG}h${h}`, "netns", ns(h));
    ip("link", "set", `${TAG}b${h}`, "netns", HUB);
    ip("-n", HUB, "link", "set", `${TAG}b${h}`, "master", "br0");
    ip("-n", HUB, "link", "set", `${TAG}b${h}`, "up");
    ip("-n", ns(h), "addr", "add", `${addr}/24`, "dev", `${TAG}h${h}`);
    ip("-n", ns(h), "link", "set", `${TAG}h${h}`, "up");
  }
}

function tearDown(): void {
  for (const n of [...(Object.keys(HOSTS) as Host[]).map(ns), HUB]) {
    try {
      ip("netns", "del", n);
    } catch {
      // Already gone.
    }
  }
}

const why = unavailable();
if (why !== undefined) process.stdout.write(`# netns test skipped: ${why}\n`);

describe("a cluster across network namespaces", { skip: why, timeout: 120_000 }, () => {
  let dir: string;
  let scheduler: { proc: Proc; address: string };

  before(async () => {
    tearDown();
    setUp();
    dir = mkdtempSync(join(tmpdir(), "barn-netns-"));
    const wrap = (h: Host) => ["ip", "netns", "exec", ns(h)];
    scheduler = await startScheduler(
      ["--host", HOSTS.s, "--port", "8786", "--heartbeat-timeout", "2"],
      ENV,
      wrap("s"),
    );
    assert.equal(scheduler.address, `tcp://${HOSTS.s}:8786`);
    await startWorker(scheduler.address, ["--name", "w1"], ENV, wrap("w1"));
    await startWorker(scheduler.address, ["--name", "w2"], ENV, wrap("w2"));
  });
  after(async () => {
    await killAll();
    tearDown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("cutting one worker's link mid-computation still gives the right result", async () => {
    const index = pathToFileURL(join(process.cwd(), "dist", "src", "index.js")).href;
    const script = join(dir, "client.mjs");
    // 120 tasks of ~25 ms spread over both workers, then sums that pull data across hosts.
    writeFileSync(
      script,
      `import { Client } from ${JSON.stringify(index)};
const c = await Client.connect(${JSON.stringify(scheduler.address)}, { token: process.env.BARN_TOKEN });
const spin = (i) => { const end = Date.now() + 25; let x = i; while (Date.now() < end) x = (x * 7 + 1) % 1000003; return new Float64Array(1000).fill(i); };
const parts = c.map(spin, Array.from({ length: 120 }, (_, i) => i));
const sums = [];
for (let g = 0; g < 12; g++) sums.push(c.submit((...xs) => xs.reduce((s, a) => s + a[0] * a.length, 0), ...parts.slice(g * 10, g * 10 + 10)));
const total = await c.submit((...s) => s.reduce((a, b) => a + b, 0), ...sums);
const workers = c.workers().map((w) => w.name).sort();
let w2Done = 0;
for (const p of parts) {
  const story = await c.story(p.key);
  if (story.some((r) => r.to === "memory" && r.stimulusId.startsWith("report-w2"))) w2Done++;
}
process.stdout.write(JSON.stringify({ total, workers, w2Done }) + "\\n");
await c.close();
process.exit(0);
`,
    );
    const child = spawn("ip", ["netns", "exec", ns("c"), process.execPath, script], {
      env: { ...process.env, ...ENV },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d: string) => (out += d));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    // Let work spread over both workers, then cut w2 off the network (it stays alive).
    await scheduler.proc.waitFor((r) => r.msg === "client connected");
    await new Promise((r) => setTimeout(r, 700));
    ip("-n", HUB, "link", "set", `${TAG}bw2`, "down");
    await scheduler.proc.waitFor((r) => r.msg === "worker lost" && r.worker === "w2", 30_000);
    assert.equal(await exited, 0, `client failed; output: ${out}`);
    const res = JSON.parse(out.trim()) as { total: number; workers: string[]; w2Done: number };
    assert.ok(res.w2Done > 0, "w2 had finished tasks before its link was cut");
    const expected = Array.from({ length: 120 }, (_, i) => i * 1000).reduce((a, b) => a + b, 0);
    assert.equal(res.total, expected);
    assert.deepEqual(res.workers, ["w1"], "the cut worker left the cluster");
  });
});
