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

test("a library's set_start_method sets the method of processes made in other modules: its removal is unsafe while another module makes any", async () => {
  const SETTER = "import multiprocessing\n\nmultiprocessing.set_start_method(\"spawn\", force=True)\n\n\ndef ready():\n    return True\n";
  const OTHERS: Record<string, string> = {
    pool: "import multiprocessing\n\n\ndef run(f, xs):\n    with multiprocessing.Pool(2) as p:\n        return p.map(f, xs)\n",
    process: "import multiprocessing\n\n\ndef run(f):\n    p = multiprocessing.Process(target=f)\n    p.start()\n    p.join()\n",
    subclass: "import multiprocessing\n\n\nclass W(multiprocessing.Process):\n    def run(self):\n        pass\n",
    executor: "from concurrent.futures import ProcessPoolExecutor\n\n\ndef run(f, xs):\n    with ProcessPoolExecutor(2) as ex:\n        return list(ex.map(f, xs))\n",
  };
  for (const [name, other] of Object.entries(OTHERS)) {
    const dir = writeTree({ "pyproject.toml": "", "lib/__init__.py": "", "lib/boot.py": SETTER, "lib/other.py": other }, "spawnsafe-units-");
    const r = await cli(["check", "."], dir);
    assert.ok(marks(r.stdout).includes("lib/boot.py SPS107 [-]"), `${name}: ${r.stdout}`);
    assert.match(r.stdout, /moves the processes made in lib\/other\.py back to the default start method/, name);
  }
  const alone = writeTree({ "pyproject.toml": "", "lib/__init__.py": "", "lib/boot.py": SETTER, "lib/other.py": "X = 1\n" }, "spawnsafe-units-");
  assert.deepEqual(marks((await cli(["check", "."], alone)).stdout), ["lib/boot.py SPS107 [*]"], "no other module makes processes");
});

test("a program reaches every module whose processes its calls start, not only the one its chain names", async () => {
  // lib/work.py makes a Pool (the chain's end) and also calls into lib/side.py, which makes processes another way.
  const SIDES: Record<string, { side: string; call: string }> = {
    "a manager in __init__": { side: "import multiprocessing\n\n\nclass Store:\n    def __init__(self):\n        self.m = multiprocessing.Manager()\n", call: "from lib.side import Store\n" },
    "a pool in a function": { side: "import multiprocessing\n\n\ndef warm():\n    with multiprocessing.Pool(1) as p:\n        p.map(abs, [1])\n", call: "from lib.side import warm as Store\n" },
    "two hops": { side: "from lib.far import Store\n", call: "from lib.side import Store\n" },
  };
  for (const [name, { side, call }] of Object.entries(SIDES)) {
    const work = `${call}import multiprocessing\n\n\ndef square(x):\n    return x * x\n\n\ndef squares(k):\n    Store()\n    with multiprocessing.Pool(2) as pool:\n        return pool.map(square, range(k))\n`;
    const far = "import multiprocessing\n\n\nclass Store:\n    def __init__(self):\n        self.m = multiprocessing.Manager()\n";
    // The default value reads what the top-level call binds: main.py cannot be guarded.
    const script = "import lib.work\n\nresults = lib.work.squares(3)\n\n\ndef show(values=results):\n    print(values)\n\n\nshow()\n";
    const files: Record<string, string> = { "pyproject.toml": "", "lib/__init__.py": "", "lib/work.py": work, "lib/side.py": side, "main.py": script };
    if (name === "two hops") files["lib/far.py"] = far;
    const r = await cli(["check", "."], writeTree(files, "spawnsafe-units-"));
    const safe = marks(r.stdout).filter((m) => m.endsWith("[*]"));
    assert.deepEqual(safe, [], `${name}: no library switch holds for a program that cannot be guarded\n${r.stdout}`);
  }
});

test("a program that writes a library module's state at run time holds back the library's switch, in every form of write", async () => {
  const LIBRARY = "import multiprocessing\n\nOFFSET = 0\nTABLE = {}\n\n\ndef shift(x):\n    return x + OFFSET + len(TABLE)\n\n\ndef shift_all(xs):\n    with multiprocessing.Pool(2) as pool:\n        return pool.map(shift, xs)\n";
  const WRITES = ["work.OFFSET = 100", "work.OFFSET += 1", 'work.TABLE["k"] = 1', 'setattr(work, "OFFSET", 5)'];
  for (const write of WRITES) {
    const script = `from calc import work\n\nif __name__ == "__main__":\n    ${write}\n    print(work.shift_all([1, 2]))\n`;
    const r = await cli(["check", "."], writeTree({ "pyproject.toml": "", "calc/__init__.py": "", "calc/work.py": LIBRARY, "app.py": script }, "spawnsafe-units-"));
    assert.ok(marks(r.stdout).includes("calc/work.py SPS103 [-]"), `${write}\n${r.stdout}`);
    assert.match(r.stdout, /changes another module's state at run time/, write);
  }
  const reads = "from calc import work\n\nif __name__ == \"__main__\":\n    print(work.OFFSET, work.shift_all([1, 2]))\n";
  const r = await cli(["check", "."], writeTree({ "pyproject.toml": "", "calc/__init__.py": "", "calc/work.py": LIBRARY, "app.py": reads }, "spawnsafe-units-"));
  assert.ok(marks(r.stdout).includes("calc/work.py SPS103 [*]"), `a program that only reads it\n${r.stdout}`);
});
