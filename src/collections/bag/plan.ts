/**
 * A bag's logical plan: plain, immutable data, one node per operation that changes how
 * partitions relate. Element-wise steps (map, filter, flatMap, pluck, flatten, join with a
 * list) are not nodes of their own: consecutive ones share one `steps` node, so lowering gives
 * one task per partition for the whole chain (and for the read under it, and the first step of
 * a reduction over it). User functions are held as ShippedFn (already checked to ship).
 */

import type { TextPart } from "../../io/text-parts.js";
import type { ShippedFn } from "../../shipping/ship.js";

/** What to do with a line that is not valid JSON. */
export type OnBadLines = "error" | "skip";

/** Where a source partition's elements come from. Plain data; refs to graph keys allowed. */
export type SourcePart =
  | { readonly kind: "items"; readonly items: unknown }
  | { readonly kind: "text"; readonly part: TextPart }
  | { readonly kind: "jsonl"; readonly part: TextPart; readonly onBadLines: OnBadLines };

/** An element-wise step: fused with its neighbours into one loop over a partition. */
export type Step =
  | { readonly op: "map"; readonly fn: ShippedFn }
  | { readonly op: "filter"; readonly fn: ShippedFn }
  | { readonly op: "flatMap"; readonly fn: ShippedFn }
  | { readonly op: "pluck"; readonly key: string | number; readonly fallback?: { value: unknown } }
  | { readonly op: "pluckMany"; readonly keys: readonly (string | number)[] }
  | { readonly op: "flatten" }
  | {
      readonly op: "join";
      readonly other: readonly unknown[];
      readonly onOther: ShippedFn;
      readonly onSelf: ShippedFn;
    };

/**
 * A streaming aggregation: each partition folds its elements into a partial (plain data that
 * crosses threads), partials combine in a tree, and the last combine gives the result.
 */
export type AggSpec =
  | { readonly agg: "count" }
  | { readonly agg: "sum" }
  | { readonly agg: "min" }
  | { readonly agg: "max" }
  | { readonly agg: "moments"; readonly out: "mean" | "var" | "std"; readonly ddof: number }
  | { readonly agg: "any" }
  | { readonly agg: "all" }
  | { readonly agg: "frequencies"; readonly sort: boolean }
  | { readonly agg: "topk"; readonly k: number; readonly key?: ShippedFn | undefined }
  | { readonly agg: "distinct"; readonly key?: ShippedFn | undefined }
  | {
      readonly agg: "fold";
      readonly binop: ShippedFn;
      readonly combine: ShippedFn;
      readonly initial?: { value: unknown } | undefined;
    }
  | {
      readonly agg: "foldby";
      readonly key: ShippedFn;
      readonly binop: ShippedFn;
      readonly combine: ShippedFn;
      readonly initial?: { value: unknown } | undefined;
      readonly combineInitial?: { value: unknown } | undefined;
    }
  | { readonly agg: "reduction"; readonly perPartition: ShippedFn; readonly aggregate: ShippedFn };

/** The aggregations whose result is a bag (one partition) rather than one value. */
export const BAG_AGGS: ReadonlySet<AggSpec["agg"]> = new Set([
  "frequencies",
  "topk",
  "distinct",
  "foldby",
]);

/** A bag's plan. `npartitions` is known for every node. */
export type BagPlan =
  | { readonly kind: "source"; readonly parts: readonly SourcePart[]; readonly npartitions: number }
  /** Partitions already held on the cluster (persist()): one key per partition. */
  | { readonly kind: "persisted"; readonly keys: readonly string[]; readonly npartitions: number }
  /** Partitions computed by another graph (fromDelayed, fromFrame): merged into this one. */
  | {
      readonly kind: "graph";
      readonly graph: ReadonlyMap<string, unknown>;
      readonly keys: readonly string[];
      /** How to turn each key's value into elements: as is (an array), or a frame batch. */
      readonly as: "items" | "batch";
      readonly npartitions: number;
    }
  | {
      readonly kind: "steps";
      readonly input: BagPlan;
      readonly steps: readonly Step[];
      readonly npartitions: number;
    }
  | {
      readonly kind: "mapPartitions";
      readonly input: BagPlan;
      readonly fn: ShippedFn;
      readonly npartitions: number;
    }
  | {
      readonly kind: "aggregate";
      readonly input: BagPlan;
      readonly spec: AggSpec;
      readonly splitEvery: number;
      readonly npartitions: 1;
    }
  | {
      readonly kind: "groupby";
      readonly input: BagPlan;
      readonly key: ShippedFn;
      readonly npartitions: number;
    }
  | { readonly kind: "repartition"; readonly input: BagPlan; readonly npartitions: number }
  | { readonly kind: "zip"; readonly inputs: readonly BagPlan[]; readonly npartitions: number }
  | {
      readonly kind: "product";
      readonly left: BagPlan;
      readonly right: BagPlan;
      readonly npartitions: number;
    }
  | {
      readonly kind: "accumulate";
      readonly input: BagPlan;
      readonly binop: ShippedFn;
      readonly initial?: { value: unknown } | undefined;
      readonly npartitions: number;
    }
  | { readonly kind: "concat"; readonly inputs: readonly BagPlan[]; readonly npartitions: number };

/** `steps` appended to `input`'s, fusing with an element-wise node under it. */
export function withSteps(input: BagPlan, steps: readonly Step[]): BagPlan {
  if (input.kind === "steps") {
    return { ...input, steps: [...input.steps, ...steps] };
  }
  return { kind: "steps", input, steps, npartitions: input.npartitions };
}
