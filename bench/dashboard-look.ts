/**
 * `node dist/bench/dashboard-look.js <DevTools endpoint> <page url> <updates> <draws>`: one look
 * at an open dashboard page, for dashboard-watch.ts. It attaches to chromium over CDP, waits
 * (30 s at most) until the page has received more than `updates` updates and drawn more than
 * `draws` times, prints its counters as one JSON line, and detaches, leaving the page open.
 *
 * It is a process of its own so that the bench's process, whose time is measured, never loads
 * playwright: playwright-core makes an AsyncLocalStorage, which on Node 20 puts a hook on every
 * promise of the process for the rest of its life.
 */
import { chromium } from "playwright-core";

const [endpoint, url, updates, draws] = process.argv.slice(2);
if (endpoint === undefined || url === undefined || updates === undefined || draws === undefined) {
  console.error("usage: node dist/bench/dashboard-look.js <endpoint> <url> <updates> <draws>");
  process.exit(2);
}
const browser = await chromium.connectOverCDP(endpoint, { timeout: 30_000 });
try {
  const page = browser
    .contexts()
    .flatMap((ctx) => ctx.pages())
    .find((p) => p.url() === url);
  if (page === undefined) throw new Error(`the dashboard page ${url} is not open in chromium`);
  await page.waitForFunction(
    `window.__barn && window.__barn.updates > ${Number(updates)} && (window.__barn.draws || 0) > ${Number(draws)}`,
    undefined,
    { timeout: 30_000 },
  );
  const counters = await page.evaluate(
    "({ updates: window.__barn.updates, draws: window.__barn.draws || 0, hidden: document.hidden })",
  );
  console.log(JSON.stringify(counters));
} finally {
  // Disconnects only: the browser and its page stay as they were.
  await browser.close();
}
