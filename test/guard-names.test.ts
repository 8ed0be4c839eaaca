// The guard fix (src/fix/guard.ts) moves a top-level start and what follows it under the main
// guard; it must refuse when code that stays at module level reads a name only the moved code
// binds (NameError at import), and only then: a spelling of the name that is not a read of the
// module's binding (an attribute, a keyword, a comprehension's or lambda's own variable, a
// function's local) does not stop it. Generated: every spelling, with every kind of binding.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { analyzeModule, NO_CONTEXT } from "../src/python/module";
import { parsePython } from "../src/parse";
import { missingGuardFix } from "../src/fix/guard";

/** How the moved statement binds `name`. */
const BINDINGS: Array<(name: string) => string[]> = [
  (name) => ["with multiprocessing.Pool(2) as pool:", `    for ${name}, n in pool.imap(work, [1, 2]):`, `        print(${name}, n)`],
  (name) => ["with multiprocessing.Pool(2) as pool:", `    ${name} = pool.map(work, [1, 2])`],
  (name) => [`with multiprocessing.Pool(2) as ${name}:`, `    print(${name}.map(work, [1, 2]))`],
];

/** A statement staying at module level (above the start) that spells `name` without reading the module's name. */
const NOT_READS: Array<(name: string) => string> = [
  (name) => `value = os.${name}`,
  (name) => `value = dict(${name}=1)`,
  (name) => `value = [${name} for ${name} in range(3)]`,
  (name) => `value = sorted((${name} for ${name} in "ab"), key=lambda ${name}: ${name})`,
  (name) => `value = {${name}: 1 for ${name} in "ab"}`,
];

/** Staying code (a definition below the start: its default value runs at import) that reads the module's `name`. */
const READS: Array<(name: string) => string[]> = [
  (name) => [`def later(a=${name}):`, "    return a"],
  (name) => [`class Later:`, `    value = ${name}`],
  (name) => [`@print_${name}(${name})`, "def later():", "    pass"],
];

function program(binding: string[], above: string[], below: string[]): string {
  return ["import multiprocessing", "import os", "", "", "def work(x):", "    return x", "", "", ...above, ...binding, "", "", ...below, ""].join("\n");
}

function fixOf(text: string) {
  const module = analyzeModule(text, parsePython(text), NO_CONTEXT);
  return missingGuardFix(module, { path: "script.py", packageDir: null, isMainModule: false } as never);
}

test("a spelling of a moved name that is not a read of it leaves the guard fix in place", () => {
  for (const name of ["path", "n", "item"]) {
    for (const bind of BINDINGS) {
      for (const spell of NOT_READS) {
        const text = program(bind(name), [spell(name)], []);
        assert.notEqual(fixOf(text), null, text);
      }
    }
  }
});

test("staying code that reads a moved name has no guard fix", () => {
  for (const name of ["path", "n", "item"]) {
    for (const bind of BINDINGS) {
      for (const read of READS) {
        const text = program(bind(name), [], read(name));
        assert.equal(fixOf(text), null, text);
      }
    }
  }
});
