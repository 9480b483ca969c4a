/**
 * Work stealing under random interleavings: the property scenario (property-run.ts) with
 * stealing on, long tasks and frequent balance events. Steals race with late messages, worker
 * deaths, releases and resubmissions; validate() runs after every handle() and every wanted
 * key must end with the right value. The runs must steal something, or the test proves nothing.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { run, specArb } from "./property-run.js";

test("random interleavings with work stealing keep the state valid and the values right", () => {
  const seed = process.env.BARN_SEED === undefined ? {} : { seed: Number(process.env.BARN_SEED) };
  let stolen = 0;
  const arb = specArb.map((spec) => ({
    ...spec,
    workStealing: true,
    durationScale: 100 as const,
    saturation: 2 as const,
    // one action in four is a balance event (op 19)
    actions: spec.actions.map((a, i) => (i % 4 === 3 ? Math.floor(a / 20) * 20 + 19 : a)),
  }));
  const out = fc.check(
    fc.property(arb, (spec) => {
      stolen += run(spec);
    }),
    { numRuns: Number(process.env.BARN_RUNS ?? 200), ...seed },
  );
  if (out.failed) {
    const e = out.errorInstance;
    throw new Error(`${fc.defaultReportMessage(out)}\n${e instanceof Error ? e.stack : String(e)}`);
  }
  if (process.env.BARN_TRACE_STEALS === "1") console.log(`stolen: ${stolen}`);
  assert.ok(stolen >= 5, `only ${stolen} tasks were stolen in all runs`);
});
