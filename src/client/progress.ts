/**
 * `progress(futures)`: one bar per task group while the futures compute, Dask's
 * `distributed.progress`. On a terminal the bars are redrawn in place; when the stream is not a
 * terminal, or `CI` is set, a plain line is printed every few seconds and once at the end, so
 * logs stay readable. Resolves when every future has settled (errors are counted, not thrown).
 *
 * What it counts: the futures themselves and, on a scheduler in this process (threads or local
 * processes), every task they depend on, found once at the start; a dependency that the
 * scheduler released or forgot has done its work. On a remote scheduler only the futures.
 */
import { LocalBackend } from "../deploy/local-backend.js";
import { type GroupProgress, renderBars, renderLine } from "../diagnostics/progress-render.js";
import { OptionError } from "../errors.js";
import { keyGroup } from "../graph/key-group.js";
import type { Key } from "../graph/spec.js";
import { Client } from "./client.js";
import { type Future, recordOf } from "./future.js";
import { collectFutures } from "./walk.js";

export interface ProgressOptions {
  /** Where to draw. Default: process.stdout. */
  readonly stream?: ProgressStream | undefined;
  /** Redraw interval, ms. Default: 100 on a terminal, 5000 for plain lines. */
  readonly intervalMs?: number | undefined;
}

/** The part of a writable stream progress needs (process.stdout or any Writable). */
export interface ProgressStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

/** Dependencies followed at most, so a huge graph's walk stays bounded. */
const MAX_TRACKED = 1_000_000;

interface Tracked {
  readonly key: Key;
  readonly group: string;
  /** Set once: the task finished (or was released after finishing). */
  done: boolean;
  future: Future | undefined;
}

/** Draw progress for the Futures inside `x` until all of them have settled. */
export async function progress(x: unknown, options: ProgressOptions = {}): Promise<void> {
  const futures = collectFutures(x);
  const stream = options.stream ?? process.stdout;
  const tty = stream.isTTY === true && !process.env.CI;
  const every = options.intervalMs ?? (tty ? 100 : 5_000);
  if (!(every > 0)) throw new OptionError(`progress intervalMs must be positive, got ${every}`);
  const state = schedulerStateOf(futures);
  const tracked = track(futures, state);
  const t0 = Date.now();
  let drawn = 0;
  const draw = (final: boolean) => {
    const groups = count(tracked, state);
    const elapsed = Date.now() - t0;
    if (tty) {
      const lines = renderBars(groups, elapsed, stream.columns ?? 80);
      const up = drawn > 0 ? `\x1b[${drawn}F` : "";
      stream.write(`${up}${lines.map((l) => `\x1b[2K${l}\n`).join("")}`);
      drawn = lines.length;
    } else if (final || groups.length > 0) {
      stream.write(`${renderLine(groups, elapsed)}\n`);
    }
  };
  if (tty) draw(false);
  const timer = setInterval(() => draw(false), every);
  try {
    await Promise.all(futures.map((f) => settled(f)));
  } finally {
    clearInterval(timer);
  }
  draw(true);
}

function settled(f: Future): Promise<void> {
  return new Promise((resolve) =>
    f.then(
      () => resolve(),
      () => resolve(),
    ),
  );
}

type StateView = LocalBackend["server"]["state"];

/** The scheduler's state when it runs in this process (only such a one can be polled). */
function schedulerStateOf(futures: readonly Future[]): StateView | undefined {
  const owner = futures[0] === undefined ? undefined : recordOf(futures[0]).owner;
  if (!(owner instanceof Client)) return undefined;
  const backend = owner.backend;
  if (!(backend instanceof LocalBackend)) return undefined;
  // Tasks submitted in this turn are still queued in the server; the walk needs them.
  backend.server.flush();
  return backend.server.state;
}

/** The futures and, when the scheduler is here, every live task they depend on. */
function track(futures: readonly Future[], state: StateView | undefined): Tracked[] {
  const out: Tracked[] = [];
  const seen = new Set<Key>();
  for (const f of futures) {
    seen.add(f.key);
    out.push({ key: f.key, group: groupOf(f.key, state), done: false, future: f });
  }
  if (state === undefined) return out;
  for (let i = 0; i < out.length && out.length < MAX_TRACKED; i++) {
    for (const dep of state.task(out[i]!.key)?.deps ?? []) {
      if (seen.has(dep)) continue;
      seen.add(dep);
      out.push({ key: dep, group: groupOf(dep, state), done: false, future: undefined });
    }
  }
  return out;
}

function groupOf(key: Key, state: StateView | undefined): string {
  return state === undefined ? keyGroup(key) : state.groupOf(key);
}

/** Counts per group, in the order groups were first seen (dependencies last). */
function count(tracked: readonly Tracked[], state: StateView | undefined): GroupProgress[] {
  const groups = new Map<string, { total: number; done: number; running: number; erred: number }>();
  for (const t of tracked) {
    let g = groups.get(t.group);
    if (g === undefined) groups.set(t.group, (g = { total: 0, done: 0, running: 0, erred: 0 }));
    g.total++;
    const status = t.future?.status;
    if (status === "error" || status === "cancelled") {
      g.erred++;
      continue;
    }
    if (t.done || status === "finished") {
      g.done++;
      continue;
    }
    if (state === undefined) continue;
    const s = state.taskState(t.key);
    if (s === "memory" || (t.future === undefined && (s === "released" || s === "forgotten"))) {
      t.done = true;
      g.done++;
    } else if (s === "erred") g.erred++;
    else if (s === "processing") g.running++;
  }
  return [...groups].map(([name, g]) => ({ name, ...g })).reverse();
}
