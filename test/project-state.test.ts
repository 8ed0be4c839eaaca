// Other project modules' state as a program's children read it (src/python/project-state.ts): the
// switch is proved when the parent's run-time code names no project module, in every way the
// child reads one, and stays unsafe in every way the parent's run-time code may reach one.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { cli } from "./helpers/cli";
import { writeTree } from "./helpers/tree";

const PROJECT: Record<string, string> = {
  "pyproject.toml": "",
  "appcore/__init__.py": "",
  "appcore/settings.py": "SCALE = 1\nITEMS = [1]\nHOOKS = []\n\n\ndef scale_of(x):\n    return x * SCALE\n",
  "appcore/config.py": "from appcore import settings\n\n\ndef configure():\n    settings.SCALE = 4\n\n\nclass Loader:\n    def apply(self):\n        configure()\n",
  "appcore/extra.py": "from appcore import settings\n\nsettings.SCALE = 9\n",
};

/** How the child reads the project module: imports, and the body of work(x). */
const READS: Array<{ name: string; imports: string[]; body: string }> = [
  { name: "module attribute", imports: ["from appcore import settings"], body: "return x * settings.SCALE" },
  { name: "imported constant", imports: ["from appcore.settings import SCALE"], body: "return x * SCALE" },
  { name: "dotted import", imports: ["import appcore.settings"], body: "return x * appcore.settings.SCALE" },
  { name: "project function", imports: ["from appcore.settings import scale_of"], body: "return scale_of(x)" },
  { name: "mutable item", imports: ["from appcore.settings import ITEMS"], body: "return x + sum(ITEMS)" },
];

/** What the parent's run-time code does: imports, module-level lines, lines under the guard, and whether it may reach project state. */
const PARENTS: Array<{ name: string; imports?: string[]; top?: string[]; guard: string[]; touches: boolean }> = [
  { name: "nothing", guard: [], touches: false },
  { name: "its own locals", guard: ["seen = []", "seen.append(len(DATA))", "print(seen)"], touches: false },
  { name: "a write", imports: ["from appcore import settings as s2"], guard: ["s2.SCALE = 4"], touches: true },
  { name: "setattr through an alias", imports: ["import appcore.settings as s3"], guard: ['setattr(s3, "SCALE", 4)'], touches: true },
  { name: "a project function", imports: ["from appcore.config import configure"], guard: ["configure()"], touches: true },
  { name: "a project function in a helper", imports: ["import appcore.config"], top: ["def prepare():", "    appcore.config.configure()"], guard: ["prepare()"], touches: true },
  { name: "an object made at import", imports: ["from appcore.config import Loader"], top: ["LOADER = Loader()"], guard: ["LOADER.apply()"], touches: true },
  { name: "an object a helper made at import", imports: ["from appcore import config"], top: ["def make():", "    return config.Loader()", "", "", "LOADER = make()"], guard: ["LOADER.apply()"], touches: true },
  { name: "a run-time import", imports: ["import importlib"], guard: ['importlib.import_module("appcore.extra")'], touches: true },
  { name: "vars() of the module", imports: ["from appcore import settings as s4"], guard: ["vars(s4).update(SCALE=4)"], touches: true },
  { name: "a mutation of an item", imports: ["from appcore.settings import ITEMS as items"], guard: ["items.append(5)"], touches: true },
  { name: "hooks it calls", imports: ["from appcore import settings as s5"], guard: ["for hook in s5.HOOKS:", "    hook()"], touches: true },
  { name: "values it only reads", imports: ["from appcore import settings as s7"], guard: ['print("scale", s7.SCALE, len(s7.ITEMS))', "if s7.SCALE > 0 and not s7.HOOKS:", "    print(f\"{s7.ITEMS[0]}\")"], touches: false },
  { name: "a value handed on by `or`", imports: ["from appcore import settings as s8"], guard: ["extra = s8.ITEMS or []", "extra.append(3)"], touches: true },
  { name: "a value handed on by a conditional", imports: ["from appcore import settings as s9"], guard: ["extra = s9.ITEMS if DATA else []", "extra.append(3)"], touches: true },
  { name: "the module handed to a function", imports: ["from appcore import settings as s10"], top: ["def tweak(mod):", "    mod.SCALE = 2"], guard: ["tweak(s10)"], touches: true },
];

