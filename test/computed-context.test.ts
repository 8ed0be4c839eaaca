// computed-context (SPS108): processes made from a context whose method is chosen at run time are
// named at their line, in each form such a context takes; a method the code writes is not.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { cli } from "./helpers/cli";
import { writeTree } from "./helpers/tree";

const make = (body: string[], guard: string[], head: string[] = []) => ["import multiprocessing", "import os", ...head, "", "",
  "def square(x):", "    return x * x", "", "", ...body, "", "", 'if __name__ == "__main__":', ...guard.map((l) => `    ${l}`), ""].join("\n");

const NAMED: Array<[string, string]> = [
  ["a context parameter's Pool", make(["def run(ctx):", "    with ctx.Pool(2) as pool:", "        return pool.map(square, [1, 2])"], ["print(run(multiprocessing))"])],
  ["a context parameter's Process", make(["def run(mp):", "    p = mp.Process(target=square, args=(2,))", "    p.start()", "    p.join()"], ["run(multiprocessing)"])],
  ["a context parameter in __init__", make(["class Runner:", "    def __init__(self, ctx):", "        self.pool = ctx.Pool(2)"], ["Runner(multiprocessing).pool.close()"])],
  ["get_context of a parameter", make(["def run(method):", "    ctx = multiprocessing.get_context(method)", "    with ctx.Pool(2) as pool:", "        return pool.map(square, [1, 2])"], ["print(run(None))"])],
  ["get_context of the environment", make(["def run():", '    with multiprocessing.get_context(os.environ.get("MP")).Pool(2) as pool:', "        return pool.map(square, [1, 2])"], ["print(run())"])],
];

const NOT_NAMED: Array<[string, string]> = [
  ["a written method", make(["def run():", '    with multiprocessing.get_context("spawn").Pool(2) as pool:', "        return pool.map(square, [1, 2])"], ["print(run())"])],
  ["a method set on every path", make(["def run(ctx):", "    with ctx.Pool(2) as pool:", "        return pool.map(square, [1, 2])"], ['multiprocessing.set_start_method("spawn", force=True)', "print(run(multiprocessing))"])],
  ["a method of self", make(["class Pools:", "    def Pool(self, n):", "        return n", "", "    def go(self):", "        return self.Pool(2)"], ["print(Pools().go())"])],
  ["a conditional of literals", make(["def run(fast):", '    ctx = multiprocessing.get_context("spawn" if fast else "forkserver")', "    with ctx.Pool(2) as pool:", "        return pool.map(square, [1, 2])"], ["print(run(True))"])],
];

test("computed-context: processes from a context chosen at run time are named at their line, in each form", async () => {
  for (const [name, text] of NAMED) {
    const r = await cli(["check", "."], writeTree({ "main.py": text }, "spawnsafe-computed-context-"));
    assert.match(r.stdout, /main\.py:\d+:\d+: SPS108 /, `${name}\n${text}\n${r.stdout}`);
  }
  for (const [name, text] of NOT_NAMED) {
    const r = await cli(["check", "."], writeTree({ "main.py": text }, "spawnsafe-computed-context-"));
    assert.doesNotMatch(r.stdout, /SPS108/, `${name}\n${text}\n${r.stdout}`);
  }
});

test("computed-context: a program's start-method switch is not proved while a context parameter makes processes", async () => {
  const text = make(["def run(ctx, task):", "    q = ctx.Queue()", "    p = ctx.Process(target=task, args=(q,))", "    p.start()", "    got = q.get(timeout=20)", "    p.join()", "    return got"],
    ["with multiprocessing.Pool(2) as pool:", "    print(pool.map(square, [1, 2]))", "print(run(multiprocessing, lambda q: q.put(5)))"]);
  const r = await cli(["check", "."], writeTree({ "main.py": text }, "spawnsafe-computed-context-"));
  assert.match(r.stdout, /SPS102 \[-\].*a parameter of `run`/, r.stdout);
});
