#!/usr/bin/env python3
"""Renders the rows of `steerscope bench --json` runs as Markdown tables, for docs/performance.md.

    tools/bench/table.py [--targets] [--into FILE:BLOCK ...] LABEL=run.json [LABEL=run.json ...]

Speed: one line per (run, row): the run's label (e.g. its --kernels), model, workload, tokens/s of each side
(steerscope, PyTorch, llama.cpp where it ran), steerscope's ratio to each, each side's fraction of its roofline
bound and the peak RSS of each. Memory: one line per row, where each side's peak RSS goes: at the end of the case
RssFile (the mapped weights) and RssAnon (everything else), for steerscope also the heap's committed peak and the
activation memory of a training step. Decode: each row's two rooflines, the weights and cache read at the
measured read bandwidth and its multiply-adds at the measured FMA peak. Then one line per run naming its machine, load, kernels, torch and
llama.cpp, so every number in the tables can be traced to the JSON it came from.

--targets adds issue 18's targets, each computed from each run's rows (met or not, with the numbers).
--into FILE:BLOCK (repeatable) also writes the output between the lines `<!-- BLOCK:begin -->` and
`<!-- BLOCK:end -->` of FILE (docs/performance.md), so the tables there are this script's; --into-short FILE:BLOCK
writes there only the speed table, the run lines and the targets (README.md)."""
import io
import json
import os
import sys
from contextlib import redirect_stdout

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from docblock import write as into  # noqa: E402


def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def mib(side, key):
    return "n/a" if not side or side.get(key) is None else str(side[key] >> 20)


def pct(v, bound):
    return "n/a" if v is None else "%.0f%%%s" % (100 * v, bound)


BIG = ("qwen-0.5b", "qwen-0.5b-f32", "qwen-1.5b")


def targets(r):
    """Issue 18's targets on one run: a Markdown table, each target met or not with the numbers that decide it."""
    rows = [row for row in r["rows"] if row["model"] in BIG]
    out = ["| target | measured | met |", "| --- | --- | --- |"]

    def line(name, items, ok):
        out.append("| %s | %s | %s |" % (name, "; ".join(items) if items else "not measured", "n/a" if ok is None else ("yes" if ok else "**no**")))

    vs_torch = [(row, row["ratio"]) for row in rows if row.get("ratio") is not None]
    line("every 0.5B and 1.5B row ≥ 1.0x PyTorch", ["%s %s %.2fx" % (row["model"], row["workload"], x) for row, x in vs_torch],
         all(x >= 1.0 for _, x in vs_torch) if vs_torch else None)
    bf16 = (r.get("limits") or {}).get("bf16_gflops")
    dense = [row for row in rows if row["model"] in ("qwen-0.5b", "qwen-1.5b") and row["kind"] in ("prefill", "rl")]
    # a row's fraction of the BF16 peak: its fraction of the F32 FMA roofline, rescaled from that peak to the BF16 one
    line("BF16 prefill and RL step ≥ 80% of the BF16 dot-product peak" + (" (%.0f GFLOP/s, oneDNN)" % bf16 if bf16 else ""),
         ["%s %s %.0f%%" % (row["model"], row["workload"], 100 * row["steerscope_fraction_of_bound"] * r["limits"]["fma_gflops"] / bf16)
          for row in dense] if bf16 else [], all(row["steerscope_fraction_of_bound"] * r["limits"]["fma_gflops"] / bf16 >= 0.8 for row in dense) if bf16 and dense else None)
    d1 = [row for row in rows if row["kind"] == "decode" and row["workload"].startswith("decode b1 ")]
    vs_llama = [(row, row["ratio_llamacpp"]) for row in d1 if row.get("ratio_llamacpp") is not None]
    line("decode b1 ≥ 1.0x llama.cpp (same dtype)", ["%s %.2fx" % (row["model"], x) for row, x in vs_llama],
         all(x >= 1.0 for _, x in vs_llama) if vs_llama else None)
    line("decode b1 ≥ 90% of the read bound", ["%s %.0f%%" % (row["model"], 100 * row["steerscope_fraction_of_bound"]) for row in d1],
         all(row["steerscope_fraction_of_bound"] >= 0.9 for row in d1) if d1 else None)
    d16 = [row for row in rows if row["kind"] == "decode" and row["workload"].startswith("decode b16 ")]
    line("decode b16 ≥ 60% of the read bound", ["%s %.0f%%%s" % (row["model"], 100 * row["steerscope_fraction_of_bound"],
                                                  " (%.0f%% of its FMA bound)" % (100 * row["steerscope_fraction_of_fma_bound"])
                                                  if row.get("steerscope_fraction_of_fma_bound") else "") for row in d16],
         all(row["steerscope_fraction_of_bound"] >= 0.6 for row in d16) if d16 else None)
    rss = [(row, row["steerscope"]["peak_rss_bytes"] / row["pytorch"]["peak_rss_bytes"]) for row in r["rows"]
           if row.get("pytorch") and row["pytorch"].get("peak_rss_bytes") and row["steerscope"].get("peak_rss_bytes")]
    line("peak RSS ≤ 1.25x PyTorch on every row", ["%s %s %.2fx" % (row["model"], row["workload"], x) for row, x in rss],
         all(x <= 1.25 for _, x in rss) if rss else None)
    sec = r.get("seconds") or {}
    walls = [row for row in r["rows"] if row.get("wall_seconds")]
    slowest = sorted(walls, key=lambda row: -sum(row["wall_seconds"].values()))[:3]
    # the measured repeats alone, every side's: what the measuring time cannot go below without fewer repeats
    timed = sum(t for row in r["rows"] for side in ("steerscope", "pytorch", "llamacpp") if isinstance(row.get(side), dict)
                for t in row[side].get("times", []))
    line("the bench in ≤ 10 minutes on 2 cores", ["%s %.0f s" % (k.replace("_", " "), v) for k, v in sec.items()]
         + (["of which timed repeats %.0f s (all sides)" % timed] if timed else [])
         + (["slowest rows: " + ", ".join("%s %s %.0f s (%s)" % (row["model"], row["workload"], sum(row["wall_seconds"].values()),
                                                              " + ".join("%s %.0f" % kv for kv in row["wall_seconds"].items())) for row in slowest)] if slowest else []),
         sum(sec.values()) <= 600 if sec else None)
    print("\n".join(out))
    print()


def main(args):
    dests, shorts, want_targets, rest = [], [], False, []
    it = iter(args)
    for a in it:
        if a == "--into":
            dests.append(next(it).split(":", 1))
        elif a == "--into-short":
            shorts.append(next(it).split(":", 1))
        elif a == "--targets":
            want_targets = True
        else:
            rest.append(a)
    buf = io.StringIO()
    with redirect_stdout(buf):
        tables(rest, want_targets)
    sys.stdout.write(buf.getvalue())
    for path, block in dests:
        into(path, block, buf.getvalue())
    if shorts:
        short = io.StringIO()
        with redirect_stdout(short):
            tables(rest, want_targets, short=True)
        for path, block in shorts:
            into(path, block, short.getvalue())


def tables(args, want_targets, short=False):
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
    if not short:
        memory_and_decode(runs)
    runs_lines(runs)
    for label, _, r in runs if want_targets else []:
        print()
        print("Targets on run `%s`:" % label)
        print()
        targets(r)


def memory_and_decode(runs):
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


def runs_lines(runs):
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
