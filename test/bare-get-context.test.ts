// SPS103 on a bare `get_context()` in library code: naming "spawn" moves everything made from that context, so the
// switch carries their proofs (found by the third survey: s3transfer's test hands the context to a local BaseManager
// subclass, and a Process made from such a context with a local target was switched as a safe fix).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { cli } from "./helpers/cli";
import { writeTree } from "./helpers/tree";

const CASES: Record<string, { body: string; mark: string; says?: RegExp }> = {
  "a local target (SPS202)": {
    body: "def go(n):\n    def work(q):\n        q.put(n)\n    ctx = multiprocessing.get_context()\n    q = ctx.Queue()\n    p = ctx.Process(target=work, args=(q,))\n    p.start()\n    return q.get()\n",
    mark: "",
    says: /not fixed, since under spawn the program would fail \(SPS202/,
  },
  "handed to a manager": {
    body: "from multiprocessing.managers import BaseManager\n\n\ndef make():\n    class Local(BaseManager):\n        def __init__(self):\n            ctx = multiprocessing.get_context()\n            super().__init__(ctx=ctx)\n    return Local()\n",
    mark: " [-]",
    says: /the context made on line \d+ is used as `ctx=ctx` \(line \d+\), where what is made from it is not followed/,
  },
  "returned": { body: "def context():\n    return multiprocessing.get_context()\n", mark: " [-]", says: /is used as `return multiprocessing.get_context\(\)`/ },
  "only objects made from it": { body: "def make():\n    ctx = multiprocessing.get_context()\n    return ctx.Queue(), ctx.Lock()\n", mark: " [*]" },
  "a module-level target": {
    body: "def work(q):\n    q.put(1)\n\n\ndef go():\n    ctx = multiprocessing.get_context()\n    q = ctx.Queue()\n    p = ctx.Process(target=work, args=(q,))\n    p.start()\n    return q.get()\n",
    mark: " [*]",
  },
};

test("a bare get_context() is switched only with the proofs of what is made from it", async () => {
  for (const [name, { body, mark, says }] of Object.entries(CASES)) {
    const files = { "pyproject.toml": "", "pkg/__init__.py": "", "pkg/run.py": `import multiprocessing\n\n\n${body}` };
    const r = await cli(["check", "-q", "--isolated", "--no-cache", "."], writeTree(files, "spawnsafe-bare-context-"));
    const line = r.stdout.split("\n").find((l) => / SPS103.*`get_context\(\)` without a method/.test(l));
    assert.ok(line, `${name}: reported\n${r.stdout}`);
    assert.ok(line!.includes(`SPS103${mark} `), `${name}: marked "${mark.trim() || "no fix"}"\n${line}`);
    if (says) assert.match(line!, says, name);
  }
});
