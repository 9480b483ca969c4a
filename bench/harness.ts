/**
 * The benchmark interface every suite shares: `npm run bench -- <suite> [--json] [--repeat N]
 * [--case NAME]`. Each case runs Barn and, where there is one, a peer on the same work in the
 * same run; the reported figure is the median of the repeats. With --json, one JSON object per
 * case per line: suite, case, n, barn_s, tasks_per_s and, with a peer, peer, peer_s, ratio
 * (Barn seconds over peer seconds: below 1 means Barn was faster). Numeric extra figures are
 * medians of the repeats too; a second peer's `<name>_s` gets its `ratio_<name>`. With a
 * comparison (`--dashboard-compare`), `<switch>_s`, `<switch>_loss_pct` and
 * `<switch>_paired_loss_pct` say what the switch cost.
 */
import { cpus, totalmem } from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
/** A full collection between repeats, so one case's garbage is not collected on the next's time. */
export const collectGarbage = runInNewContext("gc") as () => void;

export interface CaseResult {
  /** Work items (tasks) in the case. */
  readonly n: number;
  /** Barn's seconds for one repeat. */
  readonly barn_s: number;
  /** Tasks counted for tasks_per_s, when that differs from n. */
  readonly tasks?: number;
  readonly peer?: string;
  readonly peer_s?: number;
  /** Extra figures (bytes per task, ...). */
  readonly extra?: Record<string, number | string>;
}

export interface BenchCase {
  readonly name: string;
  /** Runs only when asked for by --case (slow or memory-hungry). */
  readonly optIn?: boolean;
  run(): Promise<CaseResult>;
}

export interface Suite {
  readonly name: string;
  readonly cases: readonly BenchCase[];
}

export function machineLine(): string {
  const c = cpus();
  return `${c.length} x ${c[0]?.model.trim() ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${process.platform}-${process.arch}`;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * A switch to measure against itself (`--dashboard-compare`): every repeat runs the case off
 * and then on, or on and then off (alternately), so both see the same machine: a small
 * machine's speed drifts more between two invocations than the cost being measured.
 */
export interface Comparison {
  readonly name: string;
  set(on: boolean): void;
}

export async function runSuite(
  suite: Suite,
  opts: {
    json: boolean;
    repeat: number;
    only: readonly string[];
    compare?: Comparison | undefined;
  },
): Promise<void> {
  const cases = suite.cases.filter((c) =>
    opts.only.length > 0 ? opts.only.includes(c.name) : !c.optIn,
  );
  if (!opts.json) console.log(`# ${suite.name} — ${machineLine()} — median of ${opts.repeat}`);
  const compare = opts.compare;
  for (const c of cases) {
    const runs: CaseResult[] = [];
    /** With a comparison: the runs with its switch on (`runs` has those with it off). */
    const onRuns: CaseResult[] = [];
    for (let i = 0; i < opts.repeat; i++) {
      const order = compare === undefined ? [false] : i % 2 === 0 ? [false, true] : [true, false];
      for (const on of order) {
        compare?.set(on);
        collectGarbage();
        const r = await c.run();
        (on ? onRuns : runs).push(r);
        // Every repeat's figures on stderr, to see warm-up and noise behind the median.
        if (process.env.BARN_BENCH_VERBOSE)
          console.error(
            `  ${c.name} repeat ${i + 1}${compare === undefined ? "" : ` (${compare.name} ${on ? "on" : "off"})`}: barn ${round(r.barn_s)} s, ${r.peer ?? "peer"} ${r.peer_s === undefined ? "-" : round(r.peer_s)} s`,
          );
      }
      compare?.set(false);
    }
    const barn_s = median(runs.map((r) => r.barn_s));
    const first = runs[0]!;
    const tasks = first.tasks ?? first.n;
    const out: Record<string, unknown> = {
      suite: suite.name,
      case: c.name,
      n: first.n,
      barn_s: round(barn_s),
      tasks_per_s: Math.round(tasks / barn_s),
      us_per_task: round((barn_s / tasks) * 1e6),
    };
    if (first.peer !== undefined) {
      const peer_s = median(runs.map((r) => r.peer_s ?? Number.NaN));
      out.peer = first.peer;
      out.peer_s = round(peer_s);
      out.peer_tasks_per_s = Math.round(tasks / peer_s);
      out.ratio = round(barn_s / peer_s);
    }
    for (const [k, v] of Object.entries(first.extra ?? {})) out[k] = v;
    // Numbers in extra are medians over the repeats too (a rate and its share of a bound each
    // the median of its own repeats: the first repeat's alone said 39% where the median said
    // 54%), and `ratio_<name>` of a second peer's `<name>_s` is Barn's median over its median.
    const keys = Object.keys(first.extra ?? {});
    for (const k of keys) {
      const xs = runs.map((r) => r.extra?.[k]).filter((x): x is number => typeof x === "number");
      if (xs.length === runs.length) out[k] = k.endsWith("_s") ? round(median(xs)) : median(xs);
    }
    for (const k of keys) {
      const ratio = `ratio_${k.slice(0, -2)}`;
      if (k.endsWith("_s") && ratio in out && typeof out[k] === "number") {
        out[ratio] = round(barn_s / (out[k] as number));
      }
    }
    if (compare !== undefined) {
      // The switch's cost two ways: the medians' ratio, and the median of each repeat's own.
      const on_s = median(onRuns.map((r) => r.barn_s));
      out[`${compare.name}_s`] = round(on_s);
      out[`${compare.name}_loss_pct`] = round(100 * (on_s / barn_s - 1));
      const paired = runs.map((r, i) => onRuns[i]!.barn_s / r.barn_s);
      out[`${compare.name}_paired_loss_pct`] = round(100 * (median(paired) - 1));
    }
    out.repeat = opts.repeat;
    out.machine = machineLine();
    if (opts.json) console.log(JSON.stringify(out));
    else console.log(formatLine(out));
  }
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}

function formatLine(o: Record<string, unknown>): string {
  const parts = [
    `${String(o.case).padEnd(16)} n=${o.n}`,
    `barn ${o.barn_s} s`,
    `${o.tasks_per_s} tasks/s`,
  ];
  parts.push(`${o.us_per_task} µs/task`);
  if (o.peer !== undefined) parts.push(`${o.peer} ${o.peer_s} s (ratio ${o.ratio})`);
  for (const [k, v] of Object.entries(o)) {
    if (
      ![
        "suite",
        "case",
        "n",
        "barn_s",
        "tasks_per_s",
        "us_per_task",
        "peer",
        "peer_s",
        "ratio",
        "peer_tasks_per_s",
        "repeat",
        "machine",
      ].includes(k)
    ) {
      parts.push(`${k}=${v}`);
    }
  }
  return parts.join("  ");
}
