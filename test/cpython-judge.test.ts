// How a run uses CPython's verdicts (src/judge.ts), with a stand-in interpreter
// (test/helpers/fake-python.ts) so that no python3 is needed: a rewrite the judge rejects is
// not written (fix, fix --dry-run, fix -), an original it rejects is an error left alone,
// a file tree-sitter cannot parse is a syntax error only if the judge says so, one
// interpreter process per run, none for a check with nothing to judge, and without an
// interpreter one notice and the run goes on. test/cpython.slow.test.ts asks the real python3.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { judge, judgeResults, Judge } from "../src/judge";
import type { FileResult } from "../src/engine";
import { spawnsafe } from "./helpers/cli";
import { fakePython } from "./helpers/fake-python";
import { writeTree } from "./helpers/tree";

const APP = 'import multiprocessing as mp\n\ndef f(x):\n    return x\n\nif __name__ == "__main__":\n    with mp.Pool(2) as p:\n        print(p.map(f, [1]))\n';
const REJECTED_REWRITE = `# REJECT-REWRITE\n${APP}`;
const REJECTED_ORIGINAL = `# REJECT-ORIGINAL\n${APP}`;
const UNPARSABLE = "import multiprocessing\ndef f(:\n    pass\n";

const bin = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-fake-python-"));
const fake = fakePython(bin);
process.on("exit", () => fs.rmSync(bin, { recursive: true, force: true }));

function withFake(files: Record<string, string>) {
  const dir = writeTree(files, "spawnsafe-judge-");
  const log = path.join(dir, "..", `${path.basename(dir)}.log`);
  fs.writeFileSync(log, "");
  const run = (args: string[], input?: string) => spawnsafe(args, dir, input, { SPAWNSAFE_PYTHON: fake, FAKE_PYTHON_LOG: log });
  const starts = () => fs.readFileSync(log, "utf8").split("\n").filter(Boolean).length;
  return { dir, run, starts, read: (name: string) => fs.readFileSync(path.join(dir, name), "utf8") };
}

test("judge: one verdict per source in order; an interpreter that dies on a file rejects that file and a new one judges the rest", async () => {
  const sources = ["x = 1\n", "# CRASH-JUDGE\n", "# REJECT-ORIGINAL\ny = 2\n", "z = 3\n"].map((text, i) => ({ path: `f${i}.py`, bytes: Buffer.from(text) }));
  const answer = await judge(sources, fake);
  assert.ok("verdicts" in answer, JSON.stringify(answer));
  assert.equal(answer.version, "3.99.1");
  assert.deepEqual(
    answer.verdicts.map((v) => (v.accepted ? "ok" : v.kind)),
    ["ok", "crash", "SyntaxError", "ok"],
  );
  const crash = answer.verdicts[1];
  assert.ok(!crash.accepted && /died compiling it .*SIGKILL/.test(crash.message), JSON.stringify(crash));
});

test("judge: an interpreter that cannot be run is unavailable, with the reason", async () => {
  const answer = await judge([{ path: "a.py", bytes: Buffer.from("x = 1\n") }], path.join(bin, "no-such-python"));
  assert.ok("unavailable" in answer);
  assert.match(answer.unavailable, /no-such-python not found/);
});

function result(before: string, after: string, extra: Partial<FileResult> = {}): FileResult {
  const fixed = after !== before;
  return {
    path: "a.py",
    decision: { role: "app", reason: "test" },
    findings: [{ code: "SPS102", name: "n", message: "m", line: 7, column: 10, endLine: 7, endColumn: 20, fixable: true, applicability: "safe", fixed }],
    error: null,
    before,
    after,
    output: fixed ? Buffer.from(after) : null,
    passes: fixed ? 1 : 0,
    ...extra,
  };
}

test("judgeResults: a rejected rewrite becomes a spawnsafe bug with CPython's message, unwritten, its findings unfixed", async () => {
  const r = result(REJECTED_REWRITE, REJECTED_REWRITE.replace("if __name__", "mp.set_start_method('spawn')\nif __name__"));
  assert.equal(await judgeResults([{ result: r, original: Buffer.from(r.before) }], new Judge(fake)), null);
  assert.equal(r.output, null);
  assert.equal(r.after, r.before);
  assert.match(r.error!.message, /^a fix \(SPS102\) produced code that CPython rejects \(a spawnsafe bug, please report it\): syntax error: rejected by the fake \(CPython 3\.99\) at line 1:3 of the rewrite; file left untouched$/);
  assert.deepEqual(r.findings.map((f) => f.fixed), [false]);
});

