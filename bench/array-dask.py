"""dask.array's side of `npm run bench -- array`: one case, timed from graph to result."""
import json
import sys
import time

import dask
import dask.array as da

case, n, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rs = da.random.RandomState(1)
t = time.perf_counter()
if case == "add-transpose-mean":
    x = rs.random_sample((n, n), chunks=(c, c))
    value = float(x.__add__(x.T).mean(axis=0).sum().compute())
elif case == "std":
    x = rs.random_sample((n, n), chunks=(c, c))
    value = float(x.std().compute())
elif case == "matmul":
    a = rs.random_sample((n, n), chunks=(c, c))
    value = float((a @ a).sum().compute())
else:
    raise SystemExit(f"unknown case {case}")
print(json.dumps({"seconds": time.perf_counter() - t, "value": value, "threads": dask.system.CPU_COUNT}))
