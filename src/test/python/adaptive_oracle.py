#!/usr/bin/python3
"""PyTorch autograd for the adaptive steering scale (model/AdaptiveScale): block l's output becomes
h + vector_scale * (h . a[l] + b[l]) * vectors[l] at the masked tokens.

    /usr/bin/python3 src/test/python/adaptive_oracle.py --case CASE --dir DIR

DIR is an oracle.py case directory (checkpoint + batch.json). Writes DIR/adaptive.safetensors: the seeded
parameters "scale.a" [L,d] and "scale.b" [L], and what torch computes with them in float32: "logits", "loss",
"grad.vectors", "grad.scale_a", "grad.scale_b". Same case = same bytes.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True, choices=sorted(oracle.CASES))
    ap.add_argument("--dir", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    c = oracle.CASES[args.case]
    if c["sharded"]:
        sys.exit("adaptive_oracle.py reads one model.safetensors; case %s is sharded" % args.case)
    w = {n: t.float().requires_grad_(False) for n, t in oracle.read_safetensors(os.path.join(args.dir, "model.safetensors")).items()}
    with open(os.path.join(args.dir, "batch.json")) as f:
        j = json.load(f)
    batch = {
        "ids": torch.tensor(j["input_ids"]), "mask": torch.tensor(j["attention_mask"]),
        "loss_weights": torch.tensor(j["loss_weights"]), "kl_weights": torch.tensor(j["kl_weights"]),
        "ref_logprobs": torch.tensor(j["ref_logprobs"]), "kl_coef": j["kl_coef"],
    }
    L, d = c["layers"], c["hidden"]
    g = torch.Generator().manual_seed(c["seed"] + 7)
    # a of a size that moves s by O(0.1-1) on the residual's scale, b around 1: every term of the gradient matters
    a = (0.05 * torch.randn(L, d, generator=g)).requires_grad_(True)
    b = (1.0 + 0.3 * torch.randn(L, generator=g)).requires_grad_(True)
    vec = torch.tensor(j["vectors"]).requires_grad_(True)
    logits = oracle.forward(c, w, batch["ids"], batch["mask"], vec, j["vector_scale"], j["vector_layers"],
                            torch.tensor(j["vector_mask"]), adaptive=(a, b))
    loss, _ = oracle.loss_of(logits, batch)
    loss.backward()
    off = [l for l in range(L) if l not in j["vector_layers"]]
    oracle.write_safetensors(os.path.join(args.dir, "adaptive.safetensors"), {
        "scale.a": a.detach(), "scale.b": b.detach(), "logits": logits.detach(), "loss": loss.detach().reshape(1),
        "grad.vectors": vec.grad, "grad.scale_a": a.grad, "grad.scale_b": b.grad,
    }, "F32")
    assert all(float(a.grad[l].abs().max()) == 0 for l in off), "a layer without a vector has a gradient"
    return 0


if __name__ == "__main__":
    sys.exit(main())
