/**
 * Who may see a dashboard. The same rules as the scheduler's port: without a token it listens
 * on loopback only; with one, every request proves it. A browser proves it with a session
 * cookie set by the login page (HttpOnly, SameSite=Strict, holding an HMAC of the token, never
 * the token), a scraper with `Authorization: Bearer <token>`. The token never travels in a URL,
 * so it never lands in a log or a browser's history.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { BarnError, ErrorCodes } from "../errors.js";

export const COOKIE = "barn_dashboard";

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** Throws INSECURE_BIND for a dashboard anyone on the network could open. */
export function checkDashboardBind(host: string, token: string | undefined): void {
  if (token !== undefined || isLoopbackHost(host)) return;
  throw new BarnError(
    ErrorCodes.INSECURE_BIND,
    `refusing to serve the dashboard on ${host} without a token: anyone who can reach it could read task names, errors and stacks; pass --token-file (or BARN_TOKEN), or keep the dashboard on 127.0.0.1`,
  );
}

/** The cookie value of a logged-in browser: derived from the token, useless elsewhere. */
export function sessionValue(token: string): string {
  return createHmac("sha256", token).update("barn-dashboard-session-v1").digest("hex");
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function cookieOf(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** Does the request carry the session cookie or the bearer token? Always true without a token. */
export function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const cookie = cookieOf(req, COOKIE);
  if (cookie !== undefined && sameSecret(cookie, sessionValue(token))) return true;
  const auth = req.headers.authorization;
  return auth?.startsWith("Bearer ") === true && sameSecret(auth.slice(7).trim(), token);
}

/** Is `given` (from the login form) the token? */
export function tokenMatches(given: string, token: string): boolean {
  return sameSecret(given, token);
}
