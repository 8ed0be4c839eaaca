// `spawnsafe fix --verify` without python3 (fast tier): its command line, the units it tries,
// the creation sites it looks for, and how a run is compared with the baseline.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as os from "node:os";
import { differences, siteLines, testOutcomes, type RunFigures } from "../src/verify/trial";
import { treeFor, unitsOf } from "../src/verify/trial-units";
import type { FileResult, Finding } from "../src/engine";
import type { ProcessReport, VerifyRecord } from "../src/verify/records";
import { spawnsafe } from "./helpers/cli";

const finding = (code: string, applicability: "safe" | "unsafe", fixed: boolean): Finding => ({
  code,
  name: code,
  message: "m",
  line: 1,
  column: 1,
  endLine: 1,
  endColumn: 1,
  fixable: true,
  applicability,
  fixed,
});

const result = (p: string, findings: Finding[], after: string | null): FileResult => ({
  path: p,
  decision: null,
  findings,
  error: null,
  before: "old",
  after: after ?? "old",
  output: after === null ? null : Buffer.from(after),
  passes: 1,
});

test("a unit is the unsafe fixes of one file (until the engine names units); the tree of some units takes their files from the unsafe run, the rest from the safe one", () => {
  const unsafe = [
    result("a.py", [finding("SPS103", "unsafe", true), finding("SPS103", "unsafe", true)], "a: safe+unsafe"),
    result("b.py", [finding("SPS101", "safe", true)], "b: safe"),
    result("c.py", [finding("SPS103", "unsafe", true), finding("SPS102", "safe", true)], "c: safe+unsafe"),
    result("d.py", [finding("SPS103", "unsafe", false)], null),
  ];
  const safe = [result("a.py", [finding("SPS103", "unsafe", false)], null), result("b.py", [finding("SPS101", "safe", true)], "b: safe"), result("c.py", [], "c: safe")];
  const units = unitsOf(unsafe);
  assert.deepEqual(units.map((u) => [u.id, u.files, u.findings.length]), [
    ["a.py", ["a.py"], 2],
    ["c.py", ["c.py"], 1],
  ]);
  // The engine's own unit name, once it gives one, wins over the file.
  const named = unitsOf([result("x.py", [{ ...finding("SPS103", "unsafe", true), unit: "pool-1" } as Finding], "x"), result("y.py", [{ ...finding("SPS103", "unsafe", true), unit: "pool-1" } as Finding], "y")]);
  assert.deepEqual(named.map((u) => [u.id, u.files]), [["pool-1", ["x.py", "y.py"]]]);
  const tree = treeFor([units[1]], safe, unsafe);
  assert.deepEqual([...tree].map(([p, b]) => [p, b.toString()]), [
    ["c.py", "c: safe+unsafe"],
    ["b.py", "b: safe"],
  ]);
  assert.deepEqual([...treeFor([], safe, unsafe)].map(([p, b]) => [p, b.toString()]), [
    ["b.py", "b: safe"],
    ["c.py", "c: safe"],
  ]);
});

test("a unit's creation sites are the lines its fixes added that choose the start method, numbered in the fixed text", () => {
  const before = "import multiprocessing\n\n\ndef run(f, xs):\n    with multiprocessing.Pool(2) as pool:\n        return pool.map(f, xs)\n";
  const after = "import multiprocessing\n\n\ndef run(f, xs):\n    with multiprocessing.get_context(\"spawn\").Pool(2) as pool:\n        return pool.map(f, xs)\n";
  assert.deepEqual(siteLines(before, after), [5]);
  const guard = 'import multiprocessing\n\nif __name__ == "__main__":\n    main()\n';
  const fixed = 'import multiprocessing\n\nif __name__ == "__main__":\n    multiprocessing.set_start_method("spawn", force=True)\n    main()\n';
  assert.deepEqual(siteLines(guard, fixed), [4]);
  assert.deepEqual(siteLines(before, before), []);
});

const figures = (status: number | null, tests: Record<string, "passed" | "failed" | "skipped">, timedOut = false): RunFigures => ({
  status,
  signal: null,
  timedOut,
  seconds: 1,
  tests: new Map(Object.entries(tests)),
  sites: new Map(),
  reports: [],
  pid: 1,
});

test("a run matches the baseline with the same exit and every test that passed there passing; anything else is named", () => {
  const base = figures(0, { "t.py::a": "passed", "t.py::b": "passed", "t.py::c": "failed", "t.py::d": "skipped" });
  assert.deepEqual(differences(base, figures(0, { "t.py::a": "passed", "t.py::b": "passed", "t.py::c": "passed" }), null), []);
  assert.deepEqual(differences(base, figures(1, { "t.py::a": "failed" }), 60), [
    "exited 1 where the project as it is exited 0",
    "t.py::a passed before and failed now",
    "t.py::b passed before and did not finish now",
  ]);
  assert.deepEqual(differences(base, figures(null, { "t.py::a": "passed", "t.py::b": "passed" }, true), 60), ["still running after --timeout 60 s (a hang)"]);
});

test("a test's outcome comes from its phases: a failed teardown fails it, a skip skips it", () => {
  const records = [
    ["t.py::a", "setup", "passed"],
    ["t.py::a", "call", "passed"],
    ["t.py::a", "teardown", "failed"],
    ["t.py::b", "setup", "skipped"],
    ["t.py::c", "setup", "passed"],
    ["t.py::c", "call", "passed"],
    ["t.py::c", "teardown", "passed"],
  ].map(([nodeid, when, outcome]) => ({ kind: "test", pid: 1, nodeid, when, outcome }) as unknown as VerifyRecord);
  const report: ProcessReport = { hello: null, records, dump: null, stem: "p1" };
  assert.deepEqual([...testOutcomes([report])], [
    ["t.py::a", "failed"],
    ["t.py::b", "skipped"],
    ["t.py::c", "passed"],
  ]);
});

test("fix --verify's usage errors exit 2 before anything runs or is written", () => {
  const cases: Array<[string[], RegExp]> = [
    [["fix", "--verify"], /fix --verify needs a command after --/],
    [["fix", "--verify", "--timeout", "0", "--", "true"], /--timeout must be a positive number/],
    [["fix", "--verify", "--format", "json", "--", "true"], /fix --verify prints its account as text/],
    [["fix", "--verify", "--", "python3", "-I", "-m", "pytest"], /-I \(isolated mode\) ignores PYTHONPATH/],
    [["check", "--verify", "--", "true"], /--verify is not an option of 'check'/],
    [["fix", "--timeout", "5", "."], /--timeout goes with verify, or with fix --verify/],
  ];
  for (const [args, message] of cases) {
    const r = spawnsafe(args, os.tmpdir());
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, "");
  }
});
