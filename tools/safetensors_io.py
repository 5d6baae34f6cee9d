"""Minimal safetensors reader/writer (the format: 8-byte little-endian header length, a JSON
header, raw little-endian tensor bytes), so Python tools need no `safetensors` package.
Used by tools/dump_kv.py and tests/data/make_dumps.py."""
import json
import struct

import numpy as np

_NUMPY = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8"}


def read_safetensors(path):
    """name -> numpy array (BF16 is returned as float32)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, t = e["data_offsets"]
        if e["dtype"] == "BF16":
            raw = np.frombuffer(data[b:t], dtype="<u2").astype(np.uint32) << 16
            out[name] = raw.view(np.float32).reshape(e["shape"])
        else:
            out[name] = np.frombuffer(data[b:t], dtype=_NUMPY[e["dtype"]]).reshape(e["shape"])
    return out


def write_safetensors(path, tensors, metadata=None):
    """tensors: name -> torch tensor (float32/float16/bfloat16/int64) or numpy array."""
    import torch
    names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
             torch.int64: "I64", torch.int32: "I32"}
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        t = torch.as_tensor(t).contiguous().cpu()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
