// The analysis never walks a whole module (src/python/source-index.ts): tree-sitter's
// descendantsOfType on the module's root costs about 0.1 ms per kilobyte of source, so a few
// such walks of a large module outweigh its parse. Counted at the root node's own
// descendantsOfType while the CLI runs in this process, on modules that take every path
// which once walked the whole tree: a library's sites (the state proof's parent code is all
// its functions), a method call in a task (the methods by name), a method of a parameter in a
// task (the attributes the module stores code in), a program whose docstring has a line that
// looks like a Python 2 print statement.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import type Parser from "tree-sitter";
import { cli } from "./helpers/cli";
import { writeTree } from "./helpers/tree";

const LIBRARY = `import multiprocessing

class Worker:
    def step(self, x):
        return x + 1

def work(x):
    return Worker().step(x) + x.bit_length()

def run_all(n):
    with multiprocessing.Pool(2) as pool:
        return pool.map(work, range(n))
`;

const PROGRAM = `"""Usage: main.py [-h]

    -h: print this help message and exit
"""
import multiprocessing

class Shape:
    def area(self):
        return 1

def measure(x):
    return Shape().area() * x

if __name__ == "__main__":
    with multiprocessing.Pool(2) as pool:
        print(pool.map(measure, range(3)))
`;

/** Runs spawnsafe with `args` in `dir`, collecting the node types asked for on a module's root. */
async function rootWalks(dir: string, args: string[]): Promise<{ walks: string[]; stdout: string }> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const TreeSitter = require("tree-sitter") as typeof Parser;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const Python = require("tree-sitter-python");
  const parser = new TreeSitter();
  parser.setLanguage(Python);
  const proto = Object.getPrototypeOf(parser.parse("x = 1").rootNode) as Parser.SyntaxNode;
  const original = proto.descendantsOfType;
  const walks: string[] = [];
  proto.descendantsOfType = function (this: Parser.SyntaxNode, ...rest: unknown[]) {
    if (this.type === "module") walks.push(JSON.stringify(rest[0]));
    return (original as (...a: unknown[]) => Parser.SyntaxNode[]).apply(this, rest);
  } as typeof original;
  try {
    const r = await cli([...args, "--no-cache", "--jobs", "1"], dir);
    return { walks, stdout: r.stdout };
  } finally {
    proto.descendantsOfType = original;
  }
}

test("check walks no module's whole tree: a library's state proof, methods by name, a docstring that looks like Python 2", async () => {
  const dir = writeTree({ "pyproject.toml": "", "pkg/__init__.py": "", "pkg/jobs.py": LIBRARY, "main.py": PROGRAM, "tests/test_jobs.py": "from pkg.jobs import run_all\n\n\ndef test_run_all():\n    assert run_all(2) == [1, 3]\n" }, "spawnsafe-walks-");
  const { walks, stdout } = await rootWalks(dir, ["check", "."]);
  // Both fixes are safe: every proof, the state proof among them, was worked out to the end.
  assert.match(stdout, /main\.py:15:10: SPS102 \[\*\]/);
  assert.match(stdout, /pkg\/jobs\.py:11:10: SPS103 \[\*\]/);
  assert.deepEqual(walks, []);
});
