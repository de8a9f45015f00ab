#!/usr/bin/env python3
"""Tabulates the experiments' own output files (combine_layers.json, transfer.json, compare_finetune.json,
adaptive.json) as a Markdown page: every number with its 95% bootstrap interval, the seconds each experiment measured
itself, and (from timings.json, written by scripts/experiments-organism) each command's wall time against the
3-minute budget. With --readme, also replaces README's block between <!-- experiments-budget:begin/end --> by the
wall-time table.
Usage: experiments-table.py --command "how the files were made" [--readme README.md] FILE.json...; stdlib only."""
import argparse, json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import docblock  # noqa: E402

def iv(x, d=3):
    if x is None or x.get("value") is None:
        return "–"
    lo, hi = x["ci"]
    f = "%%.%df" % d
    return (f % x["value"]) + " [" + ("–" if lo is None else f % lo) + ", " + ("–" if hi is None else f % hi) + "]"

def acc(a):
    return iv({"value": a["accuracy"], "ci": a["ci"]}) if a else "–"

def combine(j, out):
    out.append("## combine-layers (%d layers, %d pairs, %d problems x K = %d, %.0f s)" % (len(j["layers"]), len(j["pairs"]), j["n_problems"], j["k"], j["seconds"]))
    out.append("")
    out.append("Base: %s." % acc(j["base"]))
    out.append("")
    out.append("| layer | accuracy alone | gain over base |")
    out.append("| --- | --- | --- |")
    for s in j["singles"]:
        out.append("| %d | %s | %s |" % (s["layer"], acc(s["accuracy"]), iv(s["gain_over_base"])))
    out.append("")
    out.append("| pair | cosine | accuracy | pair − better single | relative gain |")
    out.append("| --- | --- | --- | --- | --- |")
    for p in j["pairs"]:
        out.append("| %d + %d | %.3f | %s | %s | %s |" % (p["layers"][0], p["layers"][1], p["cosine"], acc(p["accuracy"]), iv(p["minus_best"]),
                                                      iv(p["relative"]) if p["relative"] else "– (" + p["relative_reason"] + ")"))
    out.append("")
    out.append("Correlation over pairs of the cosine with (pair − better single): %s; with the relative gain: %s%s." % (
        iv(j.get("correlation_minus_best")), iv(j.get("correlation_relative")),
        " (" + j["correlation_reason"] + ")" if j.get("correlation_reason") else ""))
    out.append("")

def transfer(j, out):
    out.append("## transfer (%d problems x K = %d, %.0f s)" % (j["n_problems"], j["k"], j["seconds"]))
    out.append("")
    out.append("from: `%s`; to: `%s`." % (j["models"]["from"], j["models"]["to"]))
    out.append("")
    out.append("| model | no vector | own vector | transferred vector | own gain | transferred gain |")
    out.append("| --- | --- | --- | --- | --- | --- |")
    for side in ("from", "to"):
        s = j[side]
        out.append("| %s | %s | %s | %s | %s | %s |" % (side, acc(s["none"]), acc(s["own"]), acc(s["transferred"]), iv(s["own_gain"]), iv(s["transferred_gain"])))
    out.append("")
    for k in ("kept_fraction", "kept_fraction_reverse"):
        if k in j:
            out.append("- `%s` (transferred gain / %s): %s" % (k, j[k + "_denominator"], iv(j[k]) if j[k] else "null, " + j[k + "_reason"]))
    out.append("")

def compare(j, out):
    out.append("## compare-finetune (%d problems x K = %d, %.0f s)" % (j["n_problems"], j["k"], j["seconds"]))
    out.append("")
    a = j["accuracy"]
    out.append("Accuracy: base %s, vectors %s, full fine-tune %s; full − vectors %s." % (acc(a["base"]), acc(a["vectors"]), acc(a["full"]), iv(j["full_minus_vectors"])))
    out.append("")
    out.append("| per-token KL (nats) | sequences | pos 0 | later positions | share at pos 0 |")
    out.append("| --- | --- | --- | --- | --- |")
    for k, name in (("delta_p_full_vs_base", "KL(base ‖ full), full's samples"), ("delta_p_vectors_vs_base", "KL(base ‖ steered), vectors' samples"),
                    ("kl_full_vs_steered", "KL(full ‖ steered), full's samples")):
        d = j[k]
        pc = d["position_classes"]
        out.append("| %s | %d | %s | %s | %s |" % (name, d["n_sequences"], iv(pc["pos0"]["kl"], 4), iv(pc["later"]["kl"], 4), iv(d["pos0_kl_share"])))
    out.append("")
    out.append("| layer | cos(full diff, vectors diff) | cos(full diff, vector) | lens top of the fine-tune's difference | lens top of the vector |")
    out.append("| --- | --- | --- | --- | --- |")
    for l in j["layers"]:
        toks = lambda xs: " ".join("`%s`" % json.dumps(t["text"])[1:-1].replace("|", "\\|").replace("`", "'") for t in (xs or [])[:5])
        out.append("| %d | %s | %s | %s | %s |" % (l["layer"], iv(l["cosine_full_vectors_diff"]), iv(l["cosine_full_diff_vector"]), toks(l["full_top"]), toks(l["vector_top"])))
    out.append("")

