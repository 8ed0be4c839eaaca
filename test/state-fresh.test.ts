// The state obligation (src/python/state.ts): a method called on a new object that a library
// function returns changes that object, not the library module the workers read; a method of
// an object the library keeps and hands out again (a logger, the decimal context) changes its state.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { analyzeModule, NO_CONTEXT } from "../src/python/module";
import { parsePython } from "../src/parse";
import { childState } from "../src/python/crossing";

function proofs(imports: string, read: string, change: string) {
  const text = [imports, "import multiprocessing", "", "", "def work(x):", `    return (x, ${read})`, "", "",
    'if __name__ == "__main__":', `    ${change}`, "    with multiprocessing.Pool(2) as pool:", "        print(pool.map(work, [1, 2]))", ""].join("\n");
  const module = analyzeModule(text, parsePython(text), NO_CONTEXT);
  return { text, proofs: childState(module, module.sites[0]) };
}

test("a method of a new object a library function makes is no change to the library", () => {
  const made = [
    ["import collections", "collections.Counter('ab')", ["collections.deque([1, 2]).pop()", "collections.Counter('abc').update('d')"]],
    ["import numpy as np", "np.zeros(2)", ["np.array([1, 2]).reshape((2, 1))", "np.arange(4).sort()", "np.zeros(3).fill(1)"]],
    ["import pandas as pd", "pd.Series([1])", ["pd.DataFrame({'a': [1]}).rename(columns={'a': 'b'})"]],
    // A path object: listing or reading a folder changes nothing in pathlib (vector2dggs's pre-fix common.py read so).
    ["import pathlib", "pathlib.PurePosixPath('a.b').stem", ["print(list(pathlib.Path('.').iterdir()))", "pathlib.Path('.').glob('*.py')", "pathlib.Path('x').with_suffix('.y')"]],
    ["import io", "io.StringIO('a').read()", ["io.StringIO().write('x')"]],
    // A context makes new objects; only its setters change multiprocessing.
    ["import os", "os.sep", ["multiprocessing.get_context().Lock()", "multiprocessing.get_context('spawn').Queue().put(1)"]],
  ] as const;
  for (const [imports, read, changes] of made) {
    for (const change of changes) {
      const { text, proofs: p } = proofs(imports, read, change);
      assert.deepEqual(p.map((x) => x.reason), [], text);
    }
  }
});

test("a method of an object a library keeps and hands out again changes the library's state", () => {
  const kept = [
    ["import logging", "logging.getLogger('w').level", "logging.getLogger('w').setLevel(logging.DEBUG)"],
    ["import decimal", "decimal.Decimal(1) / 3", "decimal.getcontext().traps.clear()"],
    ["import os", "multiprocessing.cpu_count()", "multiprocessing.get_context().set_forkserver_preload(['os'])"],
  ] as const;
  for (const [imports, read, change] of kept) {
    const { text, proofs: p } = proofs(imports, read, change);
    assert.notDeepEqual(p, [], text);
  }
});
