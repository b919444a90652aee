# Floor for `npm run bench:search`: numpy loads a row-major float32 matrix and scans it for the top k of
# each query (matrix @ q, argpartition, sort). Prints JSON: load_ms, scan_ms (median), scan_best_ms, scan_cpu_ms (CPU time
# of the process per scan, all BLAS threads, mean), top (rows of the first query), process_ms, and the
# python and numpy versions. Usage: numpy-scan.py MATRIX DIM QUERIES K REPEATS
import json, sys, time
t0 = time.perf_counter()
import numpy as np

path, dim, queries_path, k, repeats = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
t1 = time.perf_counter()
X = np.fromfile(path, dtype=np.float32).reshape(-1, dim)
Q = np.fromfile(queries_path, dtype=np.float32).reshape(-1, dim)
load_ms = (time.perf_counter() - t1) * 1000
scans, first = [], None
cpu0 = time.process_time()
for r in range(repeats):
    q = Q[r % len(Q)]
    t = time.perf_counter()
    s = X @ q
    top = np.argpartition(-s, k)[:k]
    top = top[np.argsort(-s[top], kind="stable")]
    scans.append((time.perf_counter() - t) * 1000)
    if first is None:
        first = top.tolist()
scan_cpu_ms = (time.process_time() - cpu0) * 1000 / max(1, repeats)
print(json.dumps({"load_ms": load_ms, "scan_ms": sorted(scans)[len(scans) // 2], "scan_best_ms": min(scans), "scan_cpu_ms": scan_cpu_ms, "top": first, "process_ms": (time.perf_counter() - t0) * 1000,
                  "python": sys.version.split()[0], "numpy": np.__version__}))
