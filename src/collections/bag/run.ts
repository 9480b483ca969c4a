/**
 * Running a bag's plan: lower, submit, gather. The client is chosen as frame's compute() does
 * (the one given, else the current one, else a temporary local one).
 */
import { randomBytes } from "node:crypto";
import type { Client } from "../../client/client.js";
import { Client as ClientClass } from "../../client/client.js";
import type { Future } from "../../client/future.js";
import { BarnError, ErrorCodes } from "../../errors.js";
import { type RunOptions, withClient } from "../frame/run.js";
import { type LowerContext, lowerKeys, lowerPending, newContext, sinkTasks } from "./lower.js";
import type { BagPlan } from "./plan.js";

export type { RunOptions };

let counter = 0;
const tag = randomBytes(3).toString("hex");

/** A fresh lowering context (keys unique to this lowering). */
export function context(): LowerContext {
  return newContext(`${tag}${(counter++).toString(36)}`);
}

/** The partitions of `plan`, each an array, in order. */
export async function computeParts(plan: BagPlan, options: RunOptions): Promise<unknown[][]> {
  const ctx = context();
  const keys = lowerKeys(plan, ctx);
  return withClient(options, (client) => gatherKeys(client, ctx, keys)) as Promise<unknown[][]>;
}

async function gatherKeys(
  client: Client,
  ctx: LowerContext,
  keys: readonly string[],
): Promise<unknown[]> {
  const futures = client.submitGraph(ctx.graph, keys);
  try {
    return await client.gather(futures);
  } finally {
    for (const f of futures) f.release();
  }
}

/**
 * The first `n` elements, computing one partition at a time (each stopping once it has enough)
 * and only as many as it takes.
 */
export async function takeElements(
  plan: BagPlan,
  n: number,
  npartitions: number,
  options: RunOptions,
): Promise<unknown[]> {
  return withClient(options, async (client) => {
    const out: unknown[] = [];
    for (let i = 0; i < npartitions && out.length < n; i++) {
      const ctx = context();
      const pending = lowerPending(plan, ctx);
      const want = n - out.length;
      const [key] = sinkTasks([pending[i]!], () => ({ kind: "take", n: want }), "take", ctx, i);
      const [part] = (await gatherKeys(client, ctx, [key!])) as unknown[][];
      for (const x of part!) out.push(x);
    }
    return out;
  });
}

/** Starts computing every partition and returns their futures. */
export function persistPlan(
  plan: BagPlan,
  client: Client | undefined,
): { client: Client; futures: Future[] } {
  const c = client ?? ClientClass.current();
  if (c === undefined) {
    throw new BarnError(
      ErrorCodes.CLIENT_CLOSED,
      "persist() needs a connected client to keep the partitions on: await Client.connect() first, or pass { client }",
    );
  }
  const ctx = context();
  const keys = lowerKeys(plan, ctx);
  return { client: c, futures: c.submitGraph(ctx.graph, keys) };
}
