// Migration units across files (src/project/programs.ts): a library's switch holds only for the
// programs that run it, and a program's guard belongs to the switch of the processes it starts.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { cli } from "./helpers/cli";
import { writeTree } from "./helpers/tree";

const LIB = [
  "import multiprocessing",
  "",
  "",
  "def square(x):",
  "    return x * x",
  "",
  "",
  "def squares(k):",
  "    with multiprocessing.Pool(2) as pool:",
  "        return pool.map(square, range(k))",
  "",
].join("\n");
const SCRIPT = "import lib.work\n\nprint(lib.work.squares(3))\n";

const marks = (stdout: string) => stdout.split("\n").filter((l) => / SPS\d+ /.test(l)).map((l) => l.replace(/^(\S+?):\d+:\d+: (SPS\d+) (\[[*-]\])?.*$/, "$1 $2 $3").trim());

test("a library checked alone, with a program of the project outside the paths given: its switch is unsafe, and safe with the whole project", async () => {
  const dir = writeTree({ "pyproject.toml": "", "lib/__init__.py": "", "lib/work.py": LIB, "main.py": SCRIPT }, "spawnsafe-units-");
  const alone = await cli(["check", "lib"], dir);
  assert.deepEqual(marks(alone.stdout), ["lib/work.py SPS103 [-]"]);
  assert.match(alone.stdout, /`main\.py`, outside the paths given, may run it/);
  const whole = await cli(["check", "."], dir);
  assert.deepEqual(marks(whole.stdout), ["lib/work.py SPS103 [*]", "main.py SPS101 [*]"]);
});

test("a library whose only program cannot be guarded: the library's switch and the program's guard are both held back", async () => {
  // The default value reads what the top-level call binds: the guard fix cannot move it.
  const script = "import lib.work\n\nresults = lib.work.squares(3)\n\n\ndef show(values=results):\n    print(values)\n\n\nshow()\n";
  const dir = writeTree({ "pyproject.toml": "", "lib/__init__.py": "", "lib/work.py": LIB, "main.py": script }, "spawnsafe-units-");
  const r = await cli(["check", "."], dir);
  assert.deepEqual(marks(r.stdout), ["lib/work.py SPS103 [-]", "main.py SPS101"]);
  assert.match(r.stdout, /`main\.py` runs it, and there a spawned child imports the program again/);
  const fix = await cli(["fix", "--dry-run", "."], dir);
  assert.equal(fix.status, 0, fix.stdout + fix.stderr);
});

test("a library whose switch is unsafe: the program's guard, which only that switch needs, is held back with it", async () => {
  const lib = LIB.replace("def squares(k):", "def squares(k, func=square):").replace("pool.map(square, range(k))", "pool.map(func, range(k))");
  const dir = writeTree({ "pyproject.toml": "", "lib/__init__.py": "", "lib/work.py": lib, "main.py": SCRIPT }, "spawnsafe-units-");
  const r = await cli(["check", "."], dir);
  assert.deepEqual(marks(r.stdout), ["lib/work.py SPS103 [-]", "main.py SPS101 [-]"]);
  assert.match(r.stdout, /the guard belongs to the switch of the processes it starts \(in lib\/work\.py\), which is not applied/);
});
