/**
 * Making bags: from values in memory (`fromSequence`), from text and JSON-lines files
 * (`readText`, `readJsonLines`: globs, directories, gzip, byte-range blocks at line boundaries),
 * from Delayed values (`fromDelayed`) and from several bags (`concat`). Planning runs here, on
 * the client: it expands the paths and stats the files; the reading runs in tasks.
 */
import { type Delayed, graphOf } from "../../client/delayed.js";
import { OptionError } from "../../errors.js";
import { expandPaths } from "../../io/glob.js";
import { checkOptionKeys } from "../../io/options.js";
import { splitTextFilesSync } from "../../io/text-parts.js";
import { Bag } from "./bag.js";
import type { OnBadLines, SourcePart } from "./plan.js";

const MiB = 1024 * 1024;

/** Options of fromSequence: give at most one. */
export interface FromSequenceOptions {
  /** How many partitions to cut the values into (about equal). Default: up to 100 of >= 1 element. */
  readonly npartitions?: number | undefined;
  /** How many values per partition (the last may hold fewer). */
  readonly partitionSize?: number | undefined;
}

/** Options of readText. */
export interface ReadTextOptions {
  /** Target bytes per partition (default 32 MiB); a gzip file is always one partition. */
  readonly blocksize?: number | undefined;
}

/** Options of readJsonLines. */
export interface ReadJsonLinesOptions extends ReadTextOptions {
  /**
   * "error" (default): a line that is not JSON fails the task with BARN_JSON_PARSE naming the
   * file and line; "skip": such lines are dropped (a BARN_BAD_LINES process warning per block;
   * count them with countBadLines). Blank lines are always skipped.
   */
  readonly onBadLines?: OnBadLines | undefined;
}

function positiveInt(where: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    throw new OptionError(`${where}: ${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

/** A bag of `values` held in the graph, cut into partitions. */
export function fromSequence<T>(values: Iterable<T>, options: FromSequenceOptions = {}): Bag<T> {
  checkOptionKeys("fromSequence", options, ["npartitions", "partitionSize"]);
  if (values == null || typeof (values as Iterable<T>)[Symbol.iterator] !== "function") {
    throw new OptionError("fromSequence(values): values must be an array or another iterable");
  }
  if (options.npartitions !== undefined && options.partitionSize !== undefined) {
    throw new OptionError("fromSequence: give npartitions or partitionSize, not both");
  }
  const items = Array.isArray(values) ? values : [...values];
  const size =
    options.partitionSize !== undefined
      ? positiveInt("fromSequence", "partitionSize", options.partitionSize)
      : undefined;
  const n =
    size !== undefined
      ? Math.max(1, Math.ceil(items.length / size))
      : options.npartitions !== undefined
        ? positiveInt("fromSequence", "npartitions", options.npartitions)
        : Math.max(1, Math.min(100, items.length));
  const parts: SourcePart[] = Array.from({ length: n }, (_, i) => ({
    kind: "items",
    items:
      size !== undefined
        ? items.slice(i * size, (i + 1) * size)
        : items.slice(Math.floor((i * items.length) / n), Math.floor(((i + 1) * items.length) / n)),
  }));
  return new Bag<T>({ kind: "source", parts, npartitions: n });
}

function textParts(
  where: string,
  paths: string | readonly string[],
  blocksize: unknown,
): ReturnType<typeof splitTextFilesSync> {
  const bs = blocksize === undefined ? 32 * MiB : positiveInt(where, "blocksize", blocksize);
  const files = expandPaths(paths, [".txt", ".log", ".json", ".jsonl", ".ndjson", ".gz"]);
  return splitTextFilesSync(files, bs);
}

/**
 * A bag of the lines of text files (without their line endings). `paths`: a file, a directory
 * (its .txt, .log, .json, .jsonl, .ndjson and .gz files), a glob, or an array of these. Files
 * ending in .gz are gunzipped (one partition each); others are cut into blocks of about
 * `blocksize` bytes, each owning the lines that start in it.
 */
export function readText(
  paths: string | readonly string[],
  options: ReadTextOptions = {},
): Bag<string> {
  checkOptionKeys("readText", options, ["blocksize"]);
  const parts: SourcePart[] = textParts("readText", paths, options.blocksize).map((part) => ({
    kind: "text",
    part,
  }));
  return new Bag<string>({ kind: "source", parts, npartitions: parts.length });
}

/**
 * A bag of the records of JSON-lines files, one parsed value per non-blank line. Paths and
 * blocks as readText. `T` types the records (nothing checks it: use a filter to check).
 */
export function readJsonLines<T = unknown>(
  paths: string | readonly string[],
  options: ReadJsonLinesOptions = {},
): Bag<T> {
  checkOptionKeys("readJsonLines", options, ["blocksize", "onBadLines"]);
  const onBadLines = options.onBadLines ?? "error";
  if (onBadLines !== "error" && onBadLines !== "skip") {
    throw new OptionError(
      `readJsonLines: onBadLines must be "error" or "skip", got ${JSON.stringify(onBadLines)}`,
    );
  }
  const parts: SourcePart[] = textParts("readJsonLines", paths, options.blocksize).map((part) => ({
    kind: "jsonl",
    part,
    onBadLines,
  }));
  return new Bag<T>({ kind: "source", parts, npartitions: parts.length });
}

/** A bag with one partition per Delayed value; each must compute to an array (or iterable). */
export function fromDelayed<T>(
  values: readonly Delayed<Iterable<T>>[] | Delayed<Iterable<T>>,
): Bag<T> {
  const list = Array.isArray(values) ? values : [values as Delayed<Iterable<T>>];
  if (list.length === 0) throw new OptionError("fromDelayed(values): give at least one Delayed");
  for (const d of list) {
    if (typeof (d as Delayed)?.key !== "string" || (d as Delayed).node === undefined) {
      throw new OptionError("fromDelayed(values): every value must be a Delayed (from delayed())");
    }
  }
  const graph = graphOf(list as readonly Delayed[]);
  return new Bag<T>({
    kind: "graph",
    graph,
    keys: list.map((d) => (d as Delayed).key),
    as: "items",
    npartitions: list.length,
  });
}

/** The partitions of several bags, one after another. */
export function concat<T>(bags: readonly Bag<T>[]): Bag<T> {
  if (!Array.isArray(bags) || bags.length === 0 || !bags.every((b) => b instanceof Bag)) {
    throw new OptionError("concat(bags): give a non-empty array of bags");
  }
  return new Bag<T>(
    {
      kind: "concat",
      inputs: bags.map((b) => b.plan),
      npartitions: bags.reduce((n, b) => n + b.npartitions, 0),
    },
    bags.flatMap((b) => b.held),
  );
}
