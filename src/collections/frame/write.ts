/**
 * `toParquet`, `toCsv`, `toJson`: every partition is written by a task on the cluster, one file
 * per partition (`part-00000.parquet`, ...) in a directory, so nothing is gathered on the client.
 */
import { mkdirSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { OptionError } from "../../errors.js";
import { type GraphNode, ref, task } from "../../graph/spec.js";
import { type CsvWriteOptions, writeCsv } from "../../io/csv-write.js";
import { writeJson } from "../../io/json.js";
import { checkOptionKeys } from "../../io/options.js";
import { type ParquetWriteOptions, writeParquet } from "../../io/parquet.js";
import type { Batch } from "../../kernels/batch.js";
import { tasks } from "../../shipping/modules.js";
import type { Plan } from "./plan.js";
import { gatherWithProgress, graphOfPlan, type RunOptions, withClient } from "./run.js";

/** The file formats a frame writes. */
export type WriteFormat = "parquet" | "csv" | "json";

/** Options of toParquet: where to run, and the Parquet writer's options. */
export interface ToParquetOptions extends RunOptions, ParquetWriteOptions {}

/** Options of toCsv: where to run, the CSV writer's options, and gzip. */
export interface ToCsvOptions extends RunOptions, CsvWriteOptions {
  /** Write `part-00000.csv.gz` files, gzip-compressed (default false). */
  readonly gzip?: boolean | undefined;
}

/** Options of toJson: where to run, and gzip. */
export interface ToJsonOptions extends RunOptions {
  /** Write `part-00000.jsonl.gz` files, gzip-compressed (default false). */
  readonly gzip?: boolean | undefined;
}

/** What was written: one file per partition, in partition order. */
export interface WriteResult {
  readonly files: readonly string[];
  /** Rows written, in all. */
  readonly rows: number;
}

/** Writes one partition to `path` (creating the directory when a remote worker lacks it). */
async function writePart(
  batch: Batch,
  path: string,
  dir: string,
  format: WriteFormat,
  options: ParquetWriteOptions & CsvWriteOptions,
): Promise<number> {
  await mkdir(dir, { recursive: true });
  if (format === "parquet") await writeParquet(batch, path, options);
  else if (format === "csv") await writeCsv(batch, path, options);
  else await writeJson(batch, path);
  return batch.length;
}

/** The writers' task functions. */
export const writerOps = tasks(import.meta.url, { writePart });

const EXT: Record<WriteFormat, string> = { parquet: ".parquet", csv: ".csv", json: ".jsonl" };
const NAME: Record<WriteFormat, string> = { parquet: "Parquet", csv: "Csv", json: "Json" };
const WRITE_KEYS: Record<WriteFormat, readonly string[]> = {
  parquet: ["client", "scheduler", "progress", "rowGroupSize", "codec"],
  csv: ["client", "scheduler", "progress", "delimiter", "header", "gzip"],
  json: ["client", "scheduler", "progress", "gzip"],
};

/** Runs `plan` and writes each partition into `dir` as a task. */
export async function writeFrame(
  plan: Plan,
  dir: string,
  format: WriteFormat,
  options: RunOptions & ParquetWriteOptions & CsvWriteOptions & { gzip?: boolean | undefined },
): Promise<WriteResult> {
  if (typeof dir !== "string" || dir === "") {
    throw new OptionError(
      `to${format === "json" ? "Json" : format === "csv" ? "Csv" : "Parquet"}(dir): dir must be a directory path, got ${JSON.stringify(dir)}`,
    );
  }
  checkOptionKeys(`to${NAME[format]}`, options, WRITE_KEYS[format]);
  mkdirSync(dir, { recursive: true });
  const { graph, keys } = graphOfPlan(plan);
  const ext = EXT[format] + (options.gzip === true && format !== "parquet" ? ".gz" : "");
  const writerOptions = {
    rowGroupSize: options.rowGroupSize,
    codec: options.codec,
    delimiter: options.delimiter,
    header: options.header,
  };
  const files = keys.map((_, i) => join(dir, `part-${String(i).padStart(5, "0")}${ext}`));
  const g = new Map<string, GraphNode>(graph);
  const outs = keys.map((k, i) => {
    const key = `write-${format}-${k}`;
    g.set(key, task(writerOps.writePart, ref(k), files[i]!, dir, format, writerOptions));
    return key;
  });
  const rows = await withClient(options, async (client) => {
    const futures = client.submitGraph(g, outs);
    try {
      const counts = (await gatherWithProgress(client, futures, options)) as number[];
      return counts.reduce((a, b) => a + b, 0);
    } finally {
      for (const f of futures) f.release();
    }
  });
  return { files, rows };
}
