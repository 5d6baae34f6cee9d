#!/usr/bin/python3
"""Writes KV-style dumps in every supported format from REAL bytes: the bundled model's trained
k/v/q projection weights, reshaped into cache-shaped tensors [layers, heads, tokens=64, dim=8].
They are not a KV cache (the extractor makes those); they are real trained float32 values that
exercise each importer on real numbers. Usage: make_dumps.py MODEL_SAFETENSORS OUT_DIR

Writes, and for each a reference `<name>.expected.npz` with float32 keys/values(/queries) exactly
as the stored dtype rounds them:
  hf_cache.safetensors     past_key_values.<l>.key/.value/.query [1,H,T,D] float32 + token_ids
  stacked_bf16.safetensors keys/values [L,H,T,D] bfloat16
  stacked_f16.npz          keys/values float16 (compressed)
  npy_dir/                 keys.npy values.npy float32
  custom.h5                /cache/k /cache/v float16 (needs a --map)
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402


def main():
    weights = read_safetensors(sys.argv[1])
    out = sys.argv[2]
    os.makedirs(os.path.join(out, "npy_dir"), exist_ok=True)
    layers = sum(1 for k in weights if k.endswith("self_attn.k_proj.weight"))

    def cache(proj, heads):
        # [heads*8, 64] -> [heads, 8, 64] -> [heads, 64 tokens, 8 dims]
        return np.stack([weights[f"model.layers.{l}.self_attn.{proj}.weight"].reshape(heads, 8, 64)
                         .transpose(0, 2, 1) for l in range(layers)]).astype(np.float32)

    k, v, q = cache("k_proj", 4), cache("v_proj", 4), cache("q_proj", 8)
    ids = np.arange(64, dtype=np.int64)

    tensors = {}
    for l in range(layers):
        tensors[f"past_key_values.{l}.key"] = torch.from_numpy(k[l][None].copy())
        tensors[f"past_key_values.{l}.value"] = torch.from_numpy(v[l][None].copy())
        tensors[f"past_key_values.{l}.query"] = torch.from_numpy(q[l][None].copy())
    tensors["token_ids"] = torch.from_numpy(ids)
    write_safetensors(os.path.join(out, "hf_cache.safetensors"), tensors)
    np.savez(os.path.join(out, "hf_cache.expected.npz"), keys=k, values=v, queries=q)

    kb, vb = torch.from_numpy(k).bfloat16(), torch.from_numpy(v).bfloat16()
    write_safetensors(os.path.join(out, "stacked_bf16.safetensors"), {"keys": kb, "values": vb})
    np.savez(os.path.join(out, "stacked_bf16.expected.npz"), keys=kb.float().numpy(), values=vb.float().numpy())

    np.savez_compressed(os.path.join(out, "stacked_f16.npz"), keys=k.astype(np.float16), values=v.astype(np.float16))
    np.savez(os.path.join(out, "stacked_f16.expected.npz"), keys=k.astype(np.float16).astype(np.float32),
             values=v.astype(np.float16).astype(np.float32))

    np.save(os.path.join(out, "npy_dir", "keys.npy"), k)
    np.save(os.path.join(out, "npy_dir", "values.npy"), v)
    np.savez(os.path.join(out, "npy_dir.expected.npz"), keys=k, values=v)

    import h5py
    with h5py.File(os.path.join(out, "custom.h5"), "w") as f:
        f.create_dataset("cache/k", data=k.astype(np.float16))
        f.create_dataset("cache/v", data=v.astype(np.float16))
    np.savez(os.path.join(out, "custom.expected.npz"), keys=k.astype(np.float16).astype(np.float32),
             values=v.astype(np.float16).astype(np.float32))


if __name__ == "__main__":
    main()
