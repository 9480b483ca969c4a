/**
 * `npm run bench -- tasks --dashboard`: every Barn client of the suite serves its dashboard,
 * profiles its workers (`profile: true`: a sample every 10 ms, call trees every 2 s) and a
 * headless chromium watches it for the whole case (the page live, the recorder on, the profile
 * and graph views polled), to measure what watching costs. Without the switch the suite runs
 * with `dashboard: false` and the profiler off.
 *
 * The browser is a process of its own with nothing driving it while a case runs, as a user's
 * browser is: chromium is started directly, a page is opened through its DevTools HTTP
 * endpoint, and the bench looks at the page over that page's own DevTools WebSocket only before
 * and after the measured work (one `Runtime.evaluate` each), to wait for the page's second
 * update and then to check that the page kept receiving and drawing. Not through playwright:
 * loaded in the bench's process, playwright-core makes an AsyncLocalStorage, which on Node 20
 * hooks every promise of the process for good; and in a process of its own each look cost
 * some 0.6 s of CPU just before and after a case.
 * (Driven by playwright throughout, CDP relays every WebSocket frame the page receives to the
 * bench's own process, the scheduler's, and that relay was part of what the bench measured.)
 * `BARN_BENCH_BROWSER=playwright` keeps the old way, to compare; `BARN_BENCH_BROWSER=none` opens
 * no page (with `BARN_BENCH_RECORDER=1`, the recorder on all the same), to tell costs apart.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { WebSocket } from "ws";
import type { Client } from "../src/index.js";

/** Set by run.ts from `--dashboard`. */
export const dashboardMode = { on: false };

const CHROMIUM = process.env.BARN_CHROMIUM ?? "/usr/bin/chromium";
const DRIVEN = process.env.BARN_BENCH_BROWSER === "playwright";

/** A chromium process and its DevTools endpoint. */
interface Chromium {
  readonly proc: ChildProcess;
  readonly endpoint: string;
  readonly profileDir: string;
}

let chromium: Promise<Chromium> | undefined;
let driven: Promise<Browser> | undefined;

function chromiumPath(): string {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`--dashboard needs chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  }
  return CHROMIUM;
}

/** Starts headless chromium with a DevTools port and nothing attached to it. */
async function startChromium(): Promise<Chromium> {
  const profileDir = mkdtempSync(join(tmpdir(), "barn-bench-chromium-"));
  const proc = spawn(
    chromiumPath(),
    [
      "--headless",
      "--no-sandbox",
      "--no-first-run",
      "--remote-debugging-port=0",
      `--user-data-dir=${profileDir}`,
      // As playwright launches it: pages in the background are not throttled.
      "--disable-background-timer-throttling",
      "--disable-backgrounding-occluded-windows",
      "--disable-renderer-backgrounding",
      "about:blank",
    ],
    { stdio: "ignore" },
  );
  // A bench that fails or is interrupted leaves no browser behind.
  process.once("exit", () => proc.kill("SIGKILL"));
  const portFile = join(profileDir, "DevToolsActivePort");
  const deadline = Date.now() + 30_000;
  while (!existsSync(portFile) || readFileSync(portFile, "utf8").split("\n").length < 2) {
    if (proc.exitCode !== null) throw new Error(`chromium exited with code ${proc.exitCode}`);
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error("chromium did not open its DevTools port within 30 s");
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const port = readFileSync(portFile, "utf8").split("\n")[0]!.trim();
  return { proc, endpoint: `http://127.0.0.1:${port}`, profileDir };
}

