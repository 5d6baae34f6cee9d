#!/usr/bin/python3
"""Prefill baseline: a plain float32 PyTorch (Debian python3-torch) Llama forward over an HF folder
(tools/make_test_checkpoints.reference_logits), timed the way bench_prefill times the C++ runner.
Usage: baseline_prefill.py MODEL_DIR TOKENS REPEATS -> prints seconds per prefill"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from make_test_checkpoints import reference_logits  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402


def main():
    folder, tokens, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    cfg = json.load(open(os.path.join(folder, "config.json")))
    w = {k: torch.from_numpy(v.copy()) for k, v in read_safetensors(os.path.join(folder, "model.safetensors")).items()}
    ids = torch.randint(3, cfg["vocab_size"], (tokens,), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        reference_logits(cfg, w, ids, torch.float32)  # warm-up
        start = time.perf_counter()
        for _ in range(repeats):
            reference_logits(cfg, w, ids, torch.float32)
    print(f"{(time.perf_counter() - start) / repeats:.6f}")


if __name__ == "__main__":
    main()
