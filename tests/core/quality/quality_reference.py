# Reference for test_quality_stats: the per-token quality statistics computed directly with numpy
# from stored logits. argv: base.npy compressed.npy targets.npy out.json (logits [W, T, V],
# targets [W, T]).
import json
import sys

import numpy as np

base = np.load(sys.argv[1]).astype(np.float64)
comp = np.load(sys.argv[2]).astype(np.float64)
targets = np.load(sys.argv[3]).astype(np.int64)


def log_softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


lb, lc = log_softmax(base), log_softmax(comp)
pick = lambda l: np.take_along_axis(l, targets[..., None], axis=-1)[..., 0]
nll_b, nll_c = -pick(lb), -pick(lc)
kl = (np.exp(lb) * (lb - lc)).sum(axis=-1)
same = lb.argmax(-1) == lc.argmax(-1)
dp = np.exp(-nll_c) - np.exp(-nll_b)
out = {
    "ln_ratio": float((nll_c - nll_b).mean()),
    "kld": float(kl.mean()),
    "kld_median": float(np.percentile(kl, 50)),
    "kld_p90": float(np.percentile(kl, 90)),
    "kld_p99": float(np.percentile(kl, 99)),
    "kld_max": float(kl.max()),
    "same_top": float(same.mean()),
    "dp_mean": float(dp.mean()),
    "dp_rms": float(np.sqrt((dp ** 2).mean())),
}
json.dump(out, open(sys.argv[4], "w"))
