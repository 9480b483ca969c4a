/**
 * barn/array over Zarr stores: ba.fromZarr and x.toZarr end to end on the sync scheduler, a
 * thread cluster and (once) worker processes. Chunk reads are counted on the sync scheduler,
 * where tasks run in this thread and publish on the `barn:zarr:chunk` diagnostics channel.
 */
import assert from "node:assert/strict";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as ba from "../../src/array.js";
import { graphOf } from "../../src/collections/array/run.js";
import { readZarrChunk } from "../../src/collections/array/zarr/index.js";
import { Client } from "../../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "barn-array-zarr-"));
let n = 0;
const fresh = () => join(dir, `s${n++}.zarr`);

/** The chunk files read (or found missing) while `run` runs, in this thread. */
async function readsDuring<T>(run: () => Promise<T>): Promise<{ value: T; files: string[] }> {
  const files: string[] = [];
  const onEvent = (e: unknown) => {
    const ev = e as { op: string; file: string };
    if (ev.op !== "write") files.push(ev.file);
  };
  subscribe(ba.ZARR_CHUNK_CHANNEL, onEvent);
  try {
    return { value: await run(), files };
  } finally {
    unsubscribe(ba.ZARR_CHUNK_CHANNEL, onEvent);
  }
}

describe("array Zarr", () => {
  let sync: Client;
  let threads: Client;
  before(async () => {
    sync = await Client.connect({ scheduler: "sync", setAsDefault: false });
    threads = await Client.connect({ setAsDefault: false });
  });
  after(async () => {
    await sync.close();
    await threads.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cases = [
    { name: "float64", make: () => ba.random.random([37, 23], { chunks: [10, 8], seed: 3 }) },
    {
      name: "int32",
      make: () => ba.arange(0, 37 * 23, 1, { dtype: "int32", chunks: 100 }).reshape([37, 23]),
    },
    { name: "int64", make: () => ba.arange(-50, 50, 1, { dtype: "int64", chunks: 30 }) },
    { name: "float32", make: () => ba.linspace(0, 1, 41, { dtype: "float32", chunks: 9 }) },
    {
      name: "bool",
      make: () =>
        ba
          .arange(0, 60, 1, { chunks: [25] })
          .gt(29)
          .reshape([6, 10]),
    },
    { name: "uint8 0-d edge", make: () => ba.full([5, 0], 3, { dtype: "uint8" }) },
  ];
  for (const which of ["sync", "threads"] as const) {
    for (const c of cases) {
      test(`${c.name} round trip on ${which}`, { timeout: 60_000 }, async () => {
        const client = which === "sync" ? sync : threads;
        const x = c.make() as ba.Array;
        const store = fresh();
        const info = await x.toZarr(store, { client });
        assert.equal(info.dtype, x.dtype);
        assert.deepEqual(info.shape, x.shape);
        const y = await ba.fromZarr(store);
        assert.equal(y.dtype, x.dtype);
        assert.deepEqual(y.shape, x.shape);
        const [want, got] = [await x.compute({ client }), await y.compute({ client })];
        assert.deepEqual([...got.data], [...want.data]);
      });
    }
  }

  test("round trip on worker processes (v2, gzip, a group path, irregular chunks)", {
    timeout: 90_000,
  }, async () => {
    const procs = await Client.connect({ processes: true, setAsDefault: false });
    try {
      // Chunks of 7 and 3 along axis 0 are not a regular grid: toZarr rechunks to 7.
      const x = ba.fromArray(
        Float64Array.from({ length: 20 * 6 }, (_, i) => i * 0.5),
        [20, 6],
        {
          chunks: [[7, 3, 7, 3], [6]],
        },
      );
      const store = fresh();
      const info = await x.toZarr(store, {
        client: procs,
        zarrFormat: 2,
        compressor: "gzip",
        path: "g/x",
      });
      assert.deepEqual(info.chunks, [7, 6]);
      const y = await ba.fromZarr(store, { path: "g/x" });
      assert.deepEqual(y.chunks, [[7, 7, 6], [6]]);
      const got = await y.mul(2).sum().compute({ client: procs });
      assert.equal(got, 2 * 0.5 * ((120 * 119) / 2));
      const big = await ba.arange(0, 1000, 1, { dtype: "int64", chunks: 300 });
      await big.toZarr(fresh(), { client: procs });
    } finally {
      await procs.close();
    }
  });

  test("a store written by Barn reads back chunk by chunk", { timeout: 60_000 }, async () => {
    const x = ba.arange(0, 30 * 20, 1, { dtype: "int32", chunks: 600 }).reshape([30, 20]);
    const store = fresh();
    const info = await x.toZarr(store, { client: threads, chunks: [8, 15] });
    assert.deepEqual(info.chunks, [8, 15]);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 2; j++) {
        const chunk = await readZarrChunk(info, [i, j]);
        const [h, w] = chunk.shape as [number, number];
        assert.deepEqual([h, w], [Math.min(8, 30 - 8 * i), Math.min(15, 20 - 15 * j)]);
        for (let r = 0; r < h; r++) {
          for (let c = 0; c < w; c++) {
            assert.equal(chunk.data[r * w + c], (8 * i + r) * 20 + 15 * j + c);
          }
        }
      }
    }
    const y = await ba.fromZarr(store);
    assert.deepEqual(y.numblocks, [4, 2]);
  });

  test("a slice reads only the chunks it touches", { timeout: 60_000 }, async () => {
    // 100 x 100 in 10 x 10 chunks: 100 chunk files.
    const x = ba.arange(0, 10_000, 1, { chunks: 10_000 }).reshape([100, 100]);
    const store = fresh();
    await x.toZarr(store, { client: sync, chunks: [10, 10] });
    const y = await ba.fromZarr<"int64">(store);
    const s = y.slice("25:35", "72:78"); // chunk rows 2..3, chunk column 7: 2 chunks
    const { value, files } = await readsDuring(() => s.sum().compute({ client: sync }));
    let want = 0n;
    for (let r = 25; r < 35; r++) for (let c = 72; c < 78; c++) want += BigInt(r * 100 + c);
    assert.equal(value, want);
    assert.deepEqual(files.map((f) => f.slice(store.length)).sort(), ["/c/2/7", "/c/3/7"]);
    // Lowering makes only those two read tasks, whatever the store's size.
    const lowered = [...graphOf(s.plan).graph.keys()].filter((k) => k.startsWith("array-zarr-"));
    assert.equal(lowered.length, 2);
    const whole = await readsDuring(() => y.sum().compute({ client: sync }));
    assert.equal(whole.files.length, 100);
    // Regrouped into 50 x 50 chunks, a slice reads the store chunks under the one 50 x 50
    // chunk it touches: 25 of the 100.
    const z = await ba.fromZarr(store, { chunks: [50, 50] });
    const part = await readsDuring(() => z.slice(3, "0:20").compute({ client: sync }));
    assert.deepEqual(
      [...part.value.data],
      Array.from({ length: 20 }, (_, i) => BigInt(300 + i)),
    );
    const under = part.files.map((f) => f.slice(store.length));
    assert.equal(under.length, 25);
    assert.ok(
      under.every((f) => /^\/c\/[0-4]\/[0-4]$/.test(f)),
      under.join(" "),
    );
    // The same slice's values on the thread cluster.
    const t = await s.compute({ client: threads });
    assert.deepEqual(t.shape, [10, 6]);
    assert.equal(t.get(0, 0), 2572n);
    assert.equal(t.get(9, 5), 3477n);
  });

  test("a missing or damaged store: BarnErrors naming the path", { timeout: 60_000 }, async () => {
    const missing = join(dir, "nothing-here.zarr");
    await assert.rejects(ba.fromZarr(missing), (err: Error & { code?: string }) => {
      assert.equal(err.code, "BARN_ZARR_NOT_FOUND");
      assert.match(err.message, /nothing-here\.zarr/);
      return true;
    });
    const store = fresh();
    await ba.ones([4, 4], { chunks: 2 }).toZarr(store, { client: sync });
    writeFileSync(join(store, "zarr.json"), "{ not json");
    await assert.rejects(ba.fromZarr(store), (err: Error & { code?: string }) => {
      assert.equal(err.code, "BARN_ZARR_CORRUPT");
      assert.ok(err.message.includes(join(store, "zarr.json")), err.message);
      return true;
    });
    const store2 = fresh();
    await ba.ones([4, 4], { chunks: 2 }).toZarr(store2, { client: sync, compressor: "zstd" });
    const y = await ba.fromZarr(store2);
    writeFileSync(join(store2, "c", "1", "0"), "garbage");
    for (const client of [sync, threads]) {
      await assert.rejects(y.sum().compute({ client }), (err: Error & { code?: string }) => {
        assert.match(String(err.code ?? err.message), /BARN_ZARR_CORRUPT/);
        assert.ok(err.message.includes(join(store2, "c/1/0")), err.message);
        return true;
      });
    }
    await assert.rejects(ba.ones([2]).toZarr(store2, { client: sync }), {
      code: "BARN_ZARR_EXISTS",
    });
    await assert.rejects(ba.ones([2]).toZarr(fresh(), { chunks: [0] }), {
      code: "BARN_INVALID_OPTION",
    });
  });

  test("larger than a chunk cache: write with random(), read lazily, reduce", {
    timeout: 60_000,
  }, async () => {
    // 2000 x 1000 float64 (16 MB) in 50 chunks of 200 x 200: made and written chunk by chunk.
    const x = ba.random.random([2000, 1000], { chunks: [200, 200], seed: 11 });
    const store = fresh();
    await x.toZarr(store, { client: threads, compressor: "none" });
    const y = await ba.fromZarr<"float64">(store);
    const [m, want] = await Promise.all([
      y.mean({ axis: 0 }).max().compute({ client: threads }),
      x.mean({ axis: 0 }).max().compute({ client: threads }),
    ]);
    assert.equal(m, want);
    const { value, files } = await readsDuring(() =>
      y.slice("1900:", "0:200").std().compute({ client: sync }),
    );
    assert.equal(files.length, 1);
    assert.ok(value > 0.28 && value < 0.3, String(value));
  });
});
