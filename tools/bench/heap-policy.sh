#!/usr/bin/env bash
# How much of a bench row's peak RSS is the JVM's heap policy rather than live data, and what another policy would
# cost the training steps: the same BenchWorker cases under the launcher's collector (ParallelGC) and three others, 2 threads, peak RSS (VmHWM) and the heap's
# committed peak. Writes the table into docs/performance.md between <!-- heap-policy:begin/end -->.
#   tools/bench/heap-policy.sh        (after a bench run has generated target/bench-models)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
java="${STEERSCOPE_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
M=target/bench-models
rows=$(mktemp)
for gc in "-XX:+UseParallelGC" "-XX:+UseParallelGC -XX:GCTimeRatio=4" "-XX:+UseG1GC" "-XX:+UseSerialGC"; do
  for w in "prefill model=$M/small-d256-l4 batch=1 tokens=512 steps=0 warmup=3 repeats=7 budget=20" \
           "prefill model=$M/qwen2.5-0.5b-shapes-bf16 batch=1 tokens=512 steps=0 warmup=1 repeats=3 budget=30" \
           "decode model=$M/qwen2.5-0.5b-shapes-bf16 batch=16 tokens=256 steps=8 warmup=1 repeats=3 budget=30" \
           "rl model=$M/small-d256-l4 batch=8 tokens=256 steps=0 warmup=3 repeats=7 budget=20" \
           "full model=$M/small-d256-l4 batch=8 tokens=256 steps=0 warmup=3 repeats=7 budget=20"; do
    out=$("$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx12g $gc -Dsteerscope.threads=2 \
          -cp "target/steerscope.jar:target/lib/*" steerscope.bench.BenchWorker $w threads=2 kernels=java 2>/dev/null | tail -1)
    echo "$gc	$w	$out" >> "$rows"
  done
done
/usr/bin/python3 - "$rows" <<'PY'
import json, os, sys
sys.path.insert(0, "tools")
import docblock
rows = []
for line in open(sys.argv[1]):
    gc, w, j = line.rstrip("\n").split("\t")
    j = json.loads(j)
    a = dict(x.split("=", 1) for x in w.split()[1:])
    rows.append(["`%s`" % gc, "%s %s %sx%s" % (w.split()[0], os.path.basename(a["model"]), a["batch"], a["tokens"]), "%.1f" % (j["tokens"] / j["median_s"]),
                 j["peak_rss_bytes"] >> 20, (j.get("heap_peak_committed_bytes") or 0) >> 20])
print(docblock.write_table("docs/performance.md", "heap-policy", "tools/bench/heap-policy.sh", "2 threads, `-Xmx12g`, one run each",
                           ["collector", "case", "tokens/s:", "peak RSS MiB:", "heap committed peak MiB:"], rows))
PY
rm -f "$rows"
