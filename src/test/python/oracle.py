#!/usr/bin/python3
"""PyTorch oracle: tiny random Hugging Face checkpoints plus golden logits, loss and gradients.

Run with Debian's torch (torch 1.13 + numpy; no transformers, no safetensors package, no network):

    /usr/bin/python3 src/test/python/oracle.py --case CASE --out DIR \
        [--vector-positions all|generated|first|prompt] [--seed N]
    /usr/bin/python3 src/test/python/oracle.py --self-test      # exits 1 on any failure
    /usr/bin/python3 src/test/python/oracle.py --list-cases

The model below is our own plain-torch Qwen2 / Llama / Mistral decoder with Hugging Face semantics, computed
entirely in float32 (BF16 weights are upcast to float32 first). Same case + same seed = same bytes.

CASES (each with its own fixed weight seed; all have vocab 97, 4 query heads, silu MLP):
  qwen2-f32-tied           Qwen2ForCausalLM  F32   tied   q/k/v bias  hidden 32 L2 kv2  (no head_dim key)
  qwen2-bf16               Qwen2ForCausalLM  BF16  untied q/k/v bias  hidden 48 L3 kv2  (no head_dim key)
  llama-f32-rope3          LlamaForCausalLM  F32   untied no bias     hidden 64 L2 kv2  head_dim 16,
                           rope_theta 500000, rope_scaling {"rope_type":"llama3","factor":8.0,"low_freq_factor":1.0,
                           "high_freq_factor":4.0,"original_max_position_embeddings":64}: with head_dim 16 the 8
                           frequencies fall in all three bands (1 high = unchanged, 1 medium = smoothed, 6 low = /8).
  llama-bf16-tied-sharded  LlamaForCausalLM  BF16  tied   no bias     hidden 32 L2 kv2  head_dim 8, 2 shards + index
  mistral-f32              MistralForCausalLM F32  untied no bias     hidden 48 L2 kv2  head_dim 12, sliding_window null
  qwen2-f32-mha            Qwen2ForCausalLM  F32   untied q/k/v bias  hidden 32 L3 kv4 (= heads, plain MHA)
  qwen2-f32-downbias       Qwen2ForCausalLM  F32   tied   q/k/v bias  hidden 32 L3 kv2, and mlp.down_proj.bias on
                           layers 0 and 2: the paper's checkpoints store their steering vectors so
--seed N (default 0) shifts both the weight seed and the batch seed, so any N gives a new, reproducible set.

FILES WRITTEN INTO --out DIR
  config.json             HF config: architectures, model_type, hidden_size, intermediate_size, num_hidden_layers,
                          num_attention_heads, num_key_value_heads, head_dim (llama/mistral only; qwen2 omits it,
                          default hidden_size/num_attention_heads), rms_norm_eps, rope_theta, max_position_embeddings,
                          vocab_size, tie_word_embeddings, torch_dtype ("float32"/"bfloat16"), bos_token_id (1),
                          eos_token_id (2), hidden_act "silu", rope_scaling (null or the llama3 dict),
                          attention_bias false (llama only; Qwen2 always has q/k/v bias, Mistral never, as in HF),
                          sliding_window null (mistral, qwen2 with use_sliding_window false).
  generation_config.json  {"bos_token_id": 1, "eos_token_id": 2}
  model.safetensors       or, for the sharded case, model-00001-of-00002.safetensors, model-00002-of-00002.safetensors
                          and model.safetensors.index.json ({"metadata":{"total_size":N},"weight_map":{name: file}}).
                          Weights in the case dtype (F32, or BF16 = round-to-nearest-even of the float32 value, as
                          torch's .to(torch.bfloat16)). Linear weights are [out_features, in_features]. Names:
                            model.embed_tokens.weight                          [V, d]
                            model.layers.{l}.input_layernorm.weight            [d]
                            model.layers.{l}.self_attn.q_proj.weight           [H*hd, d]    (+ .bias [H*hd], qwen2)
                            model.layers.{l}.self_attn.k_proj.weight           [KV*hd, d]   (+ .bias [KV*hd], qwen2)
                            model.layers.{l}.self_attn.v_proj.weight           [KV*hd, d]   (+ .bias [KV*hd], qwen2)
                            model.layers.{l}.self_attn.o_proj.weight           [d, H*hd]
                            model.layers.{l}.post_attention_layernorm.weight   [d]
                            model.layers.{l}.mlp.gate_proj.weight              [I, d]
                            model.layers.{l}.mlp.up_proj.weight                [I, d]
                            model.layers.{l}.mlp.down_proj.weight              [d, I]
                            model.norm.weight                                  [d]
                            lm_head.weight                                     [V, d]  (absent when tied)
  batch.json              {"input_ids": B x T ints (pad positions hold 0), "attention_mask": B x T of 0/1,
                           "prompt_lengths": [B] (REAL prompt tokens, >= 2 and < the real length),
                           "loss_weights": B x T, "kl_weights": B x T, "ref_logprobs": B x T (all 0 where t is not
                           a target), "kl_coef": 0.1, "vectors": L x d (every layer, float32 values),
                           "vector_scale": 1.3, "vector_layers": [...] (layers that get a vector; rows of the other
                           layers are present in "vectors" but NOT added), "vector_positions": mode,
                           "vector_mask": B x T of 0/1 (derived as below, for the Java side to cross-check)}
                          B = 3: row 0 left-padded, row 1 right-padded, row 2 full.
                          All floats are float32 values written as the shortest decimal that round-trips, so parsing
                          to double then casting to float gives the exact value.
  expected.safetensors    always F32:
                            logits        [B, T, V]   (finite everywhere; rows at padded positions are don't-care)
                            logp          [B, T]      log_softmax(logits[b,t-1])[ids[b,t]] at targets, else 0 (extra)
                            loss          [1]
                            grad.vectors  [L, d]      dL/dvectors; rows of layers not in vector_layers are 0
                            grad.<name>   same shape as the weight, for EVERY weight name above (for BF16 cases
                                          the gradient w.r.t. the float32 upcast values; tied: embed's gradient
                                          includes its use as lm_head)

MODEL (float32 throughout)
  h = embed[ids]
  per layer l:
    x = rmsnorm(h) * input_layernorm, rmsnorm(x) = x * rsqrt(mean(x^2, -1) + eps)
    q, k, v = x Wq^T (+bq), x Wk^T (+bk), x Wv^T (+bv); split into heads of head_dim
    RoPE, HF rotate_half convention (element i pairs with i + hd/2): q' = q*cos + rotate_half(q)*sin,
      rotate_half(x) = cat(-x[hd/2:], x[:hd/2]), cos/sin of angle pos * inv_freq[i mod hd/2],
      inv_freq[i] = 1 / theta^(2i/hd) (float32), llama3-scaled when rope_scaling is set (HF
      _compute_llama3_parameters: wavelen = 2*pi/inv_freq; wavelen > orig/low_ff -> inv_freq/factor;
      wavelen < orig/high_ff -> unchanged; else (1-s)*inv_freq/factor + s*inv_freq, s = (orig/wavelen - low_ff)
      / (high_ff - low_ff))
    positions: pos = cumsum(attention_mask) - 1 per sequence, 0 at padded positions
    scores = q k^T / sqrt(head_dim); query head h reads KV head h // (H/KV);
      key j visible to query i iff j <= i and attention_mask[j] == 1; a query at a padded position sees only itself
    softmax over keys; attn = concat(heads) Wo^T (no bias); h = h + attn
    x2 = rmsnorm(h) * post_attention_layernorm; h = h + down(silu(gate(x2)) * up(x2))
    h = h + vector_scale * vectors[l] * vector_mask[b,t]      (hook_resid_post; only l in vector_layers)
  logits = (rmsnorm(h) * norm) lm_head^T   (lm_head = embed when tied)

VECTOR POSITIONS (count only the REAL tokens of sequence b, i = 0, 1, ...; p = prompt_lengths[b]):
  all -> every real token; first -> i == p-1; generated -> i >= p-1; prompt -> i < p-1; padded positions -> 0.

LOSS (a scalar to minimise). Target positions: t >= 1 with attention_mask[b,t] == 1 and attention_mask[b,t-1] == 1.
  logp[b,t] = log_softmax(logits[b,t-1])[ids[b,t]]       (weights are indexed by the TARGET position t)
  L = - sum_{b,t} loss_weights[b][t] * logp[b,t]
      + kl_coef * sum_{b,t} kl_weights[b][t] * (exp(d) - d - 1),   d = ref_logprobs[b][t] - logp[b,t]   (k3 KL)
  ref_logprobs are constants. Gradients by autograd.

SELF-TEST (--self-test) checks: float64 finite differences of the loss against autograd for vector and weight
coordinates (and that disabled layers' vector gradients are 0); with kl_coef 0 and a one-hot loss weight, -loss is
the log-prob of that token; GQA attention with kv_heads == heads equals a naive per-head loop, and a GQA model
equals the MHA model with its K/V heads repeated; padded rows give the same logits as the unpadded sequence; the
llama3 case has frequencies in all three bands and the scaling changes its logits; the safetensors writer
(F32, BF16 bits, shards + index) round-trips.
"""

