import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCodes } from "../../../src/errors.js";
import {
  finishedColumns,
  ReportBuilder,
  readReport,
  readReportDiagnostics,
} from "../../../src/protocol/report-codec.js";

test("a report reads back item by item, as it was added", () => {
  const b = new ReportBuilder();
  assert.equal(b.take(), undefined, "nothing added: no message");
  const error = { name: "TaskError", code: ErrorCodes.TASK_FAILED, message: "boom" };
  b.finished("a", 8, 0.5, 3, 1000);
  b.finished("b", 0, 0, -1, 1001);
  b.erred("c", error, 4);
  b.missing("d", "w1");
  b.stolen("e", "ready", true);
  b.stopped("f");
  b.stopped("g\u0001h");
  const msg = b.take();
  assert.ok(msg !== undefined);
  assert.equal(b.take(), undefined, "take() starts anew");
  // The message crosses threads by structured clone.
  const seen: unknown[] = [];
  readReport(structuredClone(msg), {
    finished: (...a) => seen.push(["finished", ...a]),
    erred: (...a) => seen.push(["erred", ...a]),
    missing: (...a) => seen.push(["missing", ...a]),
    stolen: (...a) => seen.push(["stolen", ...a]),
    stopped: (keys) => seen.push(["stopped", keys]),
  });
  assert.deepEqual(seen, [
    ["finished", "a", 8, 0.5, 3],
    ["finished", "b", 0, 0, undefined],
    ["erred", "c", error, 4],
    ["missing", "d", "w1"],
    ["stopped", ["f", "g\u0001h"]],
    ["stolen", "e", "ready", true],
  ]);
});

test("a report's diagnostics (stop times, peer fetches, a sample) read back", () => {
  const b = new ReportBuilder();
  b.finished("a", 8, 0.5, 3, 1500);
  b.transfer("w2", 3, 4096, 100, 110);
  const sample = { time: 2000, heap: 1e6, rss: 0, cpu: 0.5 };
  b.sample(sample);
  const chunk = {
    time: 3000,
    ms: 2000,
    groups: [
      {
        group: "inc",
        samples: 1,
        tree: { name: "(root)", file: "", line: 0, self: 0, total: 1, children: [] },
      },
    ],
  };
  b.profile(chunk);
  const msg = structuredClone(b.take()!);
  const seen: unknown[] = [];
  readReportDiagnostics(msg, {
    transfer: (...a) => seen.push(["transfer", ...a]),
    sample: (s) => seen.push(["sample", s]),
    profile: (p) => seen.push(["profile", p]),
  });
  const cols = finishedColumns(msg, 9999);
  assert.deepEqual(
    [cols.keys, [...cols.nbytes], [...cols.start], [...cols.stop]],
    [["a"], [8], [1000], [1500]],
    "the worker's stop time, and the start half a second before it",
  );
  assert.deepEqual(seen, [
    ["transfer", "w2", 3, 4096, 100, 110],
    ["sample", sample],
    ["profile", chunk],
  ]);
  // A worker that sends no stop times (an older one): the stop is when the report came.
  const noStops = finishedColumns(
    { t: "report", finished: ["b", 1, 2, 4], erred: [], missing: [] },
    9999,
  );
  assert.deepEqual([[...noStops.start], [...noStops.stop]], [[7999], [9999]], "no stop time: now");
  b.sample(sample);
  const alone = b.take();
  assert.ok(alone !== undefined, "a sample alone makes a report");
  assert.deepEqual(alone.finished, []);
});
