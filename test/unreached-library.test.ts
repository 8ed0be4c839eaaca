// A library's switch holds for the programs that run it (src/project/programs.ts
// unreachedLibraries): with no program of the project seen to run it, the programs that import
// it are not known, and one that calls it from an unguarded top level (a README's shape) would
// fail under spawn where it works under fork (the third survey drove pylangacq and
// resource-tracker so). Any program of the project that reaches it is enough to see how it runs. A
// project that publishes no package is imported by its own programs only: the rule is for published ones.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { cli } from "./helpers/cli";
import { writeTree } from "./helpers/tree";

const LIB = "import multiprocessing\n\n\ndef _size(w):\n    return len(w)\n\n\ndef sizes(words):\n    with multiprocessing.Pool(2) as pool:\n        return pool.map(_size, words)\n";
const PUBLISHED = '[project]\nname = "textlib"\n';
const GUARDED = 'from textlib.core import sizes\n\nif __name__ == "__main__":\n    print(sizes(["a"]))\n';

const CASES: Record<string, [Record<string, string>, string]> = {
  "no program runs it": [{}, "[-]"],
  "a program names it only in a string": [{ "main.py": 'print("textlib.core.sizes")\n' }, "[-]"],
  "a guarded script runs it": [{ "main.py": GUARDED }, "[*]"],
  "a test runs it": [{ "tests/test_core.py": "from textlib.core import sizes\n\n\ndef test_sizes():\n    assert sizes(['ab']) == [2]\n" }, "[*]"],
  "a module of the package with a main guard runs it": [{ "textlib/__main__.py": GUARDED.replace("textlib.core", ".core") }, "[*]"],
  "a console script's function runs it": [
    { "pyproject.toml": `${PUBLISHED}\n[project.scripts]\nsizes = "textlib.cli:main"\n`, "textlib/cli.py": "from textlib.core import sizes\n\n\ndef main():\n    print(sizes(['a']))\n" },
    "[*]",
  ],
};

test("a published library's switch is proved only where some program of the project is seen to run it", async () => {
  for (const [name, [extra, mark]] of Object.entries(CASES)) {
    const files = { "pyproject.toml": PUBLISHED, "textlib/__init__.py": "", "textlib/core.py": LIB, ...extra };
    const r = await cli(["check", "-q", "--no-cache", "."], writeTree(files, "spawnsafe-unreached-"));
    const line = r.stdout.split("\n").find((l) => l.startsWith("textlib/core.py:9:10: SPS103"));
    assert.ok(line?.startsWith(`textlib/core.py:9:10: SPS103 ${mark} `), `${name}: ${mark}\n${r.stdout}`);
    if (mark === "[-]") assert.match(line!, /no program of the project is seen to run it/, name);
  }
  // A project that publishes nothing is imported by its own programs only (omniCLIP's scripts import its modules through sys.path).
  const own = await cli(["check", "-q", "--no-cache", "."], writeTree({ "pyproject.toml": "", "textlib/__init__.py": "", "textlib/core.py": LIB }, "spawnsafe-unreached-"));
  assert.match(own.stdout, /^textlib\/core\.py:9:10: SPS103 \[\*\] /m, own.stdout);
});
