/**
 * `npm run bench -- tasks --dashboard`: every Barn client of the suite serves its dashboard,
 * profiles its workers (`profile: true`: a sample every 10 ms, call trees every 2 s) and a
 * headless chromium watches it for the whole case (the page live, the recorder on, the profile
 * and graph views polled), to measure what watching costs. Without the switch the suite runs
 * with `dashboard: false` and the profiler off.
 */
import { existsSync } from "node:fs";
import type { Browser } from "playwright-core";
import type { Client } from "../src/index.js";

/** Set by run.ts from `--dashboard`. */
export const dashboardMode = { on: false };

let browser: Promise<Browser> | undefined;

async function launch(): Promise<Browser> {
  const path = process.env.BARN_CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(path)) {
    throw new Error(`--dashboard needs chromium at ${path} (apt-get install -y chromium)`);
  }
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: path, headless: true, timeout: 30_000 });
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

/** Opens the client's dashboard in the browser (in --dashboard mode); returns the closer. */
export async function watch(client: Client): Promise<() => Promise<void>> {
  if (!dashboardMode.on || client.dashboardLink === undefined) return async () => {};
  browser ??= launch();
  const page = await (await browser).newPage();
  await page.goto(client.dashboardLink, { timeout: 30_000 });
  await page.waitForFunction("window.__barn && window.__barn.updates > 0", undefined, {
    timeout: 30_000,
  });
  return async () => {
    await page.close();
  };
}

export async function closeBrowser(): Promise<void> {
  if (browser !== undefined) await (await browser).close();
  browser = undefined;
}
