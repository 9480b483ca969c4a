/**
 * The `shuffle` option of the verbs that shuffle (merge, sortValues, setIndex, shuffle /
 * repartition by key, groupby with splitOut): "p2p" or "tasks", else the frame.shuffle setting
 * (BARN_FRAME_SHUFFLE), else the physical planner's choice by size (physical/planner.ts).
 */
import { configuredString } from "../../config/values.js";
import { OptionError } from "../../errors.js";

/** The shuffle a verb may be told to use. */
export type ShuffleOption = "p2p" | "tasks";

/** `shuffle` checked: undefined (the planner chooses), "p2p" or "tasks". */
export function shuffleOption(verb: string, v: unknown): ShuffleOption | undefined {
  if (v === undefined || v === "p2p" || v === "tasks") return v;
  throw new OptionError(`${verb}: shuffle must be "p2p" or "tasks", got ${JSON.stringify(v)}`);
}

/** The frame.shuffle setting as a verb's shuffle option (undefined: the planner chooses). */
export function configuredShuffle(): ShuffleOption | undefined {
  const v = configuredString("frame.shuffle");
  return v === "p2p" || v === "tasks" ? v : undefined;
}

/** The user's `shuffle` checked, else the frame.shuffle setting. */
export function chosenShuffle(verb: string, v: unknown): ShuffleOption | undefined {
  return shuffleOption(verb, v) ?? configuredShuffle();
}
