/**
 * The file-format readers of barn/frame as task functions: each reads one planned part (a run
 * of Parquet row groups, a byte range of a CSV or JSON lines file) inside a task, keeping only
 * the columns the optimiser asked for. They are registered as the "parquet", "csv" and "json"
 * source kinds when this module loads (on the client, and on every worker that imports it to
 * find the task functions).
 */
import type { FileMetaData } from "hyparquet";
import { type CsvOptions, type CsvPart, readCsvPart } from "../../io/csv.js";
import type { Predicate } from "../../io/filters.js";
import { type JsonOptions, type JsonPart, readJsonPart } from "../../io/json.js";
import type { ParquetPart } from "../../io/parquet.js";
import { projectSchema } from "../../io/schema.js";
import type { AggSpec, PartialAgg } from "../../kernels/aggregate.js";
import type { Batch, Schema } from "../../kernels/batch.js";
import { concatBatches, emptyBatch } from "../../kernels/column.js";
import { tasks } from "../../shipping/modules.js";
import type { RowOp, SourceFilter } from "./plan.js";
import { aggregateOwned } from "./scan-aggregate.js";
import { registerReader } from "./sources.js";

/** The read-time options of a text part (what readCsvPart / readJsonPart take). */
export type TextReadOptions = Pick<
  CsvOptions,
  "delimiter" | "nullValues" | "quotedStringsCanBeNull" | "onBadLines" | "header"
>;

/** A planned CSV partition: the byte range, the file's full schema and the read options. */
export interface CsvSourcePart {
  readonly part: CsvPart;
  readonly schema: Schema;
  readonly options: TextReadOptions;
}

/** A planned JSON lines partition. */
export interface JsonSourcePart {
  readonly part: JsonPart;
  readonly schema: Schema;
  readonly options: Pick<JsonOptions, "onBadLines">;
}

let parquetModules:
  | Promise<[typeof import("../../io/parquet.js"), typeof import("../../io/parquet-footer.js")]>
  | undefined;
/**
 * The Parquet reader, loaded by the first Parquet task: hyparquet, its codecs and writer take a
 * worker thread a while to compile, and a CSV or JSON query never needs them.
 */
function parquetIo() {
  parquetModules ??= Promise.all([
    import("../../io/parquet.js"),
    import("../../io/parquet-footer.js"),
  ]);
  return parquetModules;
}

/** Row groups of `part` that statistics cannot rule out, as runs of consecutive row groups. */
function keptRuns(
  part: ParquetPart,
  meta: FileMetaData,
  preds: readonly Predicate[],
  rowGroupMayMatch: typeof import("../../io/parquet.js").rowGroupMayMatch,
): ParquetPart[] {
  const starts: number[] = [];
  let row = 0;
  for (const rg of meta.row_groups) {
    starts.push(row);
    row += Number(rg.num_rows);
  }
  const runs: ParquetPart[] = [];
  let run: number[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const last = run[run.length - 1]!;
    runs.push({
      ...part,
      rowGroups: run,
      rowStart: starts[run[0]!]!,
      rowEnd: starts[last]! + Number(meta.row_groups[last]!.num_rows),
    });
    run = [];
  };
  for (const g of part.rowGroups) {
    if (rowGroupMayMatch(meta, g, preds, part.schema)) run.push(g);
    else flush();
  }
  flush();
  return runs;
}

/**
 * Reads one Parquet part. With filters, the file's footer is read first and row groups whose
 * min/max statistics prove that no row matches are skipped (the frame still applies the filter
 * to the rows read). `scratch` is readParquetPart's option: the caller owns the batch's buffers.
 */
async function readParquetSource(
  part: ParquetPart,
  columns: readonly string[] | null,
  filters: readonly SourceFilter[],
  options: { readonly scratch?: boolean } = {},
): Promise<Batch> {
  const cols = columns ?? undefined;
  const [{ readParquetPart, rowGroupMayMatch }, { readFooter }] = await parquetIo();
  if (filters.length === 0) return readParquetPart(part, cols, options);
  const runs = keptRuns(part, await readFooter(part.path), filters, rowGroupMayMatch);
  if (runs.length === 0) return emptyBatch(projectSchema(part.schema, cols));
  if (runs.length === 1) return readParquetPart(runs[0]!, cols, options);
  return concatBatches(await Promise.all(runs.map((r) => readParquetPart(r, cols))));
}

/** Warns (process warning BARN_BAD_LINES) that a part skipped malformed rows. */
function warnBadLines(kind: string, part: CsvPart | JsonPart, badLines: number): void {
  if (badLines === 0) return;
  const where = part.gzip ? part.path : `${part.path} (bytes ${part.start}-${part.end})`;
  process.emitWarning(
    `barn/frame ${kind}: skipped ${badLines} malformed row${badLines === 1 ? "" : "s"} in ${where} (onBadLines: "skip")`,
    { code: "BARN_BAD_LINES", detail: JSON.stringify({ path: part.path, badLines }) },
  );
}

/** Reads one CSV part (a byte range of a file) with the planned schema, projected. */
async function readCsvSource(
  source: CsvSourcePart,
  columns: readonly string[] | null,
): Promise<Batch> {
  const schema = projectSchema(source.schema, columns ?? undefined);
  const { batch, badLines } = await readCsvPart(source.part, schema, source.options);
  warnBadLines("readCsv", source.part, badLines);
  return batch;
}

/**
 * Reads one JSON lines part with the planned schema, projected. The filters let the scan skip
 * building rows that fail them (the frame applies them again).
 */
async function readJsonSource(
  source: JsonSourcePart,
  columns: readonly string[] | null,
  filters: readonly SourceFilter[] = [],
): Promise<Batch> {
  const schema = projectSchema(source.schema, columns ?? undefined);
  const { batch, badLines } = await readJsonPart(source.part, schema, {
    ...source.options,
    filters,
  });
  warnBadLines("readJson", source.part, badLines);
  return batch;
}

/** How many malformed rows one CSV part holds (read with every column, in "skip" mode). */
async function csvBadLines(source: CsvSourcePart): Promise<number> {
  const options = { ...source.options, onBadLines: "skip" as const };
  return (await readCsvPart(source.part, source.schema, options)).badLines;
}

/** How many malformed lines one JSON lines part holds. */
async function jsonBadLines(source: JsonSourcePart): Promise<number> {
  return (await readJsonPart(source.part, source.schema, { onBadLines: "skip" })).badLines;
}

/**
 * A Parquet part read into scratch memory, the steps under the groupby (row-wise steps and
 * broadcast joins) and its partial aggregation, in one task (`Reader.aggregate`): the columns
 * read go back to the scratch pool afterwards.
 */
async function aggregateParquetSource(
  part: ParquetPart,
  columns: readonly string[] | null,
  filters: readonly SourceFilter[],
  steps: readonly RowOp[],
  keys: readonly string[],
  aggs: readonly AggSpec[],
): Promise<PartialAgg> {
  const batch = await readParquetSource(part, columns, filters, { scratch: true });
  return aggregateOwned(batch, steps, keys, aggs);
}

/** The readers' task functions (shipped to workers by module reference). */
export const readerOps = tasks(import.meta.url, {
  readParquetSource,
  aggregateParquetSource,
  readCsvSource,
  readJsonSource,
  csvBadLines,
  jsonBadLines,
});

registerReader("parquet", {
  read: readerOps.readParquetSource,
  usesFilters: true,
  aggregate: readerOps.aggregateParquetSource,
});
registerReader("csv", { read: readerOps.readCsvSource });
registerReader("json", { read: readerOps.readJsonSource });
