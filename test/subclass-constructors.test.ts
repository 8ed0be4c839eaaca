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

test("a class defined inside a function is no subclass other modules can make", async () => {
  const sub = "from fitlib.fit import Fit\n\n\ndef local():\n    class LMFit(Fit):\n        pass\n    return LMFit\n";
  const script = "from fitlib import lm\n\nprint(lm.local().__name__)\n";
  const files = { "pyproject.toml": "", "fitlib/__init__.py": "", "fitlib/fit.py": BASE, "fitlib/lm.py": sub, "examples/ex1.py": script };
  const r = await cli(["check", "-q", "--isolated", "--no-cache", "."], writeTree(files, "spawnsafe-subclass-"));
  assert.ok(!r.stdout.includes("examples/ex1.py:3:1: SPS101"), r.stdout);
});

test("in one file too: making the class, or a subclass of a subclass, at module level starts what its constructor starts", async () => {
  const uses: Record<string, string> = {
    "the class itself": "f = Fit([1])\n",
    "a subclass of a subclass": "class LMFit(Fit):\n    pass\n\n\nclass Quick(LMFit):\n    def __init__(self):\n        super().__init__([1])\n\n\nf = Quick()\n",
  };
  for (const [name, use] of Object.entries(uses)) {
    const r = await cli(["check", "-q", "--isolated", "--no-cache", "."], writeTree({ "one.py": `${BASE}\n\n${use}print(list(f.trials))\n` }, "spawnsafe-subclass-"));
    assert.match(r.stdout, /^one\.py:\d+:1: SPS101 \[\*\] Processes are started at module top level/m, `${name}\n${r.stdout}`);
    assert.doesNotMatch(r.stdout, /SPS103/, `${name}: a program, not a library\n${r.stdout}`);
  }
});

test("a script's own subclass of another module's class, and a module that makes that subclass, start what the base's constructor starts", async () => {
  const files = {
    "pyproject.toml": "",
    "fitlib/__init__.py": "",
    "fitlib/fit.py": BASE,
    "mine.py": "from fitlib.fit import Fit\n\n\nclass Mine(Fit):\n    pass\n\n\nm = Mine([3])\nprint(list(m.trials))\n",
    "other.py": "import mine\n",
    "third.py": "from fitlib import fit\n\n\nclass Yours(fit.Fit):\n    pass\n",
    "use_third.py": "from third import Yours\n\ny = Yours([1])\n",
  };
  const r = await cli(["check", "-q", "--isolated", "--no-cache", "."], writeTree(files, "spawnsafe-subclass-"));
  assert.match(r.stdout, /^mine\.py:8:1: SPS101 /m, r.stdout);
  assert.match(r.stdout, /^use_third\.py:3:1: SPS101 .*third\.Yours\.__init__ → fitlib\.fit\.Fit\.__init__/m, r.stdout);
});

test("a function that makes a class of its own module whose constructor starts processes starts them where it is called", async () => {
  const runner = `${BASE}\n\nclass Quick(Fit):\n    pass\n\n\ndef run_all(items):\n    return list(Quick(items).trials)\n`;
  const files = { "pyproject.toml": "", "pkg/__init__.py": "", "pkg/runner.py": runner, "main.py": "from pkg.runner import run_all\n\nprint(run_all([1]))\n" };
  const r = await cli(["check", "-q", "--isolated", "--no-cache", "."], writeTree(files, "spawnsafe-subclass-"));
  assert.match(r.stdout, /^main\.py:3:1: SPS101 .*pkg\.runner\.run_all → pkg\.runner\.Quick\.__init__ → pkg\.runner\.Fit\.__init__/m, r.stdout);
});
