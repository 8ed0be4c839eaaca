// Code the children are handed (src/python/crossing.ts handedIn): a call of a parameter, a local,
// what a call or subscript gives, or an attribute the module stores as data is code not known;
// a builtin, a definition of the module or a library's function is not, with or without a star
// import of a module spawnsafe cannot read (which may bind any name).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { analyzeModule, NO_CONTEXT } from "../src/python/module";
import { parsePython } from "../src/parse";
import { childState } from "../src/python/crossing";

function reasons(body: string[], star: boolean): { text: string; reasons: string[] } {
  const text = ["import math", "import multiprocessing", ...(star ? ["from numpy import *"] : []), "", "", "def helper(v):", "    return v",
    "", "", "def task(args):", ...body.map((l) => `    ${l}`), "", "",
    'if __name__ == "__main__":', "    with multiprocessing.Pool(2) as pool:", "        print(pool.map(task, [(abs, 1)]))", ""].join("\n");
  const module = analyzeModule(text, parsePython(text), NO_CONTEXT);
  return { text, reasons: childState(module, module.sites[0]).map((p) => p.reason) };
}

test("calls of builtins, the module's functions and libraries are known code", () => {
  for (const star of [false, true]) {
    for (const call of ["len(args)", "sorted(range(3))", "helper(args)", "math.sqrt(4)", "max(args, key=len)"]) {
      const { text, reasons: r } = reasons([`return ${call}`], star);
      assert.deepEqual(r, [], text);
    }
  }
});

test("calls of what the children were handed are code not known", () => {
  for (const star of [false, true]) {
    for (const body of [["fn, x = args", "return fn(x)"], ["return args[0](args[1])"], ["table = {'h': helper}", "return table['h'](args)"],
      ["make = getattr(math, 'sqrt')", "return make(4)"], ["return (args[0])(1)"]]) {
      const { text, reasons: r } = reasons(body, star);
      assert.ok(r.some((x) => /whose code is not known here/.test(x)), `${text}\n${r.join("\n")}`);
    }
  }
});

test("a task from a module outside the project and the standard library, handed code with its items, runs code not known", () => {
  const program = (items: string) => ["import multiprocessing", "from helpers import wrapper", "", "", "def local(v):", "    return v", "", "",
    "def run_all(func, xs):", "    pairs = ((func, x) for x in xs)", "    with multiprocessing.Pool(2) as pool:", `        return pool.map(wrapper, ${items})`, ""].join("\n");
  const verdict = (items: string) => {
    const text = program(items);
    const module = analyzeModule(text, parsePython(text), NO_CONTEXT);
    return { text, unknown: childState(module, module.sites[0]).some((p) => /whose code is not known here/.test(p.reason)) };
  };
  for (const items of ["[(func, x) for x in xs]", "((local, x) for x in xs)", "[(lambda v: v, 1)]", "[func]", "pairs"]) {
    const { text, unknown } = verdict(items);
    assert.ok(unknown, text);
  }
  for (const items of ["[1, 2, 3]", "range(3)", "[('a', 1), ('b', 2)]"]) {
    const { text, unknown } = verdict(items);
    assert.ok(!unknown, text);
  }
});
