#!/usr/bin/python3
"""Small random-weight Llama-family checkpoints in the Hugging Face layout, with reference outputs.

Usage: make_test_checkpoints.py OUT_DIR [VARIANT...]
Writes OUT_DIR/<variant>/{config.json, model.safetensors | shards + index, reference.json} for the
variants named (default: all of llama3_rope, bf16, sharded, qwen2_bias, qwen3_qknorm,
mistral_window; each from its own fixed seed, whichever others are made). reference.json
holds, from a plain-PyTorch float64 forward written here (independent of the C++ runner; no
transformers):
  tokens, logits [T, vocab];
  layers[l]: keys, keys_prerope, values [kv_heads, T, D], queries [heads, T, D] (keys after RoPE;
    Qwen3's pre-RoPE keys are after k_norm);
  continuation: context C, substitutions [{layer, head, keys, data [C, D] float32 values}] and
    logits [T - C, vocab] of LlamaModel::continuationLogits' procedure: the cache of tokens[:C]
    with those targets replaced, position C-1 re-run as a query over it, later positions over the
    replaced context plus their own exact K/V (Mistral's sliding window applies throughout);
  evicted_continuation: the same procedure and substitutions, each also with a "keep" list of C
    flags: a context position that a KV head's K or V substitution evicts (flag 0) is masked out
    of attention for all that head's query heads, except for the query at that very position
    (docs/EVICTION.md).
Needs only torch (Debian python3-torch); safetensors are written by hand.
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import write_safetensors  # noqa: E402


def head_dim(cfg):
    return cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]


def make_weights(cfg, gen):
    h, ff, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    nh, nkv, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], head_dim(cfg)
    def rnd(*shape, scale=None):
        return torch.randn(*shape, generator=gen) * (scale or 1.0 / math.sqrt(shape[-1]))
    w = {"model.embed_tokens.weight": rnd(v, h, scale=1.0), "model.norm.weight": 1 + 0.1 * rnd(h, scale=1.0)}
    if not cfg["tie_word_embeddings"]:
        w["lm_head.weight"] = rnd(v, h)
    qkv_bias = cfg["model_type"] == "qwen2"
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        w[p + "input_layernorm.weight"] = 1 + 0.1 * rnd(h, scale=1.0)
        w[p + "post_attention_layernorm.weight"] = 1 + 0.1 * rnd(h, scale=1.0)
        w[p + "self_attn.q_proj.weight"] = rnd(nh * hd, h)
        w[p + "self_attn.k_proj.weight"] = rnd(nkv * hd, h)
        w[p + "self_attn.v_proj.weight"] = rnd(nkv * hd, h)
        w[p + "self_attn.o_proj.weight"] = rnd(h, nh * hd)
        if qkv_bias:
            w[p + "self_attn.q_proj.bias"] = 0.5 * rnd(nh * hd, scale=1.0)
            w[p + "self_attn.k_proj.bias"] = 0.5 * rnd(nkv * hd, scale=1.0)
            w[p + "self_attn.v_proj.bias"] = 0.5 * rnd(nkv * hd, scale=1.0)
        if cfg["model_type"] == "qwen3":
            w[p + "self_attn.q_norm.weight"] = 1 + 0.2 * rnd(hd, scale=1.0)
            w[p + "self_attn.k_norm.weight"] = 1 + 0.2 * rnd(hd, scale=1.0)
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


def reference_forward(cfg, w, ids, positions, past=None, dtype=torch.float64, evicted=None):
    """Plain float64 forward of tokens `ids` at `positions` (rotate_half RoPE, Qwen3 q/k norms,
    GQA, causal mask with Mistral's sliding window, SwiGLU). past[l] = (K, V) post-RoPE of
    positions 0..P-1: rows at positions < P attend to it instead of adding their own K/V.
    evicted[l] (bool [kv_heads, P]) hides those past positions from every query head of the KV
    head, except from the query at that position (scores set to -inf).
    Returns logits [rows, vocab] and per layer {keys, keys_prerope, values, queries} of the rows."""
    w = {k: t.to(dtype) for k, t in w.items()}
    h, nh, nkv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd, eps, n = head_dim(cfg), cfg["rms_norm_eps"], len(ids)
    window = cfg.get("sliding_window") if cfg["model_type"] == "mistral" else None
    pos = torch.tensor(positions, dtype=torch.float64)
    def norm(x, g):
        return g * x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps)
    ang = (pos[:, None] * inv_freq(cfg, hd)[None, :]).to(dtype)
    cos, sin = torch.cat([ang.cos()] * 2, -1), torch.cat([ang.sin()] * 2, -1)
    def rope(x):  # [heads, n, hd]
        x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
        return x * cos + torch.cat([-x2, x1], -1) * sin
    n_past = past[0][0].shape[1] if past else 0
    own = [i for i, p in enumerate(positions) if p >= n_past]  # rows whose K/V join the keys
    key_pos = torch.tensor(list(range(n_past)) + [positions[i] for i in own], dtype=torch.float64)
    allowed = key_pos[None, :] <= pos[:, None]
    if window:
        allowed &= pos[:, None] - key_pos[None, :] < window
    x = w["model.embed_tokens.weight"][ids]
    layers = []
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        a = norm(x, w[p + "input_layernorm.weight"])
        def proj(name, heads):
            y = a @ w[p + f"self_attn.{name}.weight"].T
            if p + f"self_attn.{name}.bias" in w:
                y = y + w[p + f"self_attn.{name}.bias"]
            return y.view(n, heads, hd).transpose(0, 1)
        q_pre, k_pre, v = proj("q_proj", nh), proj("k_proj", nkv), proj("v_proj", nkv)
        if p + "self_attn.q_norm.weight" in w:
            q_pre, k_pre = norm(q_pre, w[p + "self_attn.q_norm.weight"]), norm(k_pre, w[p + "self_attn.k_norm.weight"])
        q, k = rope(q_pre), rope(k_pre)
        layers.append({"keys": k, "keys_prerope": k_pre, "values": v, "queries": q})
        keys, vals = k[:, own], v[:, own]
        if past:
            keys, vals = torch.cat([past[l][0].to(dtype), keys], 1), torch.cat([past[l][1].to(dtype), vals], 1)
        keys, vals = keys.repeat_interleave(nh // nkv, 0), vals.repeat_interleave(nh // nkv, 0)
        s = (q @ keys.transpose(1, 2)) / math.sqrt(hd)
        mask = allowed.expand(nh, -1, -1)  # [heads, rows, keys]
        if evicted is not None:
            ev = torch.zeros(nkv, len(key_pos), dtype=torch.bool)
            ev[:, :n_past] = evicted[l]
            hidden = ev[:, None, :] & (key_pos[None, None, :] != pos[None, :, None])
            mask = mask & ~hidden.repeat_interleave(nh // nkv, 0)
        att = torch.softmax(s.masked_fill(~mask, float("-inf")), -1) @ vals
        x = x + att.transpose(0, 1).reshape(n, nh * hd) @ w[p + "self_attn.o_proj.weight"].T
        m = norm(x, w[p + "post_attention_layernorm.weight"])
        g = torch.nn.functional.silu(m @ w[p + "mlp.gate_proj.weight"].T) * (m @ w[p + "mlp.up_proj.weight"].T)
        x = x + g @ w[p + "mlp.down_proj.weight"].T
    head = w["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else w["lm_head.weight"]
    return norm(x, w["model.norm.weight"]) @ head.T, layers


def reference_continuation(cfg, w, ids, context, gen):
    """Every K and V target of tokens[:context] replaced by itself plus noise (rounded to float32,
    as the C++ side receives it); the continuation's logits over that cache."""
    _, layers = reference_forward(cfg, w, ids[:context], list(range(context)))
    subs, past = [], []
    for l, lay in enumerate(layers):
        kv = []
        for kind in ("keys", "values"):
            exact = lay[kind]
            noisy = (exact + 0.3 * exact.std() * torch.randn(exact.shape, generator=gen, dtype=torch.float64)).float()
            kv.append(noisy.double())
            for hh in range(noisy.shape[0]):
                subs.append({"layer": l, "head": hh, "keys": kind == "keys", "data": noisy[hh].flatten().tolist()})
        past.append(tuple(kv))
    rows = list(range(context - 1, len(ids) - 1))
    logits, _ = reference_forward(cfg, w, [ids[i] for i in rows], rows, past)
    return {"context": context, "substitutions": subs, "logits": logits.flatten().tolist()}


def reference_evicted_continuation(cfg, w, ids, cont, gen):
    """cont's substitutions, each with a keep mask: a few random context positions evicted per
    target (one of them in the last 8, inside Mistral's window), different for K and V of one head;
    position C-1 also evicted by layer 0 head 0's V and the last layer's last K target (the re-run
    query at C-1 still sees itself); the last target keeps everything. The continuation's logits
    with the evicted positions masked out of attention."""
    context, nkv = cont["context"], cfg["num_key_value_heads"]
    layers = cfg["num_hidden_layers"]
    past = [[torch.zeros(nkv, context, head_dim(cfg), dtype=torch.float64) for _ in range(2)]
            for _ in range(layers)]
    evicted = [torch.zeros(nkv, context, dtype=torch.bool) for _ in range(layers)]
    subs, masks = [], set()
    for i, s in enumerate(cont["substitutions"]):
        l, hh, keys = s["layer"], s["head"], s["keys"]
        past[l][0 if keys else 1][hh] = torch.tensor(s["data"], dtype=torch.float64).view(context, -1)
        keep = torch.ones(context, dtype=torch.bool)
        if i != len(cont["substitutions"]) - 1:
            k = 3 + int(torch.randint(0, 4, (1,), generator=gen))
            keep[torch.randperm(context - 1, generator=gen)[:k]] = False
            keep[context - 8 + int(torch.randint(0, 7, (1,), generator=gen))] = False
            if (l, hh, keys) in ((0, 0, False), (layers - 1, nkv - 1, True)):
                keep[context - 1] = False
            mask = tuple(keep.tolist())
            assert mask not in masks, "masks must differ per target"
            masks.add(mask)
        evicted[l][hh] |= ~keep
        subs.append(dict(s, keep=[int(x) for x in keep.tolist()]))
    rows = list(range(context - 1, len(ids) - 1))
    logits, _ = reference_forward(cfg, w, [ids[i] for i in rows], rows, [tuple(p) for p in past],
                                  evicted=evicted)
    return {"context": context, "substitutions": subs, "logits": logits.flatten().tolist()}


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
    # Qwen3: head_dim 24 with 4 heads (q/k/v width 96 != hidden 64), q/k norms, as real configs
    # spell the unused sliding-window fields.
    "qwen3_qknorm": {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "head_dim": 24,
                     "rope_theta": 1000000.0, "rms_norm_eps": 1e-6, "hidden_act": "silu",
                     "use_sliding_window": False, "sliding_window": None, "max_window_layers": 2,
                     "layer_types": ["full_attention", "full_attention"]},
    # Mistral: a window of 8 positions, far shorter than the 40 tokens; head_dim null; one KV head.
    "mistral_window": {"architectures": ["MistralForCausalLM"], "model_type": "mistral",
                       "sliding_window": 8, "head_dim": None, "num_key_value_heads": 1,
                       "rope_theta": 1000000.0, "tie_word_embeddings": True},
}


