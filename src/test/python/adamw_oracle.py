#!/usr/bin/python3
"""PyTorch oracle for steerscope.rl.optim: torch.optim.AdamW + clip_grad_norm_ + an HF-style LambdaLR schedule.

Run with Debian's torch (torch 1.13, no transformers, no safetensors package):

    /usr/bin/python3 src/test/python/adamw_oracle.py --seed 0 --schedule cosine [--eps 1e-8] --out DIR

Writes DIR/adamw.safetensors (all float32):
  init.<p>              the parameters before the first step, 1-D
  grad.<k>.<p>          the raw gradient fed at step k (0-based), before clipping
  final.<p>             the parameters after all steps
  lr                    [steps]  the learning rate each optimizer.step() used (scheduler.get_last_lr())
  norm                  [steps]  the pre-clip global norm clip_grad_norm_ returned
and in __metadata__: steps, lr, beta1, beta2, eps, weight_decay, max_norm, warmup, schedule, min_lr_ratio,
params (comma-separated names, in optimizer order), decay (comma-separated 0/1 per param).

The params are two groups as a trainer builds them: weights with weight decay, biases / vectors without.
Gradient scales vary per step so that some steps are clipped and some are not.
"""
import argparse
import json
import math
import os
import struct

import torch

PARAMS = [("w1", 8 * 16, True), ("b1", 16, False), ("w2", 37, True), ("vec", 131, False)]
STEPS = 20
LR, BETA1, BETA2, EPS, WD, MAX_NORM, WARMUP, MIN_LR_RATIO = 1e-2, 0.9, 0.95, 1e-8, 0.1, 1.0, 3, 0.1


def hf_lambda(schedule, warmup, total, min_lr_ratio):
    """transformers.optimization's constant / cosine (with min_lr_rate) schedules with warmup, num_cycles 0.5."""
    def constant(step):
        if step < warmup:
            return float(step) / float(max(1.0, warmup))
        return 1.0

    def cosine(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        progress = float(step - warmup) / float(max(1, total - warmup))
        factor = 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress))
        factor = factor * (1 - min_lr_ratio) + min_lr_ratio
        return max(0.0, factor)

    return {"constant": constant, "cosine": cosine}[schedule]


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        b = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--schedule", choices=["constant", "cosine"], default="cosine")
    ap.add_argument("--eps", type=float, default=EPS, help="a large eps (1e-3) makes where it is added visible")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    gen = torch.Generator().manual_seed(args.seed)
    params = [torch.nn.Parameter(torch.randn(n, generator=gen)) for _, n, _ in PARAMS]
    out = {}
    for (name, _, _), p in zip(PARAMS, params):
        out["init." + name] = p.detach().clone()

    groups = [{"params": [p for p, (_, _, d) in zip(params, PARAMS) if d], "weight_decay": WD},
              {"params": [p for p, (_, _, d) in zip(params, PARAMS) if not d], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=LR, betas=(BETA1, BETA2), eps=args.eps, foreach=False)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, hf_lambda(args.schedule, WARMUP, STEPS, MIN_LR_RATIO))

    lrs, norms = [], []
    for k in range(STEPS):
        scale = [0.05, 3.0, 0.3, 10.0][k % 4]  # clipped when the norm is above MAX_NORM
        for (name, _, _), p in zip(PARAMS, params):
            g = torch.randn(p.shape, generator=gen) * scale
            out["grad.%d.%s" % (k, name)] = g.clone()
            p.grad = g
        norms.append(float(torch.nn.utils.clip_grad_norm_(params, MAX_NORM)))
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()

    for (name, _, _), p in zip(PARAMS, params):
        out["final." + name] = p.detach().clone()
    out["lr"] = torch.tensor(lrs, dtype=torch.float32)
    out["norm"] = torch.tensor(norms, dtype=torch.float32)
    meta = {"steps": str(STEPS), "lr": repr(LR), "beta1": repr(BETA1), "beta2": repr(BETA2), "eps": repr(args.eps),
            "weight_decay": repr(WD), "max_norm": repr(MAX_NORM), "warmup": str(WARMUP), "schedule": args.schedule,
            "min_lr_ratio": repr(MIN_LR_RATIO if args.schedule == "cosine" else 0.0),
            "params": ",".join(n for n, _, _ in PARAMS), "decay": ",".join("1" if d else "0" for _, _, d in PARAMS)}
    os.makedirs(args.out, exist_ok=True)
    write_safetensors(os.path.join(args.out, "adamw.safetensors"), out, meta)


if __name__ == "__main__":
    main()
