"""Checks a file of the paper's vectors (model.layers.N.mlp.down_proj.bias) from the PyTorch side.

usage: down_proj_bias_check.py CASE_DIR BIASES.safetensors
CASE_DIR is an oracle case written with down_proj biases (oracle.py --case qwen2-f32-downbias). Its own biases are
dropped, the file's are put in their place, and the oracle's forward on batch.json must give expected.safetensors'
logits again. Prints the max |difference| and exits 1 when it is over 1e-5.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402


def main(case_dir, biases_file):
    torch.set_num_threads(1)
    c = oracle.CASES["qwen2-f32-downbias"]
    w = oracle.read_safetensors(os.path.join(case_dir, "model.safetensors"))
    w = {n: t for n, t in w.items() if not n.endswith("mlp.down_proj.bias")}
    biases = oracle.read_safetensors(biases_file)
    if sorted(biases) != sorted("model.layers.%d.mlp.down_proj.bias" % l for l in c["down_bias"]):
        print("unexpected tensors: %s" % sorted(biases))
        return 1
    w.update(biases)
    with open(os.path.join(case_dir, "batch.json")) as f:
        b = json.load(f)
    logits = oracle.forward(c, w, torch.tensor(b["input_ids"]), torch.tensor(b["attention_mask"]),
                            torch.tensor(b["vectors"]), b["vector_scale"], b["vector_layers"], torch.tensor(b["vector_mask"]))
    want = oracle.read_safetensors(os.path.join(case_dir, "expected.safetensors"))["logits"]
    diff = (logits - want).abs().max().item()
    print("max |logits - expected| = %.3g" % diff)
    return 0 if diff <= 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
