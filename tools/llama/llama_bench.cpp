// The llama.cpp side of `steerscope bench`: the workloads of steerscope.bench.Workloads on llama.cpp's shared
// libraries (npm's @node-llama-cpp/linux-x64; declarations in llama_api.h). Compiled by scripts/setup-bench-deps.
//
// usage: llama_bench BIN_DIR MODEL.gguf THREADS prefill|decode BATCH TOKENS STEPS WARMUP REPEATS BUDGET_S
//  prefill: BATCH x TOKENS tokens into an empty cache in one llama_decode (logits of each row's last token only);
//  decode:  one prompt of TOKENS tokens prefilled (not timed) and copied to each of BATCH sequences (one KV stream
//           each: llama.cpp's default non-unified cache, so the copy is real and no cells are shared), then each
//           repeat times STEPS greedy steps, one token per sequence per llama_decode, logits over the whole vocabulary
//           and the argmax included. The other sides start the same way.
// llama.cpp's own defaults otherwise (F16 KV cache, flash attention auto), the way a llama.cpp user runs it.
// Prints one JSON line: times, median_s, tokens, peak_rss_bytes, the CPU backend library ggml loaded, its feature
// list (llama_print_system_info) and the build.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "llama_api.h"

static std::string loaded_backend;

static void on_log(int, const char *text, void *) {
    // ggml_backend_load_best: "load_backend: loaded CPU backend from /.../libggml-cpu-zen4.so"
    const char *at = strstr(text, "loaded CPU backend from ");
    if (at) {
        loaded_backend = at + strlen("loaded CPU backend from ");
        while (!loaded_backend.empty() && (loaded_backend.back() == '\n' || loaded_backend.back() == ' ')) loaded_backend.pop_back();
    }
}

static int fail(const char *what) {
    fprintf(stderr, "llama_bench: %s\n", what);
    return 3;
}

// a size from /proc/self/status: VmHWM (peak resident set), RssFile (mapped weights), RssAnon (the rest)
static long long status_bytes(const std::string &field) {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind(field + ":", 0) == 0) return atoll(line.c_str() + field.size() + 1) * 1024;
    }
    return 0;
}

static std::string json_escape(const std::string &s) {
    std::string o;
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        if (c == '\n') { o += "\\n"; continue; }
        o += c;
    }
    return o;
}

struct Bench {
    llama_context *ctx;
    int V;
    // B rows of T tokens each (row b is sequence b) at positions from..from+T-1; logits for the rows' last tokens
    bool batch(llama_batch &b, const std::vector<int32_t> &ids, int B, int T, int from, bool all_logits) {
        b.n_tokens = B * T;
        for (int r = 0; r < B; r++) {
            for (int t = 0; t < T; t++) {
                int i = r * T + t;
                b.token[i] = ids[i];
                b.pos[i] = from + t;
                b.n_seq_id[i] = 1;
                b.seq_id[i][0] = r;
                b.logits[i] = all_logits || t == T - 1;
            }
        }
        return llama_decode(ctx, b) == 0;
    }
    // row r of the last llama_decode with B rows: outputs are in batch order, one per row, so it is output r - B
    int argmax(int r, int B) {
        const float *l = llama_get_logits_ith(ctx, r - B);
        return (int)(std::max_element(l, l + V) - l);
    }
};

