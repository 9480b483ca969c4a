/**
 * Where a frame's partitions come from: a registry of readers keyed by name. A reader is a task
 * function (declared with `tasks()`) that reads one part, given the columns to keep and the
 * filters it may use to skip data. "memory" (batches held in the graph) and "persisted" (keys
 * held on the cluster) are built in; file formats (parquet, csv, json) register theirs.
 */
import { OptionError } from "../../errors.js";

/** A registered reader. */
export interface Reader {
  /**
   * Reads one part: `(part, columns: string[] | null, filters: SourceFilter[]) => Batch |
   * Promise<Batch>`. Must be declared with `tasks()` so it ships to workers. It may ignore the
   * filters (the frame re-applies them) and must return only `columns` when they are given.
   */
  readonly read: Function;
  /** Whether the reader can use filters to skip data (explain shows them only then). */
  readonly usesFilters?: boolean | undefined;
  /**
   * Optional: reads one part and makes its partial aggregation in the same task, `(part,
   * columns, filters, steps: RowOp[], keys, aggs) => PartialAgg | Promise<PartialAgg>` (a
   * `tasks()` function; the steps may hold broadcast joins). A groupby over the source uses it
   * instead of `read` + aggregate (the physical plan's `scanAggregate` node), so the reader may
   * recycle what it read (scan-aggregate.ts `aggregateOwned`).
   */
  readonly aggregate?: Function | undefined;
}

const readers = new Map<string, Reader>();

/** Register (or replace) the reader for a source kind. */
export function registerReader(name: string, reader: Reader): void {
  if (typeof reader?.read !== "function") {
    throw new OptionError(
      `registerReader(${JSON.stringify(name)}, reader): reader.read must be a task function`,
    );
  }
  readers.set(name, reader);
}

/** The reader registered as `name`. */
export function readerOf(name: string): Reader {
  const r = readers.get(name);
  if (r === undefined) {
    throw new OptionError(
      `no reader is registered for sources of kind ${JSON.stringify(name)}; known: ${["memory (fromRecords, fromArrow, fromBatches)", "persisted (persist())", ...readers.keys()].join(", ")}. ` +
        "Fix: import the module that registers it (e.g. barn/frame's IO) before building the query.",
    );
  }
  return r;
}
