// The text gate (src/python/gate.ts) lets through every file that may use a project name
// leading to processes; these cases pin the ways a use can be written, and the files it may skip.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { mayUseProjectNames, mentionsApi, namesApi, type ProjectNames } from "../src/python/gate";
import { WordIndex } from "../src/python/words";

/** A module of package `pkg.sub` (`pkg/sub/mod.py`) in a project whose named functions start processes. */
function seenFrom(moduleName: string, ...starting: string[]): ProjectNames {
  const packageName = moduleName.split(".").slice(0, -1).join(".") || null;
  return { moduleName, packageName, startingFunctions: Object.fromEntries(starting.map((q) => [q, []])), aliases: {} };
}

/** The gate's verdict, asked three ways: with the text searched, with a word index, and with one that indexed every word. */
function mayUse(text: string, project: ProjectNames): boolean {
  const searched = mayUseProjectNames(text, project);
  assert.equal(mayUseProjectNames(text, project, new WordIndex(text)), searched, "the word index and the search disagree");
  const indexed = new WordIndex(text);
  indexed.wordsStartingWith("");
  assert.equal(mayUseProjectNames(text, project, indexed), searched, "the full word index and the search disagree");
  return searched;
}

test("a use that writes the name and a part of its module passes", () => {
  const project = seenFrom("pkg.cli", "pkg.jobs.run_all");
  assert.equal(mayUse("from pkg.jobs import run_all\nrun_all()\n", project), true);
  assert.equal(mayUse("from .jobs import run_all\nrun_all()\n", project), true);
  assert.equal(mayUse("from . import jobs\njobs.run_all()\n", project), true);
  assert.equal(mayUse("import pkg\npkg.jobs.run_all()\n", project), true);
});

test("a relative import reaches a package's own names without writing its module", () => {
  // run_all is defined in pkg/__init__.py; pkg/cli.py and pkg/sub/mod.py import it relatively.
  assert.equal(mayUse("from . import run_all\nrun_all()\n", seenFrom("pkg.cli", "pkg.run_all")), true);
  assert.equal(mayUse("from .. import run_all\nrun_all()\n", seenFrom("pkg.sub.mod", "pkg.run_all")), true);
  assert.equal(mayUse("from . import run_all\nrun_all()\n", seenFrom("pkg.sub.mod", "pkg.sub.run_all")), true);
});

test("a relative import does not reach a sibling module's name without writing the module", () => {
  // run_all of pkg/jobs.py: `from . import run_all` in pkg/cli.py imports pkg/__init__.py's name, not it.
  assert.equal(mayUse("from . import helpers\nrun_all = helpers.go\nrun_all()\n", seenFrom("pkg.cli", "pkg.jobs.run_all")), false);
  // Another package's module is not reached by a relative import at all.
  assert.equal(mayUse("from . import run_all\nrun_all()\n", seenFrom("other.cli", "pkg.run_all")), false);
  // Without the name, nothing to use.
  assert.equal(mayUse("from . import jobs\njobs.other()\n", seenFrom("pkg.cli", "pkg.jobs.run_all")), false);
});

test("a module's own names need no import; a class's method is used through the class", () => {
  assert.equal(mayUse("def run_all():\n    pass\nrun_all()\n", seenFrom("pkg.jobs", "pkg.jobs.run_all")), false);
  assert.equal(mayUse("from pkg.jobs import Runner\nRunner()\n", seenFrom("pkg.cli", "pkg.jobs.Runner.__init__")), true);
  assert.equal(mayUse("from . import Runner\nRunner().go()\n", seenFrom("pkg.cli", "pkg.Runner.go")), true);
});

test("many names cost one pass, with the same verdicts", () => {
  const starting = Array.from({ length: 500 }, (_, i) => `pkg.m${i}.run_${i}`);
  const project = seenFrom("pkg.cli", ...starting);
  assert.equal(mayUse("from .m499 import run_499\nrun_499()\n", project), true);
  assert.equal(mayUse("from . import m8\nm8.run_8()\n", project), true);
  assert.equal(mayUse("from . import m7\nm7.run_8()\n", project), false, "run_8 belongs to m8, which is not written");
  assert.equal(mayUse("from . import m7\nm7.other()\n", project), false);
});

test("the bytes test lets through every text that names the API or holds a suppression", () => {
  for (const text of ["import os\npid, fd = os.forkpty()\n", "from concurrent.futures import ProcessPoolExecutor\n", "import multiprocessing\n", "x = 1  # spawnsafe: ignore[SPS102]\n"]) {
    assert.equal(namesApi(text), true, text);
    assert.equal(mentionsApi(Buffer.from(text)), true, text);
  }
  assert.equal(mentionsApi(Buffer.from("import threading\nthreading.Thread(target=print).start()\n")), false);
});

test("an absolute import writes the first and the last part of the module: a middle part alone passes nothing", () => {
  const project = seenFrom("other.cli", "pkg.jobs.Runner.setUp");
  assert.equal(mayUse("from pkg.jobs import Runner\nRunner().setUp()\n", project), true);
  assert.equal(mayUse("import pkg.jobs\npkg.jobs.Runner().setUp()\n", project), true);
  // `setUp` of some other class, in a file that writes `jobs` (its own module of that name): not this one.
  assert.equal(mayUse("import jobs\nclass T:\n    def setUp(self):\n        jobs.go()\n", project), false);
  assert.equal(mayUse("import pkg\nclass T:\n    def setUp(self):\n        pkg.go()\n", project), false);
});
