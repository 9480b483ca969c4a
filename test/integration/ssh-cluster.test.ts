/**
 * SSHCluster for real: Debian's OpenSSH server runs in two network namespaces ("hosts" A and
 * B, joined by a bridge that this test's namespace also reaches), with a generated host key
 * and user key. The scheduler runs on A, workers on A and B. The cluster starts, computes,
 * scales 1 -> 2 -> 1 without recomputing, survives host B going away (its sshd and
 * everything under it killed), and closes leaving no barn process behind; a wrong key or an
 * unreachable host fails with an error naming the host. Needs root, iproute2 and sshd
 * (apt-get install openssh-server; .ci/run does); otherwise the test says why and is skipped.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { BarnError, Client, ErrorCodes, SSHCluster } from "../../src/index.js";
import { CLI } from "./cluster-harness.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const TAG = `s${process.pid % 100000}`;
const HUB = `${TAG}hub`;
const NET = "10.215.0";
const HOSTS = { a: `${NET}.1`, b: `${NET}.2` } as const;
const HERE = `${NET}.100`;
type Host = keyof typeof HOSTS;
const ns = (h: Host) => `${TAG}${h}`;
const SSHD = "/usr/sbin/sshd";

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function unavailable(): string | undefined {
  if (process.platform !== "linux") return "network namespaces need Linux";
  if (process.getuid?.() !== 0) return "network namespaces and sshd need root";
  if (!existsSync(SSHD)) return "no sshd (apt-get install openssh-server)";
  try {
    execFileSync("ssh-keygen", ["-?"], { stdio: "ignore" });
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return "no ssh-keygen (openssh-client)";
  }
  try {
    ip("netns", "add", `${TAG}probe`);
    ip("netns", "del", `${TAG}probe`);
    return undefined;
  } catch (err) {
    return `ip netns is not usable here: ${(err as Error).message.split("\n")[0]}`;
  }
}

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
  // This process's namespace joins the bridge too: the manager and the client run here.
  ip("link", "add", `${TAG}hh`, "type", "veth", "peer", "name", `${TAG}bh`);
  ip("link", "set", `${TAG}bh`, "netns", HUB);
  ip("-n", HUB, "link", "set", `${TAG}bh`, "master", "br0");
  ip("-n", HUB, "link", "set", `${TAG}bh`, "up");
  ip("addr", "add", `${HERE}/24`, "dev", `${TAG}hh`);
  ip("link", "set", `${TAG}hh`, "up");
}

function tearDown(): void {
  for (const h of Object.keys(HOSTS) as Host[]) killNamespace(ns(h));
  try {
    ip("link", "del", `${TAG}hh`);
  } catch {
    // Already gone.
  }
  for (const n of [...(Object.keys(HOSTS) as Host[]).map(ns), HUB]) {
    try {
      ip("netns", "del", n);
    } catch {
      // Already gone.
    }
  }
}

/** Process ids in a namespace (every one of them started by this test). */
function pidsIn(name: string): number[] {
  try {
    const out = execFileSync("ip", ["netns", "pids", name], { encoding: "utf8" });
    return out.split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function killNamespace(name: string): void {
  for (const pid of pidsIn(name)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
}

/** barn processes (scheduler or worker) still running in a namespace. */
function barnIn(name: string): number[] {
  return pidsIn(name).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("cli/main.js");
    } catch {
      return false;
    }
  });
}

async function until(what: string, ms: number, ok: () => boolean | Promise<boolean>) {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host, port });
    s.once("connect", () => {
      s.destroy();
      res(true);
    });
    s.once("error", () => res(false));
  });
}

const why = unavailable();
if (why !== undefined) process.stdout.write(`# ssh cluster test skipped: ${why}\n`);

