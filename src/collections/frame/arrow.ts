/**
 * Batches to and from apache-arrow Tables: the one conversion lives in the IO layer
 * (io/arrow-batch.ts); the frame uses it under these names.
 */
export * from "../../io/arrow-batch.js";
