/**
 * The Zarr layer's round trips on real directories: every dtype, v2 and v3, every compressor;
 * edge chunks; fill values; 0-d and empty arrays; groups; chunks written from other threads; and
 * the chunk counters that prove a read touches only the files it is asked for.
 */
import assert from "node:assert/strict";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import * as zarr from "zarrita";
import {
  BARN_DTYPES,
  chunkExtent,
  createZarrArray,
  gridShape,
  openZarrArray,
  readZarrChunk,
  writeZarrChunk,
  ZARR_CHUNK_CHANNEL,
  ZARR_COMPRESSORS,
  type ZarrChunkEvent,
  zarrStats,
} from "../../../src/collections/array/zarr/index.js";
import { allCoords, blockOf, plain, readWhole, tempDir, valuesOf } from "./zarr-helpers.js";

test("every dtype round-trips through v2 and v3 with every compressor, edge chunks cut", {
  timeout: 120_000,
}, async () => {
  const { dir, cleanup } = tempDir("rt");
  try {
    for (const zarrFormat of [2, 3] as const) {
      for (const compressor of ZARR_COMPRESSORS) {
        for (const dtype of BARN_DTYPES) {
          const store = join(dir, `${zarrFormat}-${compressor}-${dtype}`);
          const shape = [7, 5];
          const info = await createZarrArray(store, {
            shape,
            chunks: [3, 2],
            dtype,
            compressor,
            zarrFormat,
          });
          assert.equal(info.compressor, compressor);
          const whole = valuesOf(dtype, 35, 7 + zarrFormat);
          for (const coords of allCoords(gridShape(info))) {
            const block = blockOf(info, whole, coords);
            // Half the chunks name their shape, half leave it to the grid.
            const shape =
              (coords[0]! + coords[1]!) % 2 === 0 ? chunkExtent(info, coords) : undefined;
            await writeZarrChunk(info, coords, block, shape);
          }
          const back = await openZarrArray(store);
          assert.deepEqual({ ...back, metadata: "" }, { ...info, metadata: "" });
          const edge = await readZarrChunk(back, [2, 2]);
          assert.deepEqual(edge.shape, [1, 1], "the corner chunk is cut to the array");
          assert.deepEqual(
            plain(await readWhole(back)),
            plain(whole),
            `${zarrFormat} ${compressor} ${dtype}`,
          );
        }
      }
    }
  } finally {
    cleanup();
  }
});

test("Barn's stores read back the same through zarrita's own whole-array reader", {
  timeout: 60_000,
}, async () => {
  const { dir, cleanup } = tempDir("zget");
  try {
    for (const zarrFormat of [2, 3] as const) {
      const store = join(dir, `s${zarrFormat}`);
      const info = await createZarrArray(store, {
        shape: [5, 6, 7],
        chunks: [2, 4, 3],
        dtype: "int32",
        zarrFormat,
        compressor: "blosc",
      });
      const whole = valuesOf("int32", 5 * 6 * 7, 3);
      for (const c of allCoords(gridShape(info)))
        await writeZarrChunk(info, c, blockOf(info, whole, c), undefined);
      const arr = await zarr.open(zarrStoreOf(store), { kind: "array" });
      const all = await zarr.get(arr);
      assert.deepEqual(all.shape, [5, 6, 7]);
      assert.deepEqual(plain(all.data as Int32Array), plain(whole));
    }
  } finally {
    cleanup();
  }
});

function zarrStoreOf(dir: string): zarr.Readable {
  return {
    async get(key: string) {
      return readFile(join(dir, key)).catch(() => undefined);
    },
  } as zarr.Readable;
}

test("unwritten chunks read as the fill value: NaN, negative, true, int64", {
  timeout: 30_000,
}, async () => {
  const { dir, cleanup } = tempDir("fill");
  try {
    const cases = [
      { dtype: "float64", fillValue: Number.NaN, want: "NaN" },
      { dtype: "float32", fillValue: -Infinity, want: -Infinity },
      { dtype: "int16", fillValue: -7, want: -7 },
      { dtype: "bool", fillValue: true, want: 1 },
      { dtype: "int64", fillValue: -(2n ** 40n), want: `${-(2n ** 40n)}n` },
      { dtype: "uint8", fillValue: undefined, want: 0 },
    ] as const;
    for (const zarrFormat of [2, 3] as const) {
      for (const c of cases) {
        const store = join(dir, `${zarrFormat}-${c.dtype}`);
        const opts = {
          shape: [5],
          chunks: [2],
          dtype: c.dtype,
          zarrFormat,
          ...(c.fillValue === undefined ? {} : { fillValue: c.fillValue }),
        };
        const info = await createZarrArray(store, opts);
        const back = await openZarrArray(store);
        assert.deepEqual(plain([back.fillValue as number]), plain([info.fillValue as number]));
        const stats = zarrStats();
        const edge = await readZarrChunk(back, [2], { stats });
        assert.deepEqual(edge.shape, [1]);
        assert.deepEqual(plain(edge.data), [c.want]);
        assert.deepEqual(plain((await readZarrChunk(back, [0])).data), [c.want, c.want]);
        assert.equal(stats.chunksMissing, 1);
        assert.equal(stats.chunksRead, 0);
      }
    }
  } finally {
    cleanup();
  }
});

