/**
 * barn/bag's sources, sinks and errors on real files: readText over globs, directories, gzip
 * and byte-range blocks of random sizes (every line exactly once, in order); readJsonLines with
 * a malformed line (an error naming file and line, or skipped and counted); a missing file; a
 * function that throws on one element (the error names the partition and the element's index,
 * and partitions already computed stay available); closures that cannot ship; the writers and
 * barn/frame and Delayed interop.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import * as bb from "../../src/bag.js";
import * as bf from "../../src/frame.js";
import { Client, delayed } from "../../src/index.js";

let dir: string;
let client: Client;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "barn-bag-io-"));
  client = await Client.connect({ setAsDefault: false });
});
after(async () => {
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("readText", () => {
  test("every line once, in order, for any blocksize; globs, directories, gzip", {
    timeout: 120_000,
  }, async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(
            fc
              .array(fc.constantFrom("a", "zz", "é", "😀", " ", ",", "{}"), { maxLength: 6 })
              .map((a) => a.join("")),
            { maxLength: 12 },
          ),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        async (files, blocksize, crlf) => {
          const d = join(dir, `text-${round++}`);
          mkdirSync(join(d, "sub"), { recursive: true });
          const eol = crlf ? "\r\n" : "\n";
          const names = files.map((lines, i) => {
            const text = lines.map((l) => l + eol).join("");
            const name = i === 0 ? join(d, "a.txt.gz") : join(d, i === 1 ? "sub" : "", `f${i}.txt`);
            writeFileSync(name, i === 0 ? gzipSync(text) : text);
            return name;
          });
          const expected = files.flat();
          const b = bb.readText(names, { blocksize });
          assert.deepEqual(await b.compute({ client }), expected);
          const all = await bb.readText(d, { blocksize }).compute({ client });
          assert.deepEqual([...all].sort(), [...expected].sort());
          if (files.length > 1) {
            const glob = await bb.readText(join(d, "**/*.txt"), { blocksize }).compute({ client });
            assert.deepEqual([...glob].sort(), files.slice(1).flat().sort());
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  test("a path that matches nothing is BARN_IO_NOT_FOUND naming it", () => {
    assert.throws(
      () => bb.readText(join(dir, "nope", "*.txt")),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, "BARN_IO_NOT_FOUND");
        assert.match(e.message, /nope/);
        return true;
      },
    );
  });

  test("a file removed after planning fails its task with BARN_IO_NOT_FOUND", {
    timeout: 30_000,
  }, async () => {
    const p = join(dir, "gone.txt");
    writeFileSync(p, "a\nb\n");
    const b = bb.readText(p);
    unlinkSync(p);
    await assert.rejects(b.compute({ client }), (e: Error & { code?: string }) => {
      assert.equal(e.code, "BARN_IO_NOT_FOUND");
      assert.match(e.message, /gone\.txt/);
      return true;
    });
  });
});

