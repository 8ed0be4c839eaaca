// Loaded before spawnsafe by the benchmark (`node -r dist/bench/count-parses.js`): counts
// tree-sitter's Parser.prototype.parse calls on each text, and prints at exit, as the last
// line of stderr, {"texts", "most", "incremental", "maxRss"}: how many texts were parsed, the
// most whole parses of any one text, the parses given an old tree (a rewrite's incremental
// parse, or an original's tree made again from its rewrite's: tree-sitter reuses what was not edited),
// and the process's peak resident memory in bytes. The parser's own checks at
// its creation (src/parse.ts: a few bytes each) are not counted.
import type Parser from "tree-sitter";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const TreeSitter = require("tree-sitter") as typeof Parser;
const parse = TreeSitter.prototype.parse;
const counts = new Map<string, number>();
let incremental = 0;
TreeSitter.prototype.parse = function (this: Parser, input: unknown, ...rest: unknown[]) {
  if (typeof input === "string" && input.length >= 200 && rest[0]) incremental++;
  else if (typeof input === "string" && input.length >= 200) counts.set(input, (counts.get(input) ?? 0) + 1);
  return (parse as (...a: unknown[]) => Parser.Tree).call(this, input, ...rest);
} as typeof parse;

process.on("exit", () => {
  const most = Math.max(0, ...counts.values());
  process.stderr.write(`\n${JSON.stringify({ texts: counts.size, most, incremental, maxRss: process.resourceUsage().maxRSS * 1024 })}\n`);
});