test("judgeResults: a rejected original is an error at CPython's position; no rewrite, no findings", async () => {
  const r = result(REJECTED_ORIGINAL, REJECTED_ORIGINAL + "# changed\n");
  await judgeResults([{ result: r, original: Buffer.from(r.before) }], new Judge(fake));
  assert.equal(r.output, null);
  assert.deepEqual(r.findings, []);
  assert.deepEqual(r.error, { message: "syntax error: rejected by the fake (CPython 3.99); file left untouched", line: 1, column: 3 });
});

test("judgeResults: a file tree-sitter could not parse and CPython accepts is a parser gap, not a syntax error", async () => {
  const r = result(UNPARSABLE, UNPARSABLE, { error: { message: "syntax error: invalid syntax", line: 2, column: 7 }, askCPython: "unparsed", findings: [] });
  await judgeResults([{ result: r, original: Buffer.from(r.before) }], new Judge(fake));
  assert.deepEqual(r.error, { message: "spawnsafe's parser cannot read the construct at 2:7 (CPython 3.99 accepts the file); file left untouched", line: 2, column: 7 });
  assert.equal(r.askCPython, undefined);
});

test("judgeResults: a fix that went wrong is a spawnsafe bug, unless CPython rejects the original: then it is CPython's error", async () => {
  const bug = { message: "fixes did not settle after 10 passes (a spawnsafe bug); file left untouched", line: 1, column: 1 };
  const valid = result(APP, APP, { error: { ...bug }, askCPython: "failed" });
  const broken = result(REJECTED_ORIGINAL, REJECTED_ORIGINAL, { error: { ...bug }, askCPython: "failed" });
  await judgeResults([valid, broken].map((r) => ({ result: r, original: Buffer.from(r.before) })), new Judge(fake));
  assert.deepEqual(valid.error, bug);
  assert.deepEqual(broken.error, { message: "syntax error: rejected by the fake (CPython 3.99); file left untouched", line: 1, column: 3 });
  assert.equal(valid.askCPython, undefined);
});

test("judgeResults: nothing to judge starts no interpreter; without one, tree-sitter's verdict stands and one notice says why", async () => {
  const clean = result(APP, APP);
  assert.equal(await judgeResults([{ result: clean, original: Buffer.from(APP) }], new Judge(path.join(bin, "absent"))), null);
  const broken = result(UNPARSABLE, UNPARSABLE, { error: { message: "syntax error: invalid syntax", line: 2, column: 7 }, askCPython: "unparsed", findings: [] });
  const changed = result(APP, APP + "# x\n");
  const notice = await judgeResults(
    [broken, changed].map((r) => ({ result: r, original: Buffer.from(r.before) })),
    new Judge(path.join(bin, "absent")),
  );
  assert.match(notice!, /^spawnsafe: CPython was not asked to check the files \(.*absent not found\)/);
  assert.equal(broken.error!.message, "syntax error: invalid syntax");
  assert.ok(changed.output, "the rewrite stands");
});

