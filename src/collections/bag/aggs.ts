/**
 * Streaming aggregations, on the worker. Each partition folds its elements into a partial (plain
 * data: numbers and arrays, so it crosses threads and processes unchanged); partials combine in a
 * tree (`combine`, associative); `finish` turns the last partial into the result. Keys of
 * frequencies, foldby and distinct are compared as a Map compares them (SameValueZero), so they
 * should be strings, numbers or other primitives.
 */
import { BarnError } from "../../errors.js";
import { BagErrorCodes } from "./errors.js";
import type { AggSpec } from "./plan.js";
import { resolveFn, type Sink } from "./steps.js";

/** The functions an aggregation calls, resolved in this thread. */
export type AggFns = readonly Function[];

/** A partition's accumulator: `add` is its sink, `partial` what it sends to the combine. */
export interface Acc {
  readonly add: Sink;
  partial(): unknown;
}

export async function resolveAgg(spec: AggSpec): Promise<AggFns> {
  switch (spec.agg) {
    case "topk":
    case "distinct":
      return spec.key === undefined ? [] : [await resolveFn(spec.key)];
    case "fold":
      return [await resolveFn(spec.binop), await resolveFn(spec.combine)];
    case "foldby":
      return [
        await resolveFn(spec.key),
        await resolveFn(spec.binop),
        await resolveFn(spec.combine),
      ];
    case "reduction":
      return [await resolveFn(spec.perPartition), await resolveFn(spec.aggregate)];
    default:
      return [];
  }
}

/** A new accumulator for one partition (`partition` orders topk's ties). */
export function makeAcc(spec: AggSpec, fns: AggFns, partition: number): Acc {
  switch (spec.agg) {
    case "count": {
      let n = 0;
      return { add: () => void n++, partial: () => n };
    }
    case "sum": {
      let s: unknown = 0;
      return { add: (x) => void (s = (s as number) + (x as number)), partial: () => s };
    }
    case "min":
    case "max":
      return extremeAcc(spec.agg === "min");
    case "moments":
      return momentsAcc();
    case "any": {
      let v = false;
      return { add: (x) => void (v ||= Boolean(x)), partial: () => v };
    }
    case "all": {
      let v = true;
      return { add: (x) => void (v &&= Boolean(x)), partial: () => v };
    }
    case "frequencies":
      return frequenciesAcc();
    case "topk":
      return topkAcc(spec.k, fns[0], partition);
    case "distinct":
      return distinctAcc(fns[0]);
    case "fold":
      return foldAcc(fns[0]!, spec.initial);
    case "foldby":
      return foldbyAcc(fns[0]!, fns[1]!, spec.initial);
    case "reduction": {
      const items: unknown[] = [];
      return { add: (x) => void items.push(x), partial: () => fns[0]!(items) };
    }
    default:
      return spec satisfies never;
  }
}

/** Several partials combined into one (a level of the tree). */
export function combine(spec: AggSpec, fns: AggFns, parts: readonly unknown[]): unknown {
  switch (spec.agg) {
    case "count":
    case "sum": {
      let s: unknown = 0;
      for (const p of parts) s = (s as number) + (p as number);
      return s;
    }
    case "min":
    case "max":
      return combineExtremes(spec.agg === "min", parts as unknown[][]);
    case "moments":
      return combineMoments(parts as Moments[]);
    case "any":
      return parts.some(Boolean);
    case "all":
      return parts.every(Boolean);
    case "frequencies":
      return combineFrequencies(parts as Pairs[]);
    case "topk":
      return combineTopk(spec.k, parts as TopEntry[][]);
    case "distinct":
      return combineDistinct(parts as Pairs[]);
    case "fold":
      return combineFold(fns[1]!, spec.initial, parts as unknown[][]);
    case "foldby":
      return combineFoldby(fns[2]!, spec.combineInitial, parts as Pairs[]);
    case "reduction":
      return fns[1]!(parts);
    default:
      return spec satisfies never;
  }
}

