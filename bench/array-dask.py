"""dask.array's side of `npm run bench -- array`: one case, run once to warm up, then timed from
graph to result."""
import json
import sys
import time

import dask
import dask.array as da

case, n, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def run():
    rs = da.random.RandomState(1)
    if case == "add-transpose-mean":
        x = rs.random_sample((n, n), chunks=(c, c))
        return float(x.__add__(x.T).mean(axis=0).sum().compute())
    if case == "std":
        x = rs.random_sample((n, n), chunks=(c, c))
        return float(x.std().compute())
    if case == "matmul":
        a = rs.random_sample((n, n), chunks=(c, c))
        return float((a @ a).sum().compute())
    raise SystemExit(f"unknown case {case}")


# Warm-up, as Barn's side is warmed up: the thread pool started, the code paths run once.
run()
t = time.perf_counter()
value = run()
print(json.dumps({"seconds": time.perf_counter() - t, "value": value, "threads": dask.system.CPU_COUNT}))
