#!/usr/bin/python3
"""PyTorch side of `steerscope bench`: the same workloads as steerscope.bench.Workloads, in plain torch.

Run with Debian's torch (/usr/bin/python3, torch 1.13 + numpy; installs nothing):

    /usr/bin/python3 tools/bench/torch_bench.py --model DIR --case prefill|decode|rl|full \
        --batch B --tokens T [--steps D] [--threads N] [--warmup W] [--repeats R] [--seed S]

Prints one JSON line: {"case", "times" (seconds of each measured repeat), "median_s", "tokens" (tokens per repeat),
"peak_rss_bytes" (VmHWM of this process), "torch", "blas" (the BLAS library mapped into the process), "dtype"}.

The model is a plain-torch Qwen2 / Llama decoder with Hugging Face semantics (the math of
src/test/python/oracle.py, plus a KV cache), run the way a torch user runs a checkpoint: weights memory-mapped in
their stored dtype (BF16 stays bf16 and the activations are bf16, as model.to(torch.bfloat16) would do; RMSNorm
and softmax in float32 as HF does), torch.inference_mode() for prefill and decode.

Cases (the same shapes and seeds as the Java side):
  prefill  forward of B x T tokens (hidden states only: no logits, as a prefill before generation)
  decode   prefill B x T (not timed), then per repeat `steps` greedy decode steps with the KV cache, logits included
  rl       steering-vector step: forward of B x T with a vector added after every block, loss
           -sum(adv_b * logp(token_t)) over every target, backward to the vectors only (weights frozen)
  full     full fine-tune step: the same loss, backward to every weight (an F32 copy), one AdamW step
"""

import argparse
import json
import math
import os
import statistics
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def load_safetensors(path):
    """name -> tensor, memory-mapped (copy-on-write), in the stored dtype."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        np_dtype = {"F32": np.float32, "BF16": np.int16, "F16": np.float16}[e["dtype"]]
        count = (b - a) // np.dtype(np_dtype).itemsize
        arr = np.memmap(path, dtype=np_dtype, mode="c", offset=base + a, shape=(count,))
        t = torch.from_numpy(arr)
        if e["dtype"] == "BF16":
            t = t.view(torch.bfloat16)
        out[name] = t.view(e["shape"])
    return out


class Qwen2:
    def __init__(self, model_dir, trainable=False):
        with open(os.path.join(model_dir, "config.json")) as f:
            c = json.load(f)
        self.c = c
        self.d = c["hidden_size"]
        self.H = c["num_attention_heads"]
        self.KV = c.get("num_key_value_heads", self.H)
        self.hd = c.get("head_dim", self.d // self.H)
        self.L = c["num_hidden_layers"]
        self.eps = c.get("rms_norm_eps", 1e-6)
        self.vocab = c["vocab_size"]
        w = load_safetensors(os.path.join(model_dir, "model.safetensors"))
        if trainable:  # full fine-tuning trains an F32 copy, as steerscope does
            w = {k: torch.nn.Parameter(v.to(torch.float32).clone()) for k, v in w.items()}
        self.w = w
        self.dtype = w["model.embed_tokens.weight"].dtype
        self.head = w.get("lm_head.weight", w["model.embed_tokens.weight"])
        self.bias = "model.layers.0.self_attn.q_proj.bias" in w
        theta = c.get("rope_theta", 10000.0)
        self.inv_freq = 1.0 / (theta ** (torch.arange(0, self.hd, 2, dtype=torch.int64).float() / self.hd))

    def rmsnorm(self, x, weight):
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return weight * xf.to(x.dtype)

    def rope(self, start, T):
        pos = torch.arange(start, start + T, dtype=torch.float32)
        ang = pos[:, None] * self.inv_freq[None]
        emb = torch.cat((ang, ang), dim=-1)
        return emb.cos().to(self.dtype), emb.sin().to(self.dtype)

    @staticmethod
    def rotate(x, cos, sin):
        h = x.shape[-1] // 2
        return x * cos + torch.cat((-x[..., h:], x[..., :h]), dim=-1) * sin

    def forward(self, ids, cache=None, start=0, vectors=None):
        """ids [B,T]; cache: (k list, v list) of [B,KV,cap,hd] written at [start, start+T). Returns normed [B,T,d]."""
        B, T = ids.shape
        H, KV, hd, w = self.H, self.KV, self.hd, self.w
        g = H // KV
        S = start + T
        h = F.embedding(ids, w["model.embed_tokens.weight"])
        cos, sin = self.rope(start, T)
        mask = None
        if T > 1:
            mask = torch.ones(T, S, dtype=torch.bool).tril(diagonal=start)
        for l in range(self.L):
            p = "model.layers.%d." % l
            x = self.rmsnorm(h, w[p + "input_layernorm.weight"])
            q = F.linear(x, w[p + "self_attn.q_proj.weight"], w.get(p + "self_attn.q_proj.bias"))
            k = F.linear(x, w[p + "self_attn.k_proj.weight"], w.get(p + "self_attn.k_proj.bias"))
            v = F.linear(x, w[p + "self_attn.v_proj.weight"], w.get(p + "self_attn.v_proj.bias"))
            q = self.rotate(q.view(B, T, H, hd).transpose(1, 2), cos, sin)
            k = self.rotate(k.view(B, T, KV, hd).transpose(1, 2), cos, sin)
            v = v.view(B, T, KV, hd).transpose(1, 2)
            if cache is not None:
                cache[0][l][:, :, start:S] = k
                cache[1][l][:, :, start:S] = v
                k, v = cache[0][l][:, :, :S], cache[1][l][:, :, :S]
            # grouped-query attention without repeating K/V: [B, KV, g*T, hd] queries per KV head
            qg = q.reshape(B, KV, g * T, hd)
            scores = (qg @ k.transpose(-1, -2)) / math.sqrt(hd)          # [B, KV, g*T, S]
            if mask is not None:
                scores = scores.view(B, KV, g, T, S).masked_fill(~mask, float("-inf")).view(B, KV, g * T, S)
            probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
            a = (probs @ v).view(B, H, T, hd).transpose(1, 2).reshape(B, T, H * hd)
            h = h + F.linear(a, w[p + "self_attn.o_proj.weight"])
            x2 = self.rmsnorm(h, w[p + "post_attention_layernorm.weight"])
            gate = F.linear(x2, w[p + "mlp.gate_proj.weight"])
            up = F.linear(x2, w[p + "mlp.up_proj.weight"])
            h = h + F.linear(F.silu(gate) * up, w[p + "mlp.down_proj.weight"])
            if vectors is not None:
                h = h + vectors[l].to(h.dtype)
        return self.rmsnorm(h, w["model.norm.weight"])

    def logits(self, normed):
        return F.linear(normed, self.head).float()


def workload_inputs(vocab, B, T, seed):
    """Token ids and per-row advantages; a fixed generator (the Java side uses its own seeded stream)."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(3, vocab, (B, T), generator=g)
    adv = torch.randn(B, generator=g)
    return ids, adv


