/**
 * Between bags and barn/frame: `fromFrame` gives a bag of one record per row (the frame's graph
 * merged into the bag's, each partition turned into records by a task); `toFrame` gives a frame
 * of the bag's records, its schema given or inferred from the first records.
 */
import { OptionError } from "../../errors.js";
import { checkFieldTypes, checkOptionKeys } from "../../io/options.js";
import type { Schema } from "../../kernels/batch.js";
import { fromRecords } from "../frame/create.js";
import type { DataFrame } from "../frame/dataframe.js";
import { inferSchema } from "../frame/records.js";
import { graphOfPlan } from "../frame/run.js";
import type { Row } from "../frame/types.js";
import { Bag } from "./bag.js";
import type { RunOptions } from "./run.js";

/** A bag of the frame's rows as records (`{ column: value }`), one partition per partition. */
export function fromFrame<S extends Row>(df: DataFrame<S>): Bag<S> {
  if (typeof df?.plan !== "object") throw new OptionError("fromFrame(df): df must be a DataFrame");
  const { graph, keys } = graphOfPlan(df.plan);
  return new Bag<S>({ kind: "graph", graph, keys, as: "batch", npartitions: keys.length }, df.held);
}

/** Options of toFrame. */
export interface ToFrameOptions extends RunOptions {
  /** The columns' types; default inferred from the first `sample` records. */
  readonly schema?: Schema | undefined;
  /** How many records to infer the schema from (default 1000). */
  readonly sample?: number | undefined;
}

/**
 * A frame of the bag's records (plain objects), with as many partitions as the bag. The bag is
 * computed; its records are converted with the given schema, or one inferred from the first
 * `sample` records (a column with ints and floats becomes float64).
 */
export async function toFrame<S extends Row>(
  bag: Bag<S>,
  options: ToFrameOptions = {},
): Promise<DataFrame<S>> {
  checkOptionKeys("toFrame", options, ["schema", "sample", "client", "scheduler"]);
  if (options.schema !== undefined) checkFieldTypes("toFrame", options.schema);
  const run = { client: options.client, scheduler: options.scheduler };
  const schema = options.schema ?? inferSchema(await bag.take(options.sample ?? 1000, run));
  const records = await bag.compute(run);
  return fromRecords<S>(records, { schema, npartitions: bag.npartitions });
}
