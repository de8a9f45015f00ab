// Next-token log-probs from real llama.cpp, for LlamaCppTest: the libraries come from the npm package
// @node-llama-cpp/linux-x64 (scripts/setup-test-deps); the declarations used are in tools/llama/llama_api.h.
//
// usage: llama_logprobs BIN_DIR MODEL.gguf CVEC.gguf|- ID,ID,... [TEXT]
// prints {"n_embd":..,"n_layer":..,"logprobs":[log p(id_t | ids_<t) for t >= 1]} with an F32 KV cache, flash
// attention off; with a control vector loaded by llama.cpp's own common_control_vector_load; with TEXT also
// "tokens": llama.cpp's tokenization of it (from the GGUF's tokenizer.ggml.* metadata).
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "llama_api.h"

static int fail(const char *what) {
    fprintf(stderr, "llama_logprobs: %s\n", what);
    return 3;
}

int main(int argc, char **argv) {
    if (argc != 5 && argc != 6) return fail("usage: llama_logprobs BIN_DIR MODEL.gguf CVEC.gguf|- ID,ID,... [TEXT]");
    std::vector<int32_t> ids;
    for (char *s = argv[4]; *s;) {
        ids.push_back((int32_t)strtol(s, &s, 10));
        if (*s == ',') s++;
    }
    if (ids.size() < 2) return fail("need at least two token ids");

    llama_model *model;
    ctx_params_buf cp;
    if (const char *err = load_model(argv[1], argv[2], &model, &cp)) return fail(err);
    ctx_params &p = cp.p;
    int n = (int)ids.size();
    p.n_ctx = (uint32_t)(n < 64 ? 64 : n + 8);
    p.n_batch = p.n_ubatch = (uint32_t)n;
    p.n_threads = p.n_threads_batch = 2;
    p.type_k = p.type_v = 0;  // F32 KV cache
    p.flash_attn_type = 0;    // disabled
    llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) return fail("llama.cpp could not create a context");
    int n_embd = llama_model_n_embd(model), n_layer = llama_model_n_layer(model);
    int V = llama_vocab_n_tokens(llama_model_get_vocab(model));

    if (strcmp(argv[3], "-") != 0) {
        common_control_vector_data cv = common_control_vector_load({{1.0f, std::string(argv[3])}});
        if (cv.n_embd == -1) return fail("llama.cpp refused the control vector");
        if (llama_set_adapter_cvec(ctx, cv.data.data(), cv.data.size(), cv.n_embd, 1, n_layer) != 0) {
            return fail("llama_set_adapter_cvec failed");
        }
    }

    llama_batch b = llama_batch_init(n, 0, 1);
    b.n_tokens = n;
    for (int i = 0; i < n; i++) {
        b.token[i] = ids[i];
        b.pos[i] = i;
        b.n_seq_id[i] = 1;
        b.seq_id[i][0] = 0;
        b.logits[i] = 1;
    }
    if (llama_decode(ctx, b) != 0) return fail("llama_decode failed");
    printf("{\"n_embd\":%d,\"n_layer\":%d,\"logprobs\":[", n_embd, n_layer);
    for (int t = 1; t < n; t++) {
        const float *l = llama_get_logits_ith(ctx, t - 1);
        double mx = l[0];
        for (int v = 1; v < V; v++) mx = l[v] > mx ? l[v] : mx;
        double sum = 0;
        for (int v = 0; v < V; v++) sum += exp((double)l[v] - mx);
        printf(t > 1 ? ",%.9g" : "%.9g", (double)l[ids[t]] - mx - log(sum));
    }
    printf("]");
    if (argc == 6) {
        std::vector<int32_t> toks(strlen(argv[5]) + 8);
        int nt = llama_tokenize(llama_model_get_vocab(model), argv[5], (int32_t)strlen(argv[5]), toks.data(), (int32_t)toks.size(), true, false);
        if (nt < 0) return fail("llama_tokenize failed");
        printf(",\"tokens\":[");
        for (int i = 0; i < nt; i++) printf(i ? ",%d" : "%d", toks[i]);
        printf("]");
    }
    printf("}\n");
    llama_batch_free(b);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