/** The result of the whole aggregation from the partials of its last level. */
export function finish(spec: AggSpec, fns: AggFns, parts: readonly unknown[]): unknown {
  const p = combine(spec, fns, parts);
  switch (spec.agg) {
    case "min":
    case "max":
    case "fold":
      if ((p as unknown[]).length === 0) {
        throw new BarnError(
          BagErrorCodes.EMPTY,
          `${spec.agg}() of an empty bag has no value. Fix: ${spec.agg === "fold" ? "pass an initial value" : "check count() first, or filter less"}`,
        );
      }
      return (p as unknown[])[0];
    case "moments":
      return finishMoments(p as Moments, spec.out, spec.ddof);
    case "frequencies": {
      const [keys, counts] = p as Pairs;
      const out = keys.map((k, i) => [k, counts[i]]);
      return spec.sort ? out.sort((a, b) => (b[1] as number) - (a[1] as number)) : out;
    }
    case "topk":
      return (p as TopEntry[]).map((e) => e[3]);
    case "distinct":
      return (p as Pairs)[1];
    case "foldby": {
      const [keys, values] = p as Pairs;
      return keys.map((k, i) => [k, values[i]]);
    }
    default:
      return p;
  }
}

// ---- min / max: [] or [value] ----

function extremeAcc(min: boolean): Acc {
  let has = false;
  let v: unknown;
  return {
    add: (x) => {
      if (!has || (min ? (x as number) < (v as number) : (x as number) > (v as number))) {
        v = x;
        has = true;
      }
    },
    partial: () => (has ? [v] : []),
  };
}

function combineExtremes(min: boolean, parts: readonly unknown[][]): unknown[] {
  const acc = extremeAcc(min);
  for (const p of parts) if (p.length > 0) acc.add(p[0]);
  return acc.partial() as unknown[];
}

// ---- mean / var / std: [n, mean, M2] (Welford; Chan et al. to combine) ----

type Moments = [number, number, number];

function momentsAcc(): Acc {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  return {
    add: (x) => {
      n++;
      const d = (x as number) - mean;
      mean += d / n;
      m2 += d * ((x as number) - mean);
    },
    partial: () => [n, mean, m2],
  };
}

function combineMoments(parts: readonly Moments[]): Moments {
  let [n, mean, m2] = [0, 0, 0];
  for (const [nb, meanb, m2b] of parts) {
    if (nb === 0) continue;
    const total = n + nb;
    const d = meanb - mean;
    mean += (d * nb) / total;
    m2 += m2b + (d * d * n * nb) / total;
    n = total;
  }
  return [n, mean, m2];
}

function finishMoments([n, mean, m2]: Moments, out: "mean" | "var" | "std", ddof: number): number {
  if (out === "mean") return n === 0 ? Number.NaN : mean;
  const v = n - ddof <= 0 ? Number.NaN : m2 / (n - ddof);
  return out === "var" ? v : Math.sqrt(v);
}

// ---- keyed partials as two parallel arrays [keys, values], in first-seen order ----

type Pairs = [unknown[], unknown[]];

function frequenciesAcc(): Acc {
  const counts = new Map<unknown, number>();
  return {
    add: (x) => void counts.set(x, (counts.get(x) ?? 0) + 1),
    partial: () => [[...counts.keys()], [...counts.values()]],
  };
}

function combineFrequencies(parts: readonly Pairs[]): Pairs {
  const counts = new Map<unknown, number>();
  for (const [keys, values] of parts) {
    for (let i = 0; i < keys.length; i++) {
      counts.set(keys[i], (counts.get(keys[i]) ?? 0) + (values[i] as number));
    }
  }
  return [[...counts.keys()], [...counts.values()]];
}

function distinctAcc(key: Function | undefined): Acc {
  const seen = new Map<unknown, unknown>();
  return {
    add: (x) => {
      const k = key === undefined ? x : key(x);
      if (!seen.has(k)) seen.set(k, x);
    },
    partial: () => [[...seen.keys()], [...seen.values()]],
  };
}