import argparse
import json
import math
import os
import struct
import sys
import tempfile
import time

import numpy as np
import torch

VOCAB = 97
PAD_ID, BOS_ID, EOS_ID = 0, 1, 2

LLAMA3_SCALING = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                  "original_max_position_embeddings": 64}

# name -> (architecture, dtype, tied, hidden, layers, heads, kv_heads, head_dim or None, intermediate,
#          eps, theta, rope_scaling, sharded, vector_layers, weight seed)
CASES = {
    "qwen2-f32-tied": dict(arch="qwen2", dtype="float32", tied=True, hidden=32, layers=2, heads=4, kv=2,
                           head_dim=None, inter=80, eps=1e-6, theta=1000000.0, scaling=None, sharded=False,
                           vector_layers=[1], seed=101),
    "qwen2-bf16": dict(arch="qwen2", dtype="bfloat16", tied=False, hidden=48, layers=3, heads=4, kv=2,
                       head_dim=None, inter=112, eps=1e-6, theta=10000.0, scaling=None, sharded=False,
                       vector_layers=[0, 2], seed=102),
    "llama-f32-rope3": dict(arch="llama", dtype="float32", tied=False, hidden=64, layers=2, heads=4, kv=2,
                            head_dim=16, inter=160, eps=1e-5, theta=500000.0, scaling=LLAMA3_SCALING,
                            sharded=False, vector_layers=[0, 1], seed=103),
    "llama-bf16-tied-sharded": dict(arch="llama", dtype="bfloat16", tied=True, hidden=32, layers=2, heads=4, kv=2,
                                    head_dim=8, inter=96, eps=1e-5, theta=10000.0, scaling=None, sharded=True,
                                    vector_layers=[0, 1], seed=104),
    "mistral-f32": dict(arch="mistral", dtype="float32", tied=False, hidden=48, layers=2, heads=4, kv=2,
                        head_dim=12, inter=128, eps=1e-5, theta=10000.0, scaling=None, sharded=False,
                        vector_layers=[0], seed=105),
    "qwen2-f32-mha": dict(arch="qwen2", dtype="float32", tied=False, hidden=32, layers=3, heads=4, kv=4,
                          head_dim=None, inter=64, eps=1e-6, theta=10000.0, scaling=None, sharded=False,
                          vector_layers=[1, 2], seed=106),
    # the paper's checkpoints: steering vectors stored as mlp.down_proj.bias (here on layers 0 and 2 of 3)
    "qwen2-f32-downbias": dict(arch="qwen2", dtype="float32", tied=True, hidden=32, layers=3, heads=4, kv=2,
                               head_dim=None, inter=80, eps=1e-6, theta=1000000.0, scaling=None, sharded=False,
                               vector_layers=[1], seed=107, down_bias=[0, 2]),
}

