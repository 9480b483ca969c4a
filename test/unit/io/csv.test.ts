import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { batchFromRecords } from "../../../src/io/arrow.js";
import { type Cell, columnCells } from "../../../src/io/columns.js";
import { type CsvOptions, planCsv, readCsvPart } from "../../../src/io/csv.js";
import { writeCsv } from "../../../src/io/csv-write.js";
import type { Batch } from "../../../src/kernels/batch.js";
import { batchArb, cellsOf, duckColumns, duckCsv, tempDir, typesOf } from "./helpers.js";

async function readAll(
  path: string | string[],
  options: CsvOptions = {},
): Promise<{ cells: Record<string, Cell[]>; badLines: number; parts: number }> {
  const plan = await planCsv(path, options);
  const results = await Promise.all(plan.parts.map((p) => readCsvPart(p, plan.schema, options)));
  const cells: Record<string, Cell[]> = {};
  for (const f of plan.schema) {
    cells[f.name] = results.flatMap((r) =>
      columnCells(r.batch.columns[r.batch.names.indexOf(f.name)]!),
    );
  }
  return { cells, badLines: results.reduce((a, r) => a + r.badLines, 0), parts: plan.parts.length };
}

test("csv round trip: random batches of every type come back equal, and DuckDB reads the same", {
  timeout: 60_000,
}, async () => {
  const dir = tempDir();
  let k = 0;
  await fc.assert(
    fc.asyncProperty(batchArb(), async (batch: Batch) => {
      const path = join(dir, `r${k++}.csv`);
      await writeCsv(batch, path);
      const types = typesOf(batch);
      const { cells } = await readAll(path, { schema: types });
      const want = cellsOf(batch);
      assert.deepEqual(cells, want);
      const duck = await duckColumns(duckCsv(path, types), types);
      for (const name of batch.names) {
        const d = (duck[name] ?? []).map((v) =>
          typeof v === "bigint" && name !== "int64" ? Number(v) : v,
        );
        assert.deepEqual(d, want[name], `DuckDB disagrees on ${name}`);
      }
    }),
    { numRuns: 25 },
  );
});

// Quoted line breaks are left out: a part boundary inside one is the documented limit (as dask's).
test("unquoted csv (the byte-level fast path) reads back equal to the input and to DuckDB", {
  timeout: 60_000,
}, async () => {
  const dir = tempDir();
  let k = 0;
  await fc.assert(
    fc.asyncProperty(
      batchArb(30, "plain"),
      fc.integer({ min: 16, max: 400 }),
      async (batch, blocksize) => {
        const path = join(dir, `p${k++}.csv`);
        await writeCsv(batch, path);
        assert.ok(
          !readFileSync(path, "utf8").includes('"'),
          "the file must have no quotes to exercise the fast path",
        );
        const types = typesOf(batch);
        const { cells } = await readAll(path, { schema: types, blocksize });
        const want = cellsOf(batch);
        assert.deepEqual(cells, want);
        const duck = await duckColumns(duckCsv(path, types), types);
        for (const name of batch.names)
          assert.deepEqual(duck[name] ?? [], want[name], `DuckDB disagrees on ${name}`);
      },
    ),
    { numRuns: 40 },
  );
});

test("csv split into many byte-range parts gives exactly the rows of one part", {
  timeout: 60_000,
}, async () => {
  const dir = tempDir();
  let k = 0;
  await fc.assert(
    fc.asyncProperty(
      batchArb(40, "inline"),
      fc.integer({ min: 8, max: 200 }),
      async (batch, blocksize) => {
        const path = join(dir, `s${k++}.csv`);
        await writeCsv(batch, path);
        const schema = typesOf(batch);
        const whole = await readAll(path, { schema });
        const split = await readAll(path, { schema, blocksize });
        assert.deepEqual(split.cells, whole.cells);
        assert.deepEqual(whole.cells, cellsOf(batch));
      },
    ),
    { numRuns: 30 },
  );
});

