/**
 * Reductions of expressions that read one 2-d array X both as X and as X.T over a square grid
 * cut alike along both dimensions: blocks (i, j) and (j, i) made by one task (lower.ts
 * `pairedSource`, exec/reduce-pair.ts). Random shapes, chunkings (irregular, 1-row chunks),
 * dtypes, NaN and expressions, each compared with a plain-JS reference over the computed values
 * and with the unpaired path (bit for bit along axis 0, where the tiles sum in the one-block
 * path's order), on the sync scheduler, threads and processes.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import * as ba from "../../src/array.js";
import { usePairing } from "../../src/collections/array/lower-reduce.js";
import { Client } from "../../src/index.js";

type Agg = "sum" | "mean" | "var" | "std" | "nansum" | "nanmean" | "nanvar" | "nanstd";
const AGGS: Agg[] = ["sum", "mean", "var", "std", "nansum", "nanmean", "nanvar", "nanstd"];

/** An expression of X and X.T, and the same over one element pair (a = X[r, c], b = X[c, r]). */
interface Case {
  readonly name: string;
  readonly lazy: (x: ba.Array) => ba.Array;
  readonly at: (a: number, b: number) => number;
}

const EXPRS: Case[] = [
  { name: "x + x.T", lazy: (x) => x.add(x.T), at: (a, b) => a + b },
  { name: "|x - x.T|", lazy: (x) => x.sub(x.T).abs(), at: (a, b) => Math.abs(a - b) },
  { name: "x * x.T + 1", lazy: (x) => x.mul(x.T).add(1), at: (a, b) => a * b + 1 },
  { name: "2 x.T - x", lazy: (x) => x.T.mul(2).sub(x), at: (a, b) => 2 * b - a },
  {
    name: "x * 3 + x.T * x.T",
    lazy: (x) => x.mul(3).add(x.T.mul(x.T)),
    at: (a, b) => a * 3 + b * b,
  },
];

/**
 * The plain-JS reduction of f(X[r, c], X[c, r]) over axis 0 (one per column) or all of it, and
 * the size of what each result is made of (its error scale: the terms' largest magnitude,
 * times their count for a sum, squared for var).
 */
function reference(
  v: ArrayLike<number>,
  n: number,
  f: (a: number, b: number) => number,
  agg: Agg,
  all: boolean,
): { value: number[]; scale: number[] } {
  const skip = agg.startsWith("nan");
  const groups: number[][] = all ? [[]] : Array.from({ length: n }, () => []);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++) {
      const e = f(v[r * n + c]!, v[c * n + r]!);
      if (skip && Number.isNaN(e)) continue;
      groups[all ? 0 : c]!.push(e);
    }
  const value = groups.map((g) => {
    let s = 0;
    for (const e of g) s += e;
    if (agg.endsWith("sum")) return s;
    const mean = s / g.length;
    if (agg.endsWith("mean")) return mean;
    let q = 0;
    for (const e of g) q += (e - mean) ** 2;
    return agg.endsWith("var") ? q / g.length : Math.sqrt(q / g.length);
  });
  const scale = groups.map((g) => {
    const big = g.reduce((m, e) => Math.max(m, Math.abs(e)), 0);
    if (agg.endsWith("sum")) return big * g.length;
    return agg.endsWith("var") ? big * big : big;
  });
  return { value, scale };
}

function values(x: ba.NDArray | number | bigint | boolean): number[] {
  return typeof x === "object" ? Array.from(x.data as ArrayLike<number>, Number) : [Number(x)];
}

/** Each `got` within `tol` times its error scale (at least 1) of `want`, NaN where it is NaN. */
function near(
  got: number[],
  want: number[],
  scale: readonly number[],
  tol: number,
  what: string,
): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (Number.isNaN(w)) assert.ok(Number.isNaN(g), `${what} [${i}]: ${g}, want NaN`);
    else
      assert.ok(
        Math.abs(g - w) <= tol * Math.max(1, Math.abs(w), scale[i] ?? 0),
        `${what} [${i}]: ${g}, want ${w}`,
      );
  }
}

/** A square grid cut alike along both dimensions: chunk lengths summing to n, some of 1. */
const gridArb = fc.integer({ min: 1, max: 150 }).chain((n) =>
  fc
    .array(fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 90 })), {
      minLength: 1,
      maxLength: 6,
    })
    .map((lens) => {
      const out: number[] = [];
      let left = n;
      for (const l of lens) {
        if (left === 0) break;
        out.push(Math.min(l, left));
        left -= Math.min(l, left);
      }
      if (left > 0) out.push(left);
      return { n, lens: out };
    }),
);

const caseArb = fc.record({
  grid: gridArb,
  expr: fc.constantFrom(...EXPRS),
  agg: fc.constantFrom(...AGGS),
  all: fc.boolean(),
  dtype: fc.constantFrom("float64", "float32"),
  // integers: int64 (the moments cast it to float64 and pair; its exact sums do not pair).
  source: fc.constantFrom("random", "memory", "memory-nan", "integers"),
  seed: fc.integer({ min: 0, max: 1000 }),
  // Combine trees of several levels, some of whose inputs are halves of pair tasks.
  splitEvery: fc.constantFrom(2, 3, 8),
});

type CaseArgs = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

