"""Zarr stores made and read by Python's zarr (Debian's python3-zarr, Zarr v2), for
test/integration/zarr-python.test.ts.

  zarr-fixture.py write DIR      writes arrays under DIR, prints a JSON manifest of their values
  zarr-fixture.py read DIR P...  prints the values of the arrays at paths P... under DIR

Values are printed flat in C order; NaN and infinities as strings, int64 as decimal strings, so
the test compares them exactly.
"""
import json
import sys

import numcodecs
import numpy as np
import zarr


def flat(a):
    out = []
    a = np.asarray(a)
    wide = a.dtype.kind in "iu" and a.dtype.itemsize == 8
    for v in a.ravel(order="C").tolist():
        if wide:
            out.append(str(v))
        elif isinstance(v, bool):
            out.append(1 if v else 0)
        elif isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
            out.append("NaN" if v != v else ("Infinity" if v > 0 else "-Infinity"))
        else:
            out.append(v)
    return out


def values(dtype, shape, rng):
    n = int(np.prod(shape))
    dtype = np.dtype(dtype).newbyteorder("=")
    kind = dtype.kind
    if kind == "b":
        v = rng.integers(0, 2, n).astype(bool)
    elif kind == "f":
        v = (rng.standard_normal(n) * 1e3).astype(dtype)
        v[::7] = np.nan
        v[3::11] = np.inf
    else:
        info = np.iinfo(dtype)
        v = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
        v[0], v[-1] = info.min, info.max
    return v.reshape(shape)


def write(root):
    rng = np.random.default_rng(12)
    compressors = [
        ("zlib", numcodecs.Zlib(level=3)),
        ("gzip", numcodecs.GZip(level=5)),
        ("zstd", numcodecs.Zstd(level=2)),
        ("blosc-lz4", numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)),
        ("blosc-zstd", numcodecs.Blosc(cname="zstd", clevel=3, shuffle=numcodecs.Blosc.BITSHUFFLE)),
        ("lz4", numcodecs.LZ4()),
        ("none", None),
    ]
    dtypes = ["<f8", "<f4", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "|b1"]
    manifest = []

    def add(path, a, expected):
        manifest.append({"path": path, "dtype": a.dtype.newbyteorder("=").name, "shape": list(a.shape),
                         "chunks": list(a.chunks), "values": flat(expected)})

    # Every dtype with every compressor, edge chunks on both axes.
    for i, dt in enumerate(dtypes):
        for name, comp in compressors:
            path = f"{dt[1:]}-{name}"
            v = values(dt, (7, 5), rng)
            a = zarr.open(f"{root}/{path}", mode="w", shape=v.shape, chunks=(3, 2), dtype=dt, compressor=comp)
            a[:] = v
            add(path, a, v)

    # Fortran order, big-endian, a filter, nested chunk keys, 1-d and 3-d.
    v = values("<f8", (6, 4), rng)
    a = zarr.open(f"{root}/order-f", mode="w", shape=v.shape, chunks=(4, 3), dtype="<f8", order="F")
    a[:] = v
    add("order-f", a, v)
    for dt in [">i4", ">f8", ">u2", ">i8"]:
        v = values(dt, (5, 3), rng)
        a = zarr.open(f"{root}/big-{dt[1:]}", mode="w", shape=v.shape, chunks=(2, 2), dtype=dt)
        a[:] = v
        add(f"big-{dt[1:]}", a, v)
    v = np.arange(40, dtype="<i4").reshape(8, 5) * 3
    a = zarr.open(f"{root}/delta", mode="w", shape=v.shape, chunks=(3, 5), dtype="<i4",
                  filters=[numcodecs.Delta(dtype="<i4")])
    a[:] = v
    add("delta", a, v)
    v = values("<u4", (4, 6), rng)
    a = zarr.open(f"{root}/nested", mode="w", shape=v.shape, chunks=(3, 4), dtype="<u4",
                  dimension_separator="/")
    a[:] = v
    add("nested", a, v)
    v = values("<f4", (5, 4, 3), rng)
    a = zarr.open(f"{root}/cube", mode="w", shape=v.shape, chunks=(2, 3, 2), dtype="<f4")
    a[:] = v
    add("cube", a, v)

    # Fill values: chunks never written read as the fill value (None reads as zero).
    for path, dt, fill in [("fill-nan", "<f8", np.nan), ("fill-none", "<i8", None),
                           ("fill-neg", "<i2", -5), ("fill-true", "|b1", True)]:
        a = zarr.open(f"{root}/{path}", mode="w", shape=(5, 4), chunks=(2, 2), dtype=dt,
                      fill_value=fill, write_empty_chunks=False)
        block = values(dt, (2, 2), rng)
        a[0:2, 0:2] = block
        expected = np.full((5, 4), 0 if fill is None else fill, dtype=dt)
        expected[0:2, 0:2] = block
        add(path, a, expected)

    # An array inside nested groups.
    g = zarr.open_group(f"{root}/grouped", mode="w")
    v = values("<i2", (3, 3), rng)
    a = g.create_dataset("inner/temps", shape=v.shape, chunks=(2, 2), dtype="<i2")
    a[:] = v
    add("grouped/inner/temps", a, v)
    json.dump(manifest, sys.stdout)


def read(root, paths):
    out = {}
    for p in paths:
        a = zarr.open(f"{root}/{p}", mode="r")
        out[p] = {"dtype": a.dtype.newbyteorder("=").name, "shape": list(a.shape), "values": flat(a[...])}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2])
    else:
        read(sys.argv[2], sys.argv[3:])
