#!/usr/bin/env python3
"""Renders the rows of `steerscope bench --json` runs as one Markdown table, for docs/performance.md.

    tools/bench/table.py LABEL=run.json [LABEL=run.json ...]

One line per (run, row): the run's label (e.g. its --kernels), model, workload, tokens/s of both sides, the
ratio, each side's fraction of its roofline bound and the peak RSS of both. Then one line per run naming its
machine, load, kernels and torch, so every number in the table can be traced to the JSON it came from."""
import json
import sys


def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def main(args):
    runs = []
    for a in args:
        label, _, path = a.partition("=")
        with open(path) as f:
            runs.append((label, path, json.load(f)))
    print("| run | model | workload | steerscope tok/s | PyTorch tok/s | ratio | steerscope / bound | PyTorch / bound | RSS steerscope MiB | RSS torch MiB |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, _, r in runs:
        for row in r["rows"]:
            bound = " of BW" if row["bound"] == "bandwidth" else " of FMA"
            torch_rss = (row.get("pytorch") or {}).get("peak_rss_bytes")
            sf, tf = row["steerscope_fraction_of_bound"], row.get("pytorch_fraction_of_bound")
            print("| %s | %s | %s | %s | %s | %s | %s | %s | %d | %s |" % (
                label, row["model"], row["workload"], fmt(row["steerscope_tokens_per_s"], ".1f"),
                fmt(row.get("pytorch_tokens_per_s"), ".1f"),
                "n/a" if row.get("ratio") is None else "%.2fx" % row["ratio"],
                "%.0f%%%s" % (100 * sf, bound), "n/a" if tf is None else "%.0f%%%s" % (100 * tf, bound),
                row["steerscope"]["peak_rss_bytes"] >> 20, "n/a" if torch_rss is None else str(torch_rss >> 20)))
    print()
    for label, path, r in runs:
        m, t = r["machine"], r.get("torch") or {}
        print("- `%s` ([%s](%s)): %s, %s threads, load before the run %s; kernels: %s; torch %s, BLAS %s" % (
            label, path.split("/")[-1], path.split("/")[-1], m["cpu"], m["threads"], m["load"], r.get("kernels", "java"),
            t.get("torch", "n/a"), t.get("blas", "n/a")))


if __name__ == "__main__":
    main(sys.argv[1:])
