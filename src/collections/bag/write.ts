/**
 * `toTextFiles` and `toJsonLines`: one file per partition, written by the task that computes
 * the partition (the elements never come to the client). `path` is a directory (files
 * `0.txt`/`0.jsonl`, ...), or a name with `*` replaced by the partition's number; names ending
 * in `.gz`, or `{ gzip: true }`, are gzip-compressed.
 */
import { join } from "node:path";
import { OptionError } from "../../errors.js";
import { checkOptionKeys } from "../../io/options.js";
import { withClient } from "../frame/run.js";
import type { Bag } from "./bag.js";
import { lowerPending, sinkTasks } from "./lower.js";
import { context, type RunOptions } from "./run.js";

/** Options of toTextFiles and toJsonLines. */
export interface WriteOptions extends RunOptions {
  /** Gzip every file (default: when the name ends in .gz). */
  readonly gzip?: boolean | undefined;
}

/** The file of partition `i` for a path spec. */
export function partitionPath(path: string, i: number, ext: string, gzip: boolean): string {
  if (path.includes("*")) return path.replace("*", String(i));
  return join(path, `${i}${ext}${gzip ? ".gz" : ""}`);
}

/** Writes each partition to its file; resolves to the paths written, in partition order. */
export async function writeBag(
  bag: Bag<unknown>,
  path: string,
  format: "text" | "json",
  options: WriteOptions,
): Promise<string[]> {
  const where = format === "text" ? "toTextFiles" : "toJsonLines";
  checkOptionKeys(where, options, ["gzip", "client", "scheduler"]);
  if (typeof path !== "string" || path === "") {
    throw new OptionError(`${where}(path): path must be a directory or a name with "*" in it`);
  }
  const ctx = context();
  const pending = lowerPending(bag.plan, ctx);
  const gzip = options.gzip ?? (path.includes("*") && path.endsWith(".gz"));
  const ext = format === "text" ? ".txt" : ".jsonl";
  const keys = sinkTasks(
    pending,
    (i) => ({ kind: "write", path: partitionPath(path, i, ext, gzip), format, gzip }),
    where,
    ctx,
  );
  return withClient(options, (c) => c.get(ctx.graph, keys)) as Promise<string[]>;
}

/** Writes each partition's elements as lines (`String(x)`), one file per partition. */
export function toTextFiles<T>(
  bag: Bag<T>,
  path: string,
  options: WriteOptions = {},
): Promise<string[]> {
  return writeBag(bag as Bag<unknown>, path, "text", options);
}

/** Writes each partition's elements as JSON lines, one file per partition. */
export function toJsonLines<T>(
  bag: Bag<T>,
  path: string,
  options: WriteOptions = {},
): Promise<string[]> {
  return writeBag(bag as Bag<unknown>, path, "json", options);
}