test("schema inference: int32, int64, float64, bool, date, timestamp, dict and utf8", async () => {
  const path = join(tempDir(), "infer.csv");
  const rows = ["i,l,f,b,d,t,k,s"];
  for (let i = 0; i < 50; i++) {
    rows.push(
      `${i},${i * 10_000_000_000},${i / 4},${i % 2 === 0},2024-01-${String((i % 28) + 1).padStart(2, "0")},2024-01-01T00:00:${String(i % 60).padStart(2, "0")}Z,${["a", "b", "c"][i % 3]},str${i}`,
    );
  }
  writeFileSync(path, `${rows.join("\n")}\n`);
  const plan = await planCsv(path);
  assert.deepEqual(
    plan.schema.map((f) => f.type),
    ["int32", "int64", "float64", "bool", "date", "timestamp", "dict", "utf8"],
  );
  const over = await planCsv(path, { schema: { i: "float64", k: "utf8" }, columns: ["k", "i"] });
  assert.deepEqual(
    over.schema.map((f) => [f.name, f.type]),
    [
      ["k", "utf8"],
      ["i", "float64"],
    ],
  );
  const { batch } = await readCsvPart(over.parts[0]!, over.schema);
  assert.deepEqual(columnCells(batch.columns[1]!).slice(0, 3), [0, 1, 2]);
  await assert.rejects(
    planCsv(path, { schema: { nope: "int32" } }),
    /unknown column "nope" in the schema option/,
  );
});

test("gzip files are one part each and read like the plain file", async () => {
  const dir = tempDir();
  const batch = batchFromRecords(
    Array.from({ length: 500 }, (_, i) => ({
      a: i,
      s: `x${i % 9}`,
      v: i % 5 === 0 ? null : i / 3,
    })),
  );
  await writeCsv(batch, join(dir, "a.csv"));
  await writeCsv(batch, join(dir, "b.csv.gz"));
  const plain = await readAll(join(dir, "a.csv"), { blocksize: 512 });
  const gz = await readAll(join(dir, "b.csv.gz"), { blocksize: 512 });
  assert.equal(gz.parts, 1);
  assert.ok(plain.parts > 1);
  assert.deepEqual(gz.cells, plain.cells);
  const sampled = await planCsv(join(dir, "b.csv.gz"), { sampleBytes: 100 });
  assert.deepEqual(
    sampled.schema.map((f) => f.name),
    ["a", "s", "v"],
  );
  assert.equal(sampled.schema[0]!.type, "int32");
  const both = await readAll(dir, { blocksize: 512 });
  assert.equal(both.cells.a!.length, 1000);
});

test("a malformed row names the file, the line and the column, and the fix", async () => {
  const dir = tempDir();
  const path = join(dir, "bad.csv");
  const good = Array.from({ length: 30 }, (_, i) => `${i},${i * 2},name${i}`);
  const lines = [
    "a,b,c",
    ...good.slice(0, 10),
    "10,oops,x",
    ...good.slice(11, 20),
    "20,40",
    ...good.slice(21),
  ];
  writeFileSync(path, `${lines.join("\n")}\n`);
  const plan = await planCsv(path, { sampleBytes: 64, blocksize: 100 });
  const text = lines.join("\n");
  const partOfLine = (line: number) => {
    const offset = lines.slice(0, line - 1).join("\n").length + 1;
    return plan.parts.find((p) => p.start <= offset && offset < p.end)!;
  };
  assert.ok(text.length > 300 && plan.parts.length > 3);
  await assert.rejects(readCsvPart(partOfLine(12), plan.schema), (e: Error & { code?: string }) => {
    assert.equal(e.code, "BARN_CSV_PARSE");
    assert.match(e.message, /bad\.csv:12: column "b": cannot read "oops" as int32/);
    assert.match(e.message, /onBadLines: "skip"/);
    assert.match(e.message, /schema: \{ "b": "utf8" \}/);
    return true;
  });
  await assert.rejects(
    readCsvPart(partOfLine(22), plan.schema),
    /bad\.csv:22: expected 3 fields but found 2 \(it ends before column "c"\)/,
  );
  const skipped = await readAll(path, { sampleBytes: 64, blocksize: 100, onBadLines: "skip" });
  assert.equal(skipped.badLines, 2);
  assert.deepEqual(
    skipped.cells.a,
    Array.from({ length: 30 }, (_, i) => i).filter((i) => i !== 10 && i !== 20),
  );
});

