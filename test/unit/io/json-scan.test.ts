/**
 * The JSON lines reader's byte-level scanner against a reference reader built on JSON.parse (one
 * line at a time, as the reader worked before the scanner): random lines with escapes, unicode
 * (surrogate pairs, lone surrogates, bytes that are not UTF-8), nested values to skip, numbers
 * with exponents, whitespace, CRLF, blank lines, byte order marks, keys in any order, given twice
 * or missing, read whole and split into parts of a few bytes (so part boundaries fall anywhere);
 * mutated lines must be refused exactly when JSON.parse refuses them.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { type Cell, columnCells } from "../../../src/io/columns.js";
import type { Predicate } from "../../../src/io/filters.js";
import { planJson, readJsonPart } from "../../../src/io/json.js";
import { splitTextFilesSync } from "../../../src/io/text-parts.js";
import { parseInt32, parseInt64, parseTimestamp } from "../../../src/io/text-values.js";
import type { DType, Schema } from "../../../src/kernels/batch.js";
import { tempDir } from "./helpers.js";

const TYPES: Record<string, DType> = {
  s: "utf8",
  d: "dict",
  f: "float64",
  i: "int32",
  l: "int64",
  b: "bool",
  t: "timestamp",
};
const SCHEMA: Schema = Object.entries(TYPES).map(([name, type]) => ({
  name,
  type,
  nullable: true,
}));

/** The reference: JSON.parse per line; undefined for a row the reader must refuse (a bad value). */
function referenceRow(obj: Record<string, unknown>, schema: Schema): Cell[] | undefined {
  const out: Cell[] = [];
  for (const f of schema) {
    const v = obj[f.name];
    if (v === null || v === undefined) {
      out.push(null);
      continue;
    }
    let c: Cell | undefined;
    switch (f.type) {
      case "utf8":
      case "dict":
        // A column holds UTF-8: a lone surrogate comes back as U+FFFD.
        c = typeof v === "string" ? utf8(v) : typeof v === "object" ? JSON.stringify(v) : undefined;
        break;
      case "float64":
        c = typeof v === "number" ? v : undefined;
        break;
      case "int32":
        c = typeof v === "number" ? parseInt32(String(v)) : undefined;
        break;
      case "int64":
        c = typeof v === "number" || typeof v === "string" ? parseInt64(String(v)) : undefined;
        break;
      case "bool":
        c = typeof v === "boolean" ? v : undefined;
        break;
      case "timestamp":
        c = typeof v === "string" ? parseTimestamp(v) : undefined;
        break;
      default:
        c = undefined;
    }
    if (c === undefined) return undefined;
    out.push(c);
  }
  return out;
}

const decoder = new TextDecoder();

/** JSON text as JSON.stringify writes it (other strings as they are). */
function reserialized(s: string): string {
  if (s[0] !== "[" && s[0] !== "{") return s;
  try {
    return JSON.stringify(JSON.parse(s));
  } catch {
    return s;
  }
}

function utf8(s: string): string {
  return decoder.decode(new TextEncoder().encode(s));
}

/** What the reference reader makes of a file: rows (as columns) and the bad lines it skipped. */
function reference(bytes: Uint8Array, schema: Schema): { cells: Cell[][]; bad: number } {
  const cells: Cell[][] = schema.map(() => []);
  let bad = 0;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 10) continue;
    const text = decoder.decode(bytes.subarray(start, i));
    start = i + 1;
    if (text.trim() === "") continue;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      bad++;
      continue;
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
      bad++;
      continue;
    }
    const row = referenceRow(obj as Record<string, unknown>, schema);
    if (row === undefined) {
      bad++;
      continue;
    }
    for (let j = 0; j < row.length; j++) cells[j]!.push(row[j]!);
  }
  return { cells, bad };
}

/** Reads a file with the scanner: every part, concatenated. */
async function scanned(
  path: string,
  schema: Schema,
  blocksize: number,
  options: { onBadLines?: "skip"; filters?: Predicate[] } = {},
): Promise<{ cells: Cell[][]; bad: number }> {
  const cells: Cell[][] = schema.map(() => []);
  let bad = 0;
  for (const p of splitTextFilesSync([path], blocksize)) {
    const { batch, badLines } = await readJsonPart(p, schema, options);
    bad += badLines;
    schema.forEach((f, j) => {
      const col = batch.columns[batch.names.indexOf(f.name)]!;
      cells[j]!.push(...columnCells(col));
    });
  }
  return { cells, bad };
}

