/**
 * Running an array's plan: lower, submit, gather the chunks and place them into one typed
 * array. The client is chosen as frame's and bag's compute() choose it.
 */
import { randomBytes } from "node:crypto";
import { Client } from "../../client/client.js";
import type { Future } from "../../client/future.js";
import { BarnError, ErrorCodes } from "../../errors.js";
import { type RunOptions, withClient } from "../frame/run.js";
import { chunkIndices, chunkShape, offsets } from "./chunks.js";
import type { AnyTypedArray } from "./dtype.js";
import { assemble, type Piece } from "./exec/copy.js";
import { type LowerContext, lowerKeys, newContext } from "./lower.js";
import type { ArrayPlan } from "./plan.js";

export type { RunOptions };

let counter = 0;
const tag = randomBytes(3).toString("hex");

export function context(): LowerContext {
  return newContext(`${tag}${(counter++).toString(36)}`);
}

/** The plan's graph and its chunk keys. */
export function graphOf(plan: ArrayPlan): LowerContext & { keys: string[] } {
  const ctx = context();
  const keys = lowerKeys(plan, ctx);
  return Object.assign(ctx, { keys });
}

/** Chunks placed into one C-ordered typed array of the whole shape. */
export function place(plan: ArrayPlan, chunks: readonly AnyTypedArray[]): AnyTypedArray {
  const pieces: Piece[] = chunkIndices(plan.chunks).map((idx, i) => {
    const shape = chunkShape(plan.chunks, idx);
    return {
      src: i,
      srcShape: shape,
      srcStart: shape.map(() => 0),
      dstStart: idx.map((j, d) => offsets(plan.chunks[d]!)[j]!),
      count: shape,
    };
  });
  return assemble(chunks, pieces, plan.shape, plan.dtype);
}

/** The whole array, computed. */
export async function computePlan(plan: ArrayPlan, options: RunOptions): Promise<AnyTypedArray> {
  const g = graphOf(plan);
  const chunks = await withClient(options, async (client) => {
    const futures = client.submitGraph(g.graph, g.keys);
    try {
      return (await client.gather(futures)) as AnyTypedArray[];
    } finally {
      for (const f of futures) f.release();
    }
  });
  return place(plan, chunks);
}

/** Starts computing every chunk and returns their futures. */
export function persistPlan(
  plan: ArrayPlan,
  client: Client | undefined,
): { client: Client; futures: Future[] } {
  const c = client ?? Client.current();
  if (c === undefined) {
    throw new BarnError(
      ErrorCodes.CLIENT_CLOSED,
      "persist() needs a connected client to keep the chunks on: await Client.connect() first, or pass { client }",
    );
  }
  const g = graphOf(plan);
  return { client: c, futures: c.submitGraph(g.graph, g.keys) };
}