describe("SSHCluster over OpenSSH in two network namespaces", {
  skip: why,
  timeout: 240_000,
}, () => {
  let dir: string;
  let key: string;
  const sshd = new Map<Host, ChildProcess>();

  before(async () => {
    tearDown();
    setUp();
    dir = mkdtempSync(join(tmpdir(), "barn-ssh-"));
    mkdirSync("/run/sshd", { recursive: true });
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "id")]);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "other")]);
    writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "id.pub")));
    key = readFileSync(join(dir, "id"), "utf8");
    for (const [h, addr] of Object.entries(HOSTS) as [Host, string][]) {
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, `host_${h}`)]);
      const cfg = join(dir, `sshd_${h}.conf`);
      writeFileSync(
        cfg,
        [
          "Port 22",
          `ListenAddress ${addr}`,
          `HostKey ${join(dir, `host_${h}`)}`,
          `PidFile ${join(dir, `sshd_${h}.pid`)}`,
          `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
          "PermitRootLogin prohibit-password",
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          "UsePAM no",
          "StrictModes no",
          "PrintMotd no",
          "",
        ].join("\n"),
      );
      const p = spawn("ip", ["netns", "exec", ns(h), SSHD, "-D", "-e", "-f", cfg], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      sshd.set(h, p);
    }
    for (const addr of Object.values(HOSTS)) {
      await until(`sshd on ${addr}`, 15_000, () => portOpen(addr, 22));
    }
  });

  after(() => {
    for (const p of sshd.values()) p.kill("SIGKILL");
    tearDown();
    rmSync(dir, { recursive: true, force: true });
  });

  const options = (extra: object = {}) => ({
    hosts: [HOSTS.a, HOSTS.a, HOSTS.b],
    ssh: { username: "root", privateKey: key, node: process.execPath, cli: CLI, cwd: ROOT },
    schedulerPort: 0,
    startTimeoutMs: 60_000,
    ...extra,
  });

  test("starts, computes, scales 1 -> 2 -> 1, survives host B going away, closes leaving no process", async () => {
    const cluster = await SSHCluster.start(options({ workers: 1 }));
    try {
      assert.match(
        cluster.schedulerAddress,
        new RegExp(`^tcp://${HOSTS.a.replace(/\./g, "\\.")}:\\d+$`),
      );
      assert.deepEqual(
        cluster.workers.map((w) => w.host),
        [HOSTS.a],
      );
      // The token came over the channel's stdin: not on a command line, not in the environment.
      const procs = barnIn(ns("a"));
      // barn worker runs under a nanny (a process of its own that restarts it): 3 processes.
      assert.equal(procs.length, 3, "the scheduler, and one worker with its nanny, on A");
      for (const pid of procs) {
        const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        assert.ok(argv.includes("--token-stdin"));
        assert.ok(!argv.includes("--token-file"));
        assert.ok(!readFileSync(`/proc/${pid}/environ`, "utf8").includes("BARN_TOKEN="));
      }
      const client = await Client.connect(cluster, { setAsDefault: false });
      assert.equal(await client.submit((x: number) => x + 1, 41), 42);

      await cluster.scale(2);
      assert.deepEqual(cluster.workers.map((w) => w.host).sort(), [HOSTS.a, HOSTS.b]);
      await until("the client to see 2 workers", 10_000, () => client.workers().length === 2);
      const xs = Array.from({ length: 40 }, (_, i) => i);
      const futures = client.map((x: number) => x * x, xs);
      assert.deepEqual(
        await client.gather(futures),
        xs.map((x) => x * x),
      );

      await cluster.scale(1);
      assert.equal(cluster.workers.length, 1);
      assert.deepEqual(
        await client.gather(futures),
        xs.map((x) => x * x),
      );
      for (const f of futures) {
        const story = (await client.story(f.key)) as { from: string; to: string }[];
        const runs = story.filter((r) => r.from === "processing" && r.to === "memory").length;
        assert.equal(runs, 1, `${f.key} computed once`);
      }

      // Host B goes away: its sshd and everything under it (a worker, if one runs there).
      // Round robin over [A, B]: within two more workers, one runs on B.
      while (!cluster.workers.some((w) => w.host === HOSTS.b)) {
        assert.ok(cluster.workers.length < 3, "a worker on B");
        await cluster.scale(cluster.workers.length + 1);
      }
      const n = cluster.workers.length;
      sshd.get("b")!.kill("SIGKILL");
      killNamespace(ns("b"));
      // The lost worker is replaced on the host that is left; B is named as unreachable.
      await until(
        `${n} workers on A`,
        60_000,
        () =>
          cluster.workers.length === n &&
          cluster.workers.every((w) => w.host === HOSTS.a && w.status === "running"),
      );
      const b = HOSTS.b.replace(/\./g, "\\.");
      assert.match(cluster.logs().manager!.join("\n"), new RegExp(`on ${b} exited`));
      // Two more workers: round robin tries B for one of them, skips it, and uses A.
      await cluster.scale(n + 2);
      assert.ok(cluster.workers.every((w) => w.host === HOSTS.a));
      assert.match(cluster.logs().manager!.join("\n"), new RegExp(`skipping ${b}`));
      const again = client.map((x: number) => x + 100, xs);
      assert.deepEqual(
        await client.gather(again),
        xs.map((x) => x + 100),
      );
      await client.close();
    } finally {
      await cluster.close();
    }
    await until("no barn process on A", 15_000, () => barnIn(ns("a")).length === 0);
    assert.deepEqual(barnIn(ns("b")), []);
  });

  test("a wrong key fails with an error naming the host", async () => {
    const other = readFileSync(join(dir, "other"), "utf8");
    await assert.rejects(
      SSHCluster.start(options({ ssh: { ...options().ssh, privateKey: other } })),
      (e: unknown) =>
        e instanceof BarnError &&
        e.code === ErrorCodes.CONNECT_FAILED &&
        e.message.includes(HOSTS.a) &&
        /authentication failed/.test(e.message),
    );
  });

  test("an unreachable host fails with an error naming it", async () => {
    const nowhere = `${NET}.77`;
    await assert.rejects(
      SSHCluster.start({
        ...options(),
        hosts: [nowhere, nowhere],
        ssh: { ...options().ssh, connectTimeoutMs: 2_000 },
      }),
      (e: unknown) => e instanceof BarnError && e.message.includes(nowhere),
    );
  });
});
