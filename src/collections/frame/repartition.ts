/**
 * Repartitioning verbs: by row count (neighbours concatenated or split) and by key (dask's
 * `shuffle(on)`, a hash shuffle that the physical planner runs as tasks or P2P).
 */
import { OptionError } from "../../errors.js";
import type { Plan } from "./plan.js";
import { shuffleOption } from "./shuffle-option.js";
import { checkColumns, positiveInt } from "./verbs.js";

/** The same rows in `n` partitions. */
export function repartition(input: Plan, n: number): Plan {
  return {
    kind: "repartition",
    input,
    schema: input.schema,
    npartitions: positiveInt(n, "repartition(n)"),
  };
}

/**
 * The same rows in `n` partitions by the hash of `on` (dask's `shuffle(on)`): rows with equal
 * `on` values (nulls included) land in one partition, in their input order.
 */
export function shuffleOn(
  input: Plan,
  on: readonly string[],
  n: number,
  shuffle: unknown,
  verb = "shuffle",
): Plan {
  if (on.length === 0) throw new OptionError(`${verb}: give at least one column to shuffle on`);
  checkColumns(input.schema, on, verb);
  const method = shuffleOption(verb, shuffle);
  return {
    kind: "repartition",
    input,
    on,
    schema: input.schema,
    npartitions: positiveInt(n, verb === "shuffle" ? "shuffle: npartitions" : `${verb}(n)`),
    ...(method === undefined ? {} : { shuffle: method }),
  };
}
