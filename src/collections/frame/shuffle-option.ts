/**
 * The `shuffle` option of the verbs that shuffle (merge, sortValues, setIndex, shuffle /
 * repartition by key, groupby with splitOut): "p2p" or "tasks"; left out, the DataFrame facade
 * puts the frame.shuffle setting (config/values.ts `configuredFrameShuffle`), and without that
 * the physical planner chooses by size (physical/planner.ts).
 */
import { OptionError } from "../../errors.js";

/** The shuffle a verb may be told to use. */
export type ShuffleOption = "p2p" | "tasks";

/** `shuffle` checked: undefined (the planner chooses), "p2p" or "tasks". */
export function shuffleOption(verb: string, v: unknown): ShuffleOption | undefined {
  if (v === undefined || v === "p2p" || v === "tasks") return v;
  throw new OptionError(`${verb}: shuffle must be "p2p" or "tasks", got ${JSON.stringify(v)}`);
}
