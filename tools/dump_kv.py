#!/usr/bin/env python3
"""Dump the KV cache (and queries, and pre-RoPE keys) of any Hugging Face transformers causal LM
into a safetensors file that `kvwb-cli import` reads without options (docs/IMPORT.md).

  python3 tools/dump_kv.py --model meta-llama/Llama-3.2-1B --text prompt.txt --tokens 2048 \
      --out llama1b.safetensors [--dtype bfloat16] [--device cuda]
  kvwb-cli import llama1b.safetensors --project study.kvw --label fiction

Writes past_key_values.<l>.key / .value (post-RoPE, what the cache holds), .query (post-RoPE)
and .key_prerope, each [1, heads, tokens, head_dim], plus token_ids, and the model id, config and
text in the safetensors metadata. Needs `transformers` and `torch` in the interpreter you run it
with (Debian has no transformers package; KV Workbench itself extracts Llama-family checkpoints
natively with `kvwb-cli extract`). The text is never repeated to reach --tokens: a too-short text
is an error.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import write_safetensors  # noqa: E402


def rope(model, x, positions):
    """Applies the model's own rotary embedding to x [B, H, T, D] (queries)."""
    from transformers.models.llama import modeling_llama as ml
    rotary = getattr(model.model, "rotary_emb", None) or model.model.layers[0].self_attn.rotary_emb
    cos, sin = rotary(x, positions)
    return ml.apply_rotary_pos_emb(x, x, cos, sin)[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="HF model id or local folder")
    ap.add_argument("--text", required=True, help="UTF-8 text file (the prompt)")
    ap.add_argument("--tokens", type=int, default=512, help="number of tokens to keep")
    ap.add_argument("--out", required=True, help="output .safetensors")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    ap.add_argument("--device", default="cuda" if __import__("torch").cuda.is_available() else "cpu")
    args = ap.parse_args()

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype=getattr(torch, args.dtype))
    model.to(args.device).eval()
    text = open(args.text, encoding="utf-8").read()
    ids = tok(text, return_tensors="pt").input_ids[:, : args.tokens]
    if ids.shape[1] < args.tokens:
        sys.exit(f"{args.text}: only {ids.shape[1]} tokens, {args.tokens} asked (text is never repeated)")

    cfg = model.config
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    captured = {}

    def hook(name, heads):
        def fn(_module, _inputs, out):
            b, t, _ = out.shape
            captured[name] = out.view(b, t, heads, head_dim).transpose(1, 2).detach()
        return fn

    handles = []
    for i, layer in enumerate(model.model.layers):
        attn = layer.self_attn
        handles.append(attn.q_proj.register_forward_hook(hook(f"q{i}", cfg.num_attention_heads)))
        handles.append(attn.k_proj.register_forward_hook(hook(f"k{i}", cfg.num_key_value_heads)))
    with torch.no_grad():
        out = model(ids.to(args.device), use_cache=True)
    for h in handles:
        h.remove()
    cache = out.past_key_values
    layers = cache.to_legacy_cache() if hasattr(cache, "to_legacy_cache") else cache
    positions = torch.arange(ids.shape[1], device=args.device)[None]
    tensors = {}
    for i, (k, v) in enumerate(layers):
        tensors[f"past_key_values.{i}.key"] = k
        tensors[f"past_key_values.{i}.value"] = v
        tensors[f"past_key_values.{i}.key_prerope"] = captured[f"k{i}"]
        tensors[f"past_key_values.{i}.query"] = rope(model, captured[f"q{i}"], positions)
    tensors["token_ids"] = ids[0]
    meta = {"model": args.model, "config": json.dumps(cfg.to_dict()), "text": tok.decode(ids[0]),
            "source": os.path.abspath(args.text)}
    write_safetensors(args.out, tensors, meta)
    print(f"wrote {args.out}: {len(layers)} layers, {ids.shape[1]} tokens")


if __name__ == "__main__":
    main()
