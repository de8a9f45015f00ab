// Next-token log-probs from real llama.cpp, for LlamaCppTest: the libraries come from the npm package
// @node-llama-cpp/linux-x64 (scripts/setup-test-deps), which ships no headers, so the few declarations used are
// written out below from llama.h's public C API; llama_context_default_params' known defaults are checked at run
// time, so a layout that drifted from the library fails loudly instead of passing wrong settings.
//
// usage: llama_logprobs BIN_DIR MODEL.gguf CVEC.gguf|- ID,ID,... [TEXT]
// prints {"n_embd":..,"n_layer":..,"logprobs":[log p(id_t | ids_<t) for t >= 1]} with an F32 KV cache, flash
// attention off; with a control vector loaded by llama.cpp's own common_control_vector_load; with TEXT also
// "tokens": llama.cpp's tokenization of it (from the GGUF's tokenizer.ggml.* metadata).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

struct llama_model;
struct llama_context;

// llama_context_params, field by field as llama.h declares them, plus one uint32 this build has after
// n_outputs_max (default 1; seen in a dump of llama_context_default_params, newer than the header read)
struct ctx_params {
    uint32_t n_ctx, n_batch, n_ubatch, n_seq_max, n_rs_seq, n_outputs_max, unnamed_default_1;
    int32_t n_threads, n_threads_batch;
    int32_t ctx_type, rope_scaling_type, pooling_type, attention_type, flash_attn_type;
    float rope_freq_base, rope_freq_scale, yarn_ext_factor, yarn_attn_factor, yarn_beta_fast, yarn_beta_slow;
    uint32_t yarn_orig_ctx;
    float defrag_thold;
    void *cb_eval, *cb_eval_user_data;
    int32_t type_k, type_v;  // enum ggml_type: 0 = F32, 1 = F16
    void *abort_callback, *abort_callback_data;
    bool embeddings, offload_kqv, no_perf, op_offload, swa_full, kv_unified;
    void *samplers;
    size_t n_samplers;
};
// passed by value with room to spare: the library reads only its own fields from the front
union ctx_params_buf { ctx_params p; unsigned char raw[1024]; };
struct model_params_buf { unsigned char raw[1024]; };  // used as the library's defaults, untouched

struct llama_batch {
    int32_t n_tokens;
    int32_t *token;
    float *embd;
    int32_t *pos;
    int32_t *n_seq_id;
    int32_t **seq_id;
    int8_t *logits;
};

extern "C" {
void ggml_backend_load_all_from_path(const char *dir);
void llama_backend_init(void);
model_params_buf llama_model_default_params(void);
ctx_params_buf llama_context_default_params(void);
llama_model *llama_model_load_from_file(const char *path, model_params_buf params);
llama_context *llama_init_from_model(llama_model *model, ctx_params_buf params);
int32_t llama_model_n_embd(const llama_model *model);
int32_t llama_model_n_layer(const llama_model *model);
const void *llama_model_get_vocab(const llama_model *model);
int32_t llama_vocab_n_tokens(const void *vocab);
int32_t llama_tokenize(const void *vocab, const char *text, int32_t text_len, int32_t *tokens, int32_t n_tokens_max, bool add_special,
                       bool parse_special);
int32_t llama_set_adapter_cvec(llama_context *ctx, const float *data, size_t len, int32_t n_embd, int32_t il_start, int32_t il_end);
llama_batch llama_batch_init(int32_t n_tokens, int32_t embd, int32_t n_seq_max);
void llama_batch_free(llama_batch batch);
int32_t llama_decode(llama_context *ctx, llama_batch batch);
float *llama_get_logits_ith(llama_context *ctx, int32_t i);
void llama_free(llama_context *ctx);
void llama_model_free(llama_model *model);
}

// common/common.h (libllama-common)
struct common_control_vector_load_info {
    float strength;
    std::string fname;
};
struct common_control_vector_data {
    int n_embd;
    std::vector<float> data;  // n_embd * n_layers, from layer 1
};
common_control_vector_data common_control_vector_load(const std::vector<common_control_vector_load_info> &infos);

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

    ggml_backend_load_all_from_path(argv[1]);
    llama_backend_init();
    ctx_params_buf cp = llama_context_default_params();
    ctx_params &p = cp.p;
    if (p.n_ctx != 512 || p.n_batch != 2048 || p.n_ubatch != 512 || p.n_seq_max != 1 || p.unnamed_default_1 != 1 || p.n_threads != 4 ||
        p.n_threads_batch != 4 || p.ctx_type != 0 || p.rope_scaling_type != -1 || p.pooling_type != -1 || p.attention_type != -1 ||
        p.flash_attn_type != -1 || p.rope_freq_base != 0 || p.yarn_ext_factor != -1 || p.defrag_thold != -1 || p.type_k != 1 ||
        p.type_v != 1 || p.cb_eval != nullptr || p.abort_callback != nullptr || p.embeddings || !p.offload_kqv || !p.no_perf ||
        !p.swa_full || p.kv_unified || p.samplers != nullptr || p.n_samplers != 0) {
        fprintf(stderr, "n_ctx %u n_batch %u n_ubatch %u n_seq_max %u flash %d type_k %d type_v %d\n", p.n_ctx, p.n_batch, p.n_ubatch,
                p.n_seq_max, p.flash_attn_type, p.type_k, p.type_v);
        return fail("llama_context_params of this libllama does not have the layout this driver declares");
    }
    llama_model *model = llama_model_load_from_file(argv[2], llama_model_default_params());
    if (!model) return fail("llama.cpp could not load the model");
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
