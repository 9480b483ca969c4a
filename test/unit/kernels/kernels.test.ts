/**
 * The kernels against plain JS: comparisons and Kleene logic with nulls, selection vectors,
 * arithmetic null propagation, string ops over utf8 and dict, date parts against Date, group
 * ids, hash joins against a nested loop, argsort against Array.prototype.sort, dictionary
 * encoding, and partial aggregation states that combine to the one-shot answer.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  type AggSpec,
  combinePartials,
  finalizeAggregate,
  partialAggregate,
} from "../../../src/kernels/aggregate.js";
import { arith } from "../../../src/kernels/arith.js";
import type { Batch, Column } from "../../../src/kernels/batch.js";
import { isValid } from "../../../src/kernels/bitmap.js";
import { concatBatches, sliceBatch, takeColumn } from "../../../src/kernels/column.js";
import { compare } from "../../../src/kernels/compare.js";
import { datePart } from "../../../src/kernels/dates.js";
import { dictEncode } from "../../../src/kernels/dictionary.js";
import { groupIds } from "../../../src/kernels/group-ids.js";
import { hashRows } from "../../../src/kernels/hash.js";
import { hashJoin } from "../../../src/kernels/join.js";
import { and, not, or } from "../../../src/kernels/logic.js";
import { sumCountBy, sumCountBy2 } from "../../../src/kernels/reduce-by.js";
import { selectionOf } from "../../../src/kernels/select.js";
import { argsort } from "../../../src/kernels/sort.js";
import { stringLength, stringPredicate, stringTransform } from "../../../src/kernels/string-ops.js";
import { stringAt, utf8Column } from "../../../src/kernels/strings.js";

function f64(values: readonly (number | null)[]): Column {
  const n = values.length;
  const data = new Float64Array(n);
  const valid = new Uint8Array((n + 7) >> 3);
  values.forEach((v, i) => {
    if (v !== null) {
      data[i] = v;
      valid[i >> 3]! |= 1 << (i & 7);
    }
  });
  return { type: "float64", length: n, data, valid };
}

function i32(values: readonly (number | null)[]): Column {
  const c = f64(values);
  return { ...c, type: "int32", data: Int32Array.from(c.data as Float64Array) };
}

function bools(values: readonly (boolean | null)[]): Column {
  const c = f64(values.map((v) => (v === null ? null : v ? 1 : 0)));
  return { ...c, type: "bool", data: Uint8Array.from(c.data as Float64Array) };
}

function read(c: Column): unknown[] {
  return Array.from({ length: c.length }, (_, i) => {
    if (!isValid(c.valid, i)) return null;
    if (c.type === "bool") return c.data[i] === 1;
    if (c.type === "utf8" || c.type === "dict") return stringAt(c, i);
    return c.data[i];
  });
}

const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { freq: 4 });

describe("kernels: expressions", () => {
  test("Kleene AND/OR/NOT match the SQL truth tables", () => {
    const vals = [true, false, null];
    const a: (boolean | null)[] = [];
    const b: (boolean | null)[] = [];
    for (const x of vals) {
      for (const y of vals) {
        a.push(x);
        b.push(y);
      }
    }
    const kAnd = (x: boolean | null, y: boolean | null) =>
      x === false || y === false ? false : x === null || y === null ? null : true;
    const kOr = (x: boolean | null, y: boolean | null) =>
      x === true || y === true ? true : x === null || y === null ? null : false;
    assert.deepEqual(
      read(and(bools(a), bools(b))),
      a.map((x, i) => kAnd(x, b[i]!)),
    );
    assert.deepEqual(
      read(or(bools(a), bools(b))),
      a.map((x, i) => kOr(x, b[i]!)),
    );
    assert.deepEqual(
      read(not(bools(a))),
      a.map((x) => (x === null ? null : !x)),
    );
  });

  test("comparisons propagate nulls and a filter keeps only true", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(maybe(fc.integer({ min: -3, max: 3 })), maybe(fc.double({ noNaN: true }))),
        ),
        (pairs) => {
          const x = i32(pairs.map((p) => p[0]));
          const y = f64(pairs.map((p) => p[1]));
          const lt = compare("lt", x, y);
          assert.deepEqual(
            read(lt),
            pairs.map(([a, b]) => (a === null || b === null ? null : a < b)),
          );
          const sel = Array.from(selectionOf(lt));
          assert.deepEqual(
            sel,
            pairs.flatMap(([a, b], i) => (a !== null && b !== null && a < b ? [i] : [])),
          );
          const sum = arith("add", x, y);
          assert.deepEqual(
            read(sum),
            pairs.map(([a, b]) => (a === null || b === null ? null : a + b)),
          );
          assert.deepEqual(
            read(compare("ge", x, 1)),
            pairs.map(([a]) => (a === null ? null : a >= 1)),
          );
          assert.deepEqual(
            read(compare("eq", x, null)),
            pairs.map(() => null),
          );
        },
      ),
    );
  });

  test("string ops agree on utf8 and dict columns and with JS strings", () => {
    fc.assert(
      fc.property(
        fc.array(maybe(fc.constantFrom("apple", "Äpfel", "", "banana", "日本語", "a😀b"))),
        fc.constantFrom("a", "an", "", "😀", "日"),
        (values, p) => {
          const u = utf8Column(values);
          const d = dictEncode(u);
          assert.equal(d.type, "dict");
          assert.deepEqual(read(d), values);
          for (const c of [u, d]) {
            assert.deepEqual(
              read(stringPredicate("startsWith", c, p)),
              values.map((v) => (v === null ? null : v.startsWith(p))),
            );
            assert.deepEqual(
              read(stringPredicate("endsWith", c, p)),
              values.map((v) => (v === null ? null : v.endsWith(p))),
            );
            assert.deepEqual(
              read(stringPredicate("contains", c, p)),
              values.map((v) => (v === null ? null : v.includes(p))),
            );
            assert.deepEqual(
              read(stringTransform("upper", c)),
              values.map((v) => (v === null ? null : v.toUpperCase())),
            );
            assert.deepEqual(
              read(stringTransform("lower", c)),
              values.map((v) => (v === null ? null : v.toLowerCase())),
            );
            assert.deepEqual(
              read(stringLength(c)),
              values.map((v) => (v === null ? null : v.length)),
            );
            assert.deepEqual(
              read(compare("lt", c, "b")),
              values.map((v) =>
                v === null ? null : Buffer.compare(Buffer.from(v), Buffer.from("b")) < 0,
              ),
            );
          }
        },
      ),
    );
  });

  test("date parts of timestamps and dates match Date's UTC getters", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5_000_000_000_000, max: 5_000_000_000_000 }), {
          maxLength: 50,
        }),
        (ms) => {
          const ts: Column = { type: "timestamp", length: ms.length, data: Float64Array.from(ms) };
          const dates = ms.map((m) => new Date(m));
          assert.deepEqual(
            Array.from(datePart("year", ts).data as Int32Array),
            dates.map((d) => d.getUTCFullYear()),
          );
          assert.deepEqual(
            Array.from(datePart("month", ts).data as Int32Array),
            dates.map((d) => d.getUTCMonth() + 1),
          );
          assert.deepEqual(
            Array.from(datePart("day", ts).data as Int32Array),
            dates.map((d) => d.getUTCDate()),
          );
          assert.deepEqual(
            Array.from(datePart("hour", ts).data as Int32Array),
            dates.map((d) => d.getUTCHours()),
          );
          assert.deepEqual(
            Array.from(datePart("weekday", ts).data as Int32Array),
            dates.map((d) => (d.getUTCDay() + 6) % 7),
          );
          const days = ms.map((m) => Math.floor(m / 86_400_000));
          const dc: Column = { type: "date", length: days.length, data: Int32Array.from(days) };
          assert.deepEqual(
            Array.from(datePart("day", dc).data as Int32Array),
            dates.map((d) => d.getUTCDate()),
          );
        },
      ),
    );
  });
});

describe("kernels: hashing, grouping, joins, sorting", () => {
  test("group ids: equal keys share an id, ids are dense in order of first appearance", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(maybe(fc.integer({ min: 0, max: 5 })), maybe(fc.constantFrom("x", "y", "zz"))),
        ),
        (rows) => {
          const a = i32(rows.map((r) => r[0]));
          const s = utf8Column(rows.map((r) => r[1]));
          for (const keys of [[a], [s], [dictEncode(s)], [a, s]]) {
            const g = groupIds(keys, rows.length);
            const seen = new Map<string, number>();
            const proj = (i: number) => JSON.stringify(keys.map((k) => read(k)[i]));
            rows.forEach((_, i) => {
              const k = proj(i);
              if (!seen.has(k)) seen.set(k, seen.size);
              assert.equal(g.ids[i], seen.get(k));
            });
            assert.equal(g.count, seen.size);
          }
        },
      ),
    );
  });

  test("group ids past the first slot table (thousands of groups) stay dense and equal per key", () => {
    const n = 40_000;
    const ints = Array.from({ length: n }, (_, i) => (i * 7919) % 9_973);
    const a = i32(ints);
    const s = utf8Column(ints.map((v) => `k${v}`));
    for (const keys of [[a], [s], [dictEncode(s)], [a, s]]) {
      const g = groupIds(keys, n);
      const first = new Map<number, number>();
      ints.forEach((v, i) => {
        if (!first.has(v)) first.set(v, first.size);
        assert.equal(g.ids[i], first.get(v));
      });
      assert.equal(g.count, first.size);
    }
  });

  test("dict and utf8 columns of the same strings hash the same (joins across partitions)", () => {
    const s = utf8Column(["a", null, "bb", "a"]);
    assert.deepEqual(hashRows([s], 4), hashRows([dictEncode(s)], 4));
  });

  test("hash join pairs equal a nested loop for every how", () => {
    fc.assert(
      fc.property(
        fc.array(maybe(fc.integer({ min: 0, max: 4 })), { maxLength: 20 }),
        fc.array(maybe(fc.integer({ min: 0, max: 4 })), { maxLength: 20 }),
        fc.constantFrom("inner", "left", "right", "outer") as fc.Arbitrary<
          "inner" | "left" | "right" | "outer"
        >,
        (l, r, how) => {
          const p = hashJoin([i32(l)], l.length, [i32(r)], r.length, how);
          const got = Array.from(
            { length: p.length },
            (_, k) => `${p.left[k]},${p.right[k]}`,
          ).sort();
          const want: string[] = [];
          const rightHit = new Set<number>();
          l.forEach((a, i) => {
            let hit = false;
            r.forEach((b, j) => {
              if (a !== null && a === b) {
                want.push(`${i},${j}`);
                hit = true;
                rightHit.add(j);
              }
            });
            if (!hit && (how === "left" || how === "outer")) want.push(`${i},-1`);
          });
          if (how === "right" || how === "outer") {
            r.forEach((_, j) => {
              if (!rightHit.has(j)) want.push(`-1,${j}`);
            });
          }
          assert.deepEqual(got, want.sort());
        },
      ),
    );
  });

  test("a dict left key (probed once per dictionary entry) joins like its utf8 form", () => {
    fc.assert(
      fc.property(
        fc.array(maybe(fc.constantFrom("a", "b", "c")), { maxLength: 20 }),
        fc.array(maybe(fc.constantFrom("a", "b", "d")), { maxLength: 8 }),
        fc.constantFrom("inner", "left", "right", "outer") as fc.Arbitrary<
          "inner" | "left" | "right" | "outer"
        >,
        (l, r, how) => {
          const u = utf8Column(l);
          const pairs = (p: ReturnType<typeof hashJoin>) =>
            Array.from({ length: p.length }, (_, k) => `${p.left[k]},${p.right[k]}`).sort();
          const want = pairs(hashJoin([u], l.length, [utf8Column(r)], r.length, how));
          assert.deepEqual(
            pairs(hashJoin([dictEncode(u)], l.length, [utf8Column(r)], r.length, how)),
            want,
          );
          assert.deepEqual(
            pairs(hashJoin([u], l.length, [dictEncode(utf8Column(r))], r.length, how)),
            want,
          );
        },
      ),
    );
  });

  test("argsort is stable, multi-key, nulls last in both directions", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            maybe(fc.integer({ min: 0, max: 3 })),
            maybe(fc.double({ noNaN: true, min: -5, max: 5 })),
          ),
        ),
        fc.boolean(),
        fc.boolean(),
        (rows, a1, a2) => {
          const order = Array.from(
            argsort(
              [
                { column: i32(rows.map((r) => r[0])), ascending: a1 },
                { column: f64(rows.map((r) => r[1])), ascending: a2 },
              ],
              rows.length,
            ),
          );
          const cmp = (x: number | null, y: number | null, asc: boolean) =>
            x === y ? 0 : x === null ? 1 : y === null ? -1 : asc ? x - y : y - x;
          const want = rows
            .map((_, i) => i)
            .sort(
              (p, q) =>
                cmp(rows[p]![0], rows[q]![0], a1) || cmp(rows[p]![1], rows[q]![1], a2) || p - q,
            );
          assert.deepEqual(order, want);
        },
      ),
    );
    const big = Int32Array.from({ length: 1000 }, (_, i) => (i * 7919) % 101);
    const o = argsort(
      [{ column: { type: "int32", length: 1000, data: big }, ascending: false }],
      1000,
    );
    for (let k = 1; k < 1000; k++) assert.ok(big[o[k - 1]!]! >= big[o[k]!]!);
  });

  test("a single numeric key (radix path) sorts like a comparator sort, NaN and nulls last", () => {
    fc.assert(
      fc.property(
        fc.array(maybe(fc.oneof(fc.double(), fc.constantFrom(0, -0, 1, -1))), { maxLength: 200 }),
        fc.boolean(),
        (vals, asc) => {
          const order = Array.from(argsort([{ column: f64(vals), ascending: asc }], vals.length));
          const rank = (v: number | null) => (v === null ? 2 : Number.isNaN(v) ? 1 : 0);
          const want = vals
            .map((_, i) => i)
            .sort((p, q) => {
              const a = vals[p]!;
              const b = vals[q]!;
              const r = rank(a) - rank(b);
              if (r !== 0 || rank(a) !== 0) return r || p - q;
              const c = (a as number) - (b as number);
              return (asc ? c : -c) || p - q;
            });
          assert.deepEqual(order, want);
        },
      ),
    );
  });

  test("take with -1 gives nulls; concat of dict columns with different dictionaries reads back", () => {
    const s = utf8Column(["a", "b", null]);
    assert.deepEqual(read(takeColumn(s, Int32Array.from([2, -1, 0]))), [null, null, "a"]);
    const b1: Batch = { names: ["s"], columns: [dictEncode(utf8Column(["x", "y"]))], length: 2 };
    const b2: Batch = {
      names: ["s"],
      columns: [dictEncode(utf8Column(["y", null, "z"]))],
      length: 3,
    };
    assert.deepEqual(read(concatBatches([b1, b2]).columns[0]!), ["x", "y", "y", null, "z"]);
  });
});

describe("kernels: partial aggregation", () => {
  const specs: AggSpec[] = (
    ["sum", "mean", "min", "max", "count", "nunique", "std", "var", "first", "last"] as const
  ).map((fn) => ({ fn, column: "v", output: fn }));
  specs.push(
    { fn: "size", column: null, output: "size" },
    { fn: "min", column: "s", output: "smin" },
    { fn: "max", column: "s", output: "smax" },
  );

  test("partials combined in any split give the one-shot answer", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom("a", "b", "c"),
            maybe(fc.integer({ min: -9, max: 9 })),
            maybe(fc.constantFrom("p", "q", "r")),
          ),
          { maxLength: 40 },
        ),
        fc.array(fc.nat(), { maxLength: 4 }),
        (rows, cutsRaw) => {
          const batch: Batch = {
            names: ["k", "v", "s"],
            columns: [
              utf8Column(rows.map((r) => r[0])),
              f64(rows.map((r) => r[1])),
              utf8Column(rows.map((r) => r[2])),
            ],
            length: rows.length,
          };
          const cuts = [
            0,
            ...cutsRaw
              .map((c) => (rows.length === 0 ? 0 : c % (rows.length + 1)))
              .sort((a, b) => a - b),
            rows.length,
          ];
          const parts = cuts
            .slice(1)
            .map((end, i) => partialAggregate(sliceBatch(batch, cuts[i]!, end), ["k"], specs));
          const whole = finalizeAggregate(partialAggregate(batch, ["k"], specs), specs);
          const combined = finalizeAggregate(
            combinePartials([combinePartials(parts.slice(0, 2), specs), ...parts.slice(2)], specs),
            specs,
          );
          const rowsOf = (b: Batch) =>
            Array.from({ length: b.length }, (_, i) =>
              b.columns
                .map((c) => read(c)[i])
                .map((v) => (typeof v === "number" ? Number(v.toPrecision(10)) : v)),
            );
          assert.deepEqual(rowsOf(combined), rowsOf(whole));
          // Against plain JS for key "a" when present.
          const vals = rows
            .filter((r) => r[0] === "a")
            .map((r) => r[1])
            .filter((v): v is number => v !== null);
          const at = rowsOf(whole).find((r) => r[0] === "a");
          if (at !== undefined) {
            const mean = vals.reduce((s, v) => s + v, 0) / vals.length;
            assert.equal(at[1], vals.length ? vals.reduce((s, v) => s + v, 0) : null);
            assert.equal(at[5], vals.length);
            assert.equal(at[6], new Set(vals).size);
            const variance =
              vals.length > 1
                ? vals.reduce((s, v) => s + (v - mean) ** 2, 0) / (vals.length - 1)
                : null;
            assert.equal(at[8], variance === null ? null : Number(variance.toPrecision(10)));
          }
        },
      ),
    );
  });
});

describe("kernels: grouped sums", () => {
  test("sums and counts per group (laned, and two columns per pass) equal a plain loop", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.integer({ min: -1000, max: 1000 }),
            fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
          ),
          { maxLength: 200 },
        ),
        (groups, rows) => {
          const ids = Int32Array.from(rows, ([g]) => g % groups);
          const a: Column = {
            type: "int32",
            length: rows.length,
            data: Int32Array.from(rows, (r) => r[1]),
          };
          const b: Column = {
            type: "float64",
            length: rows.length,
            data: Float64Array.from(rows, (r) => r[2]),
          };
          const want = {
            a: new Array(groups).fill(0),
            b: new Array(groups).fill(0),
            n: new Array(groups).fill(0),
          };
          rows.forEach(([, x, y], i) => {
            want.a[ids[i]!] += x;
            want.b[ids[i]!] += y;
            want.n[ids[i]!]++;
          });
          const one = sumCountBy(ids, groups, a);
          const two = sumCountBy2(ids, groups, a, b);
          assert.deepEqual(Array.from(one.sum), want.a, "integers sum exactly in any order");
          assert.deepEqual(Array.from(one.count), want.n);
          assert.deepEqual(Array.from(two.sumA), want.a);
          assert.deepEqual(Array.from(two.count), want.n);
          for (const [g, s] of two.sumB.entries()) {
            const w = want.b[g]!;
            assert.ok(Math.abs(s - w) <= 1e-9 * Math.max(1, Math.abs(w)) * rows.length);
          }
          assert.deepEqual(
            Array.from(two.sumB),
            Array.from(sumCountBy(ids, groups, b).sum),
            "the same lanes as one column at a time",
          );
        },
      ),
    );
  });
});

test("partial aggregation by a dict key's codes equals grouping its strings (order of first appearance)", () => {
  // Dictionaries with entries no row uses and codes in any order: the codes-as-group-ids path
  // (one dict key without nulls, sums and counts) must give the groups, their order and their
  // states that hashing the same keys as strings gives.
  const specs: AggSpec[] = [
    { fn: "mean", column: "x", output: "mx" },
    { fn: "sum", column: "y", output: "sy" },
    { fn: "size", column: null, output: "n" },
    { fn: "count", column: "y", output: "cy" },
  ];
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 30 }),
      fc.array(
        fc.tuple(
          fc.nat(),
          fc.integer({ min: -50, max: 50 }),
          fc.option(fc.integer({ min: -5, max: 5 })),
        ),
        {
          maxLength: 60,
        },
      ),
      (size, rows) => {
        const words = Array.from({ length: size }, (_, i) => `w${(i * 7) % size}-${i}`);
        const codes = Int32Array.from(rows.map((r) => r[0] % size));
        const dict: Column = {
          type: "dict",
          length: rows.length,
          data: codes,
          dictionary: utf8Column(words),
        };
        const x = f64(rows.map((r) => r[1]));
        const plainX: Column = { type: "float64", length: rows.length, data: x.data };
        const y = f64(rows.map((r) => r[2]));
        const batchOf = (k: Column): Batch => ({
          names: ["k", "x", "y"],
          columns: [k, plainX, y],
          length: rows.length,
        });
        const byCode = partialAggregate(batchOf(dict), ["k"], specs);
        const byString = partialAggregate(
          batchOf(utf8Column(Array.from(codes, (c) => words[c]!))),
          ["k"],
          specs,
        );
        const keysOf = (p: typeof byCode) =>
          Array.from({ length: p.keys.length }, (_, i) => stringAt(p.keys.columns[0]!, i));
        assert.deepEqual(keysOf(byCode), keysOf(byString));
        assert.deepEqual(
          byCode.states.map((cols) => cols.map(read)),
          byString.states.map((cols) => cols.map(read)),
        );
      },
    ),
    { numRuns: 200 },
  );
});