test("fix: a rewrite CPython rejects is not written (exit 2, named as a spawnsafe bug); the other files are fixed; one interpreter for the run", () => {
  const t = withFake({ "bad.py": REJECTED_REWRITE, "good.py": APP, "broken.py": UNPARSABLE });
  const r = t.run(["fix", "."]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^bad\.py:1:1: error: a fix \(SPS102\) produced code that CPython rejects \(a spawnsafe bug, please report it\): syntax error: rejected by the fake \(CPython 3\.99\) at line 1:3 of the rewrite; file left untouched$/m);
  assert.match(r.stderr, /^broken\.py:2:7: error: spawnsafe's parser cannot read the construct at 2:7 \(CPython 3\.99 accepts the file\)/m);
  assert.match(r.stdout, /^bad\.py:8:10: SPS102 \[\*\]/m, "its finding is reported, unfixed");
  assert.equal(t.read("bad.py"), REJECTED_REWRITE);
  assert.match(t.read("good.py"), /set_start_method/);
  assert.equal(t.starts(), 1);
});

test("fix --dry-run: no diff for a rewrite CPython rejects", () => {
  const t = withFake({ "bad.py": REJECTED_REWRITE, "good.py": APP });
  const r = t.run(["fix", "--dry-run", "."]);
  assert.equal(r.status, 2);
  assert.doesNotMatch(r.stdout, /bad\.py/);
  assert.match(r.stdout, /^\+\+\+ b\/good\.py$/m);
  assert.match(r.stderr, /^bad\.py:1:1: error: a fix \(SPS102\) produced code that CPython rejects/m);
});

test("fix - (stdin): a rewrite CPython rejects prints the text back unchanged, exit 2", () => {
  const t = withFake({});
  const r = t.run(["fix", "-", "--stdin-filename", "bad.py"], REJECTED_REWRITE);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, REJECTED_REWRITE);
  assert.match(r.stderr, /^bad\.py:1:1: error: a fix \(SPS102\) produced code that CPython rejects/m);
  const ok = t.run(["fix", "-", "--stdin-filename", "good.py"], APP);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /set_start_method/);
});

test("fix: an original CPython rejects is an error left alone, with CPython's message and position", () => {
  const t = withFake({ "py2.py": REJECTED_ORIGINAL });
  const r = t.run(["fix", "."]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^py2\.py:1:3: error: syntax error: rejected by the fake \(CPython 3\.99\); file left untouched$/m);
  assert.equal(r.stdout, "", "no findings for a file CPython rejects");
  assert.equal(t.read("py2.py"), REJECTED_ORIGINAL);
});

test("check: asks CPython only about files tree-sitter could not parse; none, no interpreter", () => {
  const t = withFake({ "app.py": APP, "rejected.py": REJECTED_ORIGINAL });
  const clean = t.run(["check", "--no-cache", "."]);
  assert.equal(clean.status, 1);
  assert.equal(t.starts(), 0, "nothing to judge: no interpreter started");
  fs.writeFileSync(path.join(t.dir, "broken.py"), UNPARSABLE);
  const broken = t.run(["check", "--no-cache", "."]);
  assert.equal(broken.status, 2);
  assert.match(broken.stderr, /^broken\.py:2:7: error: spawnsafe's parser cannot read the construct at 2:7/m);
  assert.equal(t.starts(), 1);
});

test("fix without an interpreter: one notice on stderr, and the files are still fixed", () => {
  const dir = writeTree({ "a.py": APP, "b.py": APP }, "spawnsafe-judge-");
  const r = spawnsafe(["fix", "."], dir, undefined, { SPAWNSAFE_PYTHON: path.join(bin, "absent-python") });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.match(/CPython was not asked/g)?.length, 1, r.stderr);
  assert.match(fs.readFileSync(path.join(dir, "a.py"), "utf8"), /set_start_method/);
  assert.match(fs.readFileSync(path.join(dir, "b.py"), "utf8"), /set_start_method/);
});

test("judgeResults: a large batch is compiled by two interpreters side by side, each verdict on its own file", async () => {
  // Over a megabyte to compile: the originals and rewrites are shared between two processes.
  const padding = `${"# padding\n".repeat(60_000)}`;
  const good = result(padding + APP, padding + APP.replace("if __name__", "mp.set_start_method('spawn')\nif __name__"));
  const bad = result(REJECTED_REWRITE + padding, (REJECTED_REWRITE + padding).replace("if __name__", "mp.set_start_method('spawn')\nif __name__"));
  const log = path.join(bin, `split-${process.pid}.log`);
  process.env.FAKE_PYTHON_LOG = log;
  try {
    await judgeResults([good, bad].map((r) => ({ result: r, original: Buffer.from(r.before) })), new Judge(fake));
  } finally {
    delete process.env.FAKE_PYTHON_LOG;
  }
  assert.equal(fs.readFileSync(log, "utf8").split("\n").filter(Boolean).length, 2, "two interpreters");
  assert.equal(good.error, null);
  assert.ok(good.output, "the accepted rewrite stands");
  assert.match(bad.error!.message, /^a fix \(SPS102\) produced code that CPython rejects/);
  assert.equal(bad.output, null);
});
