// CPython's own verdicts (src/judge.ts) with the real python3: files tree-sitter reads
// but CPython rejects are errors left alone, with CPython's message and position; forms
// CPython accepts but tree-sitter's grammar misses are called what they are, not syntax errors.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { judge } from "../src/judge";
import { GRAMMAR_FORMS } from "./grammar-forms";
import { CPYTHON_LOOKUP } from "./codec-names";
import { spawnsafe, resolvedPython } from "./helpers/cli";
import { writeTree } from "./helpers/tree";

const python = resolvedPython();
if (!python) throw new Error("these tests need python3 (or $SPAWNSAFE_PYTHON)");

const POOL = 'if __name__ == "__main__":\n    with multiprocessing.Pool(1) as p:\n        print(p.map(abs, [-1]))\n';

/** Files tree-sitter parses without an error that CPython rejects, and what CPython says. */
const REJECTED: Array<{ name: string; text: string | Buffer; message: RegExp; at: string; own?: true }> = [
  { name: "Python 2 print", text: `import multiprocessing\nprint "x"\n${POOL}`, message: /^syntax error: Missing parentheses in call to 'print'/, at: "2:1" },
  { name: "Python 2 exec", text: `import multiprocessing\nexec "x = 1"\n${POOL}`, message: /^syntax error: Missing parentheses in call to 'exec'/, at: "2:1" },
  { name: "misplaced __future__", text: `import multiprocessing\nfrom __future__ import annotations\n${POOL}`, message: /^syntax error: from __future__ imports must occur at the beginning of the file/, at: "2:1" },
  // Told before CPython is asked (src/codecs.ts knows CPython's codecs), in CPython's words.
  { name: "unknown coding cookie", text: `# -*- coding: klingon -*-\nimport multiprocessing\n${POOL}`, message: /^unknown encoding: klingon$/, at: "1:1", own: true },
  { name: "nesting deeper than CPython accepts", text: `import multiprocessing\nx = ${"(".repeat(250)}1${")".repeat(250)}\n${POOL}`, message: /^syntax error: too many nested parentheses/, at: "2:" },
  { name: "global after assignment", text: `import multiprocessing\nX = 1\ndef f():\n    X = 2\n    global X\n${POOL}`, message: /^syntax error: name 'X' is assigned to before global declaration/, at: "5:5" },
  { name: "inconsistent tabs", text: `import multiprocessing\nif True:\n        x = 1\n\ty = 2\n${POOL}`, message: /^(tab|indentation) error: /, at: "4:" },
  { name: "form feed after spaces in indentation", text: `import multiprocessing\nif True:\n    \fx = 1\n${POOL}`, message: /^indentation error: expected an indented block/, at: "3:" },
  { name: "return outside function", text: `import multiprocessing\nreturn 1\n${POOL}`, message: /^syntax error: 'return' outside function/, at: "2:1" },
];

test("judge: CPython's verdicts, messages and positions on files tree-sitter reads", async () => {
  const answer = await judge(REJECTED.map((c) => ({ path: `${c.name}.py`, bytes: Buffer.from(c.text) })), python);
  assert.ok("verdicts" in answer, JSON.stringify(answer));
  assert.match(answer.version, /^3\.\d+\.\d+$/);
  REJECTED.forEach((c, i) => {
    const v = answer.verdicts[i];
    assert.ok(!v.accepted, `${c.name}: accepted`);
  });
});

for (const c of REJECTED) {
  test(`fix: ${c.name} is an error with CPython's message, left alone, with no findings`, () => {
    const dir = writeTree({ "bad.py": c.text }, "spawnsafe-cpython-");
    const r = spawnsafe(["fix", "bad.py"], dir);
    assert.equal(r.status, 2, r.stderr);
    const line = /^bad\.py:(\d+:\d+): error: (.*)$/m.exec(r.stderr);
    assert.ok(line, r.stderr);
    assert.ok(line[1].startsWith(c.at), `at ${line[1]}, expected ${c.at}`);
    assert.match(line[2], c.message);
    if (!c.own) assert.match(line[2], /\(CPython 3\.\d+\); file left untouched$/);
    assert.equal(r.stdout, "");
    assert.deepEqual(fs.readFileSync(path.join(dir, "bad.py")), Buffer.from(c.text));
  });
}

test("fix - (stdin) and fix --dry-run: a file CPython rejects is printed back / shows no diff", () => {
  const text = `import multiprocessing\nprint "x"\nmultiprocessing.Pool(2)\n`;
  const dir = writeTree({ "py2.py": text }, "spawnsafe-cpython-");
  const piped = spawnsafe(["fix", "-", "--stdin-filename", "py2.py"], dir, text);
  assert.equal(piped.status, 2);
  assert.equal(piped.stdout, text);
  assert.match(piped.stderr, /^py2\.py:2:1: error: syntax error: Missing parentheses in call to 'print'/m);
  const dry = spawnsafe(["fix", "--dry-run", "py2.py"], dir);
  assert.equal(dry.status, 2);
  assert.equal(dry.stdout, "");
});

const minor = Number(/^Python 3\.(\d+)/.exec(execFileSync(python, ["--version"], { encoding: "utf8" }))![1]);

for (const form of GRAMMAR_FORMS) {
  const skip = minor < form.since ? `CPython 3.${minor} rejects it: valid from 3.${form.since}` : false;
  test(`grammar: ${form.name} is valid for CPython 3.${minor}, and ${form.parses ? "fixed" : "reported as a gap of spawnsafe's parser, not a syntax error"}`, { skip }, async () => {
    const text = `import multiprocessing\n${form.code}${POOL}`;
    const answer = await judge([{ path: "form.py", bytes: Buffer.from(form.code) }], python);
    assert.ok("verdicts" in answer && answer.verdicts[0].accepted, JSON.stringify(answer));
    const dir = writeTree({ "form.py": text }, "spawnsafe-grammar-");
    const r = spawnsafe(["fix", "form.py"], dir);
    if (form.parses) {
      assert.equal(r.status, 0, r.stderr);
      assert.match(fs.readFileSync(path.join(dir, "form.py"), "utf8"), /set_start_method/);
      return;
    }
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^form\.py:(\d+):(\d+): error: spawnsafe's parser cannot read the construct at \1:\2 \(CPython 3\.\d+ accepts the file\); file left untouched$/m);
    assert.doesNotMatch(r.stderr, /syntax error/);
    assert.equal(fs.readFileSync(path.join(dir, "form.py"), "utf8"), text);
  });
}

test("cookie names: the running CPython knows exactly the codecs test/codec-names.ts says it knows", async () => {
  const names = Object.keys(CPYTHON_LOOKUP);
  const answer = await judge(names.map((name) => ({ path: `${name}.py`, bytes: Buffer.from(`# -*- coding: ${name} -*-\nx = 1\n`) })), python);
  assert.ok("verdicts" in answer);
  const unknown = names.filter((_, i) => {
    const v = answer.verdicts[i];
    return !v.accepted && /^unknown encoding/.test(v.message);
  });
  assert.deepEqual(unknown, names.filter((n) => CPYTHON_LOOKUP[n] === null));
});