ARCH_CLASS = {"qwen2": "Qwen2ForCausalLM", "llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM"}
POSITION_MODES = ["all", "generated", "first", "prompt"]


def head_dim_of(c):
    return c["head_dim"] if c["head_dim"] is not None else c["hidden"] // c["heads"]


# ---------------------------------------------------------------- config and weights

def hf_config(c):
    cfg = {
        "architectures": [ARCH_CLASS[c["arch"]]],
        "model_type": c["arch"],
        "hidden_size": c["hidden"],
        "intermediate_size": c["inter"],
        "num_hidden_layers": c["layers"],
        "num_attention_heads": c["heads"],
        "num_key_value_heads": c["kv"],
        "rms_norm_eps": c["eps"],
        "rope_theta": c["theta"],
        "max_position_embeddings": 512,
        "vocab_size": VOCAB,
        "tie_word_embeddings": c["tied"],
        "torch_dtype": c["dtype"],
        "bos_token_id": BOS_ID,
        "eos_token_id": EOS_ID,
        "hidden_act": "silu",
        "rope_scaling": c["scaling"],
        "initializer_range": 0.02,
        "attention_dropout": 0.0,
    }
    if c["head_dim"] is not None:
        cfg["head_dim"] = c["head_dim"]
    if c["arch"] == "llama":
        cfg["attention_bias"] = False
        cfg["mlp_bias"] = False
        cfg["pretraining_tp"] = 1
    if c["arch"] == "mistral":
        cfg["sliding_window"] = None
    if c["arch"] == "qwen2":
        cfg["use_sliding_window"] = False
        cfg["sliding_window"] = None
        cfg["max_window_layers"] = c["layers"]
    return cfg


def weight_shapes(c):
    """HF names and shapes, in the order they are written."""
    d, hd, inter = c["hidden"], head_dim_of(c), c["inter"]
    qd, kvd = c["heads"] * hd, c["kv"] * hd
    shapes = [("model.embed_tokens.weight", (VOCAB, d))]
    for l in range(c["layers"]):
        p = "model.layers.%d." % l
        shapes.append((p + "input_layernorm.weight", (d,)))
        shapes.append((p + "self_attn.q_proj.weight", (qd, d)))
        shapes.append((p + "self_attn.k_proj.weight", (kvd, d)))
        shapes.append((p + "self_attn.v_proj.weight", (kvd, d)))
        if c["arch"] == "qwen2":
            shapes.append((p + "self_attn.q_proj.bias", (qd,)))
            shapes.append((p + "self_attn.k_proj.bias", (kvd,)))
            shapes.append((p + "self_attn.v_proj.bias", (kvd,)))
        shapes.append((p + "self_attn.o_proj.weight", (d, qd)))
        shapes.append((p + "post_attention_layernorm.weight", (d,)))
        shapes.append((p + "mlp.gate_proj.weight", (inter, d)))
        shapes.append((p + "mlp.up_proj.weight", (inter, d)))
        shapes.append((p + "mlp.down_proj.weight", (d, inter)))
        if l in c.get("down_bias", ()):
            shapes.append((p + "mlp.down_proj.bias", (d,)))
    shapes.append(("model.norm.weight", (d,)))
    if not c["tied"]:
        shapes.append(("lm_head.weight", (VOCAB, d)))
    return shapes