test("a v2 store whose fill_value is null reads missing chunks as zeros, int64 and bool included", {
  timeout: 10_000,
}, async () => {
  const { dir, cleanup } = tempDir("nullfill");
  try {
    for (const [dtype, zero] of [
      ["<i8", "0n"],
      ["|b1", 0],
      ["<f4", 0],
    ] as const) {
      const store = join(dir, dtype.slice(1));
      const doc = {
        zarr_format: 2,
        shape: [3],
        chunks: [2],
        dtype,
        compressor: null,
        fill_value: null,
        order: "C",
        filters: null,
      };
      mkdirSync(store);
      writeFileSync(join(store, ".zarray"), JSON.stringify(doc));
      const info = await openZarrArray(store);
      assert.deepEqual(plain((await readZarrChunk(info, [1])).data), [zero]);
    }
  } finally {
    cleanup();
  }
});

test("0-d arrays and arrays with an empty axis", { timeout: 10_000 }, async () => {
  const { dir, cleanup } = tempDir("shapes");
  try {
    for (const zarrFormat of [2, 3] as const) {
      const scalar = await createZarrArray(join(dir, `s${zarrFormat}`), {
        shape: [],
        chunks: [],
        dtype: "float64",
        zarrFormat,
      });
      assert.deepEqual(gridShape(scalar), []);
      await writeZarrChunk(scalar, [], Float64Array.of(2.5), []);
      const got = await readZarrChunk(await openZarrArray(join(dir, `s${zarrFormat}`)), []);
      assert.deepEqual([...got.data], [2.5]);
      assert.deepEqual(got.shape, []);
      const flag = await createZarrArray(join(dir, `b${zarrFormat}`), {
        shape: [],
        chunks: [],
        dtype: "bool",
        zarrFormat,
      });
      await writeZarrChunk(flag, [], Uint8Array.of(1));
      assert.deepEqual([...(await readZarrChunk(flag, [])).data], [1]);
      const empty = await createZarrArray(join(dir, `e${zarrFormat}`), {
        shape: [0, 4],
        chunks: [2, 2],
        dtype: "int8",
        zarrFormat,
      });
      assert.deepEqual(gridShape(empty), [0, 2]);
      await assert.rejects(readZarrChunk(empty, [0, 0]), { code: "BARN_ZARR_CHUNK" });
    }
  } finally {
    cleanup();
  }
});

test("arrays inside groups: the path makes the groups, opening the group names its arrays", {
  timeout: 10_000,
}, async () => {
  const { dir, cleanup } = tempDir("group");
  try {
    for (const zarrFormat of [2, 3] as const) {
      const store = join(dir, `g${zarrFormat}`);
      const info = await createZarrArray(store, {
        shape: [4],
        chunks: [4],
        dtype: "uint16",
        zarrFormat,
        path: "/inner/temps/",
      });
      assert.equal(info.path, "inner/temps");
      await writeZarrChunk(info, [0], Uint16Array.of(1, 2, 3, 4));
      await createZarrArray(store, {
        shape: [1],
        chunks: [1],
        dtype: "uint8",
        zarrFormat,
        path: "inner/other",
      });
      const group = zarrFormat === 2 ? ".zgroup" : "zarr.json";
      assert.ok(existsSync(join(store, group)) && existsSync(join(store, "inner", group)));
      const back = await openZarrArray(store, { path: "inner/temps" });
      assert.deepEqual([...(await readZarrChunk(back, [0])).data], [1, 2, 3, 4]);
      await assert.rejects(
        openZarrArray(store, { path: "inner" }),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, "BARN_ZARR_NOT_FOUND");
          assert.match(err.message, /is a Zarr group/);
          assert.match(err.message, /other/);
          assert.match(err.message, /temps/);
          assert.match(err.message, /pass \{ path \}/);
          return true;
        },
      );
    }
  } finally {
    cleanup();
  }
});