function combineDistinct(parts: readonly Pairs[]): Pairs {
  const seen = new Map<unknown, unknown>();
  for (const [keys, values] of parts) {
    for (let i = 0; i < keys.length; i++) if (!seen.has(keys[i])) seen.set(keys[i], values[i]);
  }
  return [[...seen.keys()], [...seen.values()]];
}

// ---- fold: [] or [value] ----

function foldAcc(binop: Function, initial: { value: unknown } | undefined): Acc {
  let has = initial !== undefined;
  let acc = initial?.value;
  return {
    add: (x) => {
      if (has) acc = binop(acc, x);
      else {
        acc = x;
        has = true;
      }
    },
    partial: () => (has ? [acc] : []),
  };
}

function combineFold(
  combine: Function,
  initial: { value: unknown } | undefined,
  parts: readonly unknown[][],
): unknown[] {
  const acc = foldAcc(combine, initial);
  for (const p of parts) if (p.length > 0) acc.add(p[0]);
  return acc.partial() as unknown[];
}

function foldbyAcc(key: Function, binop: Function, initial: { value: unknown } | undefined): Acc {
  const accs = new Map<unknown, unknown>();
  return {
    add: (x) => {
      const k = key(x);
      if (accs.has(k)) accs.set(k, binop(accs.get(k), x));
      else accs.set(k, initial === undefined ? x : binop(initial.value, x));
    },
    partial: () => [[...accs.keys()], [...accs.values()]],
  };
}

function combineFoldby(
  combine: Function,
  initial: { value: unknown } | undefined,
  parts: readonly Pairs[],
): Pairs {
  const accs = new Map<unknown, unknown>();
  for (const [keys, values] of parts) {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (accs.has(k)) accs.set(k, combine(accs.get(k), values[i]));
      else accs.set(k, initial === undefined ? values[i] : combine(initial.value, values[i]));
    }
  }
  return [[...accs.keys()], [...accs.values()]];
}

// ---- topk: entries [key, partition, index, element], best first ----

type TopEntry = [unknown, number, number, unknown];

/** True when entry a ranks before b: larger key, then earlier (partition, index). */
function before(a: TopEntry, b: TopEntry): boolean {
  if ((a[0] as number) > (b[0] as number)) return true;
  if ((a[0] as number) < (b[0] as number)) return false;
  return a[1] !== b[1] ? a[1] < b[1] : a[2] < b[2];
}

/** Keeps the k best entries in a binary heap whose root is the worst of them. */
function topkAcc(k: number, key: Function | undefined, partition: number): Acc {
  const heap: TopEntry[] = [];
  let i = 0;
  return {
    add: (x) => {
      const e: TopEntry = [key === undefined ? x : key(x), partition, i++, x];
      if (heap.length < k) heapPush(heap, e);
      else if (k > 0 && before(e, heap[0]!)) heapReplaceRoot(heap, e);
    },
    partial: () => heap.sort((a, b) => (before(a, b) ? -1 : 1)),
  };
}

function combineTopk(k: number, parts: readonly TopEntry[][]): TopEntry[] {
  const all = parts.flat().sort((a, b) => (before(a, b) ? -1 : 1));
  return all.slice(0, k);
}

function heapPush(heap: TopEntry[], e: TopEntry): void {
  heap.push(e);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[parent]!, heap[i]!)) break;
    [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
    i = parent;
  }
}

function heapReplaceRoot(heap: TopEntry[], e: TopEntry): void {
  heap[0] = e;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let worst = i;
    if (l < heap.length && before(heap[worst]!, heap[l]!)) worst = l;
    if (r < heap.length && before(heap[worst]!, heap[r]!)) worst = r;
    if (worst === i) return;
    [heap[worst], heap[i]] = [heap[i]!, heap[worst]!];
    i = worst;
  }
}
