// Making an instance of a subclass runs its base class's __init__ (inherited, or through super().__init__ or
// Base.__init__(self)): a script that makes the subclass at module level starts the processes the base's constructor
// starts (found by the third survey: pyLIMA's examples make `LM_fit.LMfit(...)`, whose base MLfit makes Managers).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { cli } from "./helpers/cli";
import { writeTree } from "./helpers/tree";

const BASE = [
  "from multiprocessing import Manager",
  "",
  "",
  "class Fit:",
  "    def __init__(self, data):",
  "        self.trials = Manager().list(data)",
  "",
].join("\n");

const SUBCLASSES: Record<string, string> = {
  "no __init__ of its own": "from fitlib.fit import Fit\n\n\nclass LMFit(Fit):\n    pass\n",
  "super().__init__": "from fitlib.fit import Fit\n\n\nclass LMFit(Fit):\n    def __init__(self, data):\n        super().__init__(data)\n",
  "Base.__init__(self)": "from fitlib import fit\n\n\nclass LMFit(fit.Fit):\n    def __init__(self, data):\n        fit.Fit.__init__(self, data)\n",
};

test("a script that makes a subclass at module level starts the processes its base class's __init__ starts", async () => {
  const script = "from fitlib import lm\n\nf = lm.LMFit([1, 2, 3])\nprint(list(f.trials))\n";
  for (const [name, sub] of Object.entries(SUBCLASSES)) {
    const files = { "pyproject.toml": "", "fitlib/__init__.py": "", "fitlib/fit.py": BASE, "fitlib/lm.py": sub, "examples/ex1.py": script };
    const r = await cli(["check", "-q", "--isolated", "--no-cache", "."], writeTree(files, "spawnsafe-subclass-"));
    const line = r.stdout.split("\n").find((l) => l.startsWith("examples/ex1.py:3:1: SPS101"));
    assert.ok(line, `${name}: the module-level call is named\n${r.stdout}`);
    assert.match(line!, /fitlib\.lm\.LMFit\.__init__ → fitlib\.fit\.Fit\.__init__ → fitlib\/fit\.py:6 Manager/, name);
  }
});

test("a subclass beside its base, or in the script itself, starts what the base's __init__ starts", async () => {
  const beside = { "fitlib/fit.py": `${BASE}\n\nclass Quick(Fit):\n    pass\n`, "examples/ex1.py": "from fitlib.fit import Quick\n\nq = Quick([2])\nprint(list(q.trials))\n" };
  const own = { "fitlib/fit.py": BASE, "examples/ex1.py": "from fitlib.fit import Fit\n\n\nclass Mine(Fit):\n    pass\n\n\nm = Mine([3])\nprint(list(m.trials))\n" };
  for (const [name, tree] of Object.entries({ "beside its base": beside, "in the script": own })) {
    const files = { "pyproject.toml": "", "fitlib/__init__.py": "", ...tree };
    const r = await cli(["check", "-q", "--isolated", "--no-cache", "."], writeTree(files, "spawnsafe-subclass-"));
    const line = r.stdout.split("\n").find((l) => / SPS101 /.test(l) && l.startsWith("examples/ex1.py:"));
    assert.ok(line, `${name}: the module-level call is named\n${r.stdout}`);
    assert.match(line!, /fitlib\.fit\.Fit\.__init__ → fitlib\/fit\.py:6 Manager/, name);
  }
});

test("a class defined inside a function is no subclass other modules can make", async () => {
  const sub = "from fitlib.fit import Fit\n\n\ndef local():\n    class LMFit(Fit):\n        pass\n    return LMFit\n";
  const script = "from fitlib import lm\n\nprint(lm.local().__name__)\n";
  const files = { "pyproject.toml": "", "fitlib/__init__.py": "", "fitlib/fit.py": BASE, "fitlib/lm.py": sub, "examples/ex1.py": script };
  const r = await cli(["check", "-q", "--isolated", "--no-cache", "."], writeTree(files, "spawnsafe-subclass-"));
  assert.ok(!r.stdout.includes("examples/ex1.py:3:1: SPS101"), r.stdout);
});
