/**
 * Every way a Zarr store or a call can be wrong gets a BarnError with a stable code whose message
 * names the path, what is wrong and the fix.
 */
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  type CreateZarrOptions,
  createZarrArray,
  openZarrArray,
  readZarrChunk,
  writeZarrChunk,
  type ZarrArrayInfo,
} from "../../../src/collections/array/zarr/index.js";
import { tempDir } from "./zarr-helpers.js";

type Coded = Error & { code?: string };

/** Asserts the promise rejects with `code` and a message matching every pattern. */
async function rejectsWith(
  p: Promise<unknown>,
  code: string,
  ...patterns: (RegExp | string)[]
): Promise<void> {
  await assert.rejects(p, (err: Coded) => {
    assert.equal(err.code, code, err.message);
    for (const pat of patterns) {
      if (typeof pat === "string")
        assert.ok(err.message.includes(pat), `"${pat}" not in: ${err.message}`);
      else assert.match(err.message, pat);
    }
    assert.match(err.message, /Fix: |; pass |must be|the options are/);
    return true;
  });
}

function v2Doc(over: Record<string, unknown>): string {
  return JSON.stringify({
    zarr_format: 2,
    shape: [4],
    chunks: [2],
    dtype: "<f8",
    compressor: null,
    fill_value: 0,
    order: "C",
    filters: null,
    ...over,
  });
}

function v3Doc(over: Record<string, unknown>): string {
  return JSON.stringify({
    zarr_format: 3,
    node_type: "array",
    shape: [4],
    data_type: "float64",
    chunk_grid: { name: "regular", configuration: { chunk_shape: [2] } },
    chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
    codecs: [{ name: "bytes", configuration: { endian: "little" } }],
    fill_value: 0,
    ...over,
  });
}

function storeWith(dir: string, name: string, file: string, text: string): string {
  const store = join(dir, name);
  mkdirSync(store, { recursive: true });
  writeFileSync(join(store, file), text);
  return store;
}

test("a missing store, a directory that is not one, and a file: BARN_ZARR_NOT_FOUND naming the path", {
  timeout: 10_000,
}, async () => {
  const { dir, cleanup } = tempDir("nf");
  try {
    const missing = join(dir, "nope.zarr");
    await rejectsWith(openZarrArray(missing), "BARN_ZARR_NOT_FOUND", missing, "does not exist");
    mkdirSync(join(dir, "plain"));
    await rejectsWith(
      openZarrArray(join(dir, "plain")),
      "BARN_ZARR_NOT_FOUND",
      join(dir, "plain"),
      ".zarray",
      "zarr.json",
    );
    writeFileSync(join(dir, "file"), "x");
    await rejectsWith(openZarrArray(join(dir, "file")), "BARN_ZARR_NOT_FOUND", "is a file");
    await createZarrArray(join(dir, "g"), { shape: [1], chunks: [1], dtype: "int8", path: "a" });
    await rejectsWith(
      openZarrArray(join(dir, "g"), { path: "b" }),
      "BARN_ZARR_NOT_FOUND",
      join(dir, "g", "b"),
    );
  } finally {
    cleanup();
  }
});

test("damaged metadata: BARN_ZARR_CORRUPT naming the file and what is wrong", {
  timeout: 10_000,
}, async () => {
  const { dir, cleanup } = tempDir("meta");
  try {
    const cases: [string, string, string, RegExp][] = [
      ["json2", ".zarray", '{"zarr_format": 2, "shape": [4', /not valid JSON/],
      ["arr2", ".zarray", "[1, 2]", /not a JSON object/],
      ["shape2", ".zarray", v2Doc({ shape: [4, -1], chunks: [2, 2] }), /"shape"/],
      ["chunks2", ".zarray", v2Doc({ chunks: [0] }), /"chunks"/],
      ["rank2", ".zarray", v2Doc({ chunks: [2, 2] }), /lengths differ/],
      ["order2", ".zarray", v2Doc({ order: "K" }), /order/],
      ["fmt2", ".zarray", v2Doc({ zarr_format: 3 }), /zarr_format 3, not 2/],
      ["comp2", ".zarray", v2Doc({ compressor: { level: 1 } }), /"id"/],
      ["json3", "zarr.json", "{", /not valid JSON/],
      ["shape3", "zarr.json", v3Doc({ shape: "4" }), /"shape"/],
      ["codecs3", "zarr.json", v3Doc({ codecs: [{ configuration: {} }] }), /"codecs"/],
      ["node3", "zarr.json", v3Doc({ node_type: "table" }), /node_type/],
      ["keys3", "zarr.json", v3Doc({ chunk_key_encoding: { name: "odd" } }), /chunk_key_encoding/],
    ];
    for (const [name, file, text, what] of cases) {
      const store = storeWith(dir, name, file, text);
      await rejectsWith(openZarrArray(store), "BARN_ZARR_CORRUPT", join(store, file), what);
    }
  } finally {
    cleanup();
  }
});

