#!/usr/bin/env bash
# Read bandwidth of the bench's memory-mapped 0.5B checkpoints (F32 and BF16) against the same bytes in a heap
# array, 2 threads (tools/bench/MappedRead.java); writes the table into docs/performance.md between
# <!-- mapped-read:begin/end -->. Run after a bench run has generated target/bench-models.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
java="${STEERSCOPE_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
rows=$(mktemp)
for m in qwen2.5-0.5b-shapes-f32 qwen2.5-0.5b-shapes-bf16; do
    "$java" --add-modules jdk.incubator.vector -Xmx6g tools/bench/MappedRead.java "target/bench-models/$m/model.safetensors" 2 2>/dev/null | tail -1 >> "$rows"
done
/usr/bin/python3 - "$rows" <<'PY'
import json, os, sys
sys.path.insert(0, "tools")
import docblock
rows = [[os.path.basename(os.path.dirname(j["file"])), j["mapped_bytes"], "%.1f" % j["mapped_read_gbs"], "%.1f" % j["heap_read_gbs"],
         "%.2f" % (j["mapped_read_gbs"] / j["heap_read_gbs"])] for j in map(json.loads, open(sys.argv[1]))]
print(docblock.write_table("docs/performance.md", "mapped-read", "tools/bench/mapped-read.sh", "2 threads; best of 5 passes after a warm one",
                           ["file", "bytes:", "mapped read GB/s:", "same bytes in a heap array GB/s:", "mapped / heap:"], rows))
PY
rm -f "$rows"
