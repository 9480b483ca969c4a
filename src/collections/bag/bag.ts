/**
 * `Bag<T>`: a lazy, immutable, partitioned collection of JavaScript values (dask.bag's model).
 * Each method returns a new bag (or an Item, for aggregations to one value) over a plan of plain
 * data; nothing runs before compute(), take(), persist() or a writer. Consecutive element-wise
 * methods fuse into one task per partition (plan.ts `withSteps`).
 */
import type { Future } from "../../client/future.js";
import { OptionError } from "../../errors.js";
import { checkOptionKeys } from "../../io/options.js";
import type { DataFrame } from "../frame/dataframe.js";
import type { Row } from "../frame/types.js";
import { type KeyArg, shipKey, shipUserFn } from "./fns.js";
import { type ToFrameOptions, toFrame } from "./frame.js";
import { Item } from "./item.js";
import { type AggSpec, type BagPlan, type Step, withSteps } from "./plan.js";
import { computeParts, persistPlan, type RunOptions, takeElements } from "./run.js";
import { toJsonLines, toTextFiles, type WriteOptions } from "./write.js";

/** Options of the aggregations: how many partials each combine task takes (default 8). */
export interface AggregateOptions {
  readonly splitEvery?: number | undefined;
}

/** Options of fold. */
export interface FoldOptions<A> extends AggregateOptions {
  /** Combines two partition results (default: binop). */
  readonly combine?: ((a: A, b: A) => A) | undefined;
  /** The start of each partition's fold (and of the combine). Default: the first element. */
  readonly initial?: A | undefined;
}

/** Options of foldby. */
export interface FoldbyOptions<A> extends AggregateOptions {
  /** The start of each key's fold in each partition. Default: the key's first element. */
  readonly initial?: A | undefined;
  /** Combines two partitions' values for one key (default: binop). */
  readonly combine?: ((a: A, b: A) => A) | undefined;
  /** The start of each key's combine. Default: the first partition's value. */
  readonly combineInitial?: A | undefined;
}

/** Options of persist(). */
export interface PersistOptions {
  /** The client to keep the partitions on. Default: Client.current(). */
  readonly client?: import("../../client/client.js").Client | undefined;
}

/** The element type of an iterable element type. */
export type ElementOf<T> = T extends Iterable<infer U> ? U : never;

const RUN_KEYS = ["client", "scheduler"];

function splitEveryOf(where: string, options: AggregateOptions): number {
  const s = options.splitEvery ?? 8;
  if (!Number.isInteger(s) || s < 2) {
    throw new OptionError(`${where}: splitEvery must be an integer >= 2, got ${String(s)}`);
  }
  return s;
}

function optional<A>(options: object, name: string, value: A): { value: A } | undefined {
  return name in options && value !== undefined ? { value } : undefined;
}

export class Bag<T> {
  /** The logical plan (plain data). */
  readonly plan: BagPlan;
  /** Futures of persisted partitions, kept so the cluster keeps them while this bag lives. */
  readonly #held: readonly Future[];
  declare readonly __type?: T;

  /** @internal made by fromSequence, readText, readJsonLines, ... */
  constructor(plan: BagPlan, held: readonly Future[] = []) {
    this.plan = plan;
    this.#held = held;
  }

  /** The number of partitions. */
  get npartitions(): number {
    return this.plan.npartitions;
  }

  /** @internal the futures this bag keeps alive */
  get held(): readonly Future[] {
    return this.#held;
  }

  #next<U>(plan: BagPlan): Bag<U> {
    return new Bag<U>(plan, this.#held);
  }

