/** `concat([a, b, ...])`: frames with the same columns, one after another. */
import { DataFrame } from "./dataframe.js";
import type { Row } from "./types.js";
import * as verbs from "./verbs.js";

/** The frames' partitions one after another (same column names and types required). */
export function concat<S extends Row>(frames: readonly DataFrame<S>[]): DataFrame<S> {
  return new DataFrame<S>(
    verbs.concat(frames.map((f) => f.plan)),
    frames.flatMap((f) => f.held),
  );
}
