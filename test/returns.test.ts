// The crossing obligation follows what a function of the module returns (src/python/pickling.ts):
// each `return` of its own body, with the call's arguments for its parameters. Generated: a
// Process argument made by a function, over every kind of return.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { analyzeModule, NO_CONTEXT } from "../src/python/module";
import { parsePython } from "../src/parse";
import { handedOver } from "../src/python/crossing";
import { combine } from "../src/python/pickling";

/** A function `make(a, b=...)` and the verdict its result gets as a Process argument. */
const RETURNS: Array<[string[], "proved" | "failed" | "unknown"]> = [
  [["    return 3"], "proved"],
  [["    return (a, b, 'x')"], "proved"],
  [["    return {'a': a, 'b': [b]}"], "proved"],
  [["    if a:", "        return Pair(a, b)", "    return None"], "proved"],
  [["    print(a)"], "proved"],
  [["    return a"], "proved"],
  [["    Local = namedtuple('Local', ['v'])", "    return Local(a)"], "failed"],
  [["    return lambda: a"], "failed"],
  [["    return open('x.txt')"], "failed"],
  [["    if a:", "        return 1", "    return threading.Lock()"], "failed"],
  [["    return make(a - 1, b)"], "unknown"],
  [["    return unknown_call(a)"], "unknown"],
];

function verdict(body: string[]): { text: string; verdict: string } {
  const text = ["import multiprocessing", "import threading", "from collections import namedtuple", "", "Pair = namedtuple('Pair', ['a', 'b'])", "", "",
    "def make(a, b=2):", ...body, "", "", "def work(v):", "    print(v)", "", "",
    'if __name__ == "__main__":', "    p = multiprocessing.Process(target=work, args=(make(1),))", "    p.start()", "    p.join()", ""].join("\n");
  const module = analyzeModule(text, parsePython(text), NO_CONTEXT);
  const site = module.sites.find((s) => s.kind === "Process")!;
  return { text, verdict: combine(handedOver(module, site), { verdict: "proved", path: "", node: module.root, reason: "" }).verdict };
}

test("a Process argument made by a function of the module: every kind of return", () => {
  for (const [body, expected] of RETURNS) {
    const { text, verdict: got } = verdict(body);
    assert.equal(got, expected, text);
  }
});
