// The analysis makes no node object per definition of a module (src/python/outline.ts): each
// one node-tree-sitter makes costs a native cache entry besides the object, about 500 bytes
// and a microsecond, more than the parse spends on the node; six per function took `check` of
// a 12.6 MB module of small functions to 1.7 GB. Counted at the tree's own cache of node
// objects while the CLI runs in this process, on the benchmark's generated modules (bench/corpus.ts)
// of two sizes: what a run makes grows with what the analysis asks, not with the functions.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import type Parser from "tree-sitter";
import { cli } from "./helpers/cli";
import { writeTree } from "./helpers/tree";

/** The benchmark's generated module (bench/corpus.ts writeGeneratedModule), with `functions` small functions. */
function generated(functions: number): string {
  const parts = ["import multiprocessing\n\n"];
  for (let i = 0; i < functions; i++) parts.push(`def f${i}(x):\n    return x + ${i}\n\n`);
  parts.push("def main():\n    with multiprocessing.Pool(2) as pool:\n        print(pool.map(f1, range(4)))\n\nif __name__ == '__main__':\n    main()\n");
  return parts.join("");
}

/** Runs spawnsafe with `args` on `text` saved as m.py alone in a folder: the node objects made, and stdout. */
async function nodeObjects(text: string, args: string[]): Promise<{ made: number; stdout: string }> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const TreeSitter = require("tree-sitter") as typeof Parser;
  const parser = new TreeSitter();
  parser.setLanguage(require("tree-sitter-python"));
  const proto = Object.getPrototypeOf(parser.parse("x = 1")) as Record<string, (...a: unknown[]) => unknown>;
  const one = proto._cacheNode;
  const many = proto._cacheNodes;
  let made = 0;
  proto._cacheNode = function (this: unknown, ...a: unknown[]) {
    made++;
    return one.apply(this, a);
  };
  proto._cacheNodes = function (this: unknown, ...a: unknown[]) {
    made += (a[0] as unknown[]).length;
    return many.apply(this, a);
  };
  try {
    const dir = writeTree({ "m.py": text }, "spawnsafe-node-objects-");
    const r = await cli([...args, "--no-cache", "--jobs", "1", path.join(dir, "m.py")], dir);
    return { made, stdout: r.stdout };
  } finally {
    proto._cacheNode = one;
    proto._cacheNodes = many;
  }
}

for (const args of [["check"], ["fix", "--dry-run"]]) {
  test(`${args.join(" ")} of a module makes no node object per function`, async () => {
    const small = await nodeObjects(generated(200), args);
    const large = await nodeObjects(generated(2000), args);
    // The same finding (for fix, its rewrite) at the end of both modules.
    const expected = args[0] === "fix" ? /\+ {4}multiprocessing\.set_start_method\("spawn", force=True\)/ : /SPS102 \[\*\]/;
    assert.match(small.stdout, expected);
    assert.match(large.stdout, expected);
    // 1800 functions more: a few node objects more at most, not one or more per function.
    assert.ok(large.made - small.made < 100, `${small.made} node objects for 200 functions, ${large.made} for 2000`);
  });
}
