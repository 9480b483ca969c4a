/**
 * `countBadLines(df)`: how many malformed rows the CSV and JSON lines files under a frame hold,
 * per file. Skip mode drops such rows while a query runs (and warns, BARN_BAD_LINES, from the
 * process that ran the task); this gives the figure to code, wherever the tasks run, by reading
 * every part of those sources once more in tasks that return only counts.
 */
import { randomBytes } from "node:crypto";
import { type GraphNode, task } from "../../graph/spec.js";
import type { DataFrame } from "./dataframe.js";
import { inputsOf, type Plan, type SourceNode } from "./plan.js";
import { type CsvSourcePart, type JsonSourcePart, readerOps } from "./readers.js";
import { type RunOptions, withClient } from "./run.js";
import type { Row } from "./types.js";

/** Malformed rows per file of a frame's CSV / JSON lines sources. */
export interface BadLinesReport {
  /** Malformed rows in all. */
  readonly total: number;
  /** Malformed rows per file (files with none included, as 0). */
  readonly byFile: Readonly<Record<string, number>>;
}

function textSources(plan: Plan, out: SourceNode[] = []): SourceNode[] {
  if (plan.kind === "source" && (plan.reader === "csv" || plan.reader === "json")) {
    if (!out.includes(plan)) out.push(plan);
  }
  for (const p of inputsOf(plan)) textSources(p, out);
  return out;
}

let counter = 0;
const tag = randomBytes(3).toString("hex");

/** Counts the malformed rows of the CSV and JSON lines files `df` reads (0 when it reads none). */
export async function countBadLines<S extends Row>(
  df: DataFrame<S>,
  options: RunOptions = {},
): Promise<BadLinesReport> {
  const graph = new Map<string, GraphNode>();
  const paths: string[] = [];
  const prefix = `bad-lines-${tag}${(counter++).toString(36)}`;
  for (const source of textSources(df.plan)) {
    for (const part of source.parts) {
      const key = `${prefix}-${graph.size}`;
      if (source.reader === "csv") {
        const p = part as CsvSourcePart;
        graph.set(key, task(readerOps.csvBadLines, p));
        paths.push(p.part.path);
      } else {
        const p = part as JsonSourcePart;
        graph.set(key, task(readerOps.jsonBadLines, p));
        paths.push(p.part.path);
      }
    }
  }
  const keys = [...graph.keys()];
  const counts =
    keys.length === 0 ? [] : ((await withClient(options, (c) => c.get(graph, keys))) as number[]);
  const byFile: Record<string, number> = {};
  paths.forEach((p, i) => {
    byFile[p] = (byFile[p] ?? 0) + counts[i]!;
  });
  return { total: counts.reduce((a, b) => a + b, 0), byFile };
}
