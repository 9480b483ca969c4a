/**
 * Running a plan on a cluster: optimise, lower to a graph, submit, and gather the partitions.
 * The client is the one given, else the current one, else a temporary one (as delayed's
 * compute does), so `await df.compute()` works with no setup.
 */
import { randomBytes } from "node:crypto";
import { Client } from "../../client/client.js";
import type { Future } from "../../client/future.js";
import { BarnError, ErrorCodes } from "../../errors.js";
import { type GraphNode, ref, task } from "../../graph/spec.js";
import type { Batch } from "../../kernels/batch.js";
import { lower, newContext } from "./lower.js";
import { frameOps } from "./ops.js";
import { optimize } from "./optimize/index.js";
import { physicalPlan } from "./physical/planner.js";
import type { Plan } from "./plan.js";

/** Where to run a frame's computation. */
export interface RunOptions {
  /** The client to run on. Default: Client.current(), else a temporary local cluster. */
  readonly client?: Client | undefined;
  /** Run on a temporary client of this kind instead ("sync" runs inline, for debugging). */
  readonly scheduler?: "sync" | "threads" | undefined;
}

/** The keys of RunOptions, for checkOptionKeys. */
export const RUN_KEYS: readonly string[] = ["client", "scheduler"];

let counter = 0;
const tag = randomBytes(3).toString("hex");

/** A lowered plan (optimised, planned physically, lowered): its graph and one key per partition. */
export function graphOfPlan(plan: Plan) {
  const ctx = newContext(`${tag}${(counter++).toString(36)}`);
  const keys = lower(physicalPlan(optimize(plan)), ctx);
  return { graph: ctx.graph, keys };
}

/** Runs `use` with a client chosen as compute() does, closing a temporary one afterwards. */
export async function withClient<T>(
  options: RunOptions,
  use: (c: Client) => Promise<T>,
): Promise<T> {
  const current = options.client ?? Client.current();
  const reuse =
    current !== undefined &&
    (options.scheduler === undefined || options.scheduler === current.scheduler);
  const client = reuse
    ? current
    : await Client.connect({ scheduler: options.scheduler ?? "threads", setAsDefault: false });
  try {
    return await use(client);
  } finally {
    if (!reuse) await client.close();
  }
}

/** The partitions of `plan` (only those with index in `only`, when given), in order. */
export async function computeBatches(
  plan: Plan,
  options: RunOptions,
  only?: readonly number[],
): Promise<Batch[]> {
  const { graph, keys } = graphOfPlan(plan);
  const wanted = only === undefined ? keys : only.map((i) => keys[i]!);
  return withClient(options, async (client) => {
    const futures = client.submitGraph(graph, wanted);
    try {
      return (await client.gather(futures)) as Batch[];
    } finally {
      for (const f of futures) f.release();
    }
  });
}

/** Starts computing `plan` on the client and returns one Future per partition. */
export function persistPlan(
  plan: Plan,
  client: Client | undefined,
): { client: Client; futures: Future[] } {
  const c = client ?? Client.current();
  if (c === undefined) {
    throw new BarnError(
      ErrorCodes.CLIENT_CLOSED,
      "persist() needs a connected client to keep the partitions on: await Client.connect() first, or pass { client }",
    );
  }
  const { graph, keys } = graphOfPlan(plan);
  return { client: c, futures: c.submitGraph(graph, keys) };
}

/**
 * The divisions of persisted partitions sorted by `column`: each partition's first value, then
 * the last partition's last value; undefined when a partition is empty (unknown boundaries).
 */
export async function divisionsOf(
  client: Client,
  keys: readonly string[],
  column: string,
): Promise<unknown[] | undefined> {
  const graph = new Map<string, GraphNode>();
  const out = keys.map((k, i) => {
    const key = `index-bounds-${k}-${i}`;
    graph.set(key, task(frameOps.indexBounds, ref(k), column));
    return key;
  });
  const bounds = (await client.get(graph, out)) as ([unknown, unknown] | null)[];
  if (bounds.some((b) => b === null)) return undefined;
  return [...bounds.map((b) => b![0]), bounds[bounds.length - 1]![1]];
}
