// The part of llama.cpp's public C API that our drivers use (src/test/cpp/llama_logprobs.cpp, tools/llama/llama_bench.cpp):
// the libraries come from the npm package @node-llama-cpp/linux-x64, which ships no headers, so the declarations are
// written out here from llama.h, ggml-backend.h and common.h. llama_context_default_params' known defaults are checked
// at run time (check_ctx_defaults), so a layout that drifted from the library fails loudly instead of passing wrong
// settings.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

struct llama_model;
struct llama_context;
struct llama_memory_i;

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
typedef void (*ggml_log_callback)(int level, const char *text, void *user_data);
void ggml_log_set(ggml_log_callback log_callback, void *user_data);
void ggml_backend_load_all_from_path(const char *dir);
void llama_backend_init(void);
const char *llama_print_system_info(void);
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
llama_memory_i *llama_get_memory(const llama_context *ctx);
void llama_memory_clear(llama_memory_i *mem, bool data);
void llama_memory_seq_cp(llama_memory_i *mem, int32_t seq_src, int32_t seq_dst, int32_t p0, int32_t p1);
void llama_free(llama_context *ctx);
void llama_model_free(llama_model *model);
}

// common/common.h and common/build-info.cpp (libllama-common)
struct common_control_vector_load_info {
    float strength;
    std::string fname;
};
struct common_control_vector_data {
    int n_embd;
    std::vector<float> data;  // n_embd * n_layers, from layer 1
};
common_control_vector_data common_control_vector_load(const std::vector<common_control_vector_load_info> &infos);
extern int LLAMA_BUILD_NUMBER;
extern const char *LLAMA_COMMIT;

// The defaults llama.h documents for llama_context_default_params; false (and a line on stderr) when this library's
// struct does not read as declared above.
inline bool check_ctx_defaults(const ctx_params &p) {
    if (p.n_ctx != 512 || p.n_batch != 2048 || p.n_ubatch != 512 || p.n_seq_max != 1 || p.unnamed_default_1 != 1 || p.n_threads != 4 ||
        p.n_threads_batch != 4 || p.ctx_type != 0 || p.rope_scaling_type != -1 || p.pooling_type != -1 || p.attention_type != -1 ||
        p.flash_attn_type != -1 || p.rope_freq_base != 0 || p.yarn_ext_factor != -1 || p.defrag_thold != -1 || p.type_k != 1 ||
        p.type_v != 1 || p.cb_eval != nullptr || p.abort_callback != nullptr || p.embeddings || !p.offload_kqv || !p.no_perf ||
        !p.swa_full || p.kv_unified || p.samplers != nullptr || p.n_samplers != 0) {
        fprintf(stderr, "n_ctx %u n_batch %u n_ubatch %u n_seq_max %u flash %d type_k %d type_v %d\n", p.n_ctx, p.n_batch, p.n_ubatch,
                p.n_seq_max, p.flash_attn_type, p.type_k, p.type_v);
        return false;
    }
    return true;
}

// Loads every ggml backend found in bin_dir and the model with llama.cpp's default model parameters, and fills cp
// with the library's default context parameters; an error message, or nullptr.
inline const char *load_model(const char *bin_dir, const char *path, llama_model **model, ctx_params_buf *cp) {
    ggml_backend_load_all_from_path(bin_dir);
    llama_backend_init();
    *cp = llama_context_default_params();
    if (!check_ctx_defaults(cp->p)) return "llama_context_params of this libllama does not have the layout this driver declares";
    *model = llama_model_load_from_file(path, llama_model_default_params());
    return *model ? nullptr : "llama.cpp could not load the model";
}
