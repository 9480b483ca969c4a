/**
 * Barn and Python's zarr (Debian's python3-zarr 2.13, Zarr v2) read each other's stores, value by
 * value: every dtype with zlib, gzip, zstd, blosc (lz4 and zstd inside, byte and bit shuffle), lz4
 * and no compressor; Fortran order, big-endian dtypes, a delta filter, "/" chunk keys, fill values
 * with chunks never written, arrays in groups. Skipped, with the reason, where /usr/bin/python3
 * has no zarr (`apt-get install -y python3-zarr python3-numpy`).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  BARN_DTYPES,
  type BarnDType,
  chunkExtent,
  createZarrArray,
  gridShape,
  openZarrArray,
  writeZarrChunk,
  ZARR_COMPRESSORS,
  type ZarrTypedArray,
} from "../../src/collections/array/zarr/index.js";
import { allCoords, blockOf, readWhole, tempDir, valuesOf } from "../unit/array/zarr-helpers.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");
const FIXTURE = join(ROOT, "test/integration/zarr-fixture.py");
const PYTHON = "/usr/bin/python3";

function pythonZarrMissing(): string | false {
  const r = spawnSync(PYTHON, ["-c", "import zarr, numpy, numcodecs"], {
    encoding: "utf8",
    timeout: 30_000,
  });
  if (r.status === 0) return false;
  return `${PYTHON} has no zarr (${(r.stderr || String(r.error)).trim().split("\n").pop()}); apt-get install -y python3-zarr python3-numpy`;
}

const SKIP = pythonZarrMissing();

function python(args: string[]): unknown {
  const r = spawnSync(PYTHON, [FIXTURE, ...args], {
    encoding: "utf8",
    timeout: 120_000,
    maxBuffer: 64 << 20,
  });
  assert.equal(r.status, 0, `python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Barn's values in the fixture's spelling: NaN and infinities as words, int64 as decimal strings. */
function spelled(data: ZarrTypedArray): unknown[] {
  return Array.from(data as ArrayLike<number | bigint>, (v) => {
    if (typeof v === "bigint") return String(v);
    if (Number.isNaN(v)) return "NaN";
    if (v === Infinity) return "Infinity";
    if (v === -Infinity) return "-Infinity";
    return v;
  });
}

interface Entry {
  path: string;
  dtype: string;
  shape: number[];
  chunks: number[];
  values: unknown[];
}

test("Barn reads stores written by Python's zarr, value by value", {
  skip: SKIP,
  timeout: 180_000,
}, async () => {
  const { dir, cleanup } = tempDir("py-in");
  try {
    const manifest = python(["write", dir]) as Entry[];
    assert.ok(manifest.length > 80, `only ${manifest.length} arrays written`);
    for (const e of manifest) {
      const inGroup = e.path.startsWith("grouped/");
      const info = inGroup
        ? await openZarrArray(join(dir, "grouped"), { path: e.path.slice("grouped/".length) })
        : await openZarrArray(join(dir, e.path));
      assert.equal(info.zarrFormat, 2);
      assert.deepEqual(info.shape, e.shape, e.path);
      assert.deepEqual(info.chunks, e.chunks, e.path);
      assert.equal(info.dtype, e.dtype, e.path);
      assert.deepEqual(spelled(await readWhole(info)), e.values, e.path);
    }
  } finally {
    cleanup();
  }
});

test("Python's zarr reads v2 stores written by Barn, value by value", {
  skip: SKIP,
  timeout: 180_000,
}, async () => {
  const { dir, cleanup } = tempDir("py-out");
  try {
    const expected = new Map<string, { dtype: BarnDType; values: unknown[] }>();
    let seed = 1;
    for (const compressor of ZARR_COMPRESSORS) {
      for (const dtype of BARN_DTYPES) {
        const path = `${dtype}-${compressor}`;
        const info = await createZarrArray(join(dir, path), {
          shape: [7, 5],
          chunks: [3, 2],
          dtype,
          compressor,
          zarrFormat: 2,
        });
        const whole = valuesOf(dtype, 35, seed++);
        for (const c of allCoords(gridShape(info)))
          await writeZarrChunk(info, c, blockOf(info, whole, c), chunkExtent(info, c));
        expected.set(path, { dtype, values: spelled(whole) });
      }
    }
    // Chunks never written read as the fill value in Python too.
    const sparse = await createZarrArray(join(dir, "sparse"), {
      shape: [4],
      chunks: [2],
      dtype: "float32",
      zarrFormat: 2,
      fillValue: Number.NaN,
      path: "g/a",
    });
    await writeZarrChunk(sparse, [1], Float32Array.of(1.5, -2));
    expected.set("sparse/g/a", { dtype: "float32", values: ["NaN", "NaN", 1.5, -2] });
    const got = python(["read", dir, ...expected.keys()]) as Record<
      string,
      { dtype: string; values: unknown[] }
    >;
    for (const [path, e] of expected) {
      assert.equal(got[path]?.dtype, e.dtype, path);
      assert.deepEqual(got[path]?.values, e.values, path);
    }
  } finally {
    cleanup();
  }
});