def floats(t):
    return t.flatten().tolist()


def main(out, names):
    for i, (name, extra) in enumerate(VARIANTS.items()):
        if names and name not in names:
            continue
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
            tensors = list(w)
            shards = {"model-00001-of-00002.safetensors": tensors[: len(tensors) // 2],
                      "model-00002-of-00002.safetensors": tensors[len(tensors) // 2:]}
            for file, members in shards.items():
                write_safetensors(os.path.join(d, file), {n: w[n] for n in members})
            index = {"metadata": {}, "weight_map": {n: f for f, ms in shards.items() for n in ms}}
            with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
                json.dump(index, f, indent=2)
        else:
            write_safetensors(os.path.join(d, "model.safetensors"), w)
        ids = torch.randint(0, cfg["vocab_size"], (40,), generator=gen).tolist()
        logits, layers = reference_forward(cfg, w, ids, list(range(len(ids))))
        cont = reference_continuation(cfg, w, ids, 24, gen)
        ref = {"tokens": ids, "logits": floats(logits),
               "layers": [{k: floats(t) for k, t in lay.items()} for lay in layers],
               "continuation": cont,
               "evicted_continuation": reference_evicted_continuation(cfg, w, ids, cont, gen)}
        with open(os.path.join(d, "reference.json"), "w") as f:
            json.dump(ref, f)


if __name__ == "__main__":
    if len(sys.argv) < 2 or any(n not in VARIANTS for n in sys.argv[2:]):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