test("a child that reads another project module: the switch is safe only when the parent's run-time code names no project module", async () => {
  for (const read of READS) {
    for (const parent of PARENTS) {
      const imports = [...new Set(["import multiprocessing", ...read.imports, ...(parent.imports ?? [])])];
      const main = [
        ...imports, "", "DATA = [1, 2, 3]", "", "",
        ...(parent.top ? [...parent.top, "", ""] : []),
        "def work(x):", `    ${read.body}`, "", "",
        'if __name__ == "__main__":',
        ...parent.guard.map((l) => `    ${l}`),
        "    with multiprocessing.Pool(2) as pool:",
        "        print(sorted(pool.map(work, DATA)))",
        "",
      ].join("\n");
      const dir = writeTree({ ...PROJECT, "main.py": main }, "spawnsafe-project-state-");
      const r = await cli(["check", "."], dir);
      const mark = r.stdout.match(/main\.py:\d+:\d+: SPS102 (\[[*-]\])/)?.[1];
      assert.equal(mark, parent.touches ? "[-]" : "[*]", `${read.name} / parent: ${parent.name}\n${main}\n${r.stdout}`);
    }
  }
});

/** Project modules whose import computes what differs between processes, and the program's own import-time code doing so. */
const VOLATILE: Array<{ name: string; files: Record<string, string>; top?: string[]; imports?: string[] }> = [
  { name: "a uuid made at import", files: { "appcore/settings.py": "import uuid\n\nSCALE = 1\nRUN = uuid.uuid4().hex\n" } },
  { name: "a value another module computes", files: { "appcore/clock.py": "import time\n\nSTARTED = time.time()\n", "appcore/settings.py": "from appcore import clock\n\nSCALE = 1 if clock.STARTED else 0\n" } },
  { name: "the environment at import", files: { "appcore/settings.py": "import os\n\nSCALE = int(os.environ.get(\"SCALE\", \"1\"))\n" } },
  { name: "the program's own import-time code", files: {}, imports: ["import os", "from appcore import settings as s6"], top: ["s6.SCALE = os.getpid() % 7 + 1"] },
];

test("a child that reads another project module whose import may differ between processes: the switch stays unsafe", async () => {
  for (const v of VOLATILE) {
    const imports = [...new Set(["import multiprocessing", "from appcore import settings", ...(v.imports ?? [])])];
    const main = [...imports, "", ...(v.top ?? []), "", "def work(x):", "    return x * settings.SCALE", "", "",
      'if __name__ == "__main__":', "    with multiprocessing.Pool(2) as pool:", "        print(sorted(pool.map(work, [1, 2, 3])))", ""].join("\n");
    const dir = writeTree({ ...PROJECT, ...v.files, "main.py": main }, "spawnsafe-project-state-");
    const r = await cli(["check", "."], dir);
    assert.match(r.stdout, /main\.py:\d+:\d+: SPS102 \[-\]/, `${v.name}\n${main}\n${r.stdout}`);
  }
});

test("a caller's task handed to a library reads another project module: proved at the call unless the caller's run-time code reaches project state", async () => {
  const runner = "import multiprocessing\n\n\ndef run_all(func, items):\n    with multiprocessing.Pool(2) as pool:\n        return sorted(pool.map(func, items))\n";
  const main = (setup: string[]) => ["from appcore import settings", "from pkg.runner import run_all", "", "", "def work(x):", "    return x * settings.SCALE", "", "",
    'if __name__ == "__main__":', ...setup.map((l) => `    ${l}`), "    print(run_all(work, [1, 2, 3]))", ""].join("\n");
  const cases: Array<[string[], string]> = [[[], "[*]"], [['print("scale", settings.SCALE)'], "[*]"], [["settings.SCALE = 4"], "[-]"], [["from appcore.config import configure", "configure()"], "[-]"]];
  for (const [setup, mark] of cases) {
    const dir = writeTree({ ...PROJECT, "pkg/__init__.py": "", "pkg/runner.py": runner, "main.py": main(setup) }, "spawnsafe-project-state-");
    const r = await cli(["check", "."], dir);
    const found = r.stdout.match(/pkg\/runner\.py:\d+:\d+: SPS103 (\[[*-]\])/)?.[1];
    assert.equal(found, mark, `${setup.join("; ")}\n${r.stdout}`);
  }
});
