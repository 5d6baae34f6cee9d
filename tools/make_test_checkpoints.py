#!/usr/bin/python3
"""Small random-weight Llama-family checkpoints in the Hugging Face layout, with reference logits.

Usage: make_test_checkpoints.py OUT_DIR
Writes OUT_DIR/<variant>/{config.json, model.safetensors | shards + index, reference.json} for the
variants llama3_rope, bf16, sharded, qwen2_bias. reference.json holds token ids and the logits of a
plain-PyTorch float64 forward (written here, independent of the C++ runner; no transformers).
Needs only torch (Debian python3-torch); safetensors are written by hand.
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import write_safetensors  # noqa: E402

def make_weights(cfg, gen):
    h, ff, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim", h // nh)
    def rnd(*shape, scale=None):
        return torch.randn(*shape, generator=gen) * (scale or 1.0 / math.sqrt(shape[-1]))
    w = {"model.embed_tokens.weight": rnd(v, h, scale=1.0), "model.norm.weight": 1 + 0.1 * rnd(h, scale=1.0)}
    if not cfg["tie_word_embeddings"]:
        w["lm_head.weight"] = rnd(v, h)
    qwen = cfg["model_type"] == "qwen2"
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        w[p + "input_layernorm.weight"] = 1 + 0.1 * rnd(h, scale=1.0)
        w[p + "post_attention_layernorm.weight"] = 1 + 0.1 * rnd(h, scale=1.0)
        w[p + "self_attn.q_proj.weight"] = rnd(nh * hd, h)
        w[p + "self_attn.k_proj.weight"] = rnd(nkv * hd, h)
        w[p + "self_attn.v_proj.weight"] = rnd(nkv * hd, h)
        w[p + "self_attn.o_proj.weight"] = rnd(h, nh * hd)
        if qwen:
            w[p + "self_attn.q_proj.bias"] = 0.5 * rnd(nh * hd, scale=1.0)
            w[p + "self_attn.k_proj.bias"] = 0.5 * rnd(nkv * hd, scale=1.0)
            w[p + "self_attn.v_proj.bias"] = 0.5 * rnd(nkv * hd, scale=1.0)
        w[p + "mlp.gate_proj.weight"] = rnd(ff, h)
        w[p + "mlp.up_proj.weight"] = rnd(ff, h)
        w[p + "mlp.down_proj.weight"] = rnd(h, ff)
    return w


def inv_freq(cfg, hd):
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    rs = cfg.get("rope_scaling")
    if not rs:
        return inv
    factor, lo, hi, old = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"], rs["original_max_position_embeddings"]
    wavelen = 2 * math.pi / inv
    out = torch.where(wavelen > old / lo, inv / factor, inv)
    smooth = (old / wavelen - lo) / (hi - lo)
    smoothed = (1 - smooth) * out / factor + smooth * out
    medium = (wavelen >= old / hi) & (wavelen <= old / lo)
    return torch.where(medium, smoothed, out)


def reference_logits(cfg, w, ids, dtype=torch.float64):
    """Plain Llama forward (float64 by default) with rotate_half RoPE, GQA and SwiGLU."""
    w = {k: t.to(dtype) for k, t in w.items()}
    h, nh, nkv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd, eps, T = cfg.get("head_dim", h // nh), cfg["rms_norm_eps"], len(ids)
    def norm(x, g):
        return g * x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps)
    ang = (torch.arange(T, dtype=torch.float64)[:, None] * inv_freq(cfg, hd)[None, :]).to(dtype)
    cos, sin = torch.cat([ang.cos()] * 2, -1), torch.cat([ang.sin()] * 2, -1)
    def rope(x):  # [heads, T, hd]
        x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
        return x * cos + torch.cat([-x2, x1], -1) * sin
    x = w["model.embed_tokens.weight"][ids]
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        a = norm(x, w[p + "input_layernorm.weight"])
        def proj(name, heads):
            y = a @ w[p + f"self_attn.{name}.weight"].T
            if p + f"self_attn.{name}.bias" in w:
                y = y + w[p + f"self_attn.{name}.bias"]
            return y.view(T, heads, hd).transpose(0, 1)
        q, k, v = rope(proj("q_proj", nh)), rope(proj("k_proj", nkv)), proj("v_proj", nkv)
        k, v = k.repeat_interleave(nh // nkv, 0), v.repeat_interleave(nh // nkv, 0)
        s = (q @ k.transpose(1, 2)) / math.sqrt(hd)
        att = torch.softmax(s.masked_fill(mask, float("-inf")), -1) @ v
        x = x + att.transpose(0, 1).reshape(T, nh * hd) @ w[p + "self_attn.o_proj.weight"].T
        m = norm(x, w[p + "post_attention_layernorm.weight"])
        g = torch.nn.functional.silu(m @ w[p + "mlp.gate_proj.weight"].T) * (m @ w[p + "mlp.up_proj.weight"].T)
        x = x + g @ w[p + "mlp.down_proj.weight"].T
    head = w["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else w["lm_head.weight"]
    return norm(x, w["model.norm.weight"]) @ head.T


BASE = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64,
        "intermediate_size": 96, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "vocab_size": 97, "max_position_embeddings": 256,
        "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "rope_scaling": None,
        "tie_word_embeddings": False, "attention_bias": False, "bos_token_id": 1,
        "eos_token_id": 2, "torch_dtype": "float32"}

VARIANTS = {
    "llama3_rope": {"head_dim": 32, "num_attention_heads": 4, "rope_theta": 500000.0,
                    "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                     "high_freq_factor": 4.0, "original_max_position_embeddings": 64}},
    "bf16": {"torch_dtype": "bfloat16", "tie_word_embeddings": True},
    "sharded": {"num_hidden_layers": 3},
    "qwen2_bias": {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "rope_theta": 1000000.0,
                   "tie_word_embeddings": True, "eos_token_id": [2, 3]},
}


def main(out):
    for i, (name, extra) in enumerate(VARIANTS.items()):
        cfg = dict(BASE, **extra)
        gen = torch.Generator().manual_seed(1234 + i)
        w = make_weights(cfg, gen)
        if cfg["torch_dtype"] == "bfloat16":
            w = {k: t.bfloat16() for k, t in w.items()}
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        if name == "sharded":
            names = list(w)
            shards = {"model-00001-of-00002.safetensors": names[: len(names) // 2],
                      "model-00002-of-00002.safetensors": names[len(names) // 2:]}
            for file, members in shards.items():
                write_safetensors(os.path.join(d, file), {n: w[n] for n in members})
            index = {"metadata": {}, "weight_map": {n: f for f, ms in shards.items() for n in ms}}
            with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
                json.dump(index, f, indent=2)
        else:
            write_safetensors(os.path.join(d, "model.safetensors"), w)
        ids = torch.randint(0, cfg["vocab_size"], (40,), generator=gen).tolist()
        logits = reference_logits(cfg, w, ids)
        with open(os.path.join(d, "reference.json"), "w") as f:
            json.dump({"tokens": ids, "logits": logits.flatten().tolist()}, f)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