def loss_of(model, normed, ids, adv):
    logits = model.logits(normed[:, :-1])
    logp = torch.log_softmax(logits, dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
    return -(adv[:, None] * logp).sum() / ids.shape[0]


def status_bytes(field):
    """A size from /proc/self/status: VmHWM (peak resident set), RssFile (resident pages of mapped files: the
    weights), RssAnon (the rest: tensors, allocator caches, the interpreter)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def peak_rss():
    return status_bytes("VmHWM")


def blas_library():
    """The BLAS shared library torch has mapped (Debian's torch picks it through the alternatives system)."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            base = os.path.basename(path)
            if "blas" in base or "mkl" in base or "lapack" in base:
                libs.add(os.path.realpath(path))
    return sorted(libs)


MIN_WARMUP_S = 2.0  # as on the steerscope side: warm-up goes on past its planned runs until 2 s (at most 50 runs)


def warm_up(fn, warmup):
    start, i = time.perf_counter(), 0
    while i < warmup or (0 < i < 50 and time.perf_counter() - start < MIN_WARMUP_S):
        fn()
        i += 1


def timed(fn, warmup, repeats, budget_s):
    warm_up(fn, warmup)
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if sum(times) > budget_s and len(times) >= 2:
            break
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--case", required=True, choices=["prefill", "decode", "rl", "full", "info"])
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--tokens", type=int, default=16)
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--budget", type=float, default=60.0, help="stop repeating after this many measured seconds")
    ap.add_argument("--seed", type=int, default=1234)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    B, T = a.batch, a.tokens
    result = {"case": a.case, "torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_library()}
    if a.case == "info":
        print(json.dumps(result))
        return
    model = Qwen2(a.model, trainable=(a.case == "full"))
    result["dtype"] = str(model.dtype).replace("torch.", "")
    ids, adv = workload_inputs(model.vocab, B, T, a.seed)

    if a.case == "prefill":
        def run():
            with torch.inference_mode():
                model.forward(ids)
        times = timed(run, a.warmup, a.repeats, a.budget)
        tokens = B * T
    elif a.case == "decode":
        def decode_run(T, repeats, budget):
            """Prefill one prompt of T tokens (not timed) and copy its cache to each of the B rows, as the other
            sides do, then time `steps` greedy steps of all B rows per repeat; the context grows from T."""
            shape = (1, model.KV, T + repeats * a.steps, model.hd)
            one = ([torch.zeros(shape, dtype=model.dtype) for _ in range(model.L)],
                   [torch.zeros(shape, dtype=model.dtype) for _ in range(model.L)])
            state = {"pos": T}
            with torch.inference_mode():
                normed = model.forward(ids[:1, :T], one, 0)
                state["next"] = model.logits(normed[:, -1:]).argmax(-1).repeat(B, 1)
            cache = ([k.repeat(B, 1, 1, 1) for k in one[0]], [v.repeat(B, 1, 1, 1) for v in one[1]])
            del one

            def run():
                with torch.inference_mode():
                    for _ in range(a.steps):
                        normed = model.forward(state["next"], cache, state["pos"])
                        state["pos"] += 1
                        state["next"] = model.logits(normed).argmax(-1)
            return timed(run, 0, repeats, budget)
        if a.warmup > 0:  # on a separate short cache, so it does not move the measured context
            warm_up(lambda: decode_run(min(T, 16), 1, float("inf")), a.warmup)
        times = decode_run(T, a.repeats, a.budget)
        tokens = B * a.steps
    elif a.case == "rl":
        vectors = torch.zeros(model.L, model.d, requires_grad=True)

        def run():
            vectors.grad = None
            loss = loss_of(model, model.forward(ids, vectors=vectors), ids, adv)
            loss.backward()
        times = timed(run, a.warmup, a.repeats, a.budget)
        tokens = B * T
    else:  # full
        params = list(model.w.values())
        opt = torch.optim.AdamW(params, lr=1e-5, weight_decay=0.0)

        def run():
            opt.zero_grad(set_to_none=True)
            loss = loss_of(model, model.forward(ids), ids, adv)
            loss.backward()
            opt.step()
        times = timed(run, a.warmup, a.repeats, a.budget)
        tokens = B * T
    result.update(times=times, median_s=statistics.median(times), tokens=tokens, peak_rss_bytes=peak_rss(),
                  rss_file_bytes=status_bytes("RssFile"), rss_anon_bytes=status_bytes("RssAnon"))
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
