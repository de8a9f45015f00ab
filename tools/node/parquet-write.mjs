// Writes Parquet files with an implementation independent of steerscope's reader (arrow-rs through parquet-wasm,
// tables built with apache-arrow), for DatasetParquetTest.
// usage: node parquet-write.mjs SPEC.json
// SPEC: {"files": [{"path": "...", "compression": "snappy|zstd|gzip|none", "columns": {"name": {"type": "utf8|int64|float64", "values": [...]}}}]}
import fs from "node:fs";
import { tableFromArrays, tableToIPC, vectorFromArray, Utf8, Int64, Float64, Table } from "apache-arrow";
import * as parquet from "parquet-wasm";

const TYPES = { utf8: () => new Utf8(), int64: () => new Int64(), float64: () => new Float64() };
const CODECS = {
  snappy: parquet.Compression.SNAPPY, zstd: parquet.Compression.ZSTD, gzip: parquet.Compression.GZIP,
  none: parquet.Compression.UNCOMPRESSED,
};

const spec = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
for (const f of spec.files) {
  const cols = {};
  for (const [name, c] of Object.entries(f.columns)) {
    const values = c.type === "int64" ? c.values.map((v) => (v === null ? null : BigInt(v))) : c.values;
    cols[name] = vectorFromArray(values, TYPES[c.type]());
  }
  const table = new Table(cols);
  const props = new parquet.WriterPropertiesBuilder().setCompression(CODECS[f.compression ?? "snappy"]).build();
  const bytes = parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, "stream")), props);
  fs.writeFileSync(f.path, bytes);
}
