/**
 * The public LocalCluster as a ClusterManager, with real workers over loopback (in-process
 * WorkerNodes, or `barn worker` processes): scale up and down, graceful retirement (nothing
 * recomputed: counted in the story), adaptive scaling under a bursty load.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Client, LocalCluster, OptionError } from "../../src/index.js";
import { barn, CLI, killAll, startScheduler } from "./cluster-harness.js";

interface Rec {
  readonly from: string;
  readonly to: string;
}

/** How many times the scheduler had `key` computed (processing -> memory). */
async function computations(client: Client, key: string): Promise<number> {
  const story = (await client.story(key)) as Rec[];
  return story.filter((r) => r.from === "processing" && r.to === "memory").length;
}

async function until(what: string, ms: number, ok: () => boolean | Promise<boolean>) {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("LocalCluster (threads): start, compute, scale 1 -> 3 -> 1 without recomputing, close", {
  timeout: 60_000,
}, async () => {
  const cluster = await LocalCluster.start({ workers: 1 });
  try {
    assert.match(cluster.schedulerAddress, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    const client = await Client.connect(cluster, { setAsDefault: false });
    assert.equal(client.workers().length, 1);
    await cluster.scale(3);
    assert.equal(cluster.workers.length, 3);
    assert.ok(cluster.workers.every((w) => w.status === "running"));
    await until("3 workers seen by the client", 5_000, () => client.workers().length === 3);
    const futures = client.map(
      (x: number) => x * 2,
      Array.from({ length: 60 }, (_, i) => i),
    );
    await client.gather(futures);
    const holders = new Set<string>();
    const dump = (await client.dumpState()) as { workers: { id: string; keys: number }[] };
    for (const w of dump.workers) if (w.keys > 0) holders.add(w.id);
    assert.ok(holders.size >= 2, `results spread over workers (${[...holders]})`);
    await cluster.scale(1);
    assert.equal(cluster.workers.length, 1);
    assert.equal(client.workers().length, 1);
    const values = await client.gather(futures);
    assert.deepEqual(
      values,
      Array.from({ length: 60 }, (_, i) => i * 2),
    );
    for (const f of futures) assert.equal(await computations(client, f.key), 1, f.key);
    await client.close();
    assert.ok(cluster.logs().scheduler!.length > 0, "the scheduler's log is kept");
  } finally {
    await cluster.close();
  }
  assert.equal(cluster.workers.length, 0);
  assert.throws(() => cluster.scale(1), /closed/);
});

test("client.retireWorkers on worker processes moves unique results first: nothing recomputed", {
  timeout: 90_000,
}, async () => {
  const cluster = await LocalCluster.start({ workers: 2, processes: true });
  try {
    const client = await Client.connect(cluster, { setAsDefault: false });
    const futures = client.map(
      (x: number) => ({ x, data: new Float64Array(1000).fill(x) }),
      [...Array.from({ length: 40 }, (_, i) => i)],
    );
    await client.gather(futures);
    const dump = (await client.dumpState()) as { workers: { id: string; keys: number }[] };
    const victim = dump.workers.find((w) => w.keys > 0)!.id;
    const retired = await client.retireWorkers([victim]);
    assert.deepEqual(retired, [victim]);
    await until("the manager to see the worker go", 15_000, () => cluster.workers.length === 1);
    assert.equal(client.workers().length, 1);
    const values = await client.gather(futures);
    values.forEach((v, i) => {
      assert.equal(v.x, i);
      assert.equal(v.data[999], i);
    });
    for (const f of futures) assert.equal(await computations(client, f.key), 1, f.key);
    // The retired process was not replaced (it left on purpose).
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(cluster.workers.length, 1);
    await client.close();
  } finally {
    await cluster.close();
  }
});

test("adapt on a process cluster: the count rises with a burst and falls after, within bounds, nothing recomputed", {
  timeout: 180_000,
}, async () => {
  const cluster = await LocalCluster.start({ workers: 1, processes: true });
  const seen: number[] = [];
  const watch = setInterval(() => seen.push(cluster.workers.length), 50);
  try {
    const client = await Client.connect(cluster, { setAsDefault: false });
    const adaptive = cluster.adapt({
      minimum: 1,
      maximum: 3,
      targetDuration: 0.5,
      wait: 2,
      intervalMs: 200,
    });
    const slow = (ms: number, i: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {}
      return i;
    };
    const keep = [];
    for (let burst = 0; burst < 2; burst++) {
      const futures = client.map(
        slow,
        Array(24).fill(150),
        Array.from({ length: 24 }, (_, i) => i),
      );
      await until("more workers during the burst", 60_000, () => cluster.workers.length > 1);
      assert.deepEqual(
        await client.gather(futures),
        Array.from({ length: 24 }, (_, i) => i),
      );
      keep.push(...futures);
      await until(
        "the count to fall back after the burst",
        60_000,
        () => cluster.workers.length === 1,
      );
    }
    adaptive.stop();
    assert.ok(Math.max(...seen) > 1, "it rose");
    assert.ok(Math.max(...seen) <= 3, `it stayed within the maximum (${Math.max(...seen)})`);
    assert.ok(Math.min(...seen) >= 1, "it stayed at or above the minimum");
    // Every result survived the scale-downs and none was computed twice.
    assert.equal((await client.gather(keep)).length, 48);
    for (const f of keep) assert.equal(await computations(client, f.key), 1, f.key);
    await client.close();
  } finally {
    clearInterval(watch);
    await cluster.close();
  }
});

test("LocalCluster validates its options as Client.connect does", () => {
  assert.throws(() => new LocalCluster({ workers: 0 }), OptionError);
  assert.throws(() => new LocalCluster({ memoryLimit: "lots" }), /memoryLimit/);
  assert.throws(() => new LocalCluster({ threadsPerWorker: 1.5 }), /threadsPerWorker/);
});

test("scale and adapt refuse bad counts with OptionErrors", { timeout: 30_000 }, async () => {
  const cluster = await LocalCluster.start({ workers: 1 });
  try {
    assert.throws(() => cluster.scale(-1), OptionError);
    assert.throws(() => cluster.adapt({ minimum: 2, maximum: 1 }), OptionError);
  } finally {
    await cluster.close();
  }
});

test("barn worker --nworkers 3 runs three workers in one process, and all leave on SIGTERM", {
  timeout: 60_000,
}, async () => {
  const token = "nworkers-test-token-8c1d2e3f";
  const env = { BARN_TOKEN: token };
  const { proc: sched, address } = await startScheduler([], env);
  try {
    const w = barn(
      ["worker", address, "--nworkers", "3", "--name", "multi", "--log-level", "info"],
      env,
    );
    const client = await Client.connect(address, { token, setAsDefault: false });
    await until("three workers", 20_000, () => client.workers().length === 3);
    assert.deepEqual(
      client
        .workers()
        .map((x) => x.name)
        .sort(),
      ["multi-0", "multi-1", "multi-2"],
    );
    const sum = await client.gather(client.map((x: number) => x + 1, [1, 2, 3, 4, 5, 6]));
    assert.deepEqual(sum, [2, 3, 4, 5, 6, 7]);
    w.kill("SIGTERM");
    assert.equal(await w.exited, 0);
    await until("the workers to leave", 10_000, () => client.workers().length === 0);
    await client.close();
  } finally {
    sched.kill();
    await killAll();
  }
});

test("barn.config.json in the project directory and BARN_* configure Client.connect and the CLI", {
  timeout: 60_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "barn-config-it-"));
  try {
    writeFileSync(join(dir, "barn.config.json"), JSON.stringify({ workers: 3 }));
    const script = `
      import { Client } from ${JSON.stringify(new URL("../../src/index.js", import.meta.url).href)};
      const c = await Client.connect();
      console.log(JSON.stringify({ workers: c.workers().length }));
      await c.close();`;
    const run = (env: Record<string, string>) =>
      JSON.parse(
        execFileSync(process.execPath, ["--input-type=module", "-e", script], {
          cwd: dir,
          env: { ...process.env, ...env },
          encoding: "utf8",
        }),
      ) as { workers: number };
    assert.equal(run({}).workers, 3, "the project file");
    assert.equal(run({ BARN_WORKERS: "2" }).workers, 2, "the environment wins");
    // `barn worker`'s --memory-limit defaults to the memoryLimit setting (its help shows it).
    const help = spawnSync(process.execPath, [CLI, "worker", "--help"], {
      cwd: dir,
      env: { ...process.env, BARN_MEMORY_LIMIT: "300MiB" },
      encoding: "utf8",
    });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout.replace(/\s+/g, " "), /--memory-limit <bytes>.*\(default: "300MiB"\)/);
    writeFileSync(join(dir, "barn.config.json"), JSON.stringify({ scheduler: { prot: 1 } }));
    const bad = spawnSync(process.execPath, [CLI, "scheduler"], { cwd: dir, encoding: "utf8" });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown setting "scheduler\.prot"; did you mean "scheduler\.port"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
