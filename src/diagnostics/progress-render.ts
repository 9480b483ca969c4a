/**
 * Drawing progress: pure functions from per-group counts to text, so the terminal bars and
 * the plain lines are tested by their frames, without a terminal. `progress()`
 * (client/progress.ts) counts and writes; this file only formats.
 */

/** One task group's counts at one moment. */
export interface GroupProgress {
  readonly name: string;
  readonly total: number;
  readonly done: number;
  readonly running: number;
  readonly erred: number;
}

/** Finished tasks per second over `elapsedMs`, and seconds left at that rate (undefined: unknown). */
export function rateAndEta(
  g: GroupProgress,
  elapsedMs: number,
): { rate: number; eta: number | undefined } {
  const rate = elapsedMs > 0 ? (g.done * 1000) / elapsedMs : 0;
  const left = g.total - g.done - g.erred;
  return { rate, eta: left <= 0 ? 0 : rate > 0 ? left / rate : undefined };
}

export function formatSeconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return "?";
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

function formatRate(r: number): string {
  return r >= 100 ? `${Math.round(r)}/s` : `${r.toFixed(1)}/s`;
}

/**
 * One bar of `width` cells: done as "█", erred as "✗", running as "▒", the rest as "·". Each
 * non-empty part gets at least one cell, so one erred task among 100,000 still shows.
 */
export function bar(g: GroupProgress, width: number): string {
  const total = Math.max(g.total, 1);
  const cells = (n: number) => (n <= 0 ? 0 : Math.max(1, Math.floor((n / total) * width)));
  const erred = Math.min(width, cells(g.erred));
  // Only a complete group fills the bar: rounding never shows 100% early.
  const complete = g.done + g.erred >= g.total;
  const done = complete ? width - erred : Math.max(0, Math.min(width - erred - 1, cells(g.done)));
  const running = Math.max(0, Math.min(width - erred - done, cells(g.running)));
  const rest = width - done - erred - running;
  return `${"█".repeat(done)}${"✗".repeat(erred)}${"▒".repeat(running)}${"·".repeat(rest)}`;
}

/** The terminal frame: one line per group, names padded to one column. */
export function renderBars(
  groups: readonly GroupProgress[],
  elapsedMs: number,
  columns = 80,
): string[] {
  const nameWidth = Math.min(24, Math.max(4, ...groups.map((g) => g.name.length)));
  const barWidth = Math.max(10, Math.min(40, columns - nameWidth - 48));
  return groups.map((g) => {
    const { rate, eta } = rateAndEta(g, elapsedMs);
    const name = g.name.length > nameWidth ? `${g.name.slice(0, nameWidth - 1)}…` : g.name;
    const counts = `${g.done}/${g.total}`;
    const extra = `${g.running > 0 ? ` ${g.running} running` : ""}${g.erred > 0 ? ` ${g.erred} erred` : ""}`;
    return `${name.padEnd(nameWidth)} |${bar(g, barWidth)}| ${counts}${extra} ${formatRate(rate)} eta ${formatSeconds(eta)}`;
  });
}

/** The plain line for logs and CI: every group on one line. */
export function renderLine(groups: readonly GroupProgress[], elapsedMs: number): string {
  const parts = groups.map((g) => {
    const { rate, eta } = rateAndEta(g, elapsedMs);
    const erred = g.erred > 0 ? `, ${g.erred} erred` : "";
    return `${g.name} ${g.done}/${g.total} (${g.running} running${erred}, ${formatRate(rate)}, eta ${formatSeconds(eta)})`;
  });
  return `[barn progress ${formatSeconds(elapsedMs / 1000)}] ${parts.join("; ")}`;
}