/* ----------------------------------- generators ----------------------------------- */

const stringArb = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.string({ unit: "binary", maxLength: 6 }),
  fc.constantFrom("", "x", 'q"uote', "back\\slash", "tab\there", "nl\nx", "é✓", "😀", "\u2028"),
);

/** A JSON string literal for `s`, its characters escaped in varied (valid) ways. */
function stringLit(s: string, style: number): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (code < 0x20) out += JSON.stringify(ch).slice(1, -1);
    else if (style === 1 && code > 0x7f) {
      // \u escapes: an astral character as its surrogate pair
      for (let k = 0; k < ch.length; k++)
        out += `\\u${ch.charCodeAt(k).toString(16).padStart(4, "0")}`;
    } else if (style === 2 && ch === "/") out += "\\/";
    else out += ch;
  }
  return `${out}"`;
}

/** Objects and arrays whose JSON text survives JSON.parse + JSON.stringify (no integer-like keys). */
const nestedArb = fc
  .jsonValue({ maxDepth: 3 })
  .filter(
    (v) =>
      v !== null &&
      typeof v === "object" &&
      JSON.stringify(JSON.parse(JSON.stringify(v))) === JSON.stringify(v),
  );
const numberTextArb = fc.constantFrom("0", "-0", "1e3", "2.5E-3", "-12.75", "1E+2", "3.0");
const tsArb = fc
  .integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) })
  .map((ms) => new Date(ms).toISOString());

/** One value of a column as JSON text (and sometimes null, or a nested value, in a string column). */
function valueArb(type: DType): fc.Arbitrary<string> {
  const nul = fc.constant("null");
  switch (type) {
    case "utf8":
    case "dict":
      return fc.oneof(
        { weight: 5, arbitrary: fc.tuple(stringArb, fc.nat(2)).map(([s, st]) => stringLit(s, st)) },
        { weight: 1, arbitrary: nestedArb.map((v) => JSON.stringify(v)) },
        { weight: 1, arbitrary: nul },
      );
    case "float64":
      return fc.oneof(
        fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => JSON.stringify(x)),
        numberTextArb,
        nul,
      );
    case "int32":
      return fc.oneof(fc.integer().map(String), fc.constantFrom("1e3", "2.0", "-0"), nul);
    case "int64":
      return fc.oneof(
        fc.maxSafeInteger().map(String),
        fc.maxSafeInteger().map((n) => `"${n}"`),
        nul,
      );
    case "bool":
      return fc.constantFrom("true", "false", "null");
    case "timestamp":
      return fc.oneof(
        tsArb.map((s) => `"${s}"`),
        nul,
      );
    default:
      return nul;
  }
}

const wsArb = fc.constantFrom("", "", "", " ", "\t", " \r ", "  ");

/** One line: the schema's keys (some left out, one maybe twice) and extra keys, shuffled. */
const lineArb = fc
  .tuple(
    fc.tuple(
      ...SCHEMA.map((f) =>
        fc.tuple(fc.constant(f.name), valueArb(f.type), fc.integer({ min: 0, max: 9 })),
      ),
    ),
    fc.array(
      fc.oneof(
        fc.tuple(
          fc.constantFrom("x", "extra", "s2", "ß", "a\\u0062"),
          fc.oneof(
            nestedArb.map((v) => JSON.stringify(v)),
            valueArb("utf8"),
            numberTextArb,
          ),
        ),
        // A schema key given again: the last one wins.
        fc
          .constantFrom(...SCHEMA)
          .chain((f) => valueArb(f.type).map((v): [string, string] => [f.name, v])),
      ),
      { maxLength: 3 },
    ),
    fc.array(wsArb, { minLength: 12, maxLength: 12 }),
    fc.nat(),
    fc.constantFrom("", "", "\ufeff"),
  )
  .map(([fields, extras, ws, seed, bom]) => {
    const members: string[] = [];
    for (const [name, value, k] of fields) {
      if (k === 0) continue; // missing key
      const key = k === 1 && name === "s" ? '"\\u0073"' : JSON.stringify(name); // escaped key
      members.push(`${key}${ws[k]}:${ws[k + 1]}${value}`);
    }
    for (const [name, value] of extras) members.push(`${stringLit(name, 0)}:${value}`);
    // Shuffle deterministically in seed.
    let r = seed;
    for (let i = members.length - 1; i > 0; i--) {
      r = (r * 1103515245 + 12345) >>> 0;
      const j = r % (i + 1);
      [members[i], members[j]] = [members[j]!, members[i]!];
    }
    return `${bom}${ws[0]}{${ws[1]}${members.join(`${ws[2]},${ws[3]}`)}${ws[4]}}${ws[5]}`;
  });