def random_weights(c, seed):
    """float32 weights; for BF16 cases already rounded to bf16 values (so the model uses what is stored).

    Scales: linear std = 1/sqrt(in) (0.7/sqrt(in) for o/down) keeps activations O(1); embed / lm_head std 0.2 so
    logits after the final norm are O(1); norm weights 1 +- 0.1; biases std 0.2.
    """
    g = torch.Generator().manual_seed(seed)
    w = {}
    for name, shape in weight_shapes(c):
        if name.endswith("layernorm.weight") or name == "model.norm.weight":
            t = 1.0 + 0.1 * torch.randn(shape, generator=g)
        elif name.endswith(".bias"):
            t = 0.2 * torch.randn(shape, generator=g)
        elif name in ("model.embed_tokens.weight", "lm_head.weight"):
            t = 0.2 * torch.randn(shape, generator=g)
        else:
            scale = 0.7 if (name.endswith("o_proj.weight") or name.endswith("down_proj.weight")) else 1.0
            t = scale / math.sqrt(shape[1]) * torch.randn(shape, generator=g)
        if c["dtype"] == "bfloat16":
            t = t.to(torch.bfloat16).to(torch.float32)
        w[name] = t.contiguous()
    return w


# ---------------------------------------------------------------- safetensors writer (format: 8-byte LE header
# length, JSON header {name: {dtype, shape, data_offsets}}, padded with spaces to 8 bytes, then the raw data)

def tensor_bytes(t, dtype):
    if dtype == "F32":
        return t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
    if dtype == "BF16":
        return t.detach().to(torch.bfloat16).contiguous().view(torch.int16).numpy().astype("<i2").tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors, dtype):
    """tensors: ordered dict name -> tensor; all written in dtype. Returns the data size in bytes."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        b = tensor_bytes(tensors[name], dtype)
        header[name] = {"dtype": dtype, "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    header["__metadata__"] = {"format": "pt"}
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)
    return offset


def read_safetensors(path):
    """Reads back what write_safetensors wrote (used by the self-test). Returns name -> float32 tensor."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        if e["dtype"] == "F32":
            arr = np.frombuffer(data[a:b], dtype="<f4").astype(np.float32)
        else:
            bits = np.frombuffer(data[a:b], dtype="<u2").astype(np.uint32) << 16
            arr = bits.view(np.float32)
        out[name] = torch.from_numpy(arr.copy()).reshape(e["shape"])
    return out


def write_weights(out, c, w):
    dtype = "F32" if c["dtype"] == "float32" else "BF16"
    if not c["sharded"]:
        write_safetensors(os.path.join(out, "model.safetensors"), w, dtype)
        return
    # Shard 1: embeddings and the first half of the layers; shard 2: the rest.
    half = c["layers"] // 2
    files = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    shards = [{}, {}]
    for name, t in w.items():
        first = name == "model.embed_tokens.weight" or (
            name.startswith("model.layers.") and int(name.split(".")[2]) < half)
        shards[0 if first else 1][name] = t
    total, weight_map = 0, {}
    for f, s in zip(files, shards):
        total += write_safetensors(os.path.join(out, f), s, dtype)
        for name in s:
            weight_map[name] = f
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    write_json(os.path.join(out, "model.safetensors.index.json"), index)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


# ---------------------------------------------------------------- the model

def rope_inv_freq(c, dtype):
    """HF _compute_default_rope_parameters (+ _compute_llama3_parameters), in float32 as HF computes it."""
    hd = head_dim_of(c)
    inv_freq = 1.0 / (c["theta"] ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    s = c["scaling"]
    if s is not None:
        assert s["rope_type"] == "llama3"
        factor, lo, hi = s["factor"], s["low_freq_factor"], s["high_freq_factor"]
        old = s["original_max_position_embeddings"]
        low_wl, high_wl = old / lo, old / hi
        wavelen = 2 * math.pi / inv_freq
        scaled = torch.where(wavelen > low_wl, inv_freq / factor, inv_freq)
        smooth = (old / wavelen - lo) / (hi - lo)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < high_wl) * ~(wavelen > low_wl)
        inv_freq = torch.where(medium, smoothed, scaled)
    return inv_freq.to(dtype)


def rmsnorm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def positions_of(mask):
    """cumsum(mask) - 1, and 0 at padded positions (left padding as HF does it)."""
    return ((mask.cumsum(-1) - 1) * mask).clamp(min=0)


def attention_allowed(mask):
    """[B, Tq, Tk] bool: causal and key is real; a padded query sees only itself (its output is don't-care)."""
    B, T = mask.shape
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    allowed = causal[None] & mask.bool()[:, None, :]
    eye = torch.eye(T, dtype=torch.bool)[None].expand(B, T, T)
    return torch.where((mask == 0)[:, :, None], eye, allowed)


