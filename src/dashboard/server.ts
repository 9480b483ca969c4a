/**
 * The dashboard: an HTTP + WebSocket server next to a scheduler (node:http and ws). `/` is one
 * page (page.ts) that opens `/ws` and redraws from an update every half second; `/metrics` is
 * Prometheus text; `/api/update` and `/api/story` serve the same data as JSON; `/api/profile`
 * (POST "on"/"off": the profiler switch) and `/api/graph` the two views the page polls. Reads only the
 * scheduler's public queries and the diagnostics channels (through a Recorder that records
 * while at least one page is open, or always with `record: true`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { WebSocket, WebSocketServer } from "ws";
import type { Logger } from "../diagnostics/log.js";
import { BarnError, ErrorCodes } from "../errors.js";
import { DEFAULT_PROFILE_SETTINGS } from "../protocol/profile.js";
import type { SchedulerServer } from "../scheduler/server.js";
import { authorized, COOKIE, checkDashboardBind, sessionValue, tokenMatches } from "./auth.js";
import { prometheusText } from "./metrics.js";
import { DASHBOARD_HTML, loginPage } from "./page.js";
import { Recorder } from "./recorder.js";
import { buildUpdate } from "./snapshot.js";
import { BarMerger } from "./stream-bars.js";
import { graphView, profileView } from "./views.js";

export interface DashboardOptions {
  /** Default 127.0.0.1. A non-loopback host needs `token`. */
  readonly host?: string | undefined;
  /** Default 8787; when taken, the next free port above it (up to 100 further). 0: any. */
  readonly port?: number | undefined;
  /** The shared token: every request must prove it (login page, or a bearer header). */
  readonly token?: string | undefined;
  /** Update interval of open pages, ms. Default 500. */
  readonly intervalMs?: number | undefined;
  readonly log?: Logger | undefined;
}

export const DEFAULT_DASHBOARD_PORT = 8787;
const PORT_TRIES = 100;

export class DashboardServer {
  readonly recorder: Recorder;
  readonly #scheduler: SchedulerServer;
  readonly #http: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #token: string | undefined;
  /** Event-loop delay, measured from the first scrape of /metrics on (a timer every 20 ms). */
  readonly #lag = monitorEventLoopDelay({ resolution: 20 });
  #lagOn = false;
  readonly #intervalMs: number;
  #host = "127.0.0.1";
  #port = 0;
  #closed = false;
  /** Set by `record()`: keep recording when the last page closes. */
  #keepRecording = false;

