#!/usr/bin/python3
"""Golden logits for evomerge's Llama-family forward pass, from an independent implementation in plain
PyTorch (no transformers library): small random-weight models (a few layers, grouped-query attention,
tied and untied heads, Qwen2's q/k/v biases), written as checkpoint directories with config.json and
model.safetensors, plus the token ids and the logits PyTorch computes for them (golden.safetensors).

    /usr/bin/python3 fitness/reference/golden_llama.py src/test/resources/golden   (Debian's python, which has torch)

Needs Debian's python3-torch (apt-get install python3-torch). The outputs are committed; the Java tests
only read them.
"""
import json
import math
import os
import struct
import sys

import torch

CONFIGS = {
    # name: (model_type, hidden, intermediate, layers, heads, kv_heads, vocab, tied, theta)
    "llama-untied-gqa": ("llama", 64, 160, 3, 8, 2, 97, False, 10000.0),
    "llama-tied-mha": ("llama", 48, 96, 2, 4, 4, 61, True, 500000.0),
    "qwen2-gqa-bias": ("qwen2", 64, 128, 2, 4, 2, 89, False, 1000000.0),
}


def write_safetensors(path, tensors, metadata=None):
    """The safetensors format by hand: 8-byte little-endian header length, JSON header, raw bytes."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        t = t.contiguous()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def forward(cfg, w, ids, mask):
    model_type, hidden, _, layers, heads, kv_heads, vocab, tied, theta = cfg
    eps = 1e-6
    d = hidden // heads
    b, t = ids.shape
    h = w["model.embed_tokens.weight"][ids]
    pos = torch.arange(t, dtype=torch.float32)
    inv_freq = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float32) / d))
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    causal = torch.tril(torch.ones(t, t, dtype=torch.bool))
    allowed = causal[None, None] & mask[:, None, None, :].bool()
    for l in range(layers):
        p = f"model.layers.{l}."
        x = rms_norm(h, w[p + "input_layernorm.weight"], eps)

        def proj(name):
            y = x @ w[p + f"self_attn.{name}.weight"].T
            if model_type == "qwen2":
                y = y + w[p + f"self_attn.{name}.bias"]
            return y

        q = proj("q_proj").view(b, t, heads, d).transpose(1, 2)
        k = proj("k_proj").view(b, t, kv_heads, d).transpose(1, 2)
        v = proj("v_proj").view(b, t, kv_heads, d).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = heads // kv_heads
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(d)
        scores = scores.masked_fill(~allowed, float("-inf"))
        att = torch.softmax(scores, dim=-1) @ v
        att = att.transpose(1, 2).reshape(b, t, hidden)
        h = h + att @ w[p + "self_attn.o_proj.weight"].T
        x = rms_norm(h, w[p + "post_attention_layernorm.weight"], eps)
        gate = torch.nn.functional.silu(x @ w[p + "mlp.gate_proj.weight"].T)
        h = h + (gate * (x @ w[p + "mlp.up_proj.weight"].T)) @ w[p + "mlp.down_proj.weight"].T
    h = rms_norm(h, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if tied else w["lm_head.weight"]
    return h @ head.T


def make(name, cfg, out, seed):
    model_type, hidden, inter, layers, heads, kv_heads, vocab, tied, theta = cfg
    g = torch.Generator().manual_seed(seed)
    d = hidden // heads

    def rnd(*shape, scale=0.08):
        return torch.randn(*shape, generator=g) * scale

    w = {"model.embed_tokens.weight": rnd(vocab, hidden, scale=0.5)}
    for l in range(layers):
        p = f"model.layers.{l}."
        w[p + "self_attn.q_proj.weight"] = rnd(heads * d, hidden)
        w[p + "self_attn.k_proj.weight"] = rnd(kv_heads * d, hidden)
        w[p + "self_attn.v_proj.weight"] = rnd(kv_heads * d, hidden)
        if model_type == "qwen2":
            w[p + "self_attn.q_proj.bias"] = rnd(heads * d, scale=0.1)
            w[p + "self_attn.k_proj.bias"] = rnd(kv_heads * d, scale=0.1)
            w[p + "self_attn.v_proj.bias"] = rnd(kv_heads * d, scale=0.1)
        w[p + "self_attn.o_proj.weight"] = rnd(hidden, heads * d)
        w[p + "mlp.gate_proj.weight"] = rnd(inter, hidden)
        w[p + "mlp.up_proj.weight"] = rnd(inter, hidden)
        w[p + "mlp.down_proj.weight"] = rnd(hidden, inter)
        w[p + "input_layernorm.weight"] = 1 + rnd(hidden, scale=0.1)
        w[p + "post_attention_layernorm.weight"] = 1 + rnd(hidden, scale=0.1)
    w["model.norm.weight"] = 1 + rnd(hidden, scale=0.1)
    if not tied:
        w["lm_head.weight"] = rnd(vocab, hidden, scale=0.2)
    os.makedirs(os.path.join(out, name), exist_ok=True)
    config = {
        "architectures": ["Qwen2ForCausalLM" if model_type == "qwen2" else "LlamaForCausalLM"],
        "model_type": model_type, "hidden_size": hidden, "intermediate_size": inter,
        "num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": kv_heads,
        "vocab_size": vocab, "rms_norm_eps": 1e-6, "rope_theta": theta, "tie_word_embeddings": tied,
        "hidden_act": "silu", "max_position_embeddings": 128,
    }
    with open(os.path.join(out, name, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    write_safetensors(os.path.join(out, name, "model.safetensors"), w, {"format": "pt"})
    # two sequences, the second right-padded: the mask keeps padding out of attention
    ids = torch.randint(0, vocab, (2, 9), generator=g)
    mask = torch.ones(2, 9, dtype=torch.int64)
    mask[1, 6:] = 0
    ids[1, 6:] = 0
    with torch.no_grad():
        logits = forward(cfg, w, ids, mask)
    write_safetensors(os.path.join(out, name, "golden.safetensors"),
                      {"input_ids": ids, "attention_mask": mask, "logits": logits.float()},
                      {"torch": torch.__version__})


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/golden"
    for i, (name, cfg) in enumerate(CONFIGS.items()):
        make(name, cfg, out, seed=100 + i)
        print("wrote", os.path.join(out, name))
