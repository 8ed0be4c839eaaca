// The project model on its own: roots, module names, packaging metadata, which functions
// start processes across files (and through which chain), and what it never follows.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { contextFor, findRoot, importPrefix, moduleNameOf, sourceRootsOf } from "../src/project/project";
import { buildProject } from "../src/project/project-exports";
import { isProgram, packagingMetadata } from "../src/project/entrypoints";
import { discover } from "../src/project/discover";
import { analyzeModule } from "../src/python/module";

function tree(files: Record<string, string>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-model-")));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

function build(dir: string) {
  return buildProject(dir, { files: discover([dir]).files });
}

const POOL = "import multiprocessing\n\ndef square(x):\n    return x * x\n\ndef run_all(n):\n    with multiprocessing.Pool(2) as pool:\n        return pool.map(square, range(n))\n";

test("the root is the nearest directory with pyproject.toml, setup.cfg, setup.py or .git", () => {
  const dir = tree({ "a/setup.cfg": "", "a/b/c/x.py": "", "d/.git/HEAD": "", "d/e/y.py": "" });
  assert.equal(findRoot(path.join(dir, "a/b/c/x.py")), path.join(dir, "a"));
  assert.equal(findRoot(path.join(dir, "a/b")), path.join(dir, "a"));
  assert.equal(findRoot(path.join(dir, "d/e")), path.join(dir, "d"));
});

test("module names: root and src/ layouts, __init__.py, names that cannot be imported", () => {
  const dir = tree({ "src/ns/pkg/__init__.py": "", "tools/run.py": "", "src/ns/pkg/mod.py": "", "my-scripts/x.py": "" });
  const roots = sourceRootsOf(dir);
  assert.deepEqual(roots, [path.join(dir, "src"), dir]);
  assert.equal(moduleNameOf(path.join(dir, "src/ns/pkg/__init__.py"), roots), "ns.pkg");
  assert.equal(moduleNameOf(path.join(dir, "src/ns/pkg/mod.py"), roots), "ns.pkg.mod");
  assert.equal(moduleNameOf(path.join(dir, "tools/run.py"), roots), "tools.run");
  assert.equal(moduleNameOf(path.join(dir, "my-scripts/x.py"), roots), null);
  assert.equal(importPrefix(path.join(dir, "tools/run.py"), roots), "tools", "a script's own directory comes first on sys.path");
  assert.equal(importPrefix(path.join(dir, "src/ns/pkg/mod.py"), roots), "ns", "a namespace package's directory");
  // src/ that is a package itself is not a source root.
  const flat = tree({ "src/__init__.py": "", "src/a.py": "" });
  assert.deepEqual(sourceRootsOf(flat), [flat]);
  assert.equal(moduleNameOf(path.join(flat, "src/a.py"), sourceRootsOf(flat)), "src.a");
});

test("entry points from pyproject.toml, poetry, setup.cfg and a literal setup.py; plugin groups are not programs", () => {
  const pyproject = tree({
    "pyproject.toml": [
      "[project]",
      'name = "tool"',
      "[project.scripts]",
      'tool = "tool.cli:main"',
      "[project.gui-scripts]",
      'tool-gui = "tool.gui:App.run"',
      '[project.entry-points."pytest11"]',
      'tool = "tool.plugin"',
      "[tool.poetry.scripts]",
      'old = "tool.legacy:main [extra]"',
      'ref = { reference = "tool.ref:go", type = "console" }',
      "[tool.setuptools]",
      'py-modules = ["single"]',
    ].join("\n"),
  });
  const meta = packagingMetadata(pyproject);
  assert.equal(meta.published, 'pyproject.toml [project] name = "tool"');
  assert.deepEqual(meta.pyModules, ["single"]);
  assert.deepEqual(
    meta.entryPoints.map((e) => [e.name, e.module, e.attr, e.group, isProgram(e)]),
    [
      ["tool", "tool.cli", "main", "console_scripts", true],
      ["tool-gui", "tool.gui", "App.run", "gui_scripts", true],
      ["tool", "tool.plugin", null, "pytest11", false],
      ["old", "tool.legacy", "main", "console_scripts", true],
      ["ref", "tool.ref", "go", "console_scripts", true],
    ],
  );
  const cfg = tree({
    "setup.cfg": "[metadata]\nname = cfgtool\n\n[options]\npy_modules = one, two\n\n[options.entry_points]\nconsole_scripts =\n    cfgtool = cfgtool.main:run\n  other = cfgtool.other:main\ngui_scripts = g = cfgtool.gui:main\n",
  });
  const fromCfg = packagingMetadata(cfg);
  assert.equal(fromCfg.published, "setup.cfg [metadata] name = cfgtool");
  assert.deepEqual(fromCfg.pyModules, ["one", "two"]);
  assert.deepEqual(fromCfg.entryPoints.map((e) => `${e.group}:${e.name}=${e.module}:${e.attr}`), [
    "console_scripts:cfgtool=cfgtool.main:run",
    "console_scripts:other=cfgtool.other:main",
    "gui_scripts:g=cfgtool.gui:main",
  ]);
  const py = tree({
    "setup.py": 'from setuptools import setup\nsetup(\n    name="p",\n    py_modules=["solo"],\n    entry_points={"console_scripts": ["p = p.cli:main", "q=p.q:run"]},\n)\n',
    "other/setup.py": "import setuptools\nsetuptools.setup(entry_points=dict(console_scripts=['x = x:main']))\n",
    "computed/setup.py": "from setuptools import setup\nsetup(entry_points=make_entry_points())\n",
  });
  assert.deepEqual(packagingMetadata(py).entryPoints.map((e) => `${e.name}=${e.module}:${e.attr}`), ["p=p.cli:main", "q=p.q:run"]);
  assert.deepEqual(packagingMetadata(py).pyModules, ["solo"]);
  assert.deepEqual(packagingMetadata(path.join(py, "other")).entryPoints.map((e) => e.name), ["x"]);
  assert.equal(packagingMetadata(path.join(py, "computed")).published, "setup.py calls setup()");
  assert.deepEqual(packagingMetadata(path.join(py, "computed")).entryPoints, [], "not given literally: not read");
});

test("starting functions across files: every import form, re-exports, classes, methods", () => {
  const dir = tree({
    "pyproject.toml": "",
    "pkg/__init__.py": "from .jobs import run_all\nfrom .sub import api as api\n",
    "pkg/jobs.py": POOL,
    "pkg/sub/__init__.py": "",
    "pkg/sub/api.py": "from .. import jobs\nfrom ..jobs import run_all as go\n\ndef via_module(n):\n    return jobs.run_all(n)\n\ndef via_alias(n):\n    return go(n)\n",
    "pkg/workers.py": "import multiprocessing as mp\n\nclass Worker(mp.Process):\n    pass\n\nclass Keeper:\n    def __init__(self):\n        self.pool = mp.Pool(2)\n\nclass Runner:\n    def __init__(self):\n        self.n = 2\n\n    def start(self):\n        return Worker().start()\n",
    "pkg/uses.py": "import pkg.sub.api as c\nfrom pkg.workers import Keeper, Runner\n\ndef both():\n    return c.via_alias(2)\n\ndef made():\n    return Keeper()\n\ndef method():\n    return Runner().start()\n",
    "main.py": "import pkg\n\npkg.run_all(3)\n",
    // What runs when driver.py runs is where the model starts from.
    "driver.py": "from pkg.sub import api\nfrom pkg import uses\n\napi.via_module(1)\nuses.both()\nuses.made()\nuses.method()\n",
  });
  const project = build(dir);
  const s = project.exports.starts;
  assert.deepEqual(s["pkg.jobs.run_all"], ["pkg/jobs.py:7 multiprocessing.Pool"]);
  assert.deepEqual(s["pkg.run_all"], ["pkg.jobs.run_all", "pkg/jobs.py:7 multiprocessing.Pool"], "re-exported by __init__.py");
  assert.deepEqual(s["pkg.sub.api.via_module"], ["pkg.jobs.run_all", "pkg/jobs.py:7 multiprocessing.Pool"], "from .. import jobs");
  assert.deepEqual(s["pkg.sub.api.via_alias"], ["pkg.jobs.run_all", "pkg/jobs.py:7 multiprocessing.Pool"], "from ..jobs import run_all as go");
  assert.deepEqual(s["pkg.uses.both"], ["pkg.sub.api.via_alias", "pkg.jobs.run_all", "pkg/jobs.py:7 multiprocessing.Pool"], "import a.b as c");
  assert.deepEqual(s["pkg.workers.Worker"], ["pkg/workers.py:3 class Worker(mp.Process)"]);
  assert.deepEqual(s["pkg.uses.made"], ["pkg.workers.Keeper.__init__", "pkg/workers.py:8 mp.Pool"], "making an instance runs __init__");
  assert.deepEqual(s["pkg.uses.method"], ["pkg.workers.Runner.start", "pkg.workers.Worker", "pkg/workers.py:3 class Worker(mp.Process)"], "Class().method()");
  assert.equal(s["pkg.workers.Runner.__init__"], undefined);

  // What main.py sees, and what analyzeModule makes of it.
  const text = fs.readFileSync(path.join(dir, "main.py"), "utf8");
  const module = analyzeModule(text, undefined, contextFor(project, path.join(dir, "main.py")));
  assert.equal(module.startingStatements.size, 1);
  assert.deepEqual([...module.externalStarts.values()][0].chain, ["pkg.run_all", "pkg.jobs.run_all", "pkg/jobs.py:7 multiprocessing.Pool"]);
});

test("star re-exports: every way a package re-exports a module's names with `import *`", () => {
  const CLASS = "import multiprocessing\n\n\ndef _f(x):\n    return x\n\n\nclass Engine:\n    def run(self):\n        with multiprocessing.Pool(2) as p:\n            return p.map(_f, [1])\n";
  // How pkg/eng/__init__.py (or a module between) re-exports pkg/eng/core.py; the caller writes `eng.Engine().run()`.
  const layouts: Array<Record<string, string>> = [
    { "pkg/eng/__init__.py": "from .core import *\n" },
    { "pkg/eng/__init__.py": "from pkg.eng.core import *\n" },
    { "pkg/eng/__init__.py": "from .mid import *\n", "pkg/eng/mid.py": "from .core import *\n" },
    { "pkg/eng/__init__.py": "import os\nfrom .other import *\nfrom .core import *\n", "pkg/eng/other.py": "X = 1\n" },
    // Star imports in a circle (the package re-exports a module that re-exports the package): names must not grow without end.
    { "pkg/eng/__init__.py": "from .mid import *\nfrom .core import *\n", "pkg/eng/mid.py": "from pkg.eng import *\nfrom .mid import *\n" },
    { "pkg/eng/__init__.py": "from .a import *\n", "pkg/eng/a.py": "from .b import *\n", "pkg/eng/b.py": "from pkg.eng import *\nfrom .a import *\nfrom .core import *\n" },
  ];
  for (const layout of layouts) {
    const dir = tree({
      "pyproject.toml": "", "pkg/__init__.py": "", "pkg/eng/core.py": CLASS, ...layout,
      "pkg/front.py": "from pkg import eng\n\n\ndef go():\n    return eng.Engine().run()\n",
    });
    const s = build(dir).exports.starts;
    assert.deepEqual(s["pkg.front.go"], ["pkg.eng.core.Engine.run", "pkg/eng/core.py:10 multiprocessing.Pool"], JSON.stringify(layout));
  }
});

test("a star-importing module is parsed only when the model asks for its names", () => {
  const CLASS = "import multiprocessing\n\n\ndef _f(x):\n    return x\n\n\nclass Engine:\n    def run(self):\n        with multiprocessing.Pool(2) as p:\n            return p.map(_f, [1])\n";
  const dir = tree({
    "pyproject.toml": "",
    "pkg/__init__.py": "from .consts import *\n",
    "pkg/consts.py": "X = 1\n",
    "pkg/other.py": "from .consts import *\n\nprint(X)\n",
    "pkg/eng/__init__.py": "from .core import *\n",
    "pkg/eng/core.py": CLASS,
    "pkg/front.py": "from pkg import eng\n\n\ndef go():\n    return eng.Engine().run()\n",
  });
  const project = build(dir);
  assert.deepEqual(project.exports.starts["pkg.front.go"], ["pkg.eng.core.Engine.run", "pkg/eng/core.py:10 multiprocessing.Pool"]);
  // core.py names the API; pkg/eng/__init__.py lends `Engine` to `eng.Engine`. Nobody asks pkg/__init__.py
  // (it writes no `eng`, and pkg.eng is a module, not a name it star-imports) nor pkg/other.py.
  assert.equal(project.parsed, 2);
});

test("a script's own directory is searched first; third-party and standard-library names are never followed", () => {
  const dir = tree({
    "pyproject.toml": "",
    "helpers.py": "def run_all(n):\n    return n\n",
    "tools/helpers.py": POOL,
    "tools/run.py": "import helpers\nimport concurrent.futures\nimport joblib\n\ndef go():\n    helpers.run_all(2)\n\ndef other():\n    joblib.Parallel()\n    concurrent.futures.wait([])\n\ngo()\nother()\n",
    "root_run.py": "import helpers\n\nhelpers.run_all(2)\n",
  });
  const project = build(dir);
  assert.ok(project.exports.starts["tools.run.go"], "tools/run.py's `helpers` is tools/helpers.py");
  assert.equal(project.exports.starts["tools.run.other"], undefined);
  assert.equal(project.exports.starts["helpers.run_all"], undefined, "the root's helpers.py starts nothing");
  const seen = (file: string) => analyzeModule(fs.readFileSync(path.join(dir, file), "utf8"), undefined, contextFor(project, path.join(dir, file)));
  assert.equal(seen("root_run.py").startingStatements.size, 0, "root_run.py's `helpers` is the root's");
});

test("a 2000-file tree: only the modules that create processes are parsed, only those that may call them read", () => {
  const files: Record<string, string> = {
    "pyproject.toml": "",
    "app/__init__.py": "",
    "app/jobs.py": POOL,
    "app/cli.py": "from app.jobs import run_all\n\ndef main():\n    run_all(3)\n",
    "app/__main__.py": "from app.cli import main\n\nmain()\n",
    "other/__init__.py": "",
    "other/helpers.py": "def h():\n    return 1\n",
  };
  for (let i = 0; i < 2000; i++) {
    // Modules that import the project and call things at module level, but nothing of the
    // project there; and functions that call the pool, which nothing runs at module level.
    files[i % 2 ? `app/m${i}.py` : `other/m${i}.py`] = i % 2
      ? `import os\nfrom app import jobs\n\nSTART = os.getpid()\n\ndef main():\n    return jobs.run_all(${i})\n`
      : `from . import helpers\n\nVALUE = len(helpers.__name__)\n\ndef run_all(x):\n    return helpers.h() + x\n`;
  }
  const dir = tree(files);
  const started = process.hrtime.bigint();
  const project = build(dir);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.equal(project.moduleOf.size, 2006);
  // app.cli.run_all: the name cli.py imports it under, which others may import from there.
  // app.__main__.main likewise; and every m*.main of app/.
  const keys = Object.keys(project.exports.starts).filter((k) => !/^app\.m\d+\./.test(k));
  assert.deepEqual(keys.sort(), ["app.__main__.main", "app.cli.main", "app.cli.run_all", "app.jobs.run_all"]);
  assert.equal(Object.keys(project.exports.starts).length - keys.length, 1000, "the main() of each app/m*.py");
  assert.equal(project.parsed, 1, "app/jobs.py");
  // app/cli.py, app/__main__.py and the 1000 app/m*.py whose main() calls jobs.run_all.
  assert.equal(project.read, 1002);
  console.log(`# 2006 modules indexed, ${project.parsed} parsed, ${project.read} read, in ${ms.toFixed(0)} ms`);
});