int main(int argc, char **argv) {
    if (argc != 11) return fail("usage: llama_bench BIN_DIR MODEL.gguf THREADS prefill|decode BATCH TOKENS STEPS WARMUP REPEATS BUDGET_S");
    const char *kind = argv[4];
    int threads = atoi(argv[3]), B = atoi(argv[5]), T = atoi(argv[6]), steps = atoi(argv[7]), warmup = atoi(argv[8]), repeats = atoi(argv[9]);
    double budget = atof(argv[10]);
    bool decode = strcmp(kind, "decode") == 0;
    if (!decode && strcmp(kind, "prefill") != 0) return fail("case must be prefill or decode");

    ggml_log_set(on_log, nullptr);
    llama_model *model;
    ctx_params_buf cp;
    if (const char *err = load_model(argv[1], argv[2], &model, &cp)) return fail(err);
    ctx_params &p = cp.p;
    int per_seq = decode ? T + repeats * steps : T;
    p.n_seq_max = (uint32_t)B;
    p.n_ctx = (uint32_t)(B * ((per_seq + 255) / 256 * 256));  // split evenly over the sequences
    // the whole prefill in one graph, as the other sides do (decode prefills one prompt, then steps B tokens)
    p.n_batch = p.n_ubatch = (uint32_t)(decode ? std::max(T, B) : B * T);
    p.n_threads = p.n_threads_batch = threads;
    llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) return fail("llama.cpp could not create a context");
    Bench bench{ctx, llama_vocab_n_tokens(llama_model_get_vocab(model))};
    llama_memory_i *mem = llama_get_memory(ctx);

    srand(1234);
    std::vector<int32_t> ids(B * T);
    for (auto &x : ids) x = 3 + rand() % (bench.V - 3);
    llama_batch b = llama_batch_init(B * T, 0, 1);
    std::vector<double> times;
    double total = 0;
    long long tokens = decode ? (long long)B * steps : (long long)B * T;
    auto now = [] { return std::chrono::steady_clock::now(); };
    auto secs = [](auto a, auto z) { return std::chrono::duration<double>(z - a).count(); };

    if (!decode) {
        auto start = now();
        for (int i = 0; i < warmup || (i > 0 && i < 50 && secs(start, now()) < 2); i++) {
            llama_memory_clear(mem, true);
            if (!bench.batch(b, ids, B, T, 0, false)) return fail("llama_decode failed");
        }
        for (int i = 0; i < repeats; i++) {
            llama_memory_clear(mem, true);
            auto t0 = now();
            if (!bench.batch(b, ids, B, T, 0, false)) return fail("llama_decode failed");
            times.push_back(secs(t0, now()));
            total += times.back();
            if (total > budget && times.size() >= 2) break;
        }
    } else {
        std::vector<int32_t> next(B);
        // one prompt of `len` tokens into sequence 0, its cache copied to the other B - 1 sequences
        auto prefill = [&](const std::vector<int32_t> &prompt, int len) {
            llama_memory_clear(mem, true);
            if (!bench.batch(b, prompt, 1, len, 0, false)) return false;
            for (int r = 1; r < B; r++) llama_memory_seq_cp(mem, 0, r, -1, -1);
            int first = bench.argmax(0, 1);
            std::fill(next.begin(), next.end(), first);
            return true;
        };
        // one greedy run of `n` steps of all B sequences from position `from`, starting from `next`
        auto run = [&](int from, int n) {
            for (int s = 0; s < n; s++) {
                if (!bench.batch(b, next, B, 1, from + s, true)) return false;
                for (int r = 0; r < B; r++) next[r] = bench.argmax(r, B);
            }
            return true;
        };
        // warm-up on a short context, then cleared, so it does not move the measured context
        int shortT = std::min(T, 16);
        auto start = now();
        for (int i = 0; i < warmup || (i > 0 && i < 50 && secs(start, now()) < 2); i++) {
            if (!prefill(ids, shortT) || !run(shortT, steps)) return fail("llama_decode failed");
        }
        if (!prefill(ids, T)) return fail("llama_decode failed");
        for (int i = 0; i < repeats; i++) {
            auto t0 = now();
            if (!run(T + i * steps, steps)) return fail("llama_decode failed");
            times.push_back(secs(t0, now()));
            total += times.back();
            if (total > budget && times.size() >= 2) break;
        }
    }
    std::vector<double> sorted = times;
    std::sort(sorted.begin(), sorted.end());
    size_t n = sorted.size();
    double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    printf("{\"case\":\"%s\",\"threads\":%d,\"times\":[", kind, threads);
    for (size_t i = 0; i < times.size(); i++) printf(i ? ",%.6f" : "%.6f", times[i]);
    printf("],\"median_s\":%.6f,\"tokens\":%lld,\"peak_rss_bytes\":%lld,\"rss_file_bytes\":%lld,\"rss_anon_bytes\":%lld,\"cpu_backend\":\"%s\",\"system_info\":\"%s\",\"build\":\"b%d (%s)\"}\n",
           median, tokens, status_bytes("VmHWM"), status_bytes("RssFile"), status_bytes("RssAnon"), json_escape(loaded_backend).c_str(), json_escape(llama_print_system_info()).c_str(), LLAMA_BUILD_NUMBER,
           json_escape(LLAMA_COMMIT).c_str());
    llama_batch_free(b);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
