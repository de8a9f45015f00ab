#!/usr/bin/env python3
"""Renders the rows of `steerscope bench --json` runs as Markdown tables, for docs/performance.md.

    tools/bench/table.py LABEL=run.json [LABEL=run.json ...]

Speed: one line per (run, row): the run's label (e.g. its --kernels), model, workload, tokens/s of each side
(steerscope, PyTorch, llama.cpp where it ran), steerscope's ratio to each, each side's fraction of its roofline
bound and the peak RSS of each. Memory: one line per row, where each side's peak RSS goes: at the end of the case
RssFile (the mapped weights) and RssAnon (everything else), for steerscope also the heap's committed peak and the
activation memory of a training step. Decode: each row's two rooflines, the weights and cache read at the
measured read bandwidth and its multiply-adds at the measured FMA peak. Then one line per run naming its machine, load, kernels, torch and
llama.cpp, so every number in the tables can be traced to the JSON it came from."""
import json
import sys


def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def mib(side, key):
    return "n/a" if not side or side.get(key) is None else str(side[key] >> 20)


def pct(v, bound):
    return "n/a" if v is None else "%.0f%%%s" % (100 * v, bound)


def main(args):
    runs = []
    for a in args:
        label, _, path = a.partition("=")
        with open(path) as f:
            runs.append((label, path, json.load(f)))
    print("| run | model | workload | steerscope tok/s | PyTorch tok/s | ratio | llama.cpp tok/s | ratio | steerscope / bound "
          "| PyTorch / bound | llama.cpp / bound | RSS steerscope MiB | RSS torch MiB | RSS llama.cpp MiB |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, _, r in runs:
        for row in r["rows"]:
            bound = " of BW" if row["bound"] == "bandwidth" else " of FMA"
            print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                label, row["model"], row["workload"], fmt(row["steerscope_tokens_per_s"], ".1f"),
                fmt(row.get("pytorch_tokens_per_s"), ".1f"), fmt(row.get("ratio"), ".2f") + ("x" if row.get("ratio") else ""),
                fmt(row.get("llamacpp_tokens_per_s"), ".1f"), fmt(row.get("ratio_llamacpp"), ".2f") + ("x" if row.get("ratio_llamacpp") else ""),
                pct(row["steerscope_fraction_of_bound"], bound), pct(row.get("pytorch_fraction_of_bound"), bound),
                pct(row.get("llamacpp_fraction_of_bound"), bound), mib(row["steerscope"], "peak_rss_bytes"),
                mib(row.get("pytorch"), "peak_rss_bytes"), mib(row.get("llamacpp"), "peak_rss_bytes")))
    print()
    print("| run | model | workload | steerscope peak / weights / rest / heap peak MiB | activations MiB | torch peak / weights / rest MiB "
          "| llama.cpp peak / weights / rest MiB |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    for label, _, r in runs:
        for row in r["rows"]:
            s, t, l = row["steerscope"], row.get("pytorch"), row.get("llamacpp")
            act = s.get("activation_bytes") or 0
            print("| %s | %s | %s | %s / %s / %s / %s | %s | %s | %s |" % (
                label, row["model"], row["workload"], mib(s, "peak_rss_bytes"), mib(s, "rss_file_bytes"), mib(s, "rss_anon_bytes"),
                mib(s, "heap_peak_committed_bytes"), str(act >> 20) if act else "",
                "n/a" if not t else "%s / %s / %s" % (mib(t, "peak_rss_bytes"), mib(t, "rss_file_bytes"), mib(t, "rss_anon_bytes")),
                "" if not l else "%s / %s / %s" % (mib(l, "peak_rss_bytes"), mib(l, "rss_file_bytes"), mib(l, "rss_anon_bytes"))))
    print()
    decode = [(label, row) for label, _, r in runs for row in r["rows"] if row.get("fma_bound_tokens_per_s")]
    if decode:
        print("| run | model | workload | steerscope tok/s | read-bandwidth bound tok/s | FMA bound tok/s | steerscope / read bound | steerscope / FMA bound |")
        print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for label, row in decode:
            print("| %s | %s | %s | %.1f | %.1f | %.1f | %.0f%% | %.0f%% |" % (
                label, row["model"], row["workload"], row["steerscope_tokens_per_s"], row["bound_tokens_per_s"], row["fma_bound_tokens_per_s"],
                100 * row["steerscope_fraction_of_bound"], 100 * row["steerscope_fraction_of_fma_bound"]))
        print()
    for label, path, r in runs:
        m, t, lc = r["machine"], r.get("torch") or {}, r.get("llama_cpp")
        line = "- `%s` ([%s](%s)): %s, %s threads, load before the run %s; kernels: %s; torch %s, BLAS %s" % (
            label, path.split("/")[-1], path.split("/")[-1], m["cpu"], m["threads"], m["load"], r.get("kernels", "java"),
            t.get("torch", "n/a"), t.get("blas", "n/a"))
        if lc:
            line += "; llama.cpp %s from npm's @node-llama-cpp/linux-x64, CPU backend `%s` (%s)" % (
                lc["build"], lc["cpu_backend"], lc["system_info"].strip().rstrip("|").strip())
        print(line)
        for f in r.get("failed") or []:
            print("- `%s`: %s %s not measured: %s" % (label, f["model"], f["workload"], f["error"]))


if __name__ == "__main__":
    main(sys.argv[1:])