describe("readJsonLines", () => {
  const good = (i: number) => JSON.stringify({ i, user: `u${i % 3}` });

  test("a malformed line fails with BARN_JSON_PARSE naming the file and its line", {
    timeout: 30_000,
  }, async () => {
    const p = join(dir, "bad.jsonl");
    const lines = Array.from({ length: 50 }, (_, i) => (i === 37 ? '{"i": 37, oops' : good(i)));
    writeFileSync(p, `${lines.join("\n")}\n`);
    for (const blocksize of [64, 1 << 20]) {
      await assert.rejects(
        bb.readJsonLines(p, { blocksize }).compute({ client }),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, "BARN_JSON_PARSE");
          assert.ok(e.message.includes(`${p}:38:`), e.message);
          assert.match(e.message, /onBadLines/);
          return true;
        },
      );
    }
  });

  test('onBadLines: "skip" drops the line and countBadLines counts it', {
    timeout: 30_000,
  }, async () => {
    const p = join(dir, "skip.jsonl");
    writeFileSync(p, `${good(0)}\nnot json\n\n${good(1)}\n{"x":\n${good(2)}`);
    const b = bb.readJsonLines<{ i: number }>(p, { onBadLines: "skip", blocksize: 16 });
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => {
      if (w.code === "BARN_BAD_LINES") warnings.push(w.message);
    };
    process.on("warning", onWarning);
    try {
      assert.deepEqual(await b.pluck("i").compute({ scheduler: "sync" }), [0, 1, 2]);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off("warning", onWarning);
    }
    assert.ok(warnings.length > 0);
    const report = await bb.countBadLines(b, { client });
    assert.equal(report.total, 2);
    assert.deepEqual(report.byFile, { [p]: 2 });
  });

  test("a function that throws on a record names the file too", { timeout: 30_000 }, async () => {
    const p = join(dir, "throws.jsonl");
    writeFileSync(p, `${good(0)}\n${good(1)}\n`);
    const b = bb.readJsonLines<{ i: number }>(p).map(function check(r) {
      if (r.i === 1) throw new Error("one");
      return r;
    });
    await assert.rejects(b.compute({ client }), (e: Error) => {
      assert.ok(
        e.message.includes(`map(check) threw on element 1 of partition 0 (a record of ${p}): one`),
        e.message,
      );
      return true;
    });
  });

  test("gzip files and an array of globs", { timeout: 30_000 }, async () => {
    const d = join(dir, "json-gz");
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, "a.jsonl.gz"), gzipSync(`${good(1)}\n${good(2)}\n`));
    writeFileSync(join(d, "b.jsonl"), `${good(3)}\n`);
    const b = bb.readJsonLines<{ i: number }>([join(d, "*.gz"), join(d, "b.jsonl")]);
    assert.equal(b.npartitions, 2);
    assert.deepEqual(await b.pluck("i").compute({ client }), [1, 2, 3]);
  });
});

describe("errors in user functions", () => {
  test("the TaskError names the step, the partition and the element's index", {
    timeout: 30_000,
  }, async () => {
    const b = bb.fromSequence([1, 2, 3, 4, 5, 6, 7, 8], { npartitions: 2 });
    const failing = b
      .map((x) => x + 1)
      .map(function check(x) {
        if (x === 8) throw new RangeError(`bad value ${x}`);
        return x;
      });
    for (const scheduler of ["sync", "threads"] as const) {
      await assert.rejects(failing.compute({ scheduler }), (e: Error & { code?: string }) => {
        assert.equal(e.name, "TaskError");
        assert.equal(e.code, "BARN_TASK_FAILED");
        assert.match(e.message, /map\(check\) threw on element 2 of partition 1: bad value 8/);
        return true;
      });
    }
  });

  test("a key function of an aggregation or a shuffle that throws is named the same way", {
    timeout: 30_000,
  }, async () => {
    const b = bb.fromSequence([{ k: 1 }, { k: 2 }, { k: 3 }, {}], { npartitions: 2 });
    const key = (x: { k?: number }) => {
      if (x.k === undefined) throw new Error("no k");
      return x.k;
    };
    await assert.rejects(
      b.topk(1, key).compute({ client }),
      /topk\(\) threw on element 1 of partition 1: no k/,
    );
    await assert.rejects(
      b.groupby(key).compute({ client }),
      /groupby\(key\) threw on element 1 of partition 1: no k/,
    );
  });

  test("partitions already computed stay available, and the client goes on", {
    timeout: 30_000,
  }, async () => {
    const b = bb
      .fromSequence([1, 2, 3, 4, 5, 6], { npartitions: 3 })
      .map((x) => {
        if (x === 4) throw new Error("four");
        return x * 10;
      })
      .persist({ client });
    const futures = b.held;
    const results = await Promise.allSettled(futures.map((f) => f.result()));
    assert.deepEqual(
      results.map((r) => r.status),
      ["fulfilled", "rejected", "fulfilled"],
    );
    assert.deepEqual((results[0] as PromiseFulfilledResult<unknown>).value, [10, 20]);
    assert.deepEqual(await bb.fromSequence([1]).sum().compute({ client }), 1);
    assert.deepEqual(await b.take(2, { client }), [10, 20]);
    const ok = bb.fromSequence([1, 2, 3], { npartitions: 2 }).persist({ client });
    assert.deepEqual(await ok.compute({ client }), [1, 2, 3]);
    assert.deepEqual(await ok.map((x) => x * 2).compute({ client }), [2, 4, 6]);
    assert.deepEqual(await ok.compute({ client }), [1, 2, 3]);
  });

  test("a function that captures a variable fails when the step is added", () => {
    const k = 3;
    const b = bb.fromSequence([1, 2]);
    assert.throws(
      () => b.map((x) => x + k),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, "BARN_FUNCTION_NOT_SHIPPABLE");
        assert.match(e.message, /\bk\b/);
        return true;
      },
    );
  });

  test("take computes only the partitions it needs", { timeout: 30_000 }, async () => {
    const b = bb.fromSequence([1, 2, 3, 4, 5, 6], { npartitions: 3 }).map((x) => {
      if (x > 2) throw new Error("computed a partition take did not need");
      return x;
    });
    assert.deepEqual(await b.take(2, { client }), [1, 2]);
    await assert.rejects(b.take(3, { client }), /element 0 of partition 1/);
  });
});

