/**
 * `countBadLines(bag)`: how many lines of the JSON-lines files under a bag are not valid JSON,
 * per file: the count that goes with `onBadLines: "skip"`, computed by tasks that read every
 * block of those sources once more and return only counts.
 */
import { type GraphNode, task } from "../../graph/spec.js";
import { withClient } from "../frame/run.js";
import type { Bag } from "./bag.js";
import { bagOps } from "./ops.js";
import type { BagPlan, SourcePart } from "./plan.js";
import { context, type RunOptions } from "./run.js";

/** Malformed lines per file of a bag's JSON-lines sources. */
export interface BadLinesReport {
  /** Malformed lines in all. */
  readonly total: number;
  /** Malformed lines per file (files with none included, as 0). */
  readonly byFile: Readonly<Record<string, number>>;
}

function jsonSources(plan: BagPlan, out: SourcePart[] = []): SourcePart[] {
  switch (plan.kind) {
    case "source":
      for (const p of plan.parts) if (p.kind === "jsonl") out.push(p);
      return out;
    case "zip":
    case "concat":
      for (const p of plan.inputs) jsonSources(p, out);
      return out;
    case "product":
      jsonSources(plan.left, out);
      return jsonSources(plan.right, out);
    case "persisted":
    case "graph":
      return out;
    default:
      return jsonSources(plan.input, out);
  }
}

/** Counts the malformed lines of the JSON-lines files `bag` reads (0 when it reads none). */
export async function countBadLines<T>(
  bag: Bag<T>,
  options: RunOptions = {},
): Promise<BadLinesReport> {
  const ctx = context();
  const graph = new Map<string, GraphNode>();
  const sources = jsonSources(bag.plan);
  const keys = sources.map((s, i) => {
    const key = `bag-bad-lines-${ctx.prefix}-${i}`;
    graph.set(key, task(bagOps.jsonBadLines, s));
    return key;
  });
  const counts =
    keys.length === 0 ? [] : ((await withClient(options, (c) => c.get(graph, keys))) as number[]);
  const byFile: Record<string, number> = {};
  sources.forEach((s, i) => {
    const path = (s as SourcePart & { kind: "jsonl" }).part.path;
    byFile[path] = (byFile[path] ?? 0) + counts[i]!;
  });
  return { total: counts.reduce((a, b) => a + b, 0), byFile };
}
