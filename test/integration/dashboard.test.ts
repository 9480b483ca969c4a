/**
 * The dashboard server: where it listens, who it lets in, and what /metrics says. The page
 * itself is driven by a real browser in dashboard-browser.test.ts.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { describe, test } from "node:test";
import WebSocket from "ws";
import { dashboardLink } from "../../src/client/remote-backend.js";
import { DashboardServer } from "../../src/dashboard/server.js";
import type { Update } from "../../src/dashboard/snapshot.js";
import { SchedulerNode } from "../../src/deploy/scheduler-node.js";
import { createLogger } from "../../src/diagnostics/log.js";
import { Client } from "../../src/index.js";
import { SchedulerServer } from "../../src/scheduler/server.js";

const TOKEN = "dashboard-test-token-5c2a9e71f0";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? "GET", headers: options.headers },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(options.body);
  });
}

function wsOpens(url: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers, handshakeTimeout: 5000 });
    ws.on("message", (m) => {
      resolve(`message ${String(m).slice(0, 40)}`);
      ws.close();
    });
    ws.on("unexpected-response", (_req, res) => resolve(`refused ${res.statusCode}`));
    ws.on("error", (err) => resolve(`error ${err.message}`));
  });
}

describe("dashboard security", () => {
  test("a dashboard with a token refuses every request without it", {
    timeout: 30_000,
  }, async () => {
    const lines: string[] = [];
    const log = createLogger({ level: "debug", write: (l) => lines.push(l) });
    // `barn scheduler --token-file ... --dashboard-port 0`, as the CLI starts it.
    const node = await SchedulerNode.start({
      address: "tcp://127.0.0.1:0",
      token: TOKEN,
      dashboard: { port: 0 },
      log,
    });
    try {
      const link = node.dashboard!.link;
      assert.ok(!link.includes(TOKEN), "the token is not in the link");
      // A remote client learns the link from the scheduler, as a local cluster's client does.
      const remote = await Client.connect(node.address, { token: TOKEN, setAsDefault: false });
      try {
        assert.equal(remote.dashboardLink, link);
      } finally {
        await remote.close();
      }
      const page = await http(link);
      assert.equal(page.status, 303);
      assert.equal(page.headers.location, "/login");
      for (const path of ["metrics", "api/update", "api/story?key=x"]) {
        assert.equal((await http(link + path)).status, 401, `/${path} without the token`);
      }
      assert.match(await wsOpens(`${link.replace("http", "ws")}ws`), /^refused 401/);
      const wrong = await http(`${link}login`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "token=not-it",
      });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.headers["set-cookie"], undefined);
      const login = await http(`${link}login`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `token=${encodeURIComponent(TOKEN)}`,
      });
      assert.equal(login.status, 303);
      const cookie = String(login.headers["set-cookie"]);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      assert.ok(!cookie.includes(TOKEN), "the cookie holds no token");
      const session = cookie.split(";")[0]!;
      const ok = await http(link, { headers: { cookie: session } });
      assert.equal(ok.status, 200);
      assert.match(ok.body, /Barn dashboard/);
      assert.match(
        await wsOpens(`${link.replace("http", "ws")}ws`, { cookie: session }),
        /^message/,
      );
      const forged = await http(link, { headers: { cookie: "barn_dashboard=00ff" } });
      assert.equal(forged.status, 303);
      const scrape = await http(`${link}metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(scrape.status, 200);
      assert.match(scrape.body, /^barn_scheduler_workers 0$/m);
      assert.ok(!lines.some((l) => l.includes(TOKEN)), "the token is in no log line");
      assert.ok(
        lines.some((l) => l.includes('"dashboard"')),
        "the link is logged",
      );
    } finally {
      await node.close();
    }
  });

  test("no token: loopback only", { timeout: 10_000 }, async () => {
    const server = new SchedulerServer();
    try {
      await assert.rejects(DashboardServer.start(server, { host: "0.0.0.0", port: 0 }), {
        code: "BARN_INSECURE_BIND",
      });
      await assert.rejects(
        Client.connect({ workers: 1, dashboard: { host: "0.0.0.0" }, setAsDefault: false }),
        { code: "BARN_INSECURE_BIND" },
      );
      await assert.rejects(
        Client.connect({ workers: 1, dashboard: { port: -1 }, setAsDefault: false }),
        { code: "BARN_INVALID_OPTION" },
      );
    } finally {
      server.close();
    }
  });
});

describe("dashboard ports and the client", () => {
  test("the local cluster serves it on 8787 or the next free port", {
    timeout: 30_000,
  }, async () => {
    const a = await Client.connect({ workers: 1, setAsDefault: false });
    const b = await Client.connect({ workers: 1, setAsDefault: false });
    const off = await Client.connect({ workers: 1, dashboard: false, setAsDefault: false });
    try {
      const pa = Number(new URL(a.dashboardLink!).port);
      const pb = Number(new URL(b.dashboardLink!).port);
      // From 8787 up: the second finds the first's port taken (others may hold some too).
      assert.ok(pa >= 8787 && pb >= 8787 && pb !== pa, `ports ${pa} then ${pb}`);
      assert.equal(new URL(a.dashboardLink!).hostname, "127.0.0.1");
      assert.equal(off.dashboardLink, undefined);
      assert.equal((await http(a.dashboardLink!)).status, 200);
    } finally {
      // Watched live while its client closes: the dashboard must drop the page's connection.
      // (Asking the port again afterwards races with other test files' clusters taking it.)
      const ws = new WebSocket(`${a.dashboardLink!.replace("http", "ws")}ws`);
      const opened = new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
      });
      const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
      await opened;
      await Promise.all([a.close(), b.close(), off.close()]);
      await closed;
    }
  });

  test("the profiler switch: POST /api/profile with X-Barn: 1 only", {
    timeout: 30_000,
  }, async () => {
    const client = await Client.connect({
      workers: 1,
      dashboard: { port: 0 },
      setAsDefault: false,
    });
    try {
      const url = `${client.dashboardLink}api/profile`;
      // A form or a plain cross-origin fetch cannot add the header: refused, nothing changes.
      const forged = await http(url, { method: "POST", body: "on" });
      assert.equal(forged.status, 403);
      assert.equal(JSON.parse((await http(url)).body).profiling, null);
      const on = await http(url, { method: "POST", headers: { "x-barn": "1" }, body: "on" });
      assert.equal(on.status, 200);
      assert.deepEqual(JSON.parse(on.body).profiling, { intervalUs: 10_000, periodMs: 2000 });
      const off = await http(url, { method: "POST", headers: { "x-barn": "1" }, body: "off" });
      assert.equal(JSON.parse(off.body).profiling, null);
      const graph = JSON.parse((await http(`${client.dashboardLink}api/graph`)).body);
      assert.deepEqual(graph.nodes, [], "no live tasks");
    } finally {
      await client.close();
    }
  });

  test("/metrics: tasks by state, workers, transfers, event-loop lag", {
    timeout: 30_000,
  }, async () => {
    const client = await Client.connect({
      workers: 2,
      dashboard: { port: 0 },
      setAsDefault: false,
    });
    try {
      await client.gather(client.map((x: number) => x + 1, [1, 2, 3, 4, 5]));
      const m = await http(`${client.dashboardLink}metrics`);
      assert.equal(m.status, 200);
      assert.match(String(m.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
      assert.match(m.body, /^barn_scheduler_tasks\{state="memory"\} 5$/m);
      assert.match(m.body, /^barn_scheduler_workers 2$/m);
      assert.match(m.body, /^barn_tasks_finished_total 5$/m);
      assert.match(m.body, /^barn_transfer_bytes_total \d+$/m);
      assert.match(m.body, /^barn_event_loop_lag_seconds\{quantile="0.99"\} [\d.e-]+$/m);
      // Every sample line is `name{labels} number`: what Prometheus parses.
      for (const line of m.body.trim().split("\n")) {
        assert.match(line, /^(# (HELP|TYPE) .+|[a-z_]+(\{[^}]*\})? -?[\d.e+-]+)$/, line);
      }
    } finally {
      await client.close();
    }
  });

  test("an update's task stream: every finished task, in bars on a lane per worker thread", {
    timeout: 30_000,
  }, async () => {
    const client = await Client.connect({
      workers: 2,
      dashboard: { port: 0 },
      setAsDefault: false,
    });
    try {
      const update = async (cursor: number) =>
        JSON.parse(
          (await http(`${client.dashboardLink}api/update?cursor=${cursor}`)).body,
        ) as Update;
      // The first request starts the recorder, as a page's does.
      const { cursor } = await update(0);
      const n = 3000;
      const xs = Array.from({ length: n }, (_, i) => i);
      const out = await client.gather(
        client.map(function double(x: number) {
          return 2 * x;
        }, xs),
      );
      assert.equal(out[n - 1], 2 * (n - 1));
      // The stream is fed after each batch's replies went out: wait (bounded) for all of it.
      let u = await update(cursor);
      for (let i = 0; i < 50 && u.stream.tasks < n; i++) {
        await new Promise((r) => setTimeout(r, 100));
        u = await update(cursor);
      }
      const s = u.stream;
      assert.equal(s.skipped, 0);
      assert.equal(s.tasks, n);
      assert.equal(
        s.count.reduce((a, b) => a + b, 0),
        n,
      );
      assert.deepEqual(s.groups, ["double"]);
      assert.ok(s.worker.length < n / 10, `${n} tiny tasks in ${s.worker.length} bars`);
      const threads = new Map(u.workers.map((w) => [w.id, w.nthreads]));
      assert.deepEqual(new Set(s.workers), new Set(threads.keys()));
      s.worker.forEach((w, i) => {
        assert.ok(s.lane[i]! < threads.get(s.workers[w]!)!, `lane ${s.lane[i]}`);
        assert.ok(s.duration[i]! >= 0);
      });
    } finally {
      await client.close();
    }
  });
});

test("a remote dashboard on every interface is linked at the host the client reached", () => {
  assert.equal(dashboardLink("tcp://10.0.0.5:8786", "0.0.0.0", 8787), "http://10.0.0.5:8787/");
  assert.equal(dashboardLink("tls://[fd00::1]:8786", "::", 8787), "http://[fd00::1]:8787/");
  assert.equal(dashboardLink("tcp://10.0.0.5:8786", "127.0.0.1", 9000), "http://127.0.0.1:9000/");
});