async function devtools(path: string, method = "GET"): Promise<unknown> {
  const c = await (chromium ??= startChromium());
  const res = await fetch(`${c.endpoint}${path}`, { method, signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`chromium's DevTools ${method} ${path}: HTTP ${res.status}`);
  const text = await res.text();
  return text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : text;
}

/** Client.connect's dashboard option for the current mode. */
export function dashboardOption(): { port: number } | false {
  return dashboardMode.on ? { port: 0 } : false;
}

/**
 * Client.connect's profile option for the current mode (`BARN_BENCH_PROFILE=0` keeps the
 * profiler off under --dashboard, to tell the two costs apart).
 */
export function profileOption(): boolean {
  return dashboardMode.on && process.env.BARN_BENCH_PROFILE !== "0";
}

interface PageCounters {
  updates: number;
  draws: number;
  hidden: boolean;
}

/** A page chromium opened: its id and the WebSocket of its DevTools session. */
interface Target {
  readonly id: string;
  readonly webSocketDebuggerUrl: string;
}

/**
 * One look at a page, through its own DevTools WebSocket (`Runtime.evaluate`, again while the
 * page is still navigating from about:blank to its URL, then the session closes): its counters
 * once it has received more than `updates` updates and drawn more than `draws` times. Settles
 * within 40 s.
 */
async function look(target: Target, updates: number, draws: number): Promise<PageCounters> {
  const ready = `window.__barn && window.__barn.updates > ${updates} && (window.__barn.draws || 0) > ${draws}`;
  const expression = `new Promise((resolve) => {
    (function poll() {
      if (${ready}) resolve({ updates: window.__barn.updates, draws: window.__barn.draws || 0, hidden: document.hidden });
      else setTimeout(poll, 50);
    })();
  })`;
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  let id = 0;
  const evaluate = () =>
    ws.send(
      JSON.stringify({
        id: ++id,
        method: "Runtime.evaluate",
        params: { expression, awaitPromise: true, returnByValue: true },
      }),
    );
  try {
    return await new Promise<PageCounters>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `the dashboard page did not get past update ${updates}, draw ${draws} within 40 s`,
            ),
          ),
        40_000,
      );
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      ws.once("error", fail);
      ws.once("open", evaluate);
      ws.on("message", (data: Buffer) => {
        const m = JSON.parse(data.toString()) as {
          id?: number;
          error?: { message: string };
          result?: {
            result?: { value?: PageCounters };
            exceptionDetails?: { exception?: { description?: string } };
          };
        };
        if (m.id !== id) return;
        const failed = m.error?.message ?? m.result?.exceptionDetails?.exception?.description;
        const value = m.result?.result?.value;
        if (failed === undefined && value !== undefined) {
          clearTimeout(timer);
          resolve(value);
        } else if (failed !== undefined && /context|navigat/i.test(failed)) {
          // The document it ran in went away (about:blank, as the page loads): ask the new one.
          setTimeout(evaluate, 50);
        } else fail(new Error(`looking at the dashboard page failed: ${failed ?? "no value"}`));
      });
    });
  } finally {
    ws.close();
  }
}

/**
 * Opens the client's dashboard in the browser (in --dashboard mode) and waits until it has
 * loaded and drawn its second update; returns the closer, which (after the measured work) waits for the page to
 * take and draw a newer update, so a page that stopped updating fails the case.
 */
export async function watch(client: Client): Promise<() => Promise<void>> {
  const url = client.dashboardLink;
  if (!dashboardMode.on || url === undefined) return async () => {};
  if (process.env.BARN_BENCH_BROWSER === "none") return watchNoBrowser(url);
  if (DRIVEN) return watchDriven(url);
  const target = (await devtools(`/json/new?${url}`, "PUT")) as Target;
  // The page is open once it loaded and drew its second update (half a second on): chromium
  // spends some 0.3 s of CPU in the first 0.2 s after a page opens, which a case started at its
  // first draw measured as watching's cost.
  const before = await look(target, 1, 1);
  if (before.hidden) throw new Error("the dashboard page is hidden: it would not draw");
  return async () => {
    await look(target, before.updates, before.draws);
    await devtools(`/json/close/${target.id}`);
  };
}

/**
 * No browser (`BARN_BENCH_BROWSER=none`), to tell the costs apart: the dashboard serves, and
 * with `BARN_BENCH_RECORDER=1` one request for an update starts its recorder, as a page would.
 */
async function watchNoBrowser(url: string): Promise<() => Promise<void>> {
  if (process.env.BARN_BENCH_RECORDER === "1") {
    const res = await fetch(new URL("/api/update", url), { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`the dashboard's /api/update: HTTP ${res.status}`);
    await res.text();
  }
  return async () => {};
}

/** The old way: the page driven by playwright in this process for the whole case. */
async function watchDriven(url: string): Promise<() => Promise<void>> {
  driven ??= import("playwright-core").then(({ chromium: pw }) =>
    pw.launch({ executablePath: chromiumPath(), headless: true, timeout: 30_000 }),
  );
  const page: Page = await (await driven).newPage();
  await page.goto(url, { timeout: 30_000 });
  await page.waitForFunction("window.__barn && window.__barn.updates > 0", undefined, {
    timeout: 30_000,
  });
  return async () => {
    await page.close();
  };
}

export async function closeBrowser(): Promise<void> {
  if (driven !== undefined) await (await driven).close();
  driven = undefined;
  if (chromium !== undefined) {
    const c = await chromium;
    chromium = undefined;
    const exited = new Promise((r) => c.proc.once("exit", r));
    c.proc.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (c.proc.exitCode === null) c.proc.kill("SIGKILL");
    // Its helper processes may still be writing there for a moment after it exits: a profile
    // left in the temporary directory is not worth failing a bench for.
    try {
      rmSync(c.profileDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    } catch (err) {
      console.error(`could not remove chromium's profile ${c.profileDir}: ${String(err)}`);
    }
  }
}
