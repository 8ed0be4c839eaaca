// A run parses each text once (src/trees.ts): the engine's first round, the project model and
// the last round share one tree; `fix` parses each rewrite once more. Counted at tree-sitter's
// own Parser.prototype.parse, with the CLI run in this process.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type Parser from "tree-sitter";
import { cli } from "./helpers/cli";
import { writeTree } from "./helpers/tree";

const JOBS = "import multiprocessing\n\ndef square(x):\n    return x * x\n\ndef run_all(n):\n    with multiprocessing.get_context('spawn').Pool(2) as pool:\n        return pool.map(square, range(n))\n";
// Names the API and calls a function of another module that starts processes: processed in
// the first round, read by the model, and processed again in the last round.
const CORE =
  "import multiprocessing\nfrom pkg.jobs import run_all\n\ndef cube(x):\n    return x ** 3\n\ndef cubes():\n    with multiprocessing.Pool(2) as pool:\n        return pool.map(cube, range(3))\n\ndef both():\n    return run_all(2), cubes()\n\nif __name__ == '__main__':\n    print(both())\n";
// Names no API: read by the model (it calls into the package), processed in the last round.
const MAIN = "from pkg.core import both\n\nprint(both())\n";
// Starts processes, imported by nothing.
const OTHER = "import multiprocessing\n\ndef go():\n    multiprocessing.Process(target=print).start()\n\nif __name__ == '__main__':\n    go()\n";
const FILES = { "pyproject.toml": "", "pkg/__init__.py": "", "pkg/jobs.py": JOBS, "pkg/core.py": CORE, "main.py": MAIN, "tools/other.py": OTHER };

/**
 * Runs spawnsafe with `args` in `dir`, counting the whole parses of each text, and apart from
 * them the incremental ones (given an old tree: a rewrite's, and an original's made again from its rewrite's).
 */
async function counted(dir: string, args: string[]): Promise<{ counts: Map<string, number>; incremental: Map<string, number>; stdout: string }> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const TreeSitter = require("tree-sitter") as typeof Parser;
  const original = TreeSitter.prototype.parse;
  const counts = new Map<string, number>();
  const incremental = new Map<string, number>();
  TreeSitter.prototype.parse = function (this: Parser, input: unknown, ...rest: unknown[]) {
    const into = rest[0] ? incremental : counts;
    if (typeof input === "string") into.set(input, (into.get(input) ?? 0) + 1);
    return (original as (...a: unknown[]) => Parser.Tree).call(this, input, ...rest);
  } as typeof original;
  try {
    const r = await cli([...args, "--no-cache", "--jobs", "1"], dir);
    return { counts, incremental, stdout: r.stdout };
  } finally {
    TreeSitter.prototype.parse = original;
  }
}

test("check parses each file's text once, though it goes through both rounds and the project model", async () => {
  const dir = writeTree(FILES, "spawnsafe-parses-");
  const { counts, stdout } = await counted(dir, ["check", "."]);
  assert.match(stdout, /main\.py:3:1: SPS101/, "the model's names reached main.py");
  for (const name of ["pkg/jobs.py", "pkg/core.py", "main.py", "tools/other.py"]) {
    assert.equal(counts.get(FILES[name as keyof typeof FILES]), 1, `${name} parsed once`);
  }
  for (const [text, n] of counts) assert.equal(n, 1, `parsed ${n} times: ${JSON.stringify(text.slice(0, 60))}`);
});

test("check of one module parses it once, and its neighbours at most once", async () => {
  const dir = writeTree(FILES, "spawnsafe-parses-");
  const { counts } = await counted(dir, ["check", "pkg/core.py"]);
  assert.equal(counts.get(CORE), 1);
  for (const [text, n] of counts) assert.equal(n, 1, `parsed ${n} times: ${JSON.stringify(text.slice(0, 60))}`);
});

test("fix --dry-run parses each text once and each rewrite once more, incrementally", async () => {
  const dir = writeTree(FILES, "spawnsafe-parses-");
  const { counts, incremental, stdout } = await counted(dir, ["fix", "--dry-run", "--unsafe-fixes", "."]);
  assert.match(stdout, /\+\+\+ b\/pkg\/core\.py/, "core.py is rewritten");
  assert.match(stdout, /\+\+\+ b\/main\.py/, "main.py is rewritten");
  assert.equal(counts.get(CORE), 1);
  assert.equal(counts.get(MAIN), 1);
  const rewrites = [...incremental.keys()].filter((t) => !Object.values(FILES).includes(t) && t.length > 100);
  assert.ok(rewrites.length >= 2, "the rewrites are parsed from their originals' trees");
  for (const text of rewrites) assert.equal(counts.get(text), undefined, `a rewrite parsed whole: ${JSON.stringify(text.slice(0, 60))}`);
  for (const [text, n] of counts) assert.equal(n, 1, `parsed ${n} times: ${JSON.stringify(text.slice(0, 60))}`);
  // A rewrite's tree is made once from its original's; an original's made again from it (processed again in the last round) once.
  for (const [text, n] of incremental) assert.ok(n <= 2, `parsed incrementally ${n} times: ${JSON.stringify(text.slice(0, 60))}`);
  // Nothing written by --dry-run.
  assert.equal(fs.readFileSync(path.join(dir, "pkg/core.py"), "utf8"), CORE);
});

test("check of some files reads only the modules they can reach by import: a neighbour nothing imports is not parsed", async () => {
  const dir = writeTree(FILES, "spawnsafe-parses-");
  const { counts, stdout } = await counted(dir, ["check", "main.py"]);
  // main.py -> pkg.core -> pkg.jobs: the chain that makes its top-level call start processes is found.
  assert.match(stdout, /main\.py:3:1: SPS101/);
  assert.equal(counts.get(CORE), 1);
  assert.equal(counts.get(JOBS), 1);
  assert.equal(counts.get(OTHER), undefined, "tools/other.py is imported by nothing");
  const whole = await counted(dir, ["check", "."]);
  const ofMain = (out: string) => out.split("\n").filter((l) => l.startsWith("main.py:"));
  assert.deepEqual(ofMain(stdout), ofMain(whole.stdout), "the same findings as in a run of the whole project");
});
