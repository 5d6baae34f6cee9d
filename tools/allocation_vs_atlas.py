#!/usr/bin/python3
"""Where a byte-budget allocation puts its bytes, against the structure atlas (issue 18 item 6).

Reads `kvwb-cli allocate ... --csv` files (one per budget) and `kvwb-cli report P --csv` (the
atlas, one row per target) and prints, per allocation: the bytes by kind and by layer, the
targets given the most bytes, and within each kind the Spearman rank correlation of a target's
bytes with each structure scalar (ties get their mean rank). Plain numpy; Debian's interpreter.

  tools/allocation_vs_atlas.py atlas.csv alloc2.csv alloc4.csv alloc8.csv
"""
import csv
import sys

import numpy as np


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def ranks(x):
    """Ranks 1..n with ties at their mean rank."""
    x = np.asarray(x, dtype=float)
    order = np.argsort(x, kind="stable")
    r = np.empty(len(x))
    r[order] = np.arange(1, len(x) + 1)
    for value in np.unique(x):
        tied = x == value
        r[tied] = r[tied].mean()
    return r


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def key(row):
    return (row["capture"], int(row["layer"]), int(row["head"]), row["kind"])


def report(atlas, path):
    rows = read_rows(path)
    scalars = [c for c in atlas[next(iter(atlas))] if c not in ("capture", "layer", "head", "kind")]
    total = sum(float(r["bytes"]) for r in rows)
    print(f"## {path}: {len(rows)} targets, {total:.0f} B")
    for kind in ("K", "V"):
        b = sum(float(r["bytes"]) for r in rows if r["kind"] == kind)
        print(f"  {kind}: {b:.0f} B ({100 * b / total:.1f}%)")
    layers = sorted({int(r["layer"]) for r in rows})
    print("  by layer: " + ", ".join(
        f"L{l} {sum(float(r['bytes']) for r in rows if int(r['layer']) == l):.0f}" for l in layers))
    top = sorted(rows, key=lambda r: -float(r["bytes"]))[:5]
    print("  most bytes: " + "; ".join(
        f"L{r['layer']} H{r['head']} {r['kind']} {float(r['bytes']):.0f} B ({r['method']})" for r in top))
    for kind in ("K", "V"):
        mine = [r for r in rows if r["kind"] == kind and key(r) in atlas]
        if len(mine) < 3:
            continue
        b = [float(r["bytes"]) for r in mine]
        cells = []
        for s in scalars:
            rho = spearman(b, [float(atlas[key(r)][s]) for r in mine])
            cells.append(f"{s} {rho:+.2f}")
        print(f"  Spearman(bytes, scalar) over {len(mine)} {kind} targets: " + ", ".join(cells))


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    atlas = {key(r): r for r in read_rows(argv[1])}
    for path in argv[2:]:
        report(atlas, path)


if __name__ == "__main__":
    main(sys.argv)
