// Obligations a site defers to its function's parameters, proved at the function's calls across
// the project (src/python/deferred.ts, src/project/programs.ts dischargedByCallers).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { cli } from "./helpers/cli";
import { writeTree } from "./helpers/tree";
import { run } from "../src/run-files";

const POOL = ["import multiprocessing", "", "", "def run_all(func, items):", "    with multiprocessing.Pool(2) as pool:", "        return sorted(pool.map(func, items))", ""].join("\n");
const PROCESSES = [
  "import multiprocessing",
  "",
  "",
  "def apply(q, func, x):",
  "    q.put(func(x))",
  "",
  "",
  "def run_all(func, items):",
  "    q = multiprocessing.Queue()",
  "    procs = [multiprocessing.Process(target=apply, args=(q, func, x)) for x in items]",
  "    for p in procs:",
  "        p.start()",
  "    res = sorted(q.get() for _ in procs)",
  "    for p in procs:",
  "        p.join()",
  "    return res",
  "",
].join("\n");
const MAIN = ["from lib.work import run_all", "", "", "def work(x):", "    return x + 1", "", "", 'if __name__ == "__main__":', "    print(run_all(work, [1, 2]))", ""].join("\n");

const marks = (stdout: string) => stdout.split("\n").filter((l) => / SPS103 /.test(l)).map((l) => l.replace(/^(\S+?):\d+:\d+: (SPS\d+) (\[[*-]\])?.*$/, "$1 $2 $3").trim());

async function results(files: Record<string, string>) {
  const dir = writeTree({ "lib/__init__.py": "", ...files }, "spawnsafe-deferred-");
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return (await run({ paths: ["."], exclude: [], options: {}, fix: false, write: false, jobs: 1 })).results;
  } finally {
    process.chdir(cwd);
  }
}

const CHANGED = MAIN.replace("return x + 1", "return x + N").replace("def work", "N = 1\n\n\ndef work").replace("    print(", "    N = 5\n    print(");

test("a pool's task that is its function's parameter: deferred as data, and the caller's argument judged in the caller's module", async () => {
  // The caller's task reads a global its guard changes: not proved, and the library keeps its deferral.
  const found = await results({ "lib/work.py": POOL, "main.py": CHANGED });
  const lib = found.find((r) => r.path === "lib/work.py")!;
  assert.deepEqual(lib.deferred, [{ function: "lib.work.run_all", params: [{ name: "func", position: 0, needs: ["value"] }] }]);
  const [call] = found.find((r) => r.path === "main.py")!.projectCalls!;
  assert.deepEqual({ ...call, args: call.args.map((a) => ({ ...a, value: a.value.slice(0, 20), items: a.items === "" })) }, {
    function: "lib.work.run_all", line: 13, open: "",
    args: [{ position: 0, keyword: "", value: "the child reads `N` ", items: false }, { position: 1, keyword: "", value: "", items: true }],
  });
  // Proved: the library is processed again with the function discharged, and its site has nothing left to defer.
  const proved = await results({ "lib/work.py": POOL, "main.py": MAIN });
  assert.deepEqual(proved.find((r) => r.path === "main.py")!.projectCalls![0].args.map((a) => a.value), ["", ""]);
  assert.equal(proved.find((r) => r.path === "lib/work.py")!.deferred, undefined);
  assert.equal(proved.find((r) => r.path === "lib/work.py")!.findings[0].applicability, "safe");
});

test("Process args built from a parameter and a loop over another: both deferred, the items one by its items", async () => {
  const found = await results({ "lib/work.py": PROCESSES, "main.py": CHANGED });
  const lib = found.find((r) => r.path === "lib/work.py")!;
  assert.deepEqual(lib.deferred, [{ function: "lib.work.run_all", params: [{ name: "func", position: 0, needs: ["value"] }, { name: "items", position: 1, needs: ["items"] }] }]);
});