/** X for a case: random numbers made inside the tasks, or an array in memory (with NaN). */
function sourceOf(c: CaseArgs): ba.Array {
  const { n, lens } = c.grid;
  const chunks = [lens, lens];
  if (c.source === "integers")
    return ba.random.integers(-50, 50, [n, n], { chunks, seed: c.seed }) as ba.Array;
  if (c.source === "random")
    return ba.random.random([n, n], { chunks, seed: c.seed, dtype: c.dtype }) as ba.Array;
  const data = c.dtype === "float64" ? new Float64Array(n * n) : new Float32Array(n * n);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.61 + c.seed) * 100;
  if (c.source === "memory-nan")
    for (let i = c.seed % 7; i < data.length; i += 11) data[i] = Number.NaN;
  return ba.fromArray(data, [n, n], { chunks }) as ba.Array;
}

function reduced(c: CaseArgs, x: ba.Array): ba.Array | ba.Scalar {
  const e = c.expr.lazy(x);
  return c.all
    ? e[c.agg]({ splitEvery: c.splitEvery })
    : e[c.agg]({ axis: 0, splitEvery: c.splitEvery });
}

/** The case on `client`, paired and unpaired, checked against the reference; the paired values. */
async function check(client: Client, c: CaseArgs): Promise<number[]> {
  const x = sourceOf(c);
  const v = values(await x.compute({ client }));
  const paired = values(await reduced(c, x).compute({ client }));
  usePairing(false);
  let single: number[];
  try {
    single = values(await reduced(c, x).compute({ client }));
  } finally {
    usePairing(true);
  }
  const what = `${c.agg}${c.all ? "" : "(axis 0)"} of ${c.expr.name}, ${c.source === "integers" ? "int64" : c.dtype} ${c.source} n ${c.grid.n} chunks ${c.grid.lens} splitEvery ${c.splitEvery}`;
  const ref = reference(v, c.grid.n, c.expr.at, c.agg, c.all);
  // float32: every operation of the expression rounds to float32, the reference does not.
  const f32 = c.dtype === "float32" && c.source !== "integers";
  near(paired, ref.value, ref.scale, f32 ? 1e-6 : 1e-12, what);
  // Along axis 0, over chunks of more than a slab (64 rows), the tiles sum in the one-block
  // path's groups and order: the same bits. Shorter chunks are summed compensated there.
  if (!c.all && c.grid.lens.every((l) => l > 64))
    assert.deepEqual(paired, single, `${what}: paired against unpaired`);
  else near(paired, single, ref.scale, 1e-13, `${what}: paired against unpaired`);
  return paired;
}

describe("paired blocks (i, j) and (j, i) of X and X.T", () => {
  let sync: Client;
  let threads: Client;
  before(async () => {
    sync = await Client.connect({ scheduler: "sync", setAsDefault: false });
    threads = await Client.connect({ setAsDefault: false });
  });
  after(async () => {
    await sync.close();
    await threads.close();
  });

  test("random shapes, chunkings, dtypes, NaN and expressions match a plain-JS reference (sync)", {
    timeout: 240_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        await check(sync, c);
      }),
      { numRuns: 60 },
    );
  });

  test("the same on worker threads, identical to sync", { timeout: 240_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        assert.deepEqual(await check(threads, c), await check(sync, c));
      }),
      { numRuns: 12 },
    );
  });

  test("chunks that cross several tiles, the bench's expression (x.add(x.T).mean(0).sum())", {
    timeout: 120_000,
  }, async () => {
    const x = ba.random.random([300, 300], {
      chunks: [
        [130, 1, 169],
        [130, 1, 169],
      ],
      seed: 9,
    });
    const v = values(await x.compute({ client: threads }));
    const cols = reference(v, 300, (a, b) => a + b, "mean", false);
    const got = values(await x.add(x.T).mean({ axis: 0 }).compute({ client: threads }));
    near(got, cols.value, cols.scale, 1e-12, "mean(axis 0)");
    let want = 0;
    for (const m of cols.value) want += m;
    near(
      values(await x.add(x.T).mean({ axis: 0 }).sum().compute({ client: threads })),
      [want],
      [want],
      1e-12,
      "sum of the means",
    );
  });

  test("grids that do not pair still give the reference's values", {
    timeout: 120_000,
  }, async () => {
    const data = new Float64Array(40 * 40).map((_, i) => Math.cos(i));
    // Cut differently along the two dimensions: x.T is rechunked, nothing pairs.
    const x = ba.fromArray(data, [40, 40], {
      chunks: [
        [10, 30],
        [25, 15],
      ],
    });
    const want = reference(data, 40, (a, b) => a + b, "mean", false);
    near(
      values(await x.add(x.T).mean({ axis: 0 }).compute({ client: threads })),
      want.value,
      want.scale,
      1e-12,
      "unequal cuts",
    );
  });
});

describe("paired blocks on worker processes", () => {
  test("agree with the sync scheduler bit for bit", { timeout: 180_000 }, async () => {
    const procs = await Client.connect({ processes: true, setAsDefault: false });
    const sync = await Client.connect({ scheduler: "sync", setAsDefault: false });
    try {
      const cases: CaseArgs[] = [
        {
          grid: { n: 97, lens: [64, 1, 32] },
          expr: EXPRS[0]!,
          agg: "mean",
          all: false,
          dtype: "float64",
          source: "random",
          seed: 1,
          splitEvery: 2,
        },
        {
          grid: { n: 70, lens: [30, 40] },
          expr: EXPRS[2]!,
          agg: "nanvar",
          all: false,
          dtype: "float64",
          source: "memory-nan",
          seed: 2,
          splitEvery: 8,
        },
        {
          grid: { n: 80, lens: [80] },
          expr: EXPRS[1]!,
          agg: "std",
          all: true,
          dtype: "float32",
          source: "random",
          seed: 3,
          splitEvery: 3,
        },
      ];
      for (const c of cases) assert.deepEqual(await check(procs, c), await check(sync, c));
    } finally {
      await procs.close();
      await sync.close();
    }
  });
});