test("quoted fields may hold delimiters, quotes and newlines; CRLF line endings are read", async () => {
  const dir = tempDir();
  const path = join(dir, "q.csv");
  writeFileSync(path, 'id,text\r\n1,"a,b"\r\n2,"say ""hi"""\r\n3,"two\r\nlines"\r\n4,plain\r\n');
  const { cells } = await readAll(path);
  assert.deepEqual(cells.id, [1, 2, 3, 4]);
  assert.deepEqual(cells.text, ["a,b", 'say "hi"', "two\r\nlines", "plain"]);
  writeFileSync(join(dir, "r.csv.gz"), gzipSync('x;y\n1;"p;q"\n'));
  const semi = await readAll(join(dir, "r.csv.gz"), { delimiter: ";" });
  assert.deepEqual(semi.cells, { x: [1], y: ["p;q"] });
});

test("reads CSV written by DuckDB (its quoting, timestamp and null spellings) to the values DuckDB reads", {
  timeout: 30_000,
}, async () => {
  const path = join(tempDir(), "duck.csv");
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const conn = await (await DuckDBInstance.create(":memory:")).connect();
  await conn.run(`COPY (SELECT (r * 7 - 300)::INTEGER AS i, (r * 1234567891)::BIGINT AS l,
    CASE WHEN r % 5 = 0 THEN NULL ELSE r / 8 END::DOUBLE AS d,
    CASE WHEN r % 4 = 0 THEN NULL WHEN r % 3 = 0 THEN 'a,"b"' ELSE 'str' || r END AS s, r % 2 = 0 AS b,
    (DATE '2000-01-01' + (r * 11)::INTEGER) AS day, (TIMESTAMP '2020-01-01' + INTERVAL (r * 997) SECOND) AS t
    FROM range(3000) tbl(r)) TO '${path}' (HEADER, DELIMITER ',')`);
  const plan = await planCsv(path, { blocksize: 8192 });
  assert.deepEqual(
    plan.schema.map((f) => f.type),
    ["int32", "int64", "float64", "utf8", "bool", "date", "timestamp"],
  );
  const types = typesOf({ names: [], columns: [], length: 0 });
  for (const f of plan.schema) types[f.name] = f.type;
  const { cells } = await readAll(path, { blocksize: 8192 });
  const want = await duckColumns(duckCsv(path, { ...types, t: "timestamp" }), types);
  for (const f of plan.schema) {
    const w = (want[f.name] ?? []).map((v) =>
      typeof v === "bigint" && f.type !== "int64" ? Number(v) : v,
    );
    assert.deepEqual(cells[f.name], w, f.name);
  }
});

