// Waits with a short timeout (src/python/deadlines.ts): the switch is not proved where the
// parent gives its workers a deadline that a spawned worker's start-up may use up. Generated:
// every waiting call, each way of writing its timeout, in the parent and in the children.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { analyzeModule, NO_CONTEXT } from "../src/python/module";
import { parsePython } from "../src/parse";
import { shortWait } from "../src/python/deadlines";

/** A wait in the parent, with `T` where its timeout goes. */
const WAITS = [
  "done, pending = wait(futures, timeout=T)",
  "done, pending = wait(futures, T)",
  "print([f.result(timeout=T) for f in futures])",
  "print([f.result(T) for f in futures])",
  "print(res.get(timeout=T))",
  "p.join(T)",
  "p.join(timeout=T)",
  "print(list(as_completed(futures, timeout=T)))",
  "print(list(as_completed(futures, T)))",
];

function program(wait: string, preamble: string[] = []): string {
  return ["import multiprocessing", "from concurrent.futures import ProcessPoolExecutor, as_completed, wait", ...preamble, "", "",
    "def work(x):", "    return x", "", "", "def main(futures, res, p):", `    ${wait}`, "", ""].join("\n");
}

function waitOf(text: string) {
  return shortWait(analyzeModule(text, parsePython(text), NO_CONTEXT), []);
}

test("a wait whose timeout is short, or not known, is found", () => {
  for (const wait of WAITS) {
    // `p.join(limit)` may be `",".join(parts)`: a first positional timeout is known by being a number.
    const positionalFirst = /\.(join|result)\(T\)/.test(wait);
    for (const timeout of ["0.2", "1", "9.5", ...(positionalFirst ? [] : ["limit", "args.timeout"])]) {
      const text = program(wait.replace("T", timeout));
      assert.notEqual(waitOf(text), null, text);
    }
    if (positionalFirst) continue;
    const named = program(wait.replace("T", "LIMIT"), ["LIMIT = 2"]);
    assert.notEqual(waitOf(named), null, named);
  }
});

test("a hang guard (10 s or more, or None), and what only looks like a wait, are not", () => {
  for (const wait of WAITS) {
    for (const timeout of ["10", "60.0", "None", "3_600"]) {
      const text = program(wait.replace("T", timeout));
      assert.equal(waitOf(text), null, text);
    }
    const named = program(wait.replace("T", "LIMIT"), ["LIMIT = 120"]);
    assert.equal(waitOf(named), null, named);
  }
  for (const other of ['print(",".join(names))', 'print(os.path.join("a", "b"))', 'print(table.get("k", 0.5))', "print(requests.get(url, timeout=5))"]) {
    const text = program(other, ["import os", "import requests"]);
    assert.equal(waitOf(text), null, text);
  }
});

test("the children's own waits are theirs: they start after the children do", () => {
  const text = ["import queue", "", "", "def work(q):", "    return q.get(timeout=1)", ""].join("\n");
  const module = analyzeModule(text, parsePython(text), NO_CONTEXT);
  const work = module.root.descendantsOfType("function_definition")[0];
  assert.notEqual(shortWait(module, []), null);
  assert.equal(shortWait(module, [work]), null);
});
