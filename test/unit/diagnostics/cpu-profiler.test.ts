/**
 * The CPU profiler of a thread: a cut hands over the period's profile while V8 keeps sampling
 * (the next profile began before the last one ended), so no period starts the profiler anew.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { CpuProfiler } from "../../../src/diagnostics/cpu-profiler.js";
import { BarnError } from "../../../src/errors.js";

function burn(ms: number): number {
  const t = performance.now();
  let x = 0;
  while (performance.now() - t < ms) x += Math.sqrt(x + 1);
  return x;
}

test("cuts overlap: each period's profile began before the previous one ended", {
  timeout: 30_000,
}, async () => {
  const p = new CpuProfiler();
  await p.start(1000);
  const cuts = [];
  for (let i = 0; i < 3; i++) {
    burn(30);
    cuts.push((await p.cut()).profile);
  }
  burn(30);
  cuts.push((await p.stop()).profile);
  assert.equal(p.running, false);
  for (const c of cuts) assert.ok(c.nodes.length > 0 && c.endTime > c.startTime);
  for (let i = 1; i < cuts.length; i++) {
    assert.ok(
      cuts[i]!.startTime <= cuts[i - 1]!.endTime,
      `period ${i} started at ${cuts[i]!.startTime} µs, after period ${i - 1} ended at ${cuts[i - 1]!.endTime} µs: the profiler stopped between them`,
    );
  }
});

test("two profilers on one thread read only their own profiles; a stopped one refuses cuts", {
  timeout: 30_000,
}, async () => {
  const a = new CpuProfiler();
  const b = new CpuProfiler();
  await a.start(1000);
  await b.start(1000);
  burn(20);
  const pa = await a.cut();
  const pb = await b.stop();
  assert.ok(pa.profile.nodes.length > 0 && pb.profile.nodes.length > 0);
  burn(10);
  assert.ok((await a.stop()).profile.nodes.length > 0);
  await assert.rejects(
    a.cut(),
    (e: unknown) => e instanceof BarnError && e.code === "BARN_PROFILER_FAILED",
  );
});

test("protocol mode (node --cpu-prof's): cuts restart the profiler and still hand over profiles", {
  timeout: 30_000,
}, async () => {
  const p = new CpuProfiler("protocol");
  assert.equal(new CpuProfiler().mode, "console", "the default without --cpu-prof");
  await p.start(1000);
  burn(20);
  const first = (await p.cut()).profile;
  burn(20);
  const second = (await p.stop()).profile;
  assert.ok(first.nodes.length > 0 && second.nodes.length > 0);
  assert.ok(second.startTime >= first.endTime, "a cut stops, then starts again");
});
