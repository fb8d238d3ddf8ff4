#!/usr/bin/python3
"""The eager-PyTorch half of `./run.sh bench eval`: the same Llama forward as golden_llama.py, over the
same checkpoint and token ids, timed the same way (log-likelihood of every next token, batched).

    /usr/bin/python3 fitness/reference/bench_eval.py CHECKPOINT_DIR IDS.safetensors REPEATS

Prints one line: `tokens_per_second <value>`.
"""
import json
import os
import struct
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_llama import forward  # noqa: E402


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        dtype = {"F32": np.float32, "I64": np.int64}[e["dtype"]]
        b, t = e["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[b:t], dtype=dtype).copy().reshape(e["shape"]))
    return out


def main():
    checkpoint, ids_file, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    # the same threads as the JVM side gets (Debian's torch starts with one)
    torch.set_num_threads(os.cpu_count())
    with open(os.path.join(checkpoint, "config.json")) as f:
        c = json.load(f)
    cfg = (c["model_type"], c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"], c["num_attention_heads"],
           c["num_key_value_heads"], c["vocab_size"], c.get("tie_word_embeddings", False), c["rope_theta"])
    w = read_safetensors(os.path.join(checkpoint, "model.safetensors"))
    ids = read_safetensors(ids_file)["input_ids"]
    mask = torch.ones_like(ids)
    with torch.no_grad():
        def step():
            logp = torch.log_softmax(forward(cfg, w, ids, mask), dim=-1)
            return logp[:, :-1].gather(2, ids[:, 1:].unsqueeze(-1))
        step()  # warm-up
        t0 = time.perf_counter()
        for _ in range(repeats):
            step()
        seconds = time.perf_counter() - t0
    blas = "openblas" if "openblas" in os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3") else "reference BLAS"
    print("torch", torch.__version__, "threads", torch.get_num_threads(), "blas", blas)
    print("tokens_per_second", ids.numel() * repeats / seconds)


if __name__ == "__main__":
    main()
