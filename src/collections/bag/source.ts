/**
 * Reading one source partition into a sink, on the worker: the elements of an array, the lines
 * of a byte range of a text file, or the parsed records of a JSON-lines range. The loop keeps the
 * index of the source element in flight, so a step that throws is reported as "element i of
 * partition p", and it stops early once the sink says it has enough (take).
 */
import { BarnError } from "../../errors.js";
import { IoErrorCodes } from "../../io/codes.js";
import { lineNumberer, type PartBytes, type TextPart, withPartBytes } from "../../io/text-parts.js";
import { BagErrorCodes } from "./errors.js";
import type { SourcePart } from "./plan.js";
import { type Sink, StepFailure } from "./steps.js";

/** Shared between a source loop and its sink: the sink sets `done` to stop the loop. */
export interface Flow {
  done: boolean;
}

/** Feeds every element of `source` to `sink` (through the fused steps already in it). */
export async function feedSource(
  source: SourcePart,
  sink: Sink,
  flow: Flow,
  partition: number,
): Promise<void> {
  switch (source.kind) {
    case "items":
      return feedItems(source.items, sink, flow, partition);
    case "text":
      return readingFile(source.part, (b) => feedLines(source.part, b, sink, flow, partition));
    case "jsonl":
      return readingFile(source.part, (b) =>
        feedJsonLines(source.part, source.onBadLines, b, sink, flow, partition),
      );
    default:
      return source satisfies never;
  }
}

/** Feeds an array (or any iterable) held in memory. */
export function feedItems(items: unknown, sink: Sink, flow: Flow, partition: number): void {
  if (!Array.isArray(items)) {
    if (items == null || typeof (items as Iterable<unknown>)[Symbol.iterator] !== "function") {
      throw new BarnError(
        BagErrorCodes.BAD_PARTITION,
        `partition ${partition} is ${items === null ? "null" : typeof items}, not an array. Fix: make each partition (a fromDelayed value, a mapPartitions result) an array or another iterable`,
      );
    }
    items = [...(items as Iterable<unknown>)];
  }
  const arr = items as unknown[];
  let i = 0;
  try {
    for (; i < arr.length && !flow.done; i++) sink(arr[i]);
  } catch (e) {
    throw elementError(e, partition, i);
  }
}

/** The error of a step that threw on source element `index` of `partition`. */
export function elementError(e: unknown, partition: number, index: number, where = ""): unknown {
  if (!(e instanceof StepFailure)) return e;
  const cause = e.cause;
  const name = cause instanceof Error ? cause.name : "Error";
  const msg = cause instanceof Error ? cause.message : String(cause);
  const err = new Error(
    `${e.step} threw on element ${index} of partition ${partition}${where}: ${msg}`,
    { cause },
  );
  err.name = name;
  if (cause instanceof Error && cause.stack !== undefined) {
    err.stack = `${name}: ${err.message}\n${cause.stack.split("\n").slice(1).join("\n")}`;
  }
  return err;
}

async function readingFile(part: TextPart, use: (b: PartBytes) => Promise<void>): Promise<void> {
  try {
    await withPartBytes(part, use);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "ENOENT" || code === "EACCES" || code === "EISDIR") {
      throw new BarnError(
        IoErrorCodes.NOT_FOUND,
        `cannot read ${part.path}: ${(e as Error).message}. Fix: check that the file exists and is readable by the workers`,
        { cause: e },
      );
    }
    if (code === "Z_DATA_ERROR" || code === "Z_BUF_ERROR") {
      throw new BarnError(
        IoErrorCodes.CORRUPT,
        `${part.path} is not valid gzip: ${(e as Error).message}. Fix: name only gzip files *.gz`,
        { cause: e },
      );
    }
    throw e;
  }
}

/** The part's bytes decoded as one string (one copy; lines are slices of it). */
function decode(b: PartBytes): string {
  return Buffer.from(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength).toString(
    "utf8",
    b.begin,
    b.finish,
  );
}

async function feedLines(
  part: TextPart,
  b: PartBytes,
  sink: Sink,
  flow: Flow,
  partition: number,
): Promise<void> {
  const text = decode(b);
  let i = 0;
  let pos = 0;
  try {
    while (pos < text.length && !flow.done) {
      let nl = text.indexOf("\n", pos);
      if (nl < 0) nl = text.length;
      const end = nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      sink(text.slice(pos, end));
      pos = nl + 1;
      i++;
    }
  } catch (e) {
    throw elementError(e, partition, i, ` (a line of ${part.path})`);
  }
}

async function feedJsonLines(
  part: TextPart,
  onBadLines: "error" | "skip",
  b: PartBytes,
  sink: Sink,
  flow: Flow,
  partition: number,
): Promise<void> {
  const text = decode(b);
  let i = 0;
  let line = 0;
  let pos = 0;
  let bad = 0;
  try {
    while (pos < text.length && !flow.done) {
      let nl = text.indexOf("\n", pos);
      if (nl < 0) nl = text.length;
      if (!isBlank(text, pos, nl)) {
        let value: unknown;
        try {
          value = JSON.parse(text.slice(pos, nl));
        } catch (e) {
          if (onBadLines === "error") {
            const fileLine = await lineNumberer(part, b.bytes, b.base, b.begin)(line);
            throw badLine(part, fileLine, text.slice(pos, nl), e);
          }
          bad++;
          value = SKIP;
        }
        if (value !== SKIP) {
          sink(value);
          i++;
        }
      }
      pos = nl + 1;
      line++;
    }
  } catch (e) {
    throw elementError(e, partition, i, ` (a record of ${part.path})`);
  }
  if (bad > 0) warnBadLines(part, bad);
}

const SKIP = Symbol("skip");

function isBlank(text: string, from: number, to: number): boolean {
  for (let j = from; j < to; j++) {
    const c = text.charCodeAt(j);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

function badLine(part: TextPart, line: number, text: string, cause: unknown): BarnError {
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return new BarnError(
    IoErrorCodes.JSON_PARSE,
    `${part.path}:${line}: not valid JSON (${(cause as Error).message}): ${shown}. ` +
      'Fix: correct the line, or read with { onBadLines: "skip" } to drop such lines (count them with countBadLines)',
    { cause },
  );
}

function warnBadLines(part: TextPart, badLines: number): void {
  const where = part.gzip ? part.path : `${part.path} (bytes ${part.start}-${part.end})`;
  process.emitWarning(
    `barn/bag readJsonLines: skipped ${badLines} malformed line${badLines === 1 ? "" : "s"} in ${where} (onBadLines: "skip")`,
    { code: "BARN_BAD_LINES", detail: JSON.stringify({ path: part.path, badLines }) },
  );
}

/** Counts the lines of a JSON-lines part that are not valid JSON (countBadLines). */
export async function countBadJsonLines(part: TextPart): Promise<number> {
  let bad = 0;
  await readingFile(part, async (b) => {
    const text = decode(b);
    let pos = 0;
    while (pos < text.length) {
      let nl = text.indexOf("\n", pos);
      if (nl < 0) nl = text.length;
      if (!isBlank(text, pos, nl)) {
        try {
          JSON.parse(text.slice(pos, nl));
        } catch (err) {
          if (!(err instanceof SyntaxError)) throw err;
          bad++;
        }
      }
      pos = nl + 1;
    }
  });
  return bad;
}
