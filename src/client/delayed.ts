/**
 * `delayed`: lazy calls. `delayed(f)(a, b)` records a task instead of running it; its arguments
 * may be other Delayed values (or Futures), nested in arrays and objects. Nothing runs until
 * `compute()`, which turns the recorded calls into one task graph and submits it.
 */
import { randomBytes } from "node:crypto";
import { BarnError, ErrorCodes, OptionError } from "../errors.js";
import type { Graph, GraphNode, Key } from "../graph/spec.js";
import { TaskRef } from "../graph/spec.js";
import { tokenize } from "../graph/tokenize.js";
import { functionName, shipFunction } from "../shipping/ship.js";
import { Client } from "./client.js";
import { Future } from "./future.js";
import { replaceHandles } from "./submission.js";

export interface DelayedOptions {
  /** Key of the resulting task (only for a single call). */
  readonly key?: Key | undefined;
  /** Name used as the key prefix. Default: the function's name. */
  readonly name?: string | undefined;
  /** Key by a hash of the function and arguments, so equal calls share one task. */
  readonly pure?: boolean | undefined;
}

export interface ComputeOptions {
  /** The client to run on. Default: Client.current(), else a temporary local cluster. */
  readonly client?: Client | undefined;
  /** Run on a temporary client of this kind instead ("sync" runs inline, for debugging). */
  readonly scheduler?: "sync" | "threads" | undefined;
}

/** A value, or something that stands for it: a Delayed, a Future, or an array of such. */
export type Lazy<T> =
  | T
  | Delayed<T>
  | Future<T>
  | (T extends readonly (infer E)[] ? readonly Lazy<E>[] : never);

/** Arguments of a delayed call: values, Delayed values or Futures (also inside arrays). */
export type DelayedArgs<A extends readonly unknown[]> = { [K in keyof A]: Lazy<A[K]> };

const tag = randomBytes(3).toString("hex");
let counter = 0;

export class Delayed<T = unknown> {
  /** @internal */ readonly node: GraphNode;
  /** @internal Delayed values this one's arguments refer to. */
  readonly deps: readonly Delayed[];
  /** The key of this value's task in the graph. */
  readonly key: Key;
  declare readonly __type?: T;

  /** @internal use delayed() */
  constructor(key: Key, node: GraphNode, deps: readonly Delayed[]) {
    this.key = key;
    this.node = node;
    this.deps = deps;
  }

  /** The task graph that computes this value (every Delayed it depends on). */
  graph(): Graph {
    return graphOf([this]);
  }

  /** Run the graph and return the value. */
  async compute(options: ComputeOptions = {}): Promise<T> {
    const [v] = await compute([this], options);
    return v as T;
  }

  /**
   * Start computing on the cluster (`options.client`, else the current client) and return a
   * Future that keeps the result there. Synchronous, as `client.submit` is: a Future returned
   * through a promise would be awaited by it (futures are thenables), so `await d.persist()`
   * gives the value and `d.persist()` the Future.
   */
  persist(options: { client?: Client | undefined } = {}): Future<T> {
    const client = options.client ?? Client.current();
    if (client === undefined) {
      throw new BarnError(
        ErrorCodes.CLIENT_CLOSED,
        "persist() needs a connected client to keep the result on: await Client.connect() first, or pass { client }",
      );
    }
    const [f] = client.submitGraph(this.graph(), [this.key]);
    return f as Future<T>;
  }

  toString(): string {
    return `Delayed(${this.key})`;
  }
}

/** A function that records calls as Delayed values. */
export type DelayedFunction<A extends readonly unknown[], R> = (
  ...args: DelayedArgs<A>
) => Delayed<Awaited<R>>;

/**
 * `delayed(fn)` wraps a function so calling it records a task; `delayed(value)` wraps a value
 * as a literal node of the graph.
 * @throws ShippingError (BARN_FUNCTION_NOT_SHIPPABLE) when `fn` cannot be shipped to workers
 * (it captures variables or uses `this`), naming what it uses and the fix.
 */
export function delayed<A extends readonly unknown[], R>(
  fn: (...args: A) => R,
  options?: DelayedOptions,
): DelayedFunction<A, R>;
export function delayed<T>(value: T, options?: DelayedOptions): Delayed<T>;
export function delayed(x: unknown, options: DelayedOptions = {}): unknown {
  if (typeof x !== "function") {
    if (x instanceof Delayed) return x;
    const key = options.key ?? `${options.name ?? "data"}-${uniqueSuffix(options.pure, [x])}`;
    return new Delayed(key, { kind: "data", value: x }, []);
  }
  const fn = x;
  // Check that fn can reach a worker now, where the mistake is written, not at compute().
  // The result is cached per function object, so the submit later costs a WeakMap lookup.
  shipFunction(fn);
  const name = options.name ?? functionName(fn);
  let used = false;
  return (...args: unknown[]) => {
    if (options.key !== undefined && used) {
      throw new OptionError(
        `delayed(${name}, { key: ${JSON.stringify(options.key)} }) was called twice; a key names one task. Drop the key option to call it many times`,
      );
    }
    used = true;
    const deps: Delayed[] = [];
    const converted = replaceHandles(args, (v) => {
      if (v instanceof Delayed) {
        deps.push(v);
        return new TaskRef(v.key);
      }
      if (v instanceof Future) return new TaskRef(v.key);
      return undefined;
    });
    const key = options.key ?? `${name}-${uniqueSuffix(options.pure, [fn.toString(), converted])}`;
    return new Delayed(key, { kind: "task", fn, args: converted }, deps);
  };
}

function uniqueSuffix(pure: boolean | undefined, parts: readonly unknown[]): string {
  return pure ? tokenize(...parts) : `${tag}${(counter++).toString(16)}`;
}

/** Every node reachable from `roots`, as a graph (iterative: graphs can be deep). */
export function graphOf(roots: readonly Delayed[]): Graph {
  const g = new Map<Key, GraphNode>();
  const stack: Delayed[] = [...roots];
  while (stack.length > 0) {
    const d = stack.pop()!;
    if (g.has(d.key)) continue;
    g.set(d.key, d.node);
    for (const dep of d.deps) if (!g.has(dep.key)) stack.push(dep);
  }
  return g;
}

/**
 * Compute several Delayed values in one graph (shared parts run once) and return their values.
 */
export async function compute<T extends readonly Delayed[]>(
  values: T,
  options: ComputeOptions = {},
): Promise<{ -readonly [K in keyof T]: T[K] extends Delayed<infer V> ? V : never }> {
  const graph = graphOf(values);
  const keys = values.map((d) => d.key);
  const current = options.client ?? Client.current();
  const reuse =
    current !== undefined &&
    (options.scheduler === undefined || options.scheduler === current.scheduler);
  const client = reuse
    ? current
    : await Client.connect({ scheduler: options.scheduler ?? "threads", setAsDefault: false });
  try {
    const futures = client.submitGraph(graph, keys);
    try {
      return (await client.gather(futures)) as never;
    } finally {
      for (const f of futures) f.release();
    }
  } finally {
    if (!reuse) await client.close();
  }
}