test("damaged chunks: garbage, truncated and wrongly sized chunk files are BARN_ZARR_CORRUPT naming the chunk", {
  timeout: 10_000,
}, async () => {
  const { dir, cleanup } = tempDir("chunk");
  try {
    for (const compressor of ["zstd", "gzip", "blosc", "none"] as const) {
      for (const zarrFormat of [2, 3] as const) {
        const store = join(dir, `${compressor}${zarrFormat}`);
        const info = await createZarrArray(store, {
          shape: [8],
          chunks: [4],
          dtype: "float64",
          compressor,
          zarrFormat,
        });
        await writeZarrChunk(info, [1], Float64Array.of(1, 2, 3, 4));
        const file = zarrFormat === 2 ? join(store, "1") : join(store, "c", "1");
        // 13 bytes: neither a valid compressed stream nor a whole number of float64s.
        writeFileSync(file, Buffer.from("not a chunk!!"));
        await rejectsWith(
          readZarrChunk(info, [1]),
          "BARN_ZARR_CORRUPT",
          `chunk [1] of ${store} (file ${file})`,
        );
        if (compressor === "none") {
          writeFileSync(file, Buffer.alloc(16)); // two float64s where four belong
          await rejectsWith(
            readZarrChunk(info, [1]),
            "BARN_ZARR_CORRUPT",
            "2 elements",
            "[4] chunk",
          );
        }
      }
    }
  } finally {
    cleanup();
  }
});

test("dtypes, codecs and layouts Barn does not support: BARN_ZARR_UNSUPPORTED naming them and the fix", {
  timeout: 10_000,
}, async () => {
  const { dir, cleanup } = tempDir("unsup");
  try {
    const cases: [string, string, string, string][] = [
      ["c16", ".zarray", v2Doc({ dtype: "<c16" }), '"<c16"'],
      ["f2", ".zarray", v2Doc({ dtype: "<f2" }), '"<f2"'],
      ["u8", ".zarray", v2Doc({ dtype: "<u8" }), '"<u8"'],
      ["obj", ".zarray", v2Doc({ dtype: "|O" }), '"|O"'],
      ["rec", ".zarray", v2Doc({ dtype: [["a", "<i4"]] }), "dtype"],
      ["str", ".zarray", v2Doc({ dtype: "<U4" }), '"<U4"'],
      ["codec2", ".zarray", v2Doc({ compressor: { id: "bz2" } }), "numcodecs.bz2"],
      ["fillhex", "zarr.json", v3Doc({ fill_value: "0x7ff8000000000000" }), "fill_value"],
      ["u64", "zarr.json", v3Doc({ data_type: "uint64" }), '"uint64"'],
      ["f16", "zarr.json", v3Doc({ data_type: "float16" }), '"float16"'],
      ["s", "zarr.json", v3Doc({ data_type: "string" }), '"string"'],
      ["codec3", "zarr.json", v3Doc({ codecs: [{ name: "bytes" }, { name: "lzma" }] }), '"lzma"'],
      [
        "shard",
        "zarr.json",
        v3Doc({ codecs: [{ name: "sharding_indexed", configuration: {} }] }),
        "sharding",
      ],
      ["grid", "zarr.json", v3Doc({ chunk_grid: { name: "rectilinear" } }), "rectilinear"],
    ];
    for (const [name, file, text, what] of cases) {
      const store = storeWith(dir, name, file, text);
      await rejectsWith(openZarrArray(store), "BARN_ZARR_UNSUPPORTED", join(store, file), what);
    }
    const dtypes = storeWith(dir, "list", ".zarray", v2Doc({ dtype: "<c8" }));
    await rejectsWith(
      openZarrArray(dtypes),
      "BARN_ZARR_UNSUPPORTED",
      "float64 (<f8)",
      "bool (|b1)",
      "int64 (<i8)",
    );
  } finally {
    cleanup();
  }
});

test("chunk indices outside the grid: BARN_ZARR_CHUNK on read and write, naming the grid", {
  timeout: 10_000,
}, async () => {
  const { dir, cleanup } = tempDir("oob");
  try {
    const info = await createZarrArray(join(dir, "a"), {
      shape: [10, 7],
      chunks: [4, 3],
      dtype: "int16",
    });
    for (const bad of [[3, 0], [0, 3], [-1, 0], [0], [0, 0, 0], [0.5, 0]]) {
      await rejectsWith(
        readZarrChunk(info, bad),
        "BARN_ZARR_CHUNK",
        `[${bad}]`,
        "[3, 3] chunks",
        "shape [10, 7]",
        join(dir, "a"),
      );
      await rejectsWith(
        writeZarrChunk(info, bad, new Int16Array(12)),
        "BARN_ZARR_CHUNK",
        "[3, 3] chunks",
      );
    }
  } finally {
    cleanup();
  }
});