describe("writers and interop", () => {
  test("toTextFiles and toJsonLines write one file per partition, gzip optional", {
    timeout: 30_000,
  }, async () => {
    const recs = Array.from({ length: 10 }, (_, i) => ({ i, s: `x${i}` }));
    const b = bb.fromSequence(recs, { npartitions: 3 });
    const paths = await b.toJsonLines(join(dir, "out-json"), { client });
    assert.equal(paths.length, 3);
    assert.deepEqual(await bb.readJsonLines(paths).compute({ client }), recs);
    const gz = await b.pluck("s").toTextFiles(join(dir, "out-text", "part-*.txt.gz"), { client });
    assert.deepEqual(
      gz,
      [0, 1, 2].map((i) => join(dir, "out-text", `part-${i}.txt.gz`)),
    );
    assert.equal(gunzipSync(readFileSync(gz[0]!)).toString(), "x0\nx1\nx2\n");
    assert.deepEqual(
      await bb.readText(gz).compute({ client }),
      recs.map((r) => r.s),
    );
  });

  test("fromFrame and toFrame carry records both ways", { timeout: 30_000 }, async () => {
    const rows = Array.from({ length: 12 }, (_, i) => ({ id: i, name: `n${i % 4}`, v: i + 0.5 }));
    const df = bf.fromRecords(rows, { npartitions: 3 });
    const b = bb.fromFrame(df);
    assert.equal(b.npartitions, 3);
    assert.deepEqual(await b.compute({ client }), rows);
    const back = await b.filter((r) => r.id % 2 === 0).toFrame({ client });
    assert.deepEqual(
      back.schema.map((f) => [f.name, f.type]),
      [
        ["id", "int32"],
        ["name", "utf8"],
        ["v", "float64"],
      ],
    );
    const t = await back.compute({ client });
    assert.deepEqual(
      t.toArray().map((r) => r.id),
      [0, 2, 4, 6, 8, 10],
    );
  });

  test("fromDelayed makes a partition of each Delayed array", { timeout: 30_000 }, async () => {
    const make = delayed((n: number) => Array.from({ length: n }, (_, i) => i));
    const b = bb.fromDelayed([make(2), make(0), make(3)]);
    assert.equal(b.npartitions, 3);
    assert.deepEqual(await b.map((x) => x + 1).compute({ client }), [1, 2, 1, 2, 3]);
  });
});