  private constructor(scheduler: SchedulerServer, options: DashboardOptions) {
    this.#scheduler = scheduler;
    this.#token = options.token;
    this.#intervalMs = options.intervalMs ?? 500;
    // The page draws bars per group and worker: it never reads a task's key.
    this.recorder = new Recorder(scheduler.id, { keys: false });
    this.#http = createServer((req, res) => {
      this.#route(req, res).catch((err: unknown) => {
        options.log?.warn("dashboard request failed", { error: String(err) });
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    this.#http.on("upgrade", (req, socket, head) => {
      if (new URL(req.url ?? "/", "http://x").pathname !== "/ws" || !this.#allowed(req)) {
        socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n");
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#watch(ws));
    });
    // Open pages and scrapers never keep a script alive on their own either.
    this.#http.on("connection", (socket) => socket.unref());
  }

  /** Starts serving; the port is the first free one from `port` on. */
  static async start(
    scheduler: SchedulerServer,
    options: DashboardOptions = {},
  ): Promise<DashboardServer> {
    const host = options.host ?? "127.0.0.1";
    checkDashboardBind(host, options.token);
    const d = new DashboardServer(scheduler, options);
    const first = options.port ?? DEFAULT_DASHBOARD_PORT;
    if (!Number.isInteger(first) || first < 0 || first > 65535) {
      throw new BarnError(
        ErrorCodes.INVALID_OPTION,
        `dashboard port must be a whole number from 0 to 65535, got ${String(first)}`,
      );
    }
    await d.#listen(host, first);
    // The dashboard never keeps a script alive on its own.
    d.#http.unref();
    return d;
  }

  async #listen(host: string, first: number): Promise<void> {
    const tries = first === 0 ? 1 : PORT_TRIES;
    for (let i = 0; i < tries && first + i <= 65535; i++) {
      const port = first === 0 ? 0 : first + i;
      const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
        const onError = (e: NodeJS.ErrnoException) => resolve(e);
        this.#http.once("error", onError);
        this.#http.listen(port, host, () => {
          this.#http.off("error", onError);
          resolve(undefined);
        });
      });
      if (err === undefined) {
        this.#host = host;
        const addr = this.#http.address();
        this.#port = typeof addr === "object" && addr !== null ? addr.port : port;
        return;
      }
      if (err.code !== "EADDRINUSE") {
        throw new BarnError(
          ErrorCodes.LISTEN_FAILED,
          `the dashboard cannot listen on ${host}:${port}: ${err.message}`,
        );
      }
    }
    throw new BarnError(
      ErrorCodes.LISTEN_FAILED,
      `the dashboard found no free port from ${first} to ${first + tries - 1} on ${host}: pass dashboard: { port: 0 } for any free port`,
    );
  }

  /** The interface it listens on (e.g. "127.0.0.1", or "0.0.0.0" for every one). */
  get host(): string {
    return this.#host;
  }

  get port(): number {
    return this.#port;
  }

  /** The page's address (no token in it: a remote dashboard asks for it on its login page). */
  get link(): string {
    const host = this.#host.includes(":") ? `[${this.#host}]` : this.#host;
    return `http://${host}:${this.#port}/`;
  }

  /** Record the diagnostics channels from now on, whether or not a page is open. */
  record(): void {
    this.#keepRecording = true;
    this.recorder.start();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.recorder.stop();
    this.#lag.disable();
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
    this.#http.closeAllConnections?.();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  #allowed(req: IncomingMessage): boolean {
    return authorized(req, this.#token);
  }

  /** One open page: an update every interval, from its own cursor in the task stream. */
  #watch(ws: WebSocket): void {
    this.recorder.start();
    let cursor = this.recorder.seq;
    // One per page: its lanes stay put from one update to the next.
    const merger = new BarMerger();
    const send = () => {
      if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > 4 * 2 ** 20) return;
      const u = buildUpdate(this.#scheduler, this.recorder, cursor, merger);
      cursor = u.cursor;
      ws.send(JSON.stringify(u));
    };
    send();
    const timer = setInterval(send, this.#intervalMs);
    timer.unref();
    ws.on("close", () => {
      clearInterval(timer);
      if (this.#wss.clients.size === 0 && !this.#keepRecording) this.recorder.stop();
    });
    ws.on("error", () => ws.terminate());
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname;
    if (path === "/login") return this.#login(req, res);
    if (!this.#allowed(req)) {
      if (path === "/" && req.method === "GET") {
        res.writeHead(303, { location: "/login" });
        res.end();
      } else {
        res.writeHead(401, { "content-type": "text/plain" });
        res.end("unauthorized: log in at /login, or send Authorization: Bearer <token>\n");
      }
      return;
    }
    switch (path) {
      case "/":
        return send(res, 200, "text/html; charset=utf-8", DASHBOARD_HTML);
      case "/metrics":
        if (!this.#lagOn) {
          this.#lagOn = true;
          this.#lag.enable();
        }
        return send(
          res,
          200,
          "text/plain; version=0.0.4; charset=utf-8",
          prometheusText(this.#scheduler, this.recorder, this.#lag),
        );
      case "/api/update": {
        this.recorder.start();
        const cursor = Number(url.searchParams.get("cursor") ?? 0);
        const u = buildUpdate(this.#scheduler, this.recorder, cursor);
        return send(res, 200, "application/json", JSON.stringify(u));
      }
      case "/api/profile": {
        this.recorder.start();
        if (req.method === "POST") {
          // A custom header: a page of another origin cannot send it without a CORS
          // preflight, which this server never grants (a loopback dashboard has no token).
          if (req.headers["x-barn"] !== "1") {
            return send(res, 403, "text/plain", "the profiler switch needs the X-Barn: 1 header\n");
          }
          await this.#toggleProfiler(req);
        }
        const since = Number(url.searchParams.get("v") ?? -1);
        const view = profileView(this.#scheduler, this.recorder, since);
        return send(res, 200, "application/json", JSON.stringify(view));
      }
      case "/api/graph":
        return send(res, 200, "application/json", JSON.stringify(graphView(this.#scheduler)));
      case "/api/story": {
        const key = url.searchParams.get("key") ?? "";
        const story = this.#scheduler.state.story(key);
        return send(res, 200, "application/json", JSON.stringify({ key, story }));
      }
      default:
        return send(res, 404, "text/plain", "not found\n");
    }
  }

  /** The page's profiler switch: a POST with body "on" or "off". */
  async #toggleProfiler(req: IncomingMessage): Promise<void> {
    const body = (await readBody(req, 64)).trim();
    if (body !== "on" && body !== "off") return;
    const now = this.#scheduler.profiling;
    this.#scheduler.setProfiling(body === "on" ? (now ?? DEFAULT_PROFILE_SETTINGS) : null);
  }

  async #login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.#token === undefined) {
      res.writeHead(303, { location: "/" });
      res.end();
      return;
    }
    if (req.method !== "POST") return send(res, 200, "text/html; charset=utf-8", loginPage(""));
    const body = await readBody(req, 8192);
    const given = new URLSearchParams(body).get("token") ?? "";
    if (!tokenMatches(given, this.#token)) {
      return send(res, 401, "text/html; charset=utf-8", loginPage("That is not the token."));
    }
    res.writeHead(303, {
      location: "/",
      "set-cookie": `${COOKIE}=${sessionValue(this.#token)}; HttpOnly; SameSite=Strict; Path=/`,
    });
    res.end();
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new BarnError(ErrorCodes.INVALID_OPTION, "login form too large"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
