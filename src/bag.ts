/**
 * `barn/bag`: lazy, partitioned collections of plain JavaScript values (JSON records, log lines,
 * text), processed in parallel with ordinary functions. `import * as bb from "barn/bag"`.
 */

export { type BadLinesReport, countBadLines } from "./collections/bag/bad-lines.js";
export {
  type AggregateOptions,
  Bag,
  type ElementOf,
  type FoldbyOptions,
  type FoldOptions,
  type PersistOptions,
} from "./collections/bag/bag.js";
export { BagErrorCodes } from "./collections/bag/errors.js";
export type { KeyArg } from "./collections/bag/fns.js";
export { fromFrame, type ToFrameOptions, toFrame } from "./collections/bag/frame.js";
export { Item } from "./collections/bag/item.js";
export type { BagPlan, OnBadLines, Step } from "./collections/bag/plan.js";
export type { RunOptions } from "./collections/bag/run.js";
export {
  concat,
  type FromSequenceOptions,
  fromDelayed,
  fromSequence,
  type ReadJsonLinesOptions,
  type ReadTextOptions,
  readJsonLines,
  readText,
} from "./collections/bag/sources.js";
export { toJsonLines, toTextFiles, type WriteOptions } from "./collections/bag/write.js";
