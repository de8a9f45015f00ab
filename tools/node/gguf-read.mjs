// Independent GGUF reader for the Java tests: parses a local file with @huggingface/gguf and prints JSON
// {metadata, types (GGUF value type of each key), tensorDataOffset, tensors: [{name, shape, dtype, offset, values}]}. The package parses the
// header, metadata and tensor infos; F32 tensor values are read here from tensorDataOffset + offset.
// Usage: node tools/node/gguf-read.mjs FILE.gguf
import { gguf } from "@huggingface/gguf";
import { readFileSync } from "node:fs";

const file = process.argv[2];
if (!file) {
  console.error("usage: node gguf-read.mjs FILE.gguf");
  process.exit(2);
}

const { metadata, typedMetadata, tensorInfos, tensorDataOffset, littleEndian } = await gguf(file, { allowLocalFile: true, typedMetadata: true });
const bytes = readFileSync(file);
const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const GGML_TYPE_F32 = 0;

const tensors = tensorInfos.map((t) => {
  const shape = t.shape.map(Number);
  let values = null;
  if (t.dtype === GGML_TYPE_F32) {
    const n = shape.reduce((a, b) => a * b, 1);
    const start = Number(tensorDataOffset + t.offset);
    if (start + 4 * n > bytes.byteLength) throw new Error(`tensor ${t.name} runs past the end of the file`);
    values = new Array(n);
    for (let i = 0; i < n; i++) values[i] = view.getFloat32(start + 4 * i, littleEndian);
  }
  return { name: t.name, shape, dtype: t.dtype, offset: Number(t.offset), values };
});

// BigInt (uint64 counts) is not JSON: print it as a number when exact, else as a string.
const plain = (v) => (typeof v === "bigint" ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v);
const meta = {};
const types = {};
for (const [k, v] of Object.entries(metadata)) meta[k] = Array.isArray(v) ? v.map(plain) : plain(v);
for (const [k, v] of Object.entries(typedMetadata)) types[k] = v.type;

process.stdout.write(JSON.stringify({ metadata: meta, types, tensorDataOffset: Number(tensorDataOffset), littleEndian, tensors }));