test("the unquoted fast path over many chunks: values equal Number() and the text, with CRLF, empty and bad lines, projection and reused buffers", {
  timeout: 60_000,
}, async () => {
  const dir = tempDir();
  let seed = 7;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const floatText = (): string => {
    const r = rand();
    const v = (rand() - 0.5) * 10 ** Math.floor(rand() * 8 - 3);
    if (r < 0.4) return v.toFixed(Math.floor(rand() * 9));
    if (r < 0.6) return String(v);
    if (r < 0.65) return "";
    if (r < 0.7) return v.toExponential(4);
    if (r < 0.75)
      return [
        "-0",
        ".5",
        "5.",
        "0.1234567890123456789",
        "12345678901234567890",
        "9007199254740993",
        "1e-310",
        "00012.500",
      ][Math.floor(rand() * 8)]!;
    return v.toPrecision(1 + Math.floor(rand() * 17));
  };
  const n = 20_000;
  const rows: string[][] = [];
  for (let i = 0; i < n; i++) {
    // Dict values of 1 to 15 bytes: packed-word keys (up to 8) and byte-compared ones.
    const x = Math.floor(rand() * 300);
    const s = rand() < 0.05 ? "" : `${"v".repeat(x % 12)}${x}`;
    rows.push([String(i - 100), floatText(), s, `u${i}-${Math.floor(rand() * 1e6)}`]);
  }
  const oracle = (keep: readonly string[][]) => ({
    id: keep.map((r) => Number(r[0])),
    f: keep.map((r) => (r[1] === "" ? null : Number(r[1]))),
    s: keep.map((r) => (r[2] === "" ? null : r[2]!)),
    u: keep.map((r) => r[3]!),
  });
  const schema = { id: "int32", f: "float64", s: "dict", u: "utf8" } as const;
  for (const eol of ["\n", "\r\n"]) {
    const lines: string[] = ["id,f,s,u"];
    const bad = new Set<number>();
    rows.forEach((r, i) => {
      if (rand() < 0.01) lines.push("");
      if (i % 4999 === 3) {
        lines.push(`${r[0]},${r[1]}`);
        bad.add(i);
      } else lines.push(r.join(","));
    });
    const path = join(dir, `fast${eol.length}.csv`);
    writeFileSync(path, `${lines.join(eol)}${eol}`);
    assert.ok(!readFileSync(path, "utf8").includes('"'));
    const kept = rows.filter((_, i) => !bad.has(i));
    for (const blocksize of [1 << 30, 150_000]) {
      const got = await readAll(path, { schema, blocksize, onBadLines: "skip" });
      assert.equal(got.badLines, bad.size);
      assert.deepEqual(
        got.cells,
        oracle(kept),
        `eol ${JSON.stringify(eol)}, blocksize ${blocksize}`,
      );
      const projected = await readAll(path, {
        schema,
        blocksize,
        onBadLines: "skip",
        columns: ["u", "f"],
      });
      assert.deepEqual(projected.cells, { u: oracle(kept).u, f: oracle(kept).f });
    }
    // Errors name the line, past the first chunks of rows: the first bad line is a short row.
    await assert.rejects(
      readAll(path, { schema }),
      /fast\d\.csv:\d+: expected 4 fields but found 2/,
    );
  }
  // A bad value far into the file is named by its line.
  const lines = ["id,f", ...Array.from({ length: 12_000 }, (_, i) => `${i},${i / 8}`)];
  lines[11_001] = "11000,abc";
  const path = join(dir, "badvalue.csv");
  writeFileSync(path, `${lines.join("\n")}\n`);
  await assert.rejects(
    readAll(path, { schema: { id: "int32", f: "float64" } }),
    /badvalue\.csv:11002: column "f": cannot read "abc" as float64/,
  );
  const skipped = await readAll(path, {
    schema: { id: "int32", f: "float64" },
    onBadLines: "skip",
  });
  assert.equal(skipped.badLines, 1);
  assert.equal(skipped.cells.id!.length, 11_999);
  assert.equal(skipped.cells.id![11_000], 11_001);
});

test("floats parsed from bytes equal Number() of their text, bit for bit (fast path and fallback)", {
  timeout: 60_000,
}, async () => {
  const dir = tempDir();
  let k = 0;
  const digits = (max: number) =>
    fc.array(fc.constantFrom(..."0123456789"), { maxLength: max }).map((d) => d.join(""));
  const decimal = fc
    .tuple(fc.boolean(), digits(20), fc.option(digits(25), { nil: undefined }))
    .map(([neg, int, frac]) => `${neg ? "-" : ""}${int}${frac === undefined ? "" : `.${frac}`}`)
    .filter((s) => /\d/.test(s));
  const edge = fc.constantFrom(
    "9007199254740991",
    "9007199254740992",
    "9007199254740993",
    "900719925474099.3",
    "0.9007199254740993",
    "-0",
    "-0.0",
    ".5",
    "5.",
    "0.0000000000000000000001",
    "0.00000000000000000000001",
    "1e5",
    "-2.5E-3",
    "123456789012345678901234",
  );
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(decimal, edge), { minLength: 1, maxLength: 200 }),
      async (texts) => {
        const path = join(dir, `f${k++}.csv`);
        writeFileSync(path, `x\n${texts.join("\n")}\n`);
        const { cells } = await readAll(path, { schema: { x: "float64" } });
        assert.deepEqual(
          cells.x,
          texts.map((t) => Number(t)),
        );
      },
    ),
    { numRuns: 200 },
  );
});
