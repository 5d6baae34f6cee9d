#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/): a few small valid files of
each format, each under a few KB. Usage: fuzz/make_seeds.py [KVWB_CLI]
The project seed needs a built kvwb-cli (default build/app/cli/kvwb-cli): it imports a tiny dump.
Deterministic except the project file's HDF5 timestamps and ids; re-run after a format change.
Files named regress-* (inputs of fixed defects) are kept."""
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def npy_bytes(a, version=None):
    buf = io.BytesIO()
    if version is None:
        np.save(buf, a)
    else:
        np.lib.format.write_array(buf, a, version=version)
    return buf.getvalue()


def arrays():
    rng = np.random.default_rng(0)
    return {
        "f32_2x3": rng.standard_normal((2, 3)).astype(np.float32),
        "f16_1x2x2x2": rng.standard_normal((1, 2, 2, 2)).astype(np.float16),
        "f64_scalar": np.array(1.5),
        "i64_4": np.arange(4, dtype=np.int64),
        "i32_empty": np.zeros((0, 3), dtype=np.int32),
        "bool_3": np.array([True, False, True]),
    }


def npy_seeds():
    for name, a in arrays().items():
        put("npy_header", name + ".npy", npy_bytes(a)[:256])  # header + a little data
        put("npy_file", name + ".npy", npy_bytes(a))
    a = arrays()["f32_2x3"]
    put("npy_file", "v2_f32.npy", npy_bytes(a, (2, 0)))
    put("npy_file", "v3_f32.npy", npy_bytes(a, (3, 0)))
    put("npy_header", "v2_f32.npy", npy_bytes(a, (2, 0)))


def npz_seeds():
    a = arrays()
    for name, fn in (("stored", np.savez), ("deflated", np.savez_compressed)):
        buf = io.BytesIO()
        fn(buf, keys=a["f16_1x2x2x2"], values=a["f16_1x2x2x2"] * 2, token_ids=a["i64_4"])
        put("npz", name + ".npz", buf.getvalue())


def safetensors_bytes(tensors, metadata=None):
    header, data = {}, b""
    for name, (dtype, a) in tensors.items():
        raw = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def safetensors_seeds():
    a = arrays()
    bf16 = (a["f32_2x3"].view(np.uint32) >> 16).astype(np.uint16)
    put("safetensors", "hf_cache.safetensors", safetensors_bytes({
        "past_key_values.0.key": ("F32", a["f32_2x3"].reshape(1, 1, 2, 3)),
        "past_key_values.0.value": ("F16", a["f16_1x2x2x2"]),
        "token_ids": ("I64", a["i64_4"]),
    }, {"format": "pt"}))
    put("safetensors", "stacked_bf16.safetensors", safetensors_bytes({
        "keys": ("BF16", bf16), "values": ("BF16", bf16), "mask": ("BOOL", a["bool_3"]),
        "i8": ("I8", np.arange(3, dtype=np.int8)), "u8": ("U8", np.arange(2, dtype=np.uint8))}))
    put("safetensors", "empty.safetensors", safetensors_bytes({}))


def hdf5_seeds():
    a = arrays()
    tmp = tempfile.mkdtemp()
    try:
        p = os.path.join(tmp, "plain.h5")
        with h5py.File(p, "w", libver="latest") as f:
            f.create_dataset("cache/k", data=a["f16_1x2x2x2"])
            f.create_dataset("cache/v", data=a["f32_2x3"])
            f.create_dataset("token_ids", data=a["i64_4"])
            f["alias"] = h5py.SoftLink("/cache/k")
        put("hdf5_dump", "plain.h5", open(p, "rb").read())
        p = os.path.join(tmp, "chunked.h5")
        with h5py.File(p, "w") as f:
            f.create_dataset("keys", data=np.tile(a["f32_2x3"], (4, 1)), chunks=(2, 3), compression="gzip")
            f.create_dataset("values", data=a["f64_scalar"])
        put("hdf5_dump", "chunked.h5", open(p, "rb").read())
    finally:
        shutil.rmtree(tmp)


def frame(payload):
    return struct.pack("<III", 0x4A57564B, len(payload), zlib.crc32(payload)) + payload


def journal_seeds():
    result = {"layer": 0, "head": 1, "kind": "K", "device": "cpu", "rel_err": 0.1, "cos_sim": 0.99,
              "bytes": 584.0, "ratio": 1.75, "delta_ppl": None,
              "params": json.dumps({"job": "40a59a26c0b66249", "rank": 4, "seq_len": 64})}
    run = {"id": "p.cap.svd", "method": "svd", "params": json.dumps({"rank": [1, 2]}), "capture": "cap",
           "created": "2026-12-01T12:00:00Z", "device": "cpu", "software_version": "0.1.0", "status": "running"}
    jid = "935761a5ea12a75d"
    recs = [{"type": "journal", "id": jid},
            {"type": "run", "seq": 1, "run_id": run["id"], "payload": run, "journal": jid},
            {"type": "result", "seq": 2, "run_id": run["id"], "payload": result, "journal": jid},
            {"type": "results", "seq": 3, "run_id": run["id"], "payload": [result, dict(result, head=0)], "journal": jid},
            {"type": "status", "seq": 4, "run_id": run["id"], "payload": "finished", "journal": jid},
            {"type": "shard", "seq": 5, "run_id": "", "payload": {"shard": 0, "of": 2}, "journal": jid}]
    payloads = [json.dumps(r, separators=(",", ":")).encode() for r in recs]
    put("journal", "small.kvw-journal", b"".join(frame(p) for p in payloads))
    put("journal", "damaged_middle.kvw-journal",
        b"".join(frame(p) for p in payloads[:2]) + b"\x00" * 7 + b"".join(frame(p) for p in payloads[2:]))
    put("journal", "torn_tail.kvw-journal", b"".join(frame(p) for p in payloads) + frame(payloads[1])[:20])
    legacy = os.path.join(ROOT, "tests", "data", "legacy-0.1", "legacy.kvw-journal")
    put("journal", "legacy.kvw-journal", open(legacy, "rb").read())
    put("journal_records", "small.txt", b"\x1e".join(payloads))
    put("journal_records", "run_only.txt", b"\x1e".join(payloads[:2]))
    put("journal_records", "no_header.txt", b"\x1e".join(payloads[2:]))


def project_seed(cli):
    if not os.path.exists(cli):
        print(f"make_seeds: no {cli}; the project seed is kept as it is")
        return
    tmp = tempfile.mkdtemp()
    try:
        rng = np.random.default_rng(1)
        k = rng.standard_normal((2, 1, 4, 2)).astype(np.float32)  # layers, heads, tokens, dim
        np.savez(os.path.join(tmp, "tiny.npz"), keys=k, values=k * 0.5, token_ids=np.arange(4))
        proj = os.path.join(tmp, "tiny.kvw")
        subprocess.run([cli, "import", os.path.join(tmp, "tiny.npz"), "--project", proj, "--name", "tiny"],
                       check=True, stdout=subprocess.DEVNULL)
        put("project", "tiny.kvw", open(proj, "rb").read())
    finally:
        shutil.rmtree(tmp)


def model_seeds():
    hf = os.path.join(ROOT, "datasets", "stories260K-hf")
    put("tokenizer_json", "stories260K.json", open(os.path.join(hf, "tokenizer.json"), "rb").read())
    put("tokenizer_bin", "tok512.bin", open(os.path.join(ROOT, "datasets", "stories260K", "tok512.bin"), "rb").read())
    # A small byte-level (GPT-2 / Llama-3 style) vocabulary with merges and an added token.
    byte_level = {
        "added_tokens": [{"id": 8, "content": "<|end|>", "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "\\p{N}{1,3}"}, "behavior": "Isolated"},
            {"type": "ByteLevel", "add_prefix_space": False, "use_regex": False}]},
        "decoder": {"type": "ByteLevel"},
        "model": {"type": "BPE", "ignore_merges": True, "vocab": {
            "O": 0, "n": 1, "c": 2, "e": 3, "On": 4, "ce": 5, "\u0120": 6, "1": 7},
            "merges": ["O n", "c e"]}}
    put("tokenizer_json", "byte_level.json", json.dumps(byte_level).encode())
    config = json.load(open(os.path.join(hf, "config.json")))
    put("model_config", "stories260K.json", json.dumps(config, indent=1).encode())
    put("model_config", "llama3_scaling.json", json.dumps(dict(config, rope_scaling={
        "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
        "original_max_position_embeddings": 256}, torch_dtype="bfloat16")).encode())
    put("model_config", "qwen2.json", json.dumps(dict(config, model_type="qwen2", rope_scaling={
        "type": "linear", "factor": 2.0}, tie_word_embeddings=False, num_key_value_heads=2)).encode())


def main():
    cli = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "app", "cli", "kvwb-cli")
    for d in ("npy_header", "npy_file", "npz", "safetensors", "hdf5_dump", "journal", "journal_records",
              "tokenizer_json", "tokenizer_bin", "model_config"):
        folder = os.path.join(CORPUS, d)
        for name in os.listdir(folder) if os.path.isdir(folder) else []:
            if not name.startswith("regress-"):  # inputs of fixed defects stay (fuzz/README.md)
                os.remove(os.path.join(folder, name))
    npy_seeds()
    npz_seeds()
    safetensors_seeds()
    hdf5_seeds()
    journal_seeds()
    model_seeds()
    project_seed(cli)


if __name__ == "__main__":
    main()