test("a read touches only the chunk files asked for: counted per call and on the diagnostics channel", {
  timeout: 30_000,
}, async () => {
  const { dir, cleanup } = tempDir("count");
  const seen: ZarrChunkEvent[] = [];
  const onEvent = (msg: unknown): void => {
    seen.push(msg as ZarrChunkEvent);
  };
  subscribe(ZARR_CHUNK_CHANNEL, onEvent);
  try {
    const info = await createZarrArray(join(dir, "big"), {
      shape: [100, 100],
      chunks: [10, 10],
      dtype: "float32",
    });
    const written = zarrStats();
    for (const c of allCoords(gridShape(info))) {
      await writeZarrChunk(
        info,
        c,
        valuesOf("float32", 100, c[0]! * 10 + c[1]!) as Float32Array,
        [10, 10],
        { stats: written },
      );
    }
    assert.equal(written.chunksWritten, 100);
    assert.equal(written.chunksRead + written.chunksMissing, 0, "writing reads no chunk");
    assert.equal(seen.filter((e) => e.op === "write").length, 100);
    seen.length = 0;
    // The chunks a slice [15:35, 42:48] touches: rows 1..3, column 4.
    const stats = zarrStats();
    const wanted = [
      [1, 4],
      [2, 4],
      [3, 4],
    ];
    for (const c of wanted) await readZarrChunk(info, c, { stats });
    assert.equal(stats.chunksRead, 3);
    assert.equal(stats.chunksMissing, 0);
    assert.ok(stats.bytesRead > 0);
    assert.deepEqual(
      seen.map((e) => [e.op, e.file]),
      wanted.map((c) => ["read", join(dir, "big", "c", String(c[0]), String(c[1]))]),
    );
  } finally {
    unsubscribe(ZARR_CHUNK_CHANNEL, onEvent);
    cleanup();
  }
});

test("chunks written at once from several worker threads, each given only the plain-data info", {
  timeout: 60_000,
}, async () => {
  const { dir, cleanup } = tempDir("threads");
  try {
    const store = join(dir, "par");
    const info = await createZarrArray(store, {
      shape: [40, 30],
      chunks: [7, 8],
      dtype: "int64",
      zarrFormat: 2,
      compressor: "gzip",
    });
    const whole = valuesOf("int64", 40 * 30, 99);
    const coords = [...allCoords(gridShape(info))];
    const modUrl = new URL("../../../src/collections/array/zarr/index.js", import.meta.url).href;
    const source = `
      const { parentPort, workerData } = require("node:worker_threads");
      import(${JSON.stringify(modUrl)}).then(async (z) => {
        for (const { c, block } of workerData.jobs) await z.writeZarrChunk(workerData.info, c, block);
        parentPort.postMessage("done");
      }).catch((e) => parentPort.postMessage(String(e && e.stack || e)));`;
    const nThreads = 3;
    const runs = Array.from({ length: nThreads }, (_, t) => {
      const jobs = coords
        .filter((_, i) => i % nThreads === t)
        .map((c) => ({ c, block: blockOf(info, whole, c) }));
      const w = new Worker(source, { eval: true, workerData: { info, jobs } });
      return new Promise<unknown>((resolve, reject) => {
        w.once("message", (m) => void w.terminate().then(() => resolve(m)));
        w.once("error", reject);
      });
    });
    assert.deepEqual(await Promise.all(runs), Array(nThreads).fill("done"));
    const files = readdirSync(store).filter((f) => !f.startsWith("."));
    assert.equal(files.length, coords.length, "one file per chunk, no temporary file left");
    assert.deepEqual(plain(await readWhole(await openZarrArray(store))), plain(whole));
  } finally {
    cleanup();
  }
});

test("overwrite replaces an array and its old chunks; the default refuses", {
  timeout: 10_000,
}, async () => {
  const { dir, cleanup } = tempDir("overwrite");
  try {
    const store = join(dir, "o");
    const first = await createZarrArray(store, { shape: [4], chunks: [2], dtype: "int32" });
    await writeZarrChunk(first, [1], Int32Array.of(8, 9));
    await assert.rejects(
      createZarrArray(store, { shape: [4], chunks: [2], dtype: "int32" }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, "BARN_ZARR_EXISTS");
        assert.match(err.message, /overwrite: true/);
        assert.ok(err.message.includes(store));
        return true;
      },
    );
    const second = await createZarrArray(store, {
      shape: [4],
      chunks: [2],
      dtype: "int32",
      zarrFormat: 2,
      overwrite: true,
    });
    assert.deepEqual([...(await readZarrChunk(second, [1])).data], [0, 0], "the old chunk is gone");
    assert.equal((await openZarrArray(store)).zarrFormat, 2);
  } finally {
    cleanup();
  }
});