const fileArb = fc.tuple(
  fc.array(fc.oneof({ weight: 8, arbitrary: lineArb }, { weight: 1, arbitrary: wsArb }), {
    maxLength: 25,
  }),
  fc.boolean(), // CRLF
  fc.boolean(), // final newline
);

function fileBytes([lines, crlf, finalNewline]: [string[], boolean, boolean]): Uint8Array {
  const eol = crlf ? "\r\n" : "\n";
  return new TextEncoder().encode(lines.join(eol) + (finalNewline && lines.length > 0 ? eol : ""));
}

/* ------------------------------------- tests ------------------------------------- */

test("json scanner: random lines read as JSON.parse reads them, whole and split anywhere", {
  timeout: 120_000,
}, async () => {
  const dir = tempDir();
  let k = 0;
  await fc.assert(
    fc.asyncProperty(fileArb, fc.integer({ min: 1, max: 400 }), async (file, blocksize) => {
      const bytes = fileBytes(file);
      const path = join(dir, `f${k++}.jsonl`);
      writeFileSync(path, bytes);
      const want = reference(bytes, SCHEMA);
      assert.equal(want.bad, 0, "the generator makes only good lines");
      const got = await scanned(path, SCHEMA, blocksize);
      assert.deepEqual(got.cells, want.cells);
      const whole = await scanned(path, SCHEMA, 1 << 20);
      assert.deepEqual(whole.cells, want.cells);
    }),
    { numRuns: 150 },
  );
});

const MUTATION_BYTES = [...'{}[]",:\\ \t\r0123456789-+.eEtrufalsn/u'].map((c) => c.charCodeAt(0));

test("json scanner: a mutated line is refused exactly when JSON.parse refuses it", {
  timeout: 120_000,
}, async () => {
  const dir = tempDir();
  let k = 0;
  // int64 left out: the reference reads numbers through doubles, the scanner exactly.
  const schema = SCHEMA.filter((f) => f.type !== "int64");
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.tuple(
          lineArb,
          fc.array(
            fc.tuple(
              fc.nat(),
              fc.oneof(
                fc.constantFrom(...MUTATION_BYTES),
                fc.integer({ min: 0x80, max: 0xff }),
                fc.constant(-1),
              ),
            ),
            { minLength: 1, maxLength: 3 },
          ),
        ),
        { minLength: 1, maxLength: 12 },
      ),
      fc.integer({ min: 1, max: 300 }),
      async (lines, blocksize) => {
        const parts: number[][] = [];
        for (const [line, edits] of lines) {
          const b = [...new TextEncoder().encode(line)];
          for (const [at, byte] of edits) {
            const i = at % (b.length + 1);
            if (byte < 0) b.splice(i, 1);
            else b.splice(i, 0, byte);
          }
          parts.push(b.filter((x) => x !== 10));
        }
        const bytes = new Uint8Array(parts.flatMap((p) => [...p, 10]));
        const path = join(dir, `m${k++}.jsonl`);
        writeFileSync(path, bytes);
        const want = reference(bytes, schema);
        const got = await scanned(path, schema, blocksize, { onBadLines: "skip" });
        assert.equal(got.bad, want.bad, "bad lines");
        // A nested value is read as its text as written; compare it by what it parses to.
        const canonical = (cells: Cell[][]) =>
          cells.map((col) => col.map((c) => (typeof c === "string" ? reserialized(c) : c)));
        assert.deepEqual(canonical(got.cells), canonical(want.cells));
      },
    ),
    { numRuns: 150 },
  );
});

