// The floor of the "relevant" benchmark: read and parse each file with tree-sitter, nothing
// else, on one thread. Prints {"files","bytes","seconds"} as JSON.
// Usage: node dist/bench/parse.js < files.txt
import * as fs from "node:fs";
import { parsePython } from "../src/parse";

const files = fs.readFileSync(0, "utf8").split("\n").filter(Boolean);
const started = process.hrtime.bigint();
let bytes = 0;
for (const file of files) {
  const text = fs.readFileSync(file, "utf8");
  bytes += Buffer.byteLength(text);
  parsePython(text);
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(JSON.stringify({ files: files.length, bytes, seconds }));
