// A Process target that is a method's parameter (src/python/method-params.ts): proved from what
// every call of the method in the program's text passes, in each way a call can pass it, and
// not proved when some use of the method is not such a call, or some call passes what fails.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { cli } from "./helpers/cli";
import { writeTree } from "./helpers/tree";

function program(opts: { signature?: string; base?: string; calls: string[]; extra?: string[]; imports?: string[]; guard?: string[] }): string {
  return [
    "import multiprocessing",
    ...(opts.imports ?? []),
    "",
    "",
    "def pump(q, x):",
    "    q.put(x * x)",
    "",
    "",
    `class Supervisor${opts.base ? `(${opts.base})` : ""}:`,
    "    def __init__(self):",
    "        self.q = multiprocessing.Queue()",
    "        self.children = []",
    "",
    `    def start_child(self, ${opts.signature ?? "target, *args"}):`,
    "        child = multiprocessing.Process(target=target, args=(self.q,) + args)",
    "        child.start()",
    "        self.children.append(child)",
    "",
    "    def run(self, items):",
    "        for x in items:",
    ...opts.calls.map((c) => `            ${c}`),
    ...(opts.extra ?? []).map((l) => `        ${l}`),
    "        out = sorted(self.q.get(timeout=20) for _ in self.children)",
    "        for child in self.children:",
    "            child.join()",
    "        return out",
    "",
    "",
    'if __name__ == "__main__":',
    ...(opts.guard ?? []).map((l) => `    ${l}`),
    "    print(Supervisor().run([1, 2, 3]))",
    "",
  ].join("\n");
}

const PROVED: Array<[string, Parameters<typeof program>[0]]> = [
  ["positional", { calls: ["self.start_child(pump, x)"] }],
  ["by keyword", { signature: "target, args=()", calls: ["self.start_child(target=pump, args=(x,))"] }],
  ["through the class", { calls: ["Supervisor.start_child(self, pump, x)"] }],
  ["its default", { signature: "x, target=pump, args=()", calls: ["self.start_child(x, args=(x,))"] }],
  ["two calls", { calls: ["self.start_child(pump, x)", "self.start_child(pump, x + 10)"] }],
];

const NOT_PROVED: Array<[string, Parameters<typeof program>[0]]> = [
  ["a lambda at one call", { calls: ["self.start_child(pump, x)"], extra: ["self.start_child(lambda q: q.put(0))"] }],
  ["a nested function", { calls: ["self.start_child(pump, x)"], extra: ["def inner(q):", "    q.put(0)", "", "self.start_child(inner)"] }],
  ["the method handed on as a value", { calls: ["start = self.start_child", "start(pump, x)"] }],
  ["the method found by its name", { calls: ['getattr(self, "start_child")(pump, x)'] }],
  ["arguments unpacked at the call", { calls: ["self.start_child(*(pump, x))"] }],
  ["a base class that may call it", { base: "dict", calls: ["self.start_child(pump, x)"] }],
  ["a project module named at run time", { calls: ["self.start_child(pump, x)"], imports: ["import helpers"], guard: ["helpers.prepare()"] }],
];

test("a Process target that is a method's parameter: proved from every call of the method in the program, in each way it is passed", async () => {
  for (const [name, opts] of PROVED) {
    const dir = writeTree({ "pyproject.toml": "", "helpers.py": "def prepare():\n    return 1\n", "main.py": program(opts) }, "spawnsafe-method-params-");
    const r = await cli(["check", "."], dir);
    assert.match(r.stdout, /main\.py:\d+:\d+: SPS102 \[\*\]/, `${name}\n${program(opts)}\n${r.stdout}`);
  }
});

test("a Process target that is a method's parameter: not proved when a use of the method is not a known call, or a call passes what fails", async () => {
  for (const [name, opts] of NOT_PROVED) {
    const dir = writeTree({ "pyproject.toml": "", "helpers.py": "def prepare():\n    return 1\n", "main.py": program(opts) }, "spawnsafe-method-params-");
    const r = await cli(["check", "."], dir);
    assert.doesNotMatch(r.stdout, /SPS102 \[\*\]/, `${name}\n${program(opts)}\n${r.stdout}`);
  }
  // In a library module (no program text around it): its callers are not all here.
  const library = program({ calls: ["self.start_child(pump, x)"] }).replace(/\nif __name__[\s\S]*$/, "\n");
  const dir = writeTree({ "pyproject.toml": "", "pkg/__init__.py": "", "pkg/supervisor.py": library }, "spawnsafe-method-params-");
  const r = await cli(["check", "."], dir);
  assert.match(r.stdout, /pkg\/supervisor\.py:\d+:\d+: SPS103 \[-\]/, r.stdout);
});

const RUNNER = (init: string, calls: string[], extra: string[] = []) => ["import multiprocessing", "", "", "def square(x):", "    return x * x", "", "",
  "class Runner:", `    def __init__(self, ${init}):`, "        self.func = func", "", "    def go(self, items):", "        with multiprocessing.Pool(2) as pool:",
  "            return sorted(pool.map(self.func, items))", "", ...extra, "", 'if __name__ == "__main__":', ...calls.map((c) => `    ${c}`), ""].join("\n");

test("a task stored by __init__ from a constructor argument: proved from every call making an instance, not when the attribute or the class escapes", async () => {
  const proved: Array<[string, string]> = [
    ["positional", RUNNER("func", ["print(Runner(square).go([1, 2]))"])],
    ["by keyword", RUNNER("func", ["print(Runner(func=square).go([1, 2]))"])],
    ["its default", RUNNER("func=square", ["print(Runner().go([1, 2]))"])],
    ["a builtin at another call", RUNNER("func", ["print(Runner(square).go([1, 2]))", "print(Runner(abs).go([1, -2]))"])],
  ];
  const unproved: Array<[string, string]> = [
    ["a lambda at one call", RUNNER("func", ["print(Runner(square).go([1, 2]))", "print(Runner(lambda x: x).go([1, 2]))"])],
    ["the attribute set again", RUNNER("func", ["r = Runner(square)", "r.func = abs", "print(r.go([1, 2]))"])],
    ["set by its name", RUNNER("func", ["r = Runner(square)", 'setattr(r, "func", abs)', "print(r.go([1, 2]))"])],
    ["a subclass", RUNNER("func", ["print(Fast(square).go([1, 2]))"], ["class Fast(Runner):", "    pass", ""])],
    ["the class handed on", RUNNER("func", ["make = Runner", "print(make(square).go([1, 2]))"])],
    ["arguments unpacked", RUNNER("func", ["print(Runner(*[square]).go([1, 2]))"])],
  ];
  for (const [name, text] of proved) {
    const r = await cli(["check", "."], writeTree({ "main.py": text }, "spawnsafe-method-params-"));
    assert.match(r.stdout, /main\.py:\d+:\d+: SPS102 \[\*\]/, `${name}\n${text}\n${r.stdout}`);
  }
  for (const [name, text] of unproved) {
    const r = await cli(["check", "."], writeTree({ "main.py": text }, "spawnsafe-method-params-"));
    assert.doesNotMatch(r.stdout, /SPS102 \[\*\]/, `${name}\n${text}\n${r.stdout}`);
  }
});