test("writing a chunk of the wrong dtype, length or shape: BARN_ZARR_CHUNK, and nothing is written", {
  timeout: 10_000,
}, async () => {
  const { dir, cleanup } = tempDir("badwrite");
  try {
    const info: ZarrArrayInfo = await createZarrArray(join(dir, "a"), {
      shape: [10, 7],
      chunks: [4, 3],
      dtype: "float64",
    });
    const write = (coords: number[], data: unknown, shape?: number[]) =>
      writeZarrChunk(info, coords, data as Float64Array, shape);
    await rejectsWith(
      write([0, 0], new Float32Array(12)),
      "BARN_ZARR_CHUNK",
      "Float32Array",
      "dtype is float64",
    );
    await rejectsWith(write([0, 0], [1, 2, 3]), "BARN_ZARR_CHUNK", "got a Array");
    await rejectsWith(
      write([0, 0], new Float64Array(11)),
      "BARN_ZARR_CHUNK",
      "11 elements",
      "[4, 3] (12 elements)",
    );
    await rejectsWith(
      write([2, 2], new Float64Array(12), [4, 3]),
      "BARN_ZARR_CHUNK",
      "shape [4, 3]",
      "that chunk is [2, 1]",
    );
    await rejectsWith(
      write([0, 0], new Float64Array(12), [3, 4]),
      "BARN_ZARR_CHUNK",
      "shape [3, 4]",
    );
    const flags = await createZarrArray(join(dir, "b"), { shape: [2], chunks: [2], dtype: "bool" });
    await rejectsWith(
      writeZarrChunk(flags, [0], new Int8Array(2) as unknown as Uint8Array),
      "BARN_ZARR_CHUNK",
      "Uint8Array of 0 and 1",
    );
    const info2 = await openZarrArray(join(dir, "a"));
    assert.deepEqual(
      [...(await readZarrChunk(info2, [0, 0])).data],
      new Array(12).fill(0),
      "nothing was written",
    );
  } finally {
    cleanup();
  }
});

test("createZarrArray refuses bad options by name, and never deletes what is not a Zarr store", {
  timeout: 10_000,
}, async () => {
  const { dir, cleanup } = tempDir("opts");
  try {
    const base: CreateZarrOptions = { shape: [4], chunks: [2], dtype: "float64" };
    const bad: [Record<string, unknown>, string][] = [
      [{ chunk: [2] }, 'unknown option "chunk"'],
      [{ shape: [-1] }, "shape"],
      [{ chunks: [0] }, "chunks"],
      [{ chunks: [2, 2] }, "chunks must be 1 integers"],
      [{ dtype: "complex128" }, "dtype must be one of"],
      [{ compressor: "lz5" }, "compressor must be one of zstd, gzip, blosc, none"],
      [{ compressor: "gzip", level: 12 }, "level for gzip must be an integer from 0 to 9"],
      [{ compressor: "none", level: 3 }, "level"],
      [{ zarrFormat: 4 }, "zarrFormat must be 2 or 3"],
      [{ fillValue: "0" }, "fillValue for dtype float64 must be a number"],
      [{ dtype: "int64", fillValue: 1 }, "a bigint"],
      [{ dtype: "int32", fillValue: 1.5 }, "an integer"],
      [{ path: "../up" }, 'path "../up"'],
      [{ overwrite: "yes" }, "overwrite must be true or false"],
    ];
    for (const [over, what] of bad) {
      await rejectsWith(
        createZarrArray(join(dir, "x"), { ...base, ...over } as CreateZarrOptions),
        "BARN_INVALID_OPTION",
        what,
      );
    }
    await rejectsWith(createZarrArray("", base), "BARN_INVALID_OPTION", "store path");
    const mine = join(dir, "mine");
    mkdirSync(mine);
    writeFileSync(join(mine, "notes.txt"), "keep me");
    await rejectsWith(
      createZarrArray(mine, { ...base, overwrite: true }),
      "BARN_ZARR_EXISTS",
      "not a Zarr store",
      mine,
    );
    writeFileSync(join(dir, "afile"), "x");
    await rejectsWith(createZarrArray(join(dir, "afile"), base), "BARN_ZARR_EXISTS", "is a file");
    rmSync(join(dir, "afile"));
  } finally {
    cleanup();
  }
});