def adaptive(j, out):
    a = j["accuracy"]
    out.append("## adaptive (%d problems x K = %d; %d RL steps of %d prompts x %d samples per run, lr %g; %.0f s)" % (
        j["n_problems"], j["k"], j["recipe"]["steps"], j["recipe"]["promptsPerStep"], j["recipe"]["group"], j["recipe"]["lr"], j["seconds"]))
    out.append("")
    out.append("Accuracy: plain vectors %s, adaptive (s(h) = a·h + b) %s; adaptive − plain (paired) %s." % (
        acc(a["plain"]), acc(a["adaptive"]), iv(a["adaptive_minus_plain"])))
    out.append("")
    cats = j["scale"]["categories"]
    out.append("Mean scale s(h) over the tokens of %d sampled completions of the adaptive run, teacher-forced:" % j["scale"]["samples_read"])
    out.append("")
    out.append("| layer | b | ‖a‖ | ‖v‖ | prompt tokens | generated tokens | " + " | ".join(cats) + " |")
    out.append("| --- " * (6 + len(cats)) + "|")
    for l in j["scale"]["layers"]:
        out.append("| %d | %.3f | %.3f | %.3f | %s | %s | %s |" % (l["layer"], l["b"], l["a_norm"], l["vector_norm"], iv(l["mean_s"]["prompt"]),
                                                           iv(l["mean_s"]["generated"]), " | ".join(iv(l["mean_s_by_category"].get(c)) for c in cats)))
    out.append("")

def budget(timings):
    """The wall-time table: each command of scripts/experiments-organism, its seconds and the 3-minute budget."""
    rows = ["| step | command | wall seconds | within 3 min |", "| --- | --- | --: | --- |"]
    for t in timings["steps"]:
        rows.append("| %s | `%s` | %.0f | %s |" % (t["name"], t["command"], t["seconds"],
                                                  ("yes" if t["seconds"] <= 180 else "no") if t["experiment"] else "(set-up)"))
    return rows

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--command", action="append", required=True, help="a command that made the files (repeatable)")
    p.add_argument("--commit", help="the source commit (default: HEAD)")
    p.add_argument("--readme", help="README.md whose experiments-budget block gets the wall-time table")
    p.add_argument("files", nargs="+")
    a = p.parse_args()
    head, cpu, cores = docblock.provenance()
    commit = a.commit or head
    out = ["# The experiments on the model organism", "",
           "Generated by `scripts/experiments-table.py` from the experiments' own JSON (commit %s, %s, %d cores). Accuracies are the mean "
           "over K samples at T = 1 per problem with 95%% bootstrap intervals over problems; the seconds are each experiment's own "
           "measurement of its evaluation. Made with:" % (commit, cpu, cores), ""]
    out += ["    " + c for c in a.command]
    out.append("")
    timings = None
    for f in a.files:
        j = json.load(open(f))
        name = os.path.basename(f)
        if name == "timings.json":
            timings = j
            continue
        {"combine_layers.json": combine, "transfer.json": transfer, "compare_finetune.json": compare, "adaptive.json": adaptive}[name](j, out)
    if timings:
        out.append("## Wall time of each command (%s, %d cores)" % (timings["cpu"], timings["cores"]))
        out.append("")
        out += budget(timings)
        out.append("")
        if a.readme:
            block = ["Measured by `%s` at commit %s (%s, %d cores; docs/experiments-organism.md):" % (a.command[0], commit, timings["cpu"], timings["cores"]), ""]
            docblock.write(a.readme, "experiments-budget", "\n".join(block + budget(timings)) + "\n")
    print("\n".join(out))

if __name__ == "__main__":
    main()