  #steps<U>(...steps: Step[]): Bag<U> {
    return this.#next<U>(withSteps(this.plan, steps));
  }

  #aggregate(spec: AggSpec, options: AggregateOptions, where: string): BagPlan {
    return {
      kind: "aggregate",
      input: this.plan,
      spec,
      splitEvery: splitEveryOf(where, options),
      npartitions: 1,
    };
  }

  #item<R>(spec: AggSpec, options: AggregateOptions = {}): Item<R> {
    checkOptionKeys(spec.agg, options, ["splitEvery"]);
    return new Item<R>(this.#aggregate(spec, options, spec.agg));
  }

  // ---- element-wise (fused) ----

  /** `fn` applied to each element. */
  map<U>(fn: (x: T) => U): Bag<U> {
    return this.#steps<U>({ op: "map", fn: shipUserFn("map", fn) });
  }
  /** The elements for which `fn` is truthy. */
  filter<S extends T>(fn: (x: T) => x is S): Bag<S>;
  filter(fn: (x: T) => unknown): Bag<T>;
  filter(fn: (x: T) => unknown): Bag<T> {
    return this.#steps<T>({ op: "filter", fn: shipUserFn("filter", fn) });
  }
  /** The elements of the arrays (or iterables) `fn` returns, in order. */
  flatMap<U>(fn: (x: T) => Iterable<U>): Bag<U> {
    return this.#steps<U>({ op: "flatMap", fn: shipUserFn("flatMap", fn) });
  }
  /** Each element's field (or index) `key`; an element without it fails unless a default is given. */
  pluck<K extends keyof T>(key: K): Bag<T[K]>;
  pluck<K extends keyof T, D>(key: K, fallback: D): Bag<Exclude<T[K], undefined> | D>;
  pluck<K extends keyof T>(keys: readonly K[]): Bag<T[K][]>;
  // biome-ignore lint/suspicious/noExplicitAny: the overloads above give the types
  pluck(key: unknown, ...fallback: unknown[]): Bag<any> {
    if (Array.isArray(key)) {
      for (const k of key) checkKey(k);
      return this.#steps({ op: "pluckMany", keys: key as (string | number)[] });
    }
    checkKey(key);
    return this.#steps({
      op: "pluck",
      key: key as string | number,
      ...(fallback.length > 0 ? { fallback: { value: fallback[0] } } : {}),
    });
  }
  /** The elements of each element (each must be an array or iterable). */
  flatten(): Bag<ElementOf<T>> {
    return this.#steps({ op: "flatten" });
  }
  /**
   * Pairs `[o, x]` of each element `x` with each `o` of the in-memory list `other` whose key
   * `onOther(o)` equals `onSelf(x)` (dask's `join`: an inner join against a list every task holds).
   */
  join<O>(
    other: readonly O[],
    onSelf: KeyArg<T>,
    onOther: KeyArg<O> = onSelf as KeyArg<O>,
  ): Bag<[O, T]> {
    if (!Array.isArray(other)) throw new OptionError("join(other, ...): other must be an array");
    return this.#steps({
      op: "join",
      other,
      onSelf: shipKey("join onSelf", onSelf),
      onOther: shipKey("join onOther", onOther),
    });
  }

  // ---- per partition ----

  /** `fn` applied to each partition's elements (an array); it returns the new elements. */
  mapPartitions<U>(fn: (items: T[]) => Iterable<U> | Promise<Iterable<U>>): Bag<U> {
    return this.#next<U>({
      kind: "mapPartitions",
      input: this.plan,
      fn: shipUserFn("mapPartitions", fn),
      npartitions: this.npartitions,
    });
  }

  // ---- aggregations to one value ----

  /** The number of elements. */
  count(options?: AggregateOptions): Item<number> {
    return this.#item({ agg: "count" }, options);
  }
  /** The sum of the elements (0 for an empty bag). */
  sum(options?: AggregateOptions): Item<number> {
    return this.#item({ agg: "sum" }, options);
  }
  /** The smallest element (by `<`); an empty bag fails with BARN_BAG_EMPTY. */
  min(options?: AggregateOptions): Item<T> {
    return this.#item({ agg: "min" }, options);
  }
  /** The largest element (by `>`); an empty bag fails with BARN_BAG_EMPTY. */
  max(options?: AggregateOptions): Item<T> {
    return this.#item({ agg: "max" }, options);
  }
  /** The mean (NaN for an empty bag). */
  mean(options?: AggregateOptions): Item<number> {
    return this.#item({ agg: "moments", out: "mean", ddof: 0 }, options);
  }
  /** The variance, dividing by n - ddof (default ddof 0, as dask). */
  var(options: AggregateOptions & { ddof?: number } = {}): Item<number> {
    return this.#moments("var", options);
  }
  /** The standard deviation, dividing by n - ddof (default ddof 0, as dask). */
  std(options: AggregateOptions & { ddof?: number } = {}): Item<number> {
    return this.#moments("std", options);
  }
  #moments(out: "var" | "std", options: AggregateOptions & { ddof?: number }): Item<number> {
    checkOptionKeys(out, options, ["splitEvery", "ddof"]);
    const ddof = options.ddof ?? 0;
    if (typeof ddof !== "number" || ddof < 0) {
      throw new OptionError(`${out}: ddof must be a number >= 0, got ${String(ddof)}`);
    }
    return new Item(this.#aggregate({ agg: "moments", out, ddof }, options, out));
  }
  /** True when some element is truthy. */
  any(options?: AggregateOptions): Item<boolean> {
    return this.#item({ agg: "any" }, options);
  }
  /** True when every element is truthy (true for an empty bag). */
  all(options?: AggregateOptions): Item<boolean> {
    return this.#item({ agg: "all" }, options);
  }
  /**
   * A general reduction: `perPartition(elements)` on each partition, then `aggregate(results)`
   * on the results (also at each level of the tree, so it must accept its own output).
   */
  reduction<P, R>(
    perPartition: (items: T[]) => P,
    aggregate: (parts: P[]) => R,
    options: AggregateOptions = {},
  ): Item<R> {
    return this.#item(
      {
        agg: "reduction",
        perPartition: shipUserFn("reduction perPartition", perPartition),
        aggregate: shipUserFn("reduction aggregate", aggregate),
      },
      options,
    );
  }
  /** A fold with `binop(acc, x)` in each partition, then `combine(a, b)` across them. */
  fold<A = T>(binop: (acc: A, x: T) => A, options: FoldOptions<A> = {}): Item<A> {
    checkOptionKeys("fold", options, ["combine", "initial", "splitEvery"]);
    const b = shipUserFn("fold binop", binop);
    const spec: AggSpec = {
      agg: "fold",
      binop: b,
      combine: options.combine === undefined ? b : shipUserFn("fold combine", options.combine),
      initial: optional(options, "initial", options.initial),
    };
    return new Item<A>(this.#aggregate(spec, options, "fold"));
  }

  // ---- aggregations to a bag (one partition) ----

  /**
   * Streaming group-and-fold with no shuffle: `[key, value]` pairs, each value the fold of the
   * key's elements with `binop` in each partition, then `combine` across partitions.
   */
  foldby<K, A = T>(
    key: KeyArg<T>,
    binop: (acc: A, x: T) => A,
    options: FoldbyOptions<A> = {},
  ): Bag<[K, A]> {
    checkOptionKeys("foldby", options, ["initial", "combine", "combineInitial", "splitEvery"]);
    const b = shipUserFn("foldby binop", binop);
    const spec: AggSpec = {
      agg: "foldby",
      key: shipKey("foldby key", key),
      binop: b,
      combine: options.combine === undefined ? b : shipUserFn("foldby combine", options.combine),
      initial: optional(options, "initial", options.initial),
      combineInitial: optional(options, "combineInitial", options.combineInitial),
    };
    return this.#next(this.#aggregate(spec, options, "foldby"));
  }
  /** `[element, count]` pairs (first-seen order; with `sort`, most frequent first). */
  frequencies(options: AggregateOptions & { sort?: boolean } = {}): Bag<[T, number]> {
    checkOptionKeys("frequencies", options, ["sort", "splitEvery"]);
    return this.#next(
      this.#aggregate({ agg: "frequencies", sort: options.sort === true }, options, "frequencies"),
    );
  }
  /**
   * The `k` largest elements, largest first (by `key`: a function, a field name or an index;
   * default the element itself); ties keep the bag's order.
   */
  topk(k: number, key?: KeyArg<T>, options: AggregateOptions = {}): Bag<T> {
    if (!Number.isInteger(k) || k < 0) {
      throw new OptionError(`topk(k): k must be an integer >= 0, got ${String(k)}`);
    }
    const spec: AggSpec = {
      agg: "topk",
      k,
      key: key === undefined ? undefined : shipKey("topk key", key),
    };
    return this.#next(this.#aggregate(spec, options, "topk"));
  }
  /** The distinct elements (by `key`, keeping the first of each), in first-seen order. */
  distinct(key?: KeyArg<T>, options: AggregateOptions = {}): Bag<T> {
    const spec: AggSpec = {
      agg: "distinct",
      key: key === undefined ? undefined : shipKey("distinct key", key),
    };
    return this.#next(this.#aggregate(spec, options, "distinct"));
  }

  // ---- reshaping ----

  /** `[key, elements]` groups, by a hash shuffle into `npartitions` (default: this bag's). */
  groupby<K>(key: KeyArg<T>, options: { npartitions?: number } = {}): Bag<[K, T[]]> {
    checkOptionKeys("groupby", options, ["npartitions"]);
    const n = options.npartitions ?? this.npartitions;
    checkPartitions("groupby", n);
    return this.#next({
      kind: "groupby",
      input: this.plan,
      key: shipKey("groupby key", key),
      npartitions: n,
    });
  }
  /** The same elements, in order, in `n` partitions. */
  repartition(n: number): Bag<T> {
    checkPartitions("repartition", n);
    return this.#next({ kind: "repartition", input: this.plan, npartitions: n });
  }
  /** Tuples of the i-th elements of this bag and `others` (partitioned alike). */
  zip<U extends unknown[]>(...others: { [K in keyof U]: Bag<U[K]> }): Bag<[T, ...U]> {
    for (const o of others as Bag<unknown>[]) {
      if (!(o instanceof Bag))
        throw new OptionError("zip(...others): every argument must be a Bag");
      if (o.npartitions !== this.npartitions) {
        throw new OptionError(
          `zip: bags have ${this.npartitions} and ${o.npartitions} partitions. Fix: zip bags partitioned alike, or repartition one of them`,
        );
      }
    }
    const all = [this, ...(others as Bag<unknown>[])];
    return new Bag(
      { kind: "zip", inputs: all.map((b) => b.plan), npartitions: this.npartitions },
      all.flatMap((b) => b.held),
    );
  }
  /** Every pair `[x, y]` of an element of this bag and one of `other` (cartesian product). */
  product<U>(other: Bag<U>): Bag<[T, U]> {
    if (!(other instanceof Bag)) throw new OptionError("product(other): other must be a Bag");
    return new Bag(
      {
        kind: "product",
        left: this.plan,
        right: other.plan,
        npartitions: this.npartitions * other.npartitions,
      },
      [...this.#held, ...other.held],
    );
  }
  /** The running accumulation `binop(acc, x)`, starting with `initial` (kept as the first element) when given. */
  accumulate<A = T>(binop: (acc: A, x: T) => A, options: { initial?: A } = {}): Bag<A> {
    checkOptionKeys("accumulate", options, ["initial"]);
    return this.#next({
      kind: "accumulate",
      input: this.plan,
      binop: shipUserFn("accumulate", binop),
      initial: optional(options, "initial", options.initial),
      npartitions: this.npartitions,
    });
  }

  // ---- running ----

  /** Writes each partition's elements as lines (`String(x)`), one file per partition. */
  toTextFiles(path: string, options?: WriteOptions): Promise<string[]> {
    return toTextFiles(this, path, options);
  }
  /** Writes each partition's elements as JSON lines, one file per partition. */
  toJsonLines(path: string, options?: WriteOptions): Promise<string[]> {
    return toJsonLines(this, path, options);
  }
  /** A barn/frame DataFrame of the bag's records (schema given, or inferred from a sample). */
  toFrame(options?: ToFrameOptions): Promise<DataFrame<T & Row>> {
    return toFrame(this as unknown as Bag<T & Row>, options);
  }

  /** Every element, in order. */
  async compute(options: RunOptions = {}): Promise<T[]> {
    checkOptionKeys("compute", options, RUN_KEYS);
    return (await computeParts(this.plan, options)).flat(1) as T[];
  }
  /** The first `n` elements, computing partitions one at a time, each only as far as needed. */
  async take(n: number, options: RunOptions = {}): Promise<T[]> {
    checkOptionKeys("take", options, RUN_KEYS);
    if (!Number.isInteger(n) || n < 0) {
      throw new OptionError(`take(n): n must be an integer >= 0, got ${String(n)}`);
    }
    return (await takeElements(this.plan, n, this.npartitions, options)) as T[];
  }
  /** Starts computing every partition on the cluster and returns a bag over the results. */
  persist(options: PersistOptions = {}): Bag<T> {
    checkOptionKeys("persist", options, ["client"]);
    const { futures } = persistPlan(this.plan, options.client);
    return new Bag<T>(
      { kind: "persisted", keys: futures.map((f) => f.key), npartitions: futures.length },
      futures,
    );
  }
}

function checkKey(k: unknown): void {
  if (typeof k !== "string" && typeof k !== "number") {
    throw new OptionError(`pluck(key): key must be a field name or an index, got ${typeof k}`);
  }
}

function checkPartitions(where: string, n: unknown): void {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
    throw new OptionError(`${where}: npartitions must be a positive integer, got ${String(n)}`);
  }
}