test("proved when every use in the project is a call that proves them; unknown otherwise", async () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ["the one call proves them", { "main.py": MAIN }, "[*]"],
    ["a task that reads a global the guard changes", { "main.py": CHANGED }, "[-]"],
    ["items not followed (a generator)", { "main.py": MAIN.replace("[1, 2]", "(x for x in [1, 2])") }, "[-]"],
    ["the function used as a value elsewhere", { "main.py": MAIN, "other.py": "from lib.work import run_all\n\nJOBS = [run_all]\n" }, "[-]"],
    ["a call with *args", { "main.py": MAIN, "other.py": "from lib.work import run_all\n\nARGS = (abs, [1])\nif __name__ == \"__main__\":\n    run_all(*ARGS)\n" }, "[-]"],
    ["imported under another name", { "main.py": MAIN, "other.py": "from lib.work import run_all as go\n" }, "[-]"],
    ["a caller's Queue of the default context", { "main.py": MAIN.replace("run_all(work, [1, 2])", "run_all(work, [multiprocessing.Queue()])").replace("from lib", "import multiprocessing\nfrom lib") }, "[-]"],
    ["a published package", { "main.py": MAIN, "pyproject.toml": '[project]\nname = "lib"\nversion = "1"\n' }, "[-]"],
    ["the library seeds random before it starts them (what the caller's task reads there is not the caller's to see)",
      { "main.py": MAIN, "lib/work.py": PROCESSES.replace("import multiprocessing", "import multiprocessing\nimport random").replace("    q = multiprocessing.Queue()", "    random.seed(7)\n    q = multiprocessing.Queue()") }, "[-]"],
    ["a library's function as the task, whose module the caller's guard changes",
      { "main.py": 'import functools\nimport textwrap\nfrom lib.work import run_all\n\nif __name__ == "__main__":\n    textwrap.dedent = str.upper\n    print(run_all(functools.partial(textwrap.dedent), ["a"]))\n' }, "[-]"],
  ];
  for (const [what, files, mark] of cases) {
    const dir = writeTree({ "lib/__init__.py": "", "lib/work.py": PROCESSES, ...files }, "spawnsafe-deferred-");
    if (files["main.py"].includes("dedent")) assert.match((await cli(["check", "."], writeTree({ "lib/__init__.py": "", "lib/work.py": PROCESSES, "main.py": files["main.py"].replace("    textwrap.dedent = str.upper\n", "") }, "spawnsafe-deferred-"))).stdout, /lib\/work\.py:\S+ SPS103 \[\*\]/);
    const r = await cli(["check", "."], dir);
    assert.deepEqual([...new Set(marks(r.stdout))], [`lib/work.py SPS103 ${mark}`], `${what}:\n${r.stdout}`);
  }
});

const SUBCLASS = [
  "import multiprocessing",
  "",
  "",
  "class Worker(multiprocessing.Process):",
  "    def __init__(self, conn, func, x):",
  "        super().__init__()",
  "        self.conn = conn",
  "        self.func = func",
  "        self.x = x",
  "",
  "    def run(self):",
  "        self.conn.send(self.func(self.x))",
  "",
  "",
  "def run_all(func, items):",
  "    res = []",
  "    for x in items:",
  "        parent_end, child_end = multiprocessing.Pipe()",
  "        w = Worker(child_end, func, x)",
  "        w.start()",
  "        res.append(parent_end.recv())",
  "        w.join()",
  "    return sorted(res)",
  "",
].join("\n");

test("a Process subclass that stores the function's parameter and calls it in run(): deferred to the callers", async () => {
  for (const [main, mark] of [[MAIN, "[*]"], [CHANGED, "[-]"]] as const) {
    const dir = writeTree({ "lib/__init__.py": "", "lib/work.py": SUBCLASS, "main.py": main }, "spawnsafe-deferred-");
    assert.deepEqual(marks((await cli(["check", "."], dir)).stdout), [`lib/work.py SPS103 ${mark}`]);
  }
  // Stored twice (`self.func = func`, then replaced in run()): what the child calls is not the argument.
  const twice = SUBCLASS.replace("        self.conn.send(self.func(self.x))", "        self.func = abs\n        self.conn.send(self.func(self.x))");
  const dir = writeTree({ "lib/__init__.py": "", "lib/work.py": twice, "main.py": MAIN }, "spawnsafe-deferred-");
  assert.deepEqual(marks((await cli(["check", "."], dir)).stdout), ["lib/work.py SPS103 [-]"]);
});

test("a program that defines the function and calls it: its own calls prove the deferral", async () => {
  const program = ["import multiprocessing", "", "N = 1", "", "", "def work(x):", "    return x + N", "", "", POOL.split("\n").slice(3).join("\n"), "",
    "def main():", "    print(run_all(work, [1, 2]))", "", "", 'if __name__ == "__main__":', "    main()", ""].join("\n");
  const sps102 = async (text: string) => {
    const out = (await cli(["check", "."], writeTree({ "main.py": text }, "spawnsafe-deferred-"))).stdout;
    return out.split("\n").filter((l) => / SPS102 /.test(l)).map((l) => /SPS102 (\[[*-]\])/.exec(l)![1]);
  };
  assert.deepEqual(await sps102(program), ["[*]"]);
  // The guard's main() changes what the task reads, or the function is also used as a value.
  assert.deepEqual(await sps102(program.replace("def main():", "def main():\n    global N\n    N = 5")), ["[-]"]);
  assert.deepEqual(await sps102(program.replace("    print(run_all(work, [1, 2]))", "    print(run_all(work, [1, 2]))\n    print([f(abs, [3]) for f in (run_all,)])")), ["[-]"]);
});

test("a run over the library alone does not see its callers: unknown", async () => {
  const dir = writeTree({ "pyproject.toml": "", "lib/__init__.py": "", "lib/work.py": POOL, "main.py": MAIN }, "spawnsafe-deferred-");
  assert.deepEqual(marks((await cli(["check", "."], dir)).stdout), ["lib/work.py SPS103 [*]"]);
  assert.deepEqual(marks((await cli(["check", "lib"], dir)).stdout), ["lib/work.py SPS103 [-]"]);
});
