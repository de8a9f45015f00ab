// Reference ids from @huggingface/tokenizers for the Java tokenizer tests.
// Usage: node tokenize-golden.mjs TOKENIZER_JSON STRINGS_JSON
//   STRINGS_JSON is a JSON array of strings. Prints one JSON array: for each string
//   {"plain": ids without special tokens, "special": ids with the post-processor's special tokens}.
import { readFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";

const [tokenizerPath, stringsPath] = process.argv.slice(2);
if (!tokenizerPath || !stringsPath) {
  console.error("usage: node tokenize-golden.mjs TOKENIZER_JSON STRINGS_JSON");
  process.exit(2);
}
const tokenizer = new Tokenizer(JSON.parse(readFileSync(tokenizerPath, "utf8")), {});
const strings = JSON.parse(readFileSync(stringsPath, "utf8"));
const out = strings.map((s) => ({
  plain: tokenizer.encode(s, { add_special_tokens: false }).ids,
  special: tokenizer.encode(s, { add_special_tokens: true }).ids,
}));
process.stdout.write(JSON.stringify(out));
