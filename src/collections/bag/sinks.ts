/**
 * Where a partition's elements go after the fused steps, on the worker: into an array, into an
 * aggregation's partial, into hash buckets (the map side of groupby's shuffle), into the first n
 * (take), or into a file (toTextFiles, toJsonLines). Plain data describes each; `openSink`
 * makes the Sink and the function that gives the task's result.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { gzipSync } from "node:zlib";
import type { ShippedFn } from "../../shipping/ship.js";
import { type AggFns, makeAcc } from "./aggs.js";
import type { AggSpec } from "./plan.js";
import type { Flow } from "./source.js";
import { resolveFn, type Sink } from "./steps.js";

/** A sink, as plain data. */
export type SinkSpec =
  | { readonly kind: "collect" }
  | { readonly kind: "take"; readonly n: number }
  | { readonly kind: "agg"; readonly spec: AggSpec }
  | { readonly kind: "split"; readonly key: ShippedFn; readonly n: number }
  | {
      readonly kind: "write";
      readonly path: string;
      readonly format: "text" | "json";
      readonly gzip: boolean;
    };

/** An open sink: `add` takes elements, `result` settles the task's value. */
export interface OpenSink {
  readonly add: Sink;
  result(): unknown;
}

/** The sink `spec` describes, for partition `partition`. */
export async function openSink(
  spec: SinkSpec,
  flow: Flow,
  partition: number,
  aggFns: AggFns,
): Promise<OpenSink> {
  switch (spec.kind) {
    case "collect": {
      const out: unknown[] = [];
      return { add: (x) => void out.push(x), result: () => out };
    }
    case "take": {
      const out: unknown[] = [];
      const n = spec.n;
      if (n <= 0) flow.done = true;
      return {
        add: (x) => {
          out.push(x);
          if (out.length >= n) flow.done = true;
        },
        result: () => out,
      };
    }
    case "agg": {
      const acc = makeAcc(spec.spec, aggFns, partition);
      return { add: acc.add, result: () => acc.partial() };
    }
    case "split": {
      const key = await resolveFn(spec.key);
      const n = spec.n;
      const buckets: unknown[][] = Array.from({ length: n }, () => []);
      return {
        add: (x) => {
          const k = key(x);
          buckets[bucketOf(k, n)]!.push({ k, v: x });
        },
        result: () => buckets,
      };
    }
    case "write": {
      const lines: string[] = [];
      const json = spec.format === "json";
      return {
        add: (x) => void lines.push(json ? JSON.stringify(x) : String(x)),
        result: () => writeLines(spec.path, lines, spec.gzip),
      };
    }
    default:
      return spec satisfies never;
  }
}

async function writeLines(path: string, lines: string[], gzip: boolean): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const text = lines.length === 0 ? "" : `${lines.join("\n")}\n`;
  await writeFile(path, gzip ? gzipSync(text) : text);
  return path;
}

/**
 * The bucket of a key among `n`: a hash that is the same in every thread and process (strings
 * by their UTF-16 units, numbers by value, anything else by its JSON text).
 */
export function bucketOf(key: unknown, n: number): number {
  if (n === 1) return 0;
  const s =
    typeof key === "string"
      ? key
      : typeof key === "number"
        ? `n${Object.is(key, -0) ? 0 : key}`
        : `j${JSON.stringify(key) ?? String(key)}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % n;
}
