// The bootstrap obligation (src/python/bootstrap.ts): every top-level statement a spawned child
// re-runs when it imports the program is harmless. Generated: each kind of top-level statement,
// in each position a script puts it (a plain statement, an assignment, inside `with`/`if`).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { analyzeModule, NO_CONTEXT } from "../src/python/module";
import { parsePython } from "../src/parse";
import { bootstrapProof } from "../src/python/bootstrap";

/** Reads of the file system: the child reads what is there, as `open(path)` for reading does. */
const READS = [
  'os.listdir(".")', 'sorted(os.listdir("."))', 'glob.glob("*.py")', 'os.path.exists("x")', 'os.stat(".")',
  'pathlib.Path(".").exists()', 'list(pathlib.Path(".").iterdir())', 'pathlib.Path(__file__).read_text()',
  'open(__file__).read()', 'open(__file__, "rb").readlines()', 'shutil.which("python3")', '[e.name for e in os.scandir(".")]',
];
/** Reads of stdin (/dev/null in a spawned child) and writes: never harmless. */
const NOT_HARMLESS = [
  "input()", "open(0).read()", 'open("/dev/stdin").read()', "sys.stdin.read()", 'open("out.txt", "w")',
  'os.mkdir("out")', 'pathlib.Path("out").write_text("x")', 'shutil.rmtree("out")',
];
const PLACES: Array<(e: string) => string[]> = [
  (e) => [e],
  (e) => [`value = ${e}`],
  (e) => ['if os.environ.get("X", "1"):', `    value = ${e}`],
];

function proof(statement: string[]) {
  const text = ["import glob", "import multiprocessing", "import os", "import pathlib", "import shutil", "import sys", "", ...statement, "",
    'if __name__ == "__main__":', "    with multiprocessing.Pool(2) as pool:", "        print(pool.map(abs, [-1]))", ""].join("\n");
  return { text, proof: bootstrapProof(analyzeModule(text, parsePython(text), NO_CONTEXT), () => false) };
}

test("a script that reads the file system at top level is harmless to re-run", () => {
  for (const read of READS) {
    for (const place of PLACES) {
      const { text, proof: p } = proof(place(read));
      assert.equal(p.verdict, "proved", `${text}\n${p.reason}`);
    }
  }
});

test("a script that reads stdin or writes at top level is not proved harmless", () => {
  for (const effect of NOT_HARMLESS) {
    for (const place of PLACES) {
      const { text, proof: p } = proof(place(effect));
      assert.notEqual(p.verdict, "proved", text);
    }
  }
});
