#!/usr/bin/python3
"""Straightforward per-target baseline of the structure atlas in NumPy (Debian's python3-numpy):
one (layer, head, kind) target at a time, each metric with idiomatic numpy, then attention per
(layer, query head). Used by bench_analysis, which times it in the same run as the batched
engine. Prints the elapsed seconds and a checksum of lag-1 autocorrelations for a cross-check.
Usage: baseline_analysis.py PROJECT CAPTURE [MAX_LAG] [SENSITIVITY_QUERIES]"""
import sys
import time

import h5py
import numpy as np


def autocorr(x, k):
    vals = []
    for d in range(x.shape[1]):
        a, b = x[:-k, d], x[k:, d]
        if a.std() > 0 and b.std() > 0:
            vals.append(np.corrcoef(a, b)[0, 1])
    return np.mean(vals) if vals else np.nan


def ranks(v):
    order = np.argsort(v, kind="stable")
    s = v[order]
    r = np.empty(len(v))
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and s[j + 1] == s[i]:
            j += 1
        r[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return r


def target_stats(x, max_lag):
    ac = [autocorr(x, k) if k < x.shape[0] - 1 else np.nan for k in range(1, max_lag + 1)]
    rk = np.array([ranks(row) for row in x])
    sp = np.nanmean([np.corrcoef(rk[t], rk[t + 1])[0, 1] for t in range(len(x) - 1)])
    spec = (np.abs(np.fft.rfft(x - x.mean(0), axis=0)) ** 2).sum(1)
    sv = np.linalg.svd(x, compute_uv=False)
    return ac, sp, spec, sv, np.abs(x).mean(0), np.abs(x).max(0)


def attention(q, k, v, rows):
    T, D = k.shape
    s = q @ k.T / np.sqrt(D)
    s[np.triu(np.ones((T, T), bool), 1)] = -np.inf
    a = np.exp(s - s.max(1, keepdims=True))
    a /= a.sum(1, keepdims=True)
    sink = a.mean(0)
    o = a[rows] @ v
    sens = []
    for d in range(D):
        k2 = k.copy()
        k2[:, d] = k[:, d].mean()
        s2 = q[rows] @ k2.T / np.sqrt(D)
        s2[np.triu(np.ones((T, T), bool), 1)[rows]] = -np.inf
        a2 = np.exp(s2 - s2.max(1, keepdims=True))
        a2 /= a2.sum(1, keepdims=True)
        sens.append(np.linalg.norm(a2 @ v - o) / np.linalg.norm(o))
    return sink, sens


def main():
    path, capture = sys.argv[1], sys.argv[2]
    max_lag = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    nq = int(sys.argv[4]) if len(sys.argv) > 4 else 64
    with h5py.File(path, "r") as f:
        g = f["captures"][capture]
        kinds = [n for n in ("keys", "values", "keys_prerope") if n in g]
        data = {n: g[n][:].astype(np.float64) for n in kinds}
        queries = g["queries"][:].astype(np.float64) if "queries" in g else None
    start = time.perf_counter()
    L, H, T, D = data["keys"].shape
    lag1 = 0.0
    for l in range(L):
        for h in range(H):
            for n in kinds:
                lag1 += target_stats(data[n][l, h], max_lag)[0][0]
    if queries is not None:
        Hq = queries.shape[1]
        rows = np.round(np.linspace(0, T - 1, min(T, nq))).astype(int)
        for l in range(L):
            for hq in range(Hq):
                h = hq // (Hq // H)
                attention(queries[l, hq], data["keys"][l, h], data["values"][l, h], rows)
    print(f"{time.perf_counter() - start:.4f} {lag1:.6f}")


if __name__ == "__main__":
    main()
