import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isoDate, isoTimestamp } from "../../../src/io/columns.js";
import {
  daysFromCivil,
  inferTextType,
  parseDate,
  parseFloat64,
  parseInt32,
  parseTimestamp,
} from "../../../src/io/text-values.js";

test("isoTimestamp and isoDate write what Date#toISOString writes, and parse back", () => {
  fc.assert(
    fc.property(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), (ms) => {
      const s = isoTimestamp(ms);
      assert.equal(s, new Date(ms).toISOString());
      assert.equal(parseTimestamp(s), ms);
      const days = Math.floor(ms / 86_400_000);
      assert.equal(isoDate(days), s.slice(0, 10));
      assert.equal(parseDate(isoDate(days)), days);
    }),
    { numRuns: 2000 },
  );
  assert.equal(isoTimestamp(1.5), new Date(1.5).toISOString());
  assert.equal(daysFromCivil(1970, 1, 1), 0);
  assert.equal(
    daysFromCivil(50, 3, 1),
    Math.round(new Date("0050-03-01T00:00:00Z").getTime() / 86_400_000),
  );
});

test("text parsers: strict numbers, zones in timestamps, inference order", () => {
  assert.equal(parseInt32("12"), 12);
  assert.equal(parseInt32("1.5"), undefined);
  assert.equal(parseInt32("2147483648"), undefined);
  assert.equal(parseFloat64("1e3"), 1000);
  assert.equal(parseFloat64("0x10"), undefined);
  assert.equal(parseFloat64("abc"), undefined);
  assert.ok(Number.isNaN(parseFloat64("NaN")));
  assert.equal(parseTimestamp("2024-01-02 03:04:05+01:00"), Date.UTC(2024, 0, 2, 2, 4, 5));
  assert.equal(parseTimestamp("2024-01-02T03:04"), Date.UTC(2024, 0, 2, 3, 4));
  assert.equal(parseTimestamp("2024-01-02T03:04:05.5Z"), Date.UTC(2024, 0, 2, 3, 4, 5, 500));
  assert.equal(parseTimestamp("2024-13-02"), undefined);
  assert.equal(inferTextType(["1", "2"]), "int32");
  assert.equal(inferTextType(["1", "99999999999"]), "int64");
  assert.equal(inferTextType(["1", "2.5"]), "float64");
  assert.equal(inferTextType(["TRUE", "false"]), "bool");
  assert.equal(inferTextType(["a", "a", "b", "a"]), "dict");
  assert.equal(inferTextType(["a", "b"]), "utf8");
});