test("json scanner: int64 beyond 2^53 exact from digits, strings and exponents as before", async () => {
  const dir = tempDir();
  const path = join(dir, "big.jsonl");
  const B = 2n ** 53n;
  writeFileSync(
    path,
    [
      `{"l": ${B + 1n}}`,
      `{"l": ${2n ** 63n - 1n}}`,
      `{"l": ${-(2n ** 63n)}}`,
      `{"l": "${B + 3n}"}`,
      `{"l": 1e3}`,
      `{"l": -0}`,
      `{"l": 12345678901234567890123}`,
      `{"l": 2.5}`,
      `{"l": ${2n ** 63n}}`,
    ].join("\n"),
  );
  const schema: Schema = [{ name: "l", type: "int64", nullable: true }];
  const plan = await planJson(path, { schema: { l: "int64" } });
  const { batch, badLines } = await readJsonPart(plan.parts[0]!, schema, { onBadLines: "skip" });
  assert.equal(badLines, 3);
  assert.deepEqual(columnCells(batch.columns[0]!), [
    B + 1n,
    2n ** 63n - 1n,
    -(2n ** 63n),
    B + 3n,
    1000n,
    0n,
  ]);
  await assert.rejects(
    readJsonPart(plan.parts[0]!, schema),
    (e: Error & { code?: string }) =>
      e.code === "BARN_JSON_PARSE" &&
      /big\.jsonl:7: column "l": cannot read 1234567/.test(e.message),
  );
});

test("json scanner: empty files, blank lines only, and errors named by the file's line in any part", async () => {
  const dir = tempDir();
  const empty = join(dir, "empty.jsonl");
  writeFileSync(empty, "");
  const blank = join(dir, "blank.jsonl");
  writeFileSync(blank, "\n \r\n\t\n");
  for (const path of [empty, blank]) {
    for (const p of splitTextFilesSync([path], 2)) {
      const { batch, badLines } = await readJsonPart(p, [
        { name: "s", type: "utf8", nullable: true },
      ]);
      assert.equal(batch.length, 0);
      assert.equal(badLines, 0);
    }
  }
  const bad = join(dir, "late.jsonl");
  const good = '{"s":"abcdefghij"}\n';
  writeFileSync(bad, `${good.repeat(50)}{"s":"x",}\n${good}{"s": 5}\n`);
  const plan = await planJson(bad, { blocksize: 64, schema: { s: "utf8" } });
  const schema: Schema = [{ name: "s", type: "utf8", nullable: true }];
  const errors: string[] = [];
  for (const p of plan.parts) {
    await readJsonPart(p, schema).catch((e: Error) => errors.push(e.message));
  }
  assert.equal(errors.length, 2);
  assert.match(errors[0]!, /late\.jsonl:51: not a JSON object \(.+\)/);
  assert.match(errors[1]!, /late\.jsonl:53: column "s": cannot read 5 as utf8/);
});

test("json scanner: pushed-down string filters keep exactly the matching rows, and still check the others", async () => {
  const dir = tempDir();
  const path = join(dir, "f.jsonl");
  const lines: string[] = [];
  for (let i = 0; i < 30_000; i++) {
    const a = ["click", "view", "cl\\u0069ck", "buy"][i % 4];
    lines.push(i % 7 === 0 ? `{"u":"u${i}"}` : `{"a":"${a}","u":"u${i % 100}","n":${i}}`);
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
  const schema: Schema = [
    { name: "u", type: "utf8", nullable: true },
    { name: "a", type: "dict", nullable: true },
    { name: "n", type: "int32", nullable: true },
  ];
  const types = { u: "utf8", a: "dict", n: "int32" } as const;
  for (const op of ["eq", "ne"] as const) {
    const all = await scanned(path, schema, 40_000, {});
    const keep = all.cells[1]!.map((a) => a !== null && (a === "click") === (op === "eq"));
    const want = all.cells.map((c) => c.filter((_, i) => keep[i]));
    const plan = await planJson(path, { blocksize: 40_000, schema: types });
    const got: Cell[][] = schema.map(() => []);
    for (const p of plan.parts) {
      const { batch } = await readJsonPart(p, schema, {
        filters: [{ column: "a", op, value: "click" }],
      });
      for (let j = 0; j < schema.length; j++) got[j]!.push(...columnCells(batch.columns[j]!));
    }
    assert.deepEqual(got, want, op);
  }
  // A bad value in a row the filter drops is still an error (and a skipped row under "skip").
  writeFileSync(path, '{"a":"click","n":1}\n{"a":"view","n":"two"}\n');
  const [part] = splitTextFilesSync([path], 1 << 20);
  const filters: Predicate[] = [{ column: "a", op: "eq", value: "click" }];
  await assert.rejects(
    readJsonPart(part!, schema, { filters }),
    /f\.jsonl:2: column "n": cannot read "two" as int32/,
  );
  const skipped = await readJsonPart(part!, schema, { filters, onBadLines: "skip" });
  assert.equal(skipped.badLines, 1);
  assert.equal(skipped.batch.length, 1);
});
