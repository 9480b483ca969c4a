/**
 * barn/array against a plain-JS reference (array-ref.ts): random shapes (empty dimensions
 * included), random irregular chunkings, dtypes, NaN, broadcasting, negative steps; every
 * operation computed by Barn and by the reference, on the sync scheduler, a thread cluster
 * and (a few) on worker processes.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import * as ba from "../../src/array.js";
import * as bf from "../../src/frame.js";
import { Client } from "../../src/index.js";
import { broadcastShapeArb, caseArb, check, DTYPES, isFloat, toArray } from "./array-cases.js";
import {
  at,
  elementwise,
  indices,
  type Ref,
  sameValues,
  select,
  size,
  sliceIndices,
  store,
  transpose,
} from "./array-ref.js";
import { AGGS, AllNaN, BINARY, num, refBinary, refReduce } from "./array-ref-ops.js";

function suite(name: string, connect: () => Promise<Client>, runs: number) {
  describe(`array against plain JS (${name})`, () => {
    let client: Client;
    before(async () => {
      client = await connect();
    });
    after(async () => {
      await client.close();
    });

    test("element-wise binary ops with broadcasting and promotion", {
      timeout: 120_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(
          caseArb().chain((a) =>
            fc.record({
              a: fc.constant(a),
              b: fc
                .tuple(fc.constantFrom(...DTYPES), broadcastShapeArb(a.ref.shape))
                .chain(([d, s]) => caseArb([d], fc.constant(s))),
              op: fc.constantFrom(...BINARY),
              swap: fc.boolean(),
            }),
          ),
          async ({ a, b, op, swap }) => {
            const [l, r] = swap ? [b, a] : [a, b];
            let z: ba.Array;
            try {
              z = (toArray(l) as ba.Array<"float64">)[op](toArray(r)) as ba.Array;
            } catch (e) {
              // NumPy refuses these too: subtracting booleans.
              assert.equal((e as { code?: string }).code, "BARN_ARRAY_DTYPE");
              assert.equal(op, "sub");
              return;
            }
            const got = await z.compute({ client });
            const big =
              got.dtype === "int64" ||
              (["lt", "le", "gt", "ge", "eq", "ne", "maximum", "minimum"].includes(op) &&
                l.ref.dtype === "int64" &&
                r.ref.dtype === "int64");
            const want = elementwise([l.ref, r.ref], got.dtype, (x, y) =>
              refBinary(op, x!, y!, big),
            );
            await check(
              got,
              want,
              `${l.ref.dtype}${JSON.stringify(l.ref.shape)} ${op} ${r.ref.dtype}${JSON.stringify(r.ref.shape)}`,
            );
          },
        ),
        { numRuns: runs },
      );
    });

    test("unary math, scalars, where, clip, astype, fused chains", {
      timeout: 120_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(caseArb(["float64", "float32", "int32", "int8", "int64"]), async (c) => {
          const x = toArray(c) as ba.Array<"float64">;
          const f = (v: number | bigint) => num(v);
          const [neg, abs, sq, fl, rd, chain, wh, cl, ast] = await Promise.all([
            x.neg().compute({ client }),
            x.abs().compute({ client }),
            x.sqrt().compute({ client }),
            x.floor().compute({ client }),
            x.round().compute({ client }),
            x.astype("float64").add(1).mul(x.astype("float64")).sub(0.5).compute({ client }),
            ba.where(x.gt(0), x.astype("float64"), -1).compute({ client }),
            x.astype("float64").clip(-1, 2).compute({ client }),
            x.astype("int32").compute({ client }),
          ]);
          const d = c.ref.dtype;
          await check(
            neg,
            elementwise([c.ref], d, (v) => (typeof v === "bigint" ? -v : -v!)),
            "neg",
          );
          await check(
            abs,
            elementwise([c.ref], d, (v) =>
              typeof v === "bigint" ? (v < 0n ? -v : v) : Math.abs(v!),
            ),
            "abs",
          );
          await check(
            sq,
            elementwise([c.ref], sq.dtype, (v) => Math.sqrt(f(v!))),
            "sqrt",
          );
          await check(
            fl,
            elementwise([c.ref], d, (v) => (typeof v === "bigint" ? v : Math.floor(v!))),
            "floor",
          );
          const rint = (v: number) =>
            Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v);
          await check(
            rd,
            elementwise([c.ref], d, (v) => (typeof v === "bigint" ? v : rint(v!))),
            "round",
          );
          await check(
            chain,
            elementwise([c.ref], "float64", (v) => (f(v!) + 1) * f(v!) - 0.5),
            "(x+1)*x-0.5",
          );
          await check(
            wh,
            elementwise([c.ref], "float64", (v) => (f(v!) > 0 ? f(v!) : -1)),
            "where",
          );
          await check(
            cl,
            elementwise([c.ref], "float64", (v) =>
              Number.isNaN(f(v!)) ? Number.NaN : Math.min(2, Math.max(-1, f(v!))),
            ),
            "clip",
          );
          await check(
            ast,
            elementwise([c.ref], "int32", (v) => (Number.isFinite(f(v!)) ? Math.trunc(f(v!)) : 0)),
            "astype",
          );
        }),
        { numRuns: runs },
      );
    });

    test("reductions over random axes, NaN and empty dimensions", {
      timeout: 120_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(
          caseArb().chain((c) =>
            fc.record({
              c: fc.constant(c),
              agg: fc.constantFrom(...AGGS),
              axes: fc.subarray(c.ref.shape.map((_, d) => d)),
              all: fc.boolean(),
              splitEvery: fc.integer({ min: 2, max: 4 }),
            }),
          ),
          async ({ c, agg, axes: someAxes, all, splitEvery }) => {
            const nd = c.ref.shape.length;
            let axes = all ? c.ref.shape.map((_, d) => d) : someAxes;
            if (agg.includes("arg") && !all) axes = axes.slice(0, 1);
            if (axes.length === 0) axes = c.ref.shape.map((_, d) => d);
            const x = toArray(c) as ba.Array<"float64">;
            const empty = axes.some((d) => c.ref.shape[d] === 0);
            const opts = axes.length === nd ? { splitEvery } : { axis: axes, splitEvery };
            if (empty && (agg.includes("min") || agg.includes("max"))) {
              assert.throws(() => (x[agg] as (o: object) => unknown)(opts), {
                code: "BARN_ARRAY_SHAPE",
              });
              return;
            }
            const r = (x[agg] as (o: object) => ba.Array | ba.Scalar)(opts);
            const gotDtype = r instanceof ba.Scalar ? r.dtype : (r as ba.Array).dtype;
            let want: Ref;
            try {
              want = refReduce(agg, c.ref, axes, gotDtype);
            } catch (e) {
              if (!(e instanceof AllNaN)) throw e;
              await assert.rejects(r.compute({ client }) as Promise<unknown>, {
                code: "BARN_ARRAY_SHAPE",
                message: /all-NaN slice/,
              });
              return;
            }
            const got =
              r instanceof ba.Scalar ? await r.compute({ client }) : await r.compute({ client });
            if (agg === "nansum" && !isFloat(c.ref.dtype)) return;
            if (got instanceof ba.NDArray)
              await check(
                got,
                want,
                `${agg} over ${axes} of ${c.ref.dtype}${JSON.stringify(c.ref.shape)}`,
              );
            else {
              const w = gotDtype === "bool" ? want.data[0] !== 0 : want.data[0];
              if (typeof w === "number" && typeof got === "number")
                assert.ok(
                  sameValues([got], [w], gotDtype === "float32" ? 1e-5 : 1e-9) === undefined,
                  `${agg}: ${got} vs ${w}`,
                );
              else assert.equal(got, w, `${agg} of ${c.ref.dtype}${JSON.stringify(c.ref.shape)}`);
            }
          },
        ),
        { numRuns: runs * 3 },
      );
    });

    test("slices with steps and negative indices, transpose, take, compress", {
      timeout: 120_000,
    }, async () => {
      const sliceArb = fc.record({
        start: fc.option(fc.integer({ min: -6, max: 6 })),
        stop: fc.option(fc.integer({ min: -6, max: 6 })),
        step: fc.integer({ min: -3, max: 3 }).filter((s) => s !== 0),
      });
      await fc.assert(
        fc.asyncProperty(
          caseArb().chain((c) =>
            fc.record({
              c: fc.constant(c),
              slices: fc.array(sliceArb, {
                minLength: c.ref.shape.length,
                maxLength: c.ref.shape.length,
              }),
              picks: fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 5 }),
              mask: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
            }),
          ),
          async ({ c, slices, picks, mask }) => {
            const x = toArray(c);
            const sl = x.slice(...slices);
            const want = select(
              c.ref,
              slices.map((s, d) => sliceIndices(c.ref.shape[d]!, s.start, s.stop, s.step)),
            );
            await check(await sl.compute({ client }), want, `slice ${JSON.stringify(slices)}`);
            await check(await x.T.compute({ client }), transpose(c.ref), "T");
            // A slice of a transpose fused with arithmetic.
            if (c.ref.shape.length > 0 && c.ref.dtype === "float64") {
              const y = await x.T.mul(2).slice("::-1").compute({ client });
              const t = transpose(c.ref);
              const tw = select(
                t,
                t.shape.map((n, d) =>
                  d === 0
                    ? sliceIndices(n, null, null, -1)
                    : Array.from({ length: n }, (_, i) => i),
                ),
              );
              await check(y, { ...tw, data: tw.data.map((v) => (v as number) * 2) }, "T*2[::-1]");
            }
            const n0 = c.ref.shape[0];
            if (n0 !== undefined && n0 > 0) {
              const idx = picks.map((p) => (p % (2 * n0)) - n0);
              const per = c.ref.shape.map((n, d) =>
                d === 0
                  ? idx.map((i) => (i < 0 ? i + n0 : i))
                  : Array.from({ length: n }, (_, i) => i),
              );
              await check(await x.take(idx, 0).compute({ client }), select(c.ref, per), "take");
              const m = mask.slice(0, n0).concat(Array(Math.max(0, n0 - 8)).fill(true));
              const kept = m.flatMap((b, i) => (b ? [i] : []));
              const perM = c.ref.shape.map((n, d) =>
                d === 0 ? kept : Array.from({ length: n }, (_, i) => i),
              );
              await check(
                await x.compress(m, 0).compute({ client }),
                select(c.ref, perM),
                "compress",
              );
            }
          },
        ),
        { numRuns: runs },
      );
    });

    test("reshape, rechunk, concatenate, stack, cumsum, matmul", { timeout: 120_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(
          caseArb(
            ["float64", "int32", "int64"],
            fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
          ).chain((c) =>
            fc.record({
              c: fc.constant(c),
              other: caseArb([c.ref.dtype], fc.constant(c.ref.shape)),
              rc: fc.integer({ min: 1, max: 3 }),
            }),
          ),
          async ({ c, other, rc }) => {
            const x = toArray(c);
            const flat = { ...c.ref, shape: [size(c.ref.shape)] };
            await check(await x.reshape([-1]).compute({ client }), flat, "ravel");
            const n = size(c.ref.shape);
            await check(
              await x.reshape([1, n, 1]).compute({ client }),
              { ...c.ref, shape: [1, n, 1] },
              "reshape",
            );
            await check(await x.rechunk(rc).compute({ client }), c.ref, "rechunk");
            const y = toArray(other);
            const cat = await ba.concatenate([x, y], 0).compute({ client });
            await check(
              cat,
              {
                ...c.ref,
                data: [...c.ref.data, ...other.ref.data],
                shape: [c.ref.shape[0]! * 2, ...c.ref.shape.slice(1)],
              },
              "concatenate",
            );
            const st = await ba.stack([x, y], 0).compute({ client });
            await check(
              st,
              { ...c.ref, data: [...c.ref.data, ...other.ref.data], shape: [2, ...c.ref.shape] },
              "stack",
            );
            // cumsum along the last axis.
            const last = c.ref.shape.length - 1;
            const cs = await x.cumsum(last).compute({ client });
            const csWant = indices(c.ref.shape).map((idx) => {
              let s: number | bigint = cs.dtype === "int64" ? 0n : 0;
              for (let k = 0; k <= idx[last]!; k++) {
                const v = at(
                  c.ref,
                  idx.map((i, d) => (d === last ? k : i)),
                );
                s = typeof s === "bigint" ? s + BigInt(v) : s + num(v);
              }
              return s;
            });
            await check(
              cs,
              { data: store(csWant, cs.dtype), shape: c.ref.shape, dtype: cs.dtype },
              "cumsum",
            );
            // matmul of the 2-D view with its transpose.
            const m2 = x.reshape([c.ref.shape[0]!, -1]).astype("float64");
            const mm = await m2.matmul(m2.T).compute({ client });
            const r = c.ref.shape[0]!;
            const k = n / r;
            const mmWant: number[] = [];
            for (let i = 0; i < r; i++) {
              for (let j = 0; j < r; j++) {
                let s = 0;
                for (let p = 0; p < k; p++)
                  s += num(c.ref.data[i * k + p]!) * num(c.ref.data[j * k + p]!);
                mmWant.push(s);
              }
            }
            await check(mm, { data: mmWant, shape: [r, r], dtype: "float64" }, "matmul");
          },
        ),
        { numRuns: Math.ceil(runs / 2) },
      );
    });

    test("random numbers do not depend on the chunking", { timeout: 60_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 3 }),
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 0, max: 2 ** 40 }),
          async (shape, c, seed) => {
            const a = await ba.random.random(shape, { chunks: c, seed }).compute({ client });
            const b = await ba.random.random(shape, { chunks: shape, seed }).compute({ client });
            assert.deepEqual(a.data, b.data);
            assert.ok(a.data.every((v) => v >= 0 && v < 1));
            const n1 = await ba.random.normal(shape, { chunks: c, seed }).compute({ client });
            const n2 = await ba.random.normal(shape, { chunks: shape, seed }).compute({ client });
            assert.deepEqual(n1.data, n2.data);
            const i1 = await ba.random
              .integers(-3, 5, shape, { chunks: c, seed })
              .compute({ client });
            assert.ok(i1.data.every((v) => v >= -3n && v < 5n));
          },
        ),
        { numRuns: Math.ceil(runs / 2) },
      );
    });
  });
}

suite("sync", () => Client.connect({ scheduler: "sync", setAsDefault: false }), 40);
suite("threads", () => Client.connect({ setAsDefault: false }), 8);

describe("array on worker processes", () => {
  test("fused element-wise work, a reduction, a transpose and random numbers agree with threads", {
    timeout: 180_000,
  }, async () => {
    const procs = await Client.connect({ processes: true, setAsDefault: false });
    const sync = await Client.connect({ scheduler: "sync", setAsDefault: false });
    try {
      const x = ba.random.random([30, 20], { chunks: [7, 6], seed: 5 });
      const y = ba.arange(600, undefined, 1, { chunks: 100 }).reshape([30, 20]).astype("int32");
      const work = [
        x.add(y.astype("float64")).mul(2).sum({ axis: 0 }),
        x.T.matmul(x),
        x.add(x.T.T).mean({ axis: 1 }),
        y.cumsum(0),
        x.slice("::-2", "3:-1"),
        ba.tensordot(x.reshape([30, 4, 5]), x.reshape([30, 4, 5]), [
          [0, 2],
          [0, 2],
        ]),
        // uint32 sums past 2^53 are exact; int64 products wrap.
        ba.full([4, 1000], 4_000_000_000, { dtype: "uint32", chunks: [3, 700] }).sum({ axis: 1 }),
        y
          .astype("int64")
          .add(2 ** 40)
          .prod({ axis: 0 }),
      ] as ba.Array[];
      // Lazy masks and frames: sizes counted on the cluster, the rest lazy.
      const frame = bf.fromRecords(
        Array.from({ length: 50 }, (_, i) => ({ i, f: i / 4 })),
        { npartitions: 4 },
      );
      for (const c of [procs, sync]) {
        work.push(await x.select(x.gt(0.5), { client: c }));
        work.push(
          await ba.fromFrame(frame.filter(frame.col("i").gt(7)), ["i", "f"], { client: c }),
        );
      }
      // Histograms (the range found lazily, weights), stacks of integer and float matrices,
      // take by a lazy index and compress by a lazy mask.
      const h = ba.histogram(x, { bins: 7 });
      const hw = ba.histogram(x, { bins: [0, 0.25, 1], weights: x.mul(2) });
      work.push(h.counts as ba.Array, h.edges as ba.Array, hw.counts as ba.Array);
      work.push(
        y.reshape([3, 10, 20]).matmul(y.T),
        x.reshape([3, 10, 20]).matmul(x.T.expandDims(0)),
      );
      work.push(x.take(y.slice(0, ":5").sub(7), 1));
      for (const c of [procs, sync])
        work.push(await x.compress(y.slice(null, 0).lt(300), 0, { client: c }));
      for (const a of work) {
        const [p, s] = await Promise.all([
          a.compute({ client: procs }),
          a.compute({ client: sync }),
        ]);
        assert.deepEqual(p.shape, s.shape);
        assert.deepEqual(p.data, s.data);
        assert.ok(
          !Array.from(p.data as ArrayLike<number>).some(Number.isNaN),
          "no NaN from finite inputs",
        );
      }
      // Random chunks made inside the consuming task equal those read from a task of their own.
      const direct = await x.compute({ client: procs });
      const doubled = await x.mul(2).compute({ client: procs });
      assert.deepEqual(
        doubled.data,
        direct.data.map((v) => v * 2),
      );
      assert.equal(
        await x.std().compute({ client: procs }),
        await x.std().compute({ client: sync }),
      );
    } finally {
      await procs.close();
      await sync.close();
    }
  });
});
