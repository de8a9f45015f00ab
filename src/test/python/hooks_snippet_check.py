"""Runs the Python snippet of docs/python.md, as it is written there, on a Hugging Face-shaped module.

usage: hooks_snippet_check.py DOCS_MD MODEL_DIR VECTORS IDS_JSON
MODEL_DIR is a Qwen2/Llama/Mistral checkpoint (config.json, model.safetensors, F32 or BF16). The model is a plain
torch nn.Module laid out like transformers' (model.model.layers[l] is a decoder-layer module whose forward returns
(hidden_states,)), computed with the oracle's functions. Prints {"plain": [...], "steered": [...]}: the log-prob of
each token given the ones before it, without and with the snippet's hooks.
"""
import json
import os
import re
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402


class DecoderLayer(torch.nn.Module):
    def __init__(self, c, w, l):
        super().__init__()
        self.c, self.w, self.p = c, w, "model.layers.%d." % l

    def forward(self, h, cos, sin, allowed):
        c, w, p = self.c, self.w, self.p
        B, T, _ = h.shape
        hd = oracle.head_dim_of(c)
        x = oracle.rmsnorm(h, w[p + "input_layernorm.weight"], c["eps"])

        def proj(name, n):
            y = x @ w[p + "self_attn.%s_proj.weight" % name].t()
            if p + "self_attn.%s_proj.bias" % name in w:
                y = y + w[p + "self_attn.%s_proj.bias" % name]
            return y.view(B, T, n, hd).transpose(1, 2)

        q, k, v = proj("q", c["heads"]), proj("k", c["kv"]), proj("v", c["kv"])
        q = q * cos + oracle.rotate_half(q) * sin
        k = k * cos + oracle.rotate_half(k) * sin
        a = oracle.attention(q, k, v, allowed).transpose(1, 2).reshape(B, T, -1)
        h = h + a @ w[p + "self_attn.o_proj.weight"].t()
        x2 = oracle.rmsnorm(h, w[p + "post_attention_layernorm.weight"], c["eps"])
        mlp = (torch.nn.functional.silu(x2 @ w[p + "mlp.gate_proj.weight"].t()) * (x2 @ w[p + "mlp.up_proj.weight"].t()))
        return (h + mlp @ w[p + "mlp.down_proj.weight"].t(),)


class Inner(torch.nn.Module):
    def __init__(self, c, w):
        super().__init__()
        self.c, self.w = c, w
        self.layers = torch.nn.ModuleList(DecoderLayer(c, w, l) for l in range(c["layers"]))

    def forward(self, ids):
        mask = torch.ones_like(ids)
        ang = oracle.positions_of(mask)[..., None].float() * oracle.rope_inv_freq(self.c, torch.float32)
        emb = torch.cat((ang, ang), dim=-1)[:, None]
        allowed = oracle.attention_allowed(mask)
        h = self.w["model.embed_tokens.weight"][ids]
        for layer in self.layers:
            h = layer(h, emb.cos(), emb.sin(), allowed)[0]
        return oracle.rmsnorm(h, self.w["model.norm.weight"], self.c["eps"])


class CausalLM(torch.nn.Module):
    def __init__(self, c, w):
        super().__init__()
        self.model = Inner(c, w)
        self.head = w["model.embed_tokens.weight"] if c["tied"] else w["lm_head.weight"]

    def forward(self, ids):
        return self.model(ids) @ self.head.t()


def config_of(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        j = json.load(f)
    arch = {"Qwen2ForCausalLM": "qwen2", "LlamaForCausalLM": "llama", "MistralForCausalLM": "mistral"}[j["architectures"][0]]
    return dict(arch=arch, hidden=j["hidden_size"], layers=j["num_hidden_layers"], heads=j["num_attention_heads"],
                kv=j["num_key_value_heads"], head_dim=j.get("head_dim"), eps=j["rms_norm_eps"], theta=j["rope_theta"],
                scaling=j.get("rope_scaling"), tied=j.get("tie_word_embeddings", False))


def logprobs(model, ids):
    with torch.no_grad():
        lp = torch.log_softmax(model(ids[None]), dim=-1)[0]
    return [lp[t - 1, ids[t]].item() for t in range(1, len(ids))]


def main(docs_md, model_dir, vectors_file, ids_json):
    torch.set_num_threads(1)
    with open(docs_md) as f:
        snippet = re.search(r"```python\n(.*?)```", f.read(), re.S).group(1)
    env = {}
    exec(compile(snippet, docs_md, "exec"), env)
    c = config_of(model_dir)
    model = CausalLM(c, oracle.read_safetensors(os.path.join(model_dir, "model.safetensors")))
    with open(ids_json) as f:
        ids = torch.tensor(json.load(f))
    plain = logprobs(model, ids)
    handles = env["add_steering"](model, env["load_steerscope_vectors"](vectors_file))
    steered = logprobs(model, ids)
    for h in handles:
        h.remove()
    if logprobs(model, ids) != plain:
        print("removing the hooks did not restore the model", file=sys.stderr)
        return 1
    print(json.dumps({"plain": plain, "steered": steered}))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
