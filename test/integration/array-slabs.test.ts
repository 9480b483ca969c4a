/**
 * Reductions whose chunks are longer than a slab (exec/reduce.ts `slabRows`): column sums
 * summed plainly 64 rows at a time, var/std in cache-sized slabs merged by Chan's formula, and
 * random operands (x and x.T) generated a slab at a time. Each is compared with a plain-JS
 * reference over the computed values, with NaN, odd lengths, irregular chunks and 3-d shapes.
 * The arrays here are long enough to cross several slabs; the oracle tests' small arrays are not.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as ba from "../../src/array.js";
import { Client } from "../../src/index.js";

function close(got: number, want: number, what: string): void {
  if (Number.isNaN(want)) {
    assert.ok(Number.isNaN(got), `${what}: ${got}, want NaN`);
    return;
  }
  const tol = 1e-11 * Math.max(1, Math.abs(want));
  assert.ok(Math.abs(got - want) <= tol, `${what}: ${got}, want ${want}`);
}

/** Sum, count, mean and var (ddof 0) over axis 0 of a C-order [rows, cols] matrix. */
function columns(v: ArrayLike<number>, rows: number, cols: number, skipNaN: boolean) {
  const out: { sum: number; mean: number; var: number }[] = [];
  for (let c = 0; c < cols; c++) {
    let s = 0;
    let n = 0;
    for (let r = 0; r < rows; r++) {
      const x = v[r * cols + c]!;
      if (skipNaN && Number.isNaN(x)) continue;
      s += x;
      n++;
    }
    const mean = s / n;
    let q = 0;
    for (let r = 0; r < rows; r++) {
      const x = v[r * cols + c]!;
      if (skipNaN && Number.isNaN(x)) continue;
      q += (x - mean) ** 2;
    }
    out.push({ sum: s, mean, var: q / n });
  }
  return out;
}

describe("reductions over chunks longer than a slab", () => {
  let client: Client;
  before(async () => {
    client = await Client.connect({ scheduler: "sync", setAsDefault: false });
  });
  after(async () => {
    await client.close();
  });

  test("column sums, means, var and std (and nan-variants with NaN) along axis 0", {
    timeout: 60_000,
  }, async () => {
    const rows = 331;
    const cols = 7;
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37) * 1e3 + i / 7;
    data[5 * cols + 2] = Number.NaN;
    data[200 * cols + 2] = Number.NaN;
    for (const chunks of [
      [200, 7],
      [
        [64, 1, 150, 116],
        [3, 4],
      ],
    ] as ba.ChunkSpec[]) {
      const x = ba.fromArray(data, [rows, cols], { chunks });
      const plain = columns(data, rows, cols, false);
      const nan = columns(data, rows, cols, true);
      const got = {
        sum: await x.sum({ axis: 0 }).compute({ client }),
        mean: await x.mean({ axis: 0 }).compute({ client }),
        var: await x.var({ axis: 0 }).compute({ client }),
        std: await x.std({ axis: 0 }).compute({ client }),
        nansum: await x.nansum({ axis: 0 }).compute({ client }),
        nanmean: await x.nanmean({ axis: 0 }).compute({ client }),
        nanvar: await x.nanvar({ axis: 0 }).compute({ client }),
      };
      for (let c = 0; c < cols; c++) {
        const w = `chunks ${JSON.stringify(chunks)} column ${c}`;
        close(got.sum.data[c] as number, plain[c]!.sum, `sum ${w}`);
        close(got.mean.data[c] as number, plain[c]!.mean, `mean ${w}`);
        close(got.var.data[c] as number, plain[c]!.var, `var ${w}`);
        close(got.std.data[c] as number, Math.sqrt(plain[c]!.var), `std ${w}`);
        close(got.nansum.data[c] as number, nan[c]!.sum, `nansum ${w}`);
        close(got.nanmean.data[c] as number, nan[c]!.mean, `nanmean ${w}`);
        close(got.nanvar.data[c] as number, nan[c]!.var, `nanvar ${w}`);
      }
    }
  });

  test("x.add(x.T).mean({ axis: 0 }) of random x, regular and irregular chunks", {
    timeout: 60_000,
  }, async () => {
    for (const [n, chunks] of [
      [200, [100, 100]],
      [
        203,
        [
          [70, 1, 132],
          [150, 53],
        ],
      ],
    ] as [number, ba.ChunkSpec][]) {
      const x = ba.random.random([n, n], { chunks, seed: 4 });
      const v = (await x.compute({ client })).data as Float64Array;
      const got = (await x.add(x.T).mean({ axis: 0 }).compute({ client })).data;
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += v[i * n + j]! + v[j * n + i]!;
        close(got[j] as number, s / n, `n ${n} column ${j}`);
      }
      const total = await x.add(x.T).mean({ axis: 0 }).sum().compute({ client });
      let want = 0;
      for (let j = 0; j < n; j++) want += got[j] as number;
      close(total as number, want, `n ${n} total`);
    }
  });

  test("var and std over all axes of long chunks (several slabs each), random and 3-d", {
    timeout: 60_000,
  }, async () => {
    const x = ba.random.random([40_001, 3], { chunks: [[25_000, 15_001], 3], seed: 8 });
    const v = (await x.compute({ client })).data as Float64Array;
    let s = 0;
    for (const a of v) s += a;
    const mean = s / v.length;
    let q = 0;
    for (const a of v) q += (a - mean) ** 2;
    close((await x.var().compute({ client })) as number, q / v.length, "var");
    close(
      (await x.std({ ddof: 1 }).compute({ client })) as number,
      Math.sqrt(q / (v.length - 1)),
      "std ddof 1",
    );
    close((await x.mean().compute({ client })) as number, mean, "mean");

    const shape = [100, 4, 5];
    const y = ba.random.normal(shape, { chunks: [60, 4, 5], seed: 2 });
    const w = (await y.compute({ client })).data as Float64Array;
    const got = (await y.var({ axis: [0, 1] }).compute({ client })).data;
    for (let k = 0; k < 5; k++) {
      let sum = 0;
      for (let i = 0; i < 400; i++) sum += w[i * 5 + k]!;
      const m = sum / 400;
      let m2 = 0;
      for (let i = 0; i < 400; i++) m2 += (w[i * 5 + k]! - m) ** 2;
      close(got[k] as number, m2 / 400, `3-d var slot ${k}`);
    }
  });

  test("integer input: mean along axis 0 (summed whole, exactly, not in plain slabs)", {
    timeout: 60_000,
  }, async () => {
    const rows = 300;
    const data = new Int32Array(rows * 3);
    for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 2001) - 1000;
    const got = (
      await ba
        .fromArray(data, [rows, 3], { chunks: [250, 3] })
        .mean({ axis: 0 })
        .compute({ client })
    ).data;
    const want = columns(Float64Array.from(data), rows, 3, false);
    for (let c = 0; c < 3; c++) close(got[c] as number, want[c]!.mean, `column ${c}`);
  });
});