def attention(q, k, v, allowed):
    """q [B,H,T,hd], k/v [B,KV,T,hd]. Grouped-query: query head h reads KV head h // (H/KV)."""
    H, KV, hd = q.shape[1], k.shape[1], q.shape[-1]
    group = H // KV
    k = k.repeat_interleave(group, dim=1)
    v = v.repeat_interleave(group, dim=1)
    scores = q @ k.transpose(-1, -2) / math.sqrt(hd)
    scores = scores.masked_fill(~allowed[:, None], float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def forward(c, w, ids, mask, vectors, vector_scale, vector_layers, vmask, attn_fn=attention, adaptive=None):
    """Logits [B,T,V]. w: name -> tensor (all one float dtype); vectors [L,d]; vmask [B,T] 0/1.
    adaptive (a [L,d], b [L]) scales each token's vector by s = h . a[l] + b[l] (adaptive_oracle.py)."""
    dt = w["model.embed_tokens.weight"].dtype
    B, T = ids.shape
    H, KV, hd, eps = c["heads"], c["kv"], head_dim_of(c), c["eps"]
    h = w["model.embed_tokens.weight"][ids]
    pos = positions_of(mask)
    ang = pos[..., None].to(dt) * rope_inv_freq(c, dt)                  # [B,T,hd/2]
    emb = torch.cat((ang, ang), dim=-1)[:, None]                         # [B,1,T,hd]
    cos, sin = emb.cos(), emb.sin()
    allowed = attention_allowed(mask)
    vm = vmask.to(dt)[..., None]
    for l in range(c["layers"]):
        p = "model.layers.%d." % l
        x = rmsnorm(h, w[p + "input_layernorm.weight"], eps)

        def proj(name, n):
            y = x @ w[p + "self_attn.%s_proj.weight" % name].t()
            if c["arch"] == "qwen2":
                y = y + w[p + "self_attn.%s_proj.bias" % name]
            return y.view(B, T, n, hd).transpose(1, 2)                   # [B,n,T,hd]

        q, k, v = proj("q", H), proj("k", KV), proj("v", KV)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        a = attn_fn(q, k, v, allowed).transpose(1, 2).reshape(B, T, H * hd)
        h = h + a @ w[p + "self_attn.o_proj.weight"].t()
        x2 = rmsnorm(h, w[p + "post_attention_layernorm.weight"], eps)
        gate = x2 @ w[p + "mlp.gate_proj.weight"].t()
        up = x2 @ w[p + "mlp.up_proj.weight"].t()
        h = h + (torch.nn.functional.silu(gate) * up) @ w[p + "mlp.down_proj.weight"].t()
        if p + "mlp.down_proj.bias" in w:
            h = h + w[p + "mlp.down_proj.bias"]
        if l in vector_layers and adaptive is not None:
            h = h + vector_scale * (h @ adaptive[0][l] + adaptive[1][l])[..., None] * vectors[l] * vm
        elif l in vector_layers:
            h = h + vector_scale * vectors[l] * vm
    head = w["model.embed_tokens.weight"] if c["tied"] else w["lm_head.weight"]
    return rmsnorm(h, w["model.norm.weight"], eps) @ head.t()


def target_logprobs(logits, ids, mask):
    """[B,T]: log_softmax(logits[b,t-1])[ids[b,t]] at target positions, 0 elsewhere."""
    lp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
    valid = (mask[:, 1:] * mask[:, :-1]).to(logits.dtype)
    return torch.cat((torch.zeros_like(lp[:, :1]), lp * valid), dim=1)


def loss_of(logits, batch):
    dt = logits.dtype
    ids, mask = batch["ids"], batch["mask"]
    logp = target_logprobs(logits, ids, mask)
    valid = torch.cat((torch.zeros_like(mask[:, :1]), mask[:, 1:] * mask[:, :-1]), dim=1).to(dt)
    lw, kw, ref = (batch[k].to(dt) * valid for k in ("loss_weights", "kl_weights", "ref_logprobs"))
    d = ref - logp
    kl = (kw * (torch.exp(d) - d - 1)).sum()
    return -(lw * logp).sum() + batch["kl_coef"] * kl, logp


# ---------------------------------------------------------------- the batch

def vector_mask_of(mask, prompt_lengths, mode):
    B, T = mask.shape
    vm = torch.zeros(B, T, dtype=torch.int64)
    for b in range(B):
        p, i = prompt_lengths[b], 0
        for t in range(T):
            if mask[b, t] == 0:
                continue
            on = {"all": True, "first": i == p - 1, "generated": i >= p - 1, "prompt": i < p - 1}[mode]
            vm[b, t] = 1 if on else 0
            i += 1
    return vm


def make_batch(c, seed, mode):
    g = torch.Generator().manual_seed(seed)
    B, T, L, d = 3, 11, c["layers"], c["hidden"]
    real = [T - 3, T - 2, T]                      # row 0 left-padded by 3, row 1 right-padded by 2, row 2 full
    mask = torch.zeros(B, T, dtype=torch.int64)
    mask[0, T - real[0]:] = 1
    mask[1, :real[1]] = 1
    mask[2, :] = 1
    ids = torch.randint(3, VOCAB, (B, T), generator=g) * mask
    ids[(mask.cumsum(-1) == 1) & (mask == 1)] = BOS_ID          # each row's first real token is BOS
    prompt_lengths = [int(torch.randint(2, n, (1,), generator=g)) for n in real]
    valid = torch.cat((torch.zeros(B, 1, dtype=torch.int64), mask[:, 1:] * mask[:, :-1]), dim=1).float()
    zero = torch.zeros(B, T)                       # (where, not *, so no -0.0 lands in the JSON)
    loss_weights = torch.where(valid > 0, torch.randn(B, T, generator=g), zero)
    kl_weights = torch.where(valid > 0, torch.rand(B, T, generator=g), zero)
    ref_logprobs = torch.where(valid > 0, -6.0 + 3.0 * torch.rand(B, T, generator=g), zero)
    vectors = 0.3 * torch.randn(L, d, generator=g)
    return {
        "ids": ids, "mask": mask, "prompt_lengths": prompt_lengths,
        "loss_weights": loss_weights, "kl_weights": kl_weights, "ref_logprobs": ref_logprobs,
        "kl_coef": 0.1, "vectors": vectors, "vector_scale": 1.3, "vector_layers": list(c["vector_layers"]),
        "vector_positions": mode, "vector_mask": vector_mask_of(mask, prompt_lengths, mode),
    }


def batch_json(batch):
    return {
        "input_ids": batch["ids"].tolist(),
        "attention_mask": batch["mask"].tolist(),
        "prompt_lengths": batch["prompt_lengths"],
        "loss_weights": batch["loss_weights"].tolist(),
        "kl_weights": batch["kl_weights"].tolist(),
        "ref_logprobs": batch["ref_logprobs"].tolist(),
        "kl_coef": batch["kl_coef"],
        "vectors": batch["vectors"].tolist(),
        "vector_scale": batch["vector_scale"],
        "vector_layers": batch["vector_layers"],
        "vector_positions": batch["vector_positions"],
        "vector_mask": batch["vector_mask"].tolist(),
    }


# ---------------------------------------------------------------- run one case

def run_model(c, w, batch, dtype=torch.float32):
    """Forward + backward. Returns logits, logp, loss, grad of vectors, grads of weights (all detached)."""
    wl = {n: t.detach().to(dtype).clone().requires_grad_(True) for n, t in w.items()}
    vec = batch["vectors"].detach().to(dtype).clone().requires_grad_(True)
    logits = forward(c, wl, batch["ids"], batch["mask"], vec, batch["vector_scale"], batch["vector_layers"],
                     batch["vector_mask"])
    loss, logp = loss_of(logits, batch)
    loss.backward()
    return logits.detach(), logp.detach(), loss.detach(), vec.grad.detach(), {n: t.grad.detach() for n, t in wl.items()}


def seeds(case, seed):
    base = CASES[case]["seed"] + 1000 * seed
    return base, base + 500


def write_case(case, out, mode, seed):
    c = CASES[case]
    wseed, bseed = seeds(case, seed)
    os.makedirs(out, exist_ok=True)
    w = random_weights(c, wseed)
    batch = make_batch(c, bseed, mode)
    logits, logp, loss, gvec, gw = run_model(c, w, batch)
    write_json(os.path.join(out, "config.json"), hf_config(c))
    write_json(os.path.join(out, "generation_config.json"), {"bos_token_id": BOS_ID, "eos_token_id": EOS_ID})
    write_weights(out, c, w)
    write_json(os.path.join(out, "batch.json"), batch_json(batch))
    expected = {"logits": logits, "logp": logp, "loss": loss.reshape(1), "grad.vectors": gvec}
    for n, g in gw.items():
        expected["grad." + n] = g
    write_safetensors(os.path.join(out, "expected.safetensors"), expected, "F32")
    return w, batch, expected


# ---------------------------------------------------------------- self-test

class Checks:
    def __init__(self):
        self.failures = 0

    def check(self, ok, what):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            self.failures += 1


def naive_mha(q, k, v, allowed):
    """Per-head, per-query loop: plain multi-head attention, the reference for kv_heads == heads."""
    B, H, T, hd = q.shape
    out = torch.zeros_like(q)
    for b in range(B):
        for hh in range(H):
            for i in range(T):
                js = [j for j in range(T) if allowed[b, i, j]]
                s = torch.stack([q[b, hh, i] @ k[b, hh, j] for j in js]) / math.sqrt(hd)
                p = torch.softmax(s, dim=0)
                out[b, hh, i] = sum(p[n] * v[b, hh, j] for n, j in enumerate(js))
    return out


def self_test():
    ck = Checks()
    t0 = time.time()

    # (a) finite differences in float64: d loss / d vectors, and a few weight coordinates.
    for case in ("qwen2-bf16", "llama-f32-rope3"):
        c = CASES[case]
        w = random_weights(c, c["seed"])
        batch = make_batch(c, c["seed"] + 500, "generated")
        _, _, _, gvec, gw = run_model(c, w, batch, torch.float64)
        w64 = {n: t.double() for n, t in w.items()}

        def loss64(vectors, weights):
            logits = forward(c, weights, batch["ids"], batch["mask"], vectors, batch["vector_scale"],
                             batch["vector_layers"], batch["vector_mask"])
            return float(loss_of(logits, batch)[0])

        vec = batch["vectors"].double()
        eps = 1e-6
        for (l, i) in [(c["vector_layers"][0], 3), (c["vector_layers"][-1], c["hidden"] - 1)]:
            vp, vmi = vec.clone(), vec.clone()
            vp[l, i] += eps
            vmi[l, i] -= eps
            fd = (loss64(vp, w64) - loss64(vmi, w64)) / (2 * eps)
            ck.check(abs(fd - float(gvec[l, i])) <= 1e-6 * max(1.0, abs(fd)),
                     "%s: finite-difference d loss/d vectors[%d,%d] = %.9f, autograd %.9f" % (case, l, i, fd, gvec[l, i]))
        off = [l for l in range(c["layers"]) if l not in c["vector_layers"]]
        ck.check(all(float(gvec[l].abs().max()) == 0.0 for l in off), "%s: grad rows of disabled layers %s are 0" % (case, off))
        for name, idx in [("model.layers.0.self_attn.k_proj.weight", (1, 2)), ("model.norm.weight", (5,)),
                          ("model.layers.%d.mlp.down_proj.weight" % (c["layers"] - 1), (0, 7))]:
            wp, wm = dict(w64), dict(w64)
            wp[name] = w64[name].clone()
            wm[name] = w64[name].clone()
            wp[name][idx] += eps
            wm[name][idx] -= eps
            fd = (loss64(vec, wp) - loss64(vec, wm)) / (2 * eps)
            ck.check(abs(fd - float(gw[name][idx])) <= 1e-6 * max(1.0, abs(fd)),
                     "%s: finite-difference d loss/d %s%s = %.9f, autograd %.9f" % (case, name, idx, fd, gw[name][idx]))
        # float32 run agrees with float64 run (the numbers the Java side compares against are not noise)
        _, _, _, gvec32, _ = run_model(c, w, batch)
        rel = float((gvec32.double() - gvec).abs().max() / gvec.abs().max())
        ck.check(rel < 1e-4, "%s: float32 vs float64 grad.vectors max rel diff %.2e" % (case, rel))

    # (b) kl_coef 0 and a one-hot loss weight: -loss is the log-prob of that token.
    c = CASES["mistral-f32"]
    w = random_weights(c, c["seed"])
    batch = make_batch(c, c["seed"] + 500, "all")
    for b, t in [(0, 5), (1, 1), (2, 10)]:
        one = dict(batch)
        one["kl_coef"] = 0.0
        one["loss_weights"] = torch.zeros_like(batch["loss_weights"])
        one["loss_weights"][b, t] = 1.0
        logits, _, loss, _, _ = run_model(c, w, one, torch.float64)
        row = logits[b, t - 1]
        lp = float(row[batch["ids"][b, t]] - (row.max() + torch.log(torch.exp(row - row.max()).sum())))
        ck.check(abs(-float(loss) - lp) < 1e-12, "one-hot loss weight at (%d,%d): -loss %.12f == log-prob %.12f" % (b, t, -float(loss), lp))

    # (c) GQA with kv_heads == heads is plain MHA; a GQA model equals the MHA model with K/V heads repeated.
    c = CASES["qwen2-f32-mha"]
    w = {n: t.double() for n, t in random_weights(c, c["seed"]).items()}
    batch = make_batch(c, c["seed"] + 500, "all")
    args = (batch["ids"], batch["mask"], batch["vectors"].double(), batch["vector_scale"], batch["vector_layers"],
            batch["vector_mask"])
    a = forward(c, w, *args)
    b_ = forward(c, w, *args, attn_fn=naive_mha)
    ck.check(float((a - b_).abs().max()) < 1e-12, "kv_heads == heads: GQA attention == naive per-head MHA loop")
    cg = CASES["qwen2-bf16"]
    wg = {n: t.double() for n, t in random_weights(cg, cg["seed"]).items()}
    cm = dict(cg, kv=cg["heads"])
    wm = dict(wg)
    hd, group = head_dim_of(cg), cg["heads"] // cg["kv"]
    for n in wg:
        if ".k_proj." in n or ".v_proj." in n:
            t = wg[n]
            wm[n] = t.view(cg["kv"], hd, *t.shape[1:]).repeat_interleave(group, dim=0).reshape(cg["heads"] * hd, *t.shape[1:])
    batch = make_batch(cg, cg["seed"] + 500, "all")
    args = (batch["ids"], batch["mask"], batch["vectors"].double(), batch["vector_scale"], batch["vector_layers"],
            batch["vector_mask"])
    d = float((forward(cg, wg, *args) - forward(cm, wm, *args, attn_fn=naive_mha)).abs().max())
    ck.check(d < 1e-12, "GQA (kv 2) == MHA with each KV head repeated for its query group (max diff %.1e)" % d)

    # (d) padding: a padded row's real logits equal the same tokens run alone without padding.
    for case in CASES:
        c = CASES[case]
        w = random_weights(c, c["seed"])
        batch = make_batch(c, c["seed"] + 500, "generated")
        args = (batch["vectors"], batch["vector_scale"], batch["vector_layers"])
        logits = forward(c, w, batch["ids"], batch["mask"], *args, batch["vector_mask"])
        worst = 0.0
        for b in range(2):
            keep = batch["mask"][b] == 1
            ids1 = batch["ids"][b][keep][None]
            alone = forward(c, w, ids1, torch.ones_like(ids1), *args, batch["vector_mask"][b][keep][None])
            worst = max(worst, float((alone[0] - logits[b][keep]).abs().max()))
        ck.check(worst < 1e-5 and bool(torch.isfinite(logits).all()),
                 "%s: left/right padded rows == unpadded runs (max diff %.1e), logits finite" % (case, worst))
        std = float(logits[batch["mask"] == 1].std())
        ck.check(0.3 < std < 5.0, "%s: logits O(1), std %.2f" % (case, std))

    # (e) llama3 rope: the case's frequencies fall in all three bands; the writer round-trips.
    c = CASES["llama-f32-rope3"]
    base = rope_inv_freq(dict(c, scaling=None), torch.float32)
    wl = 2 * math.pi / base
    old = c["scaling"]["original_max_position_embeddings"]
    bands = (int((wl < old / 4.0).sum()), int(((wl >= old / 4.0) & (wl <= old / 1.0)).sum()), int((wl > old).sum()))
    ck.check(all(n > 0 for n in bands), "llama3 rope bands (high, medium, low) = %s, all non-empty" % (bands,))
    ratio = (rope_inv_freq(c, torch.float32) / base).tolist()
    ck.check(ratio[0] == 1.0 and abs(ratio[-1] - 1 / 8.0) < 1e-7 and 1 / 8.0 < ratio[1] < 1.0,
             "llama3 rope: high band unchanged, low band / 8, medium in between: %s" % ["%.4f" % r for r in ratio])
    w = random_weights(c, c["seed"])
    batch = make_batch(c, c["seed"] + 500, "all")
    args = (batch["ids"], batch["mask"], batch["vectors"], batch["vector_scale"], batch["vector_layers"],
            batch["vector_mask"])
    d = float((forward(c, w, *args) - forward(dict(c, scaling=None), w, *args)).abs().max())
    ck.check(d > 0.05, "llama3 scaling changes the case's logits at T=11 (max diff %.3f)" % d)
    with tempfile.TemporaryDirectory() as tmp:
        for case in ("qwen2-bf16", "llama-bf16-tied-sharded"):
            out = os.path.join(tmp, case)
            w, _, expected = write_case(case, out, "all", 0)
            c = CASES[case]
            files = ([f for f in os.listdir(out) if f.startswith("model-")] if c["sharded"] else ["model.safetensors"])
            back = {}
            for f in files:
                back.update(read_safetensors(os.path.join(out, f)))
            same = set(back) == set(w) and all(torch.equal(back[n], w[n]) for n in w)
            ck.check(same, "%s: weights read back from %s equal the model's weights" % (case, files))
            exp = read_safetensors(os.path.join(out, "expected.safetensors"))
            ck.check(set(exp) == set(expected) and all(torch.equal(exp[n], expected[n].float()) for n in exp),
                     "%s: expected.safetensors round-trips" % case)
            if c["sharded"]:
                with open(os.path.join(out, "model.safetensors.index.json")) as f:
                    idx = json.load(f)
                ck.check(set(idx["weight_map"]) == set(w) and len(set(idx["weight_map"].values())) == 2,
                         "index.json maps every weight to one of 2 shards")

    bits = torch.randn(1000, generator=torch.Generator().manual_seed(1)) * 3
    ck.check(torch.equal(read_safetensors_bytes_bf16(bits), bits.to(torch.bfloat16).float()),
             "BF16 writer bits == torch .to(bfloat16)")

    print("self-test: %d failure(s), %.1f s" % (ck.failures, time.time() - t0))
    return ck.failures


def read_safetensors_bytes_bf16(t):
    with tempfile.TemporaryDirectory() as tmp:
        p = os.path.join(tmp, "x.safetensors")
        write_safetensors(p, {"x": t}, "BF16")
        return read_safetensors(p)["x"]


def main():
    ap = argparse.ArgumentParser(description="PyTorch oracle: tiny HF checkpoints with golden logits and gradients")
    ap.add_argument("--case", choices=sorted(CASES))
    ap.add_argument("--out")
    ap.add_argument("--vector-positions", default="all", choices=POSITION_MODES)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--list-cases", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(1)  # same result on every machine, and we share the cores
    if a.list_cases:
        print("\n".join(CASES))
        return 0
    if a.self_test:
        return 1 if self_test() else 0
    if not a.case or not a.out:
        ap.error("--case and --out are required (or --self-test)")
    write_case(a.case, a.out, a.vector_positions, a.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
