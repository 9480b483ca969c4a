/**
 * Random DAGs on a random, changing cluster, with late messages and dying workers: every wanted
 * key ends in memory with the right value (or justly erred) and validate() never throws. The
 * scenario is in property-run.ts. BARN_SEED and BARN_RUNS reproduce or extend a run;
 * BARN_TRACE=1 prints every event and instruction (and the state dump on failure).
 */
import { test } from "node:test";
import fc from "fast-check";
import { run, specArb } from "./property-run.js";

test("random graphs, clusters and interleavings always end with the right values", () => {
  const seed = process.env.BARN_SEED === undefined ? {} : { seed: Number(process.env.BARN_SEED) };
  const out = fc.check(
    fc.property(specArb, (spec) => {
      run(spec);
    }),
    { numRuns: Number(process.env.BARN_RUNS ?? 300), ...seed },
  );
  if (out.failed) {
    const e = out.errorInstance;
    throw new Error(`${fc.defaultReportMessage(out)}\n${e instanceof Error ? e.stack : String(e)}`);
  }
});
