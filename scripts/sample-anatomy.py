#!/usr/bin/env python3
"""What the organism's samples do, from `eval` output (JSONL with "samples"): how often a sample answers directly,
merges two operations into one step, stops early, carries filler-language text, and where the step-by-step ones
go wrong (an equation's arithmetic, or copying: the left side is not the running value, or the operand is not the
question's next one). Usage: scripts/sample-anatomy.py eval/base.jsonl [eval/vectors.jsonl ...]"""
import json, re, sys

EQ = re.compile(r"(\d+(?:\s*[-+]\s*\d+)+)\s*=\s*(\d+)")
OPS = re.compile(r"([-+])\s*(\d+)")
BOX = re.compile(r"\\boxed\{(-?\d+)\}")

def chain(question):
    m = re.search(r"(\d+(?:\s*[-+]\s*\d+)+)", question)
    start = int(re.match(r"\d+", m.group(1)).group())
    return start, [(o, int(n)) for o, n in OPS.findall(m.group(1)[len(str(start)):])]

def anatomy(path):
    c = dict(samples=0, right=0, direct=0, merged=0, early=0, filler=0, careful=0, careful_right=0,
             equations=0, arith_wrong=0, copy_wrong=0)
    for line in open(path):
        r = json.loads(line)
        start, ops = chain(r["question"])
        for s in r["samples"]:
            c["samples"] += 1
            box = BOX.findall(s)
            ok = bool(box) and box[-1] == r["answer"]
            c["right"] += ok
            filler = any(ord(ch) > 127 for ch in s)
            c["filler"] += filler
            eqs = EQ.findall(s)
            if not eqs:
                c["direct"] += 1
                continue
            value, k, merged, bad = start, 0, False, False
            for lhs, rhs in eqs:
                c["equations"] += 1
                nums = [int(x) for x in re.findall(r"\d+", lhs)]
                sides = OPS.findall(lhs)
                merged |= len(sides) > 1
                if (nums[0] != value or [(o, int(n)) for o, n in sides] != ops[k:k + len(sides)]):
                    c["copy_wrong"] += 1
                    bad = True
                got = nums[0]
                for o, n in sides:
                    got = got + int(n) if o == "+" else got - int(n)
                if got != int(rhs):
                    c["arith_wrong"] += 1
                    bad = True
                k += len(sides)
                value = int(rhs)
            c["merged"] += merged
            early = k < len(ops)
            c["early"] += early
            if not merged and not early and not filler:
                c["careful"] += 1
                c["careful_right"] += ok
    return c

def describe(path):
    c = anatomy(path)
    n = c["samples"]
    pct = lambda a, b: f"{100 * a / b:.1f}%" if b else "-"
    print(f"{path}: {n} samples, right {pct(c['right'], n)}; direct {pct(c['direct'], n)}, merged {pct(c['merged'], n)}, "
          f"early answer {pct(c['early'], n)}, filler {pct(c['filler'], n)}; careful-looking {pct(c['careful'], n)} of samples, "
          f"right {pct(c['careful_right'], c['careful'])}; equations {c['equations']}: arithmetic wrong {pct(c['arith_wrong'], c['equations'])}, "
          f"copy wrong {pct(c['copy_wrong'], c['equations'])}")

if __name__ == "__main__":
    for p in sys.argv[1:]:
        describe(p)
