#!/usr/bin/env bash
# One matmul product at a time, Java kernels against oneDNN, timed by process CPU time on one thread (so the
# load of a shared machine does not enter): the measurements behind the native backend's row threshold and the
# notes in docs/performance.md. Prints a Markdown table. Needs target/steerscope.jar (./steerscope builds it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
java="${STEERSCOPE_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
run() {
  "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$here/target/steerscope.jar:$here/target/lib/*" \
    steerscope.bench.BenchWorker product threads=1 native_min_rows=1 "$@" 2>/dev/null | tail -1
}
echo "| product | Java GFLOP per CPU-s | oneDNN GFLOP per CPU-s | oneDNN / Java |"
echo "| --- | ---: | ---: | ---: |"
for spec in "m=4864 k=896 n=1 dtype=bf16 product=forward repeats=200" \
            "m=4864 k=896 n=16 dtype=bf16 product=forward repeats=50" \
            "m=4864 k=896 n=512 dtype=bf16 product=forward repeats=10" \
            "m=4864 k=896 n=2048 dtype=bf16 product=input repeats=4" \
            "m=1024 k=256 n=2048 dtype=heap product=forward repeats=40"; do
  # shellcheck disable=SC2086
  j=$(run $spec kernels=java); n=$(run $spec kernels=native)
  python3 -c 'import json,sys; j,n=json.loads(sys.argv[1]),json.loads(sys.argv[2]); print("| %s | %.1f | %.1f | %.2fx |" % (j["shape"], j["gflop_per_cpu_s"], n["gflop_per_cpu_s"], n["gflop_per_cpu_s"]/j["gflop_per_cpu_s"]))' "$j" "$n"
done
