// Faults of long or raced runs, through the real CLI: another program changing or deleting
// files while fix runs (signals.slow.test.ts: signals), a 5 MB generated module, code nested
// deeper than anyone writes (judged by python3). Each time: nothing lost or half written,
// the other files still processed, a clear message and exit status.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { spawnsafe } from "./helpers/cli";
import { pythonExecutable } from "./helpers/python";
import { APP, FIXED_APP, appTree, commitAll, linkTurnedFifo, pausingGit, startCli, strayFiles, until } from "./helpers/race";
import { writeTree } from "./helpers/tree";

function project(files: Record<string, string | Buffer>): string {
  return writeTree(files, "spawnsafe-faults-");
}

const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), "utf8");

/** CPython compiles the file (compile(), which is about twice as fast as building an ast.parse tree). */
function pythonParses(file: string): void {
  execFileSync(pythonExecutable(), ["-c", "import sys; compile(open(sys.argv[1], 'rb').read(), sys.argv[1], 'exec', dont_inherit=True)", file]);
}

test("a file deleted and a file changed by someone else during the run are not written; the rest is fixed", async () => {
  const dir = appTree(20);
  fs.writeFileSync(path.join(dir, "zz_changed.py"), APP);
  fs.writeFileSync(path.join(dir, "zz_deleted.py"), APP);
  // The run will wait at the write of m0010.py (a link named on the command line).
  const held = linkTurnedFifo(path.join(dir, "m0010.py"), APP);
  commitAll(dir);
  const git = pausingGit();
  const run = startCli(["fix", ".", "m0010.py"], dir, git.bin);
  await git.asked;
  held.turn();
  git.go();
  // Every file is read, the git check is passed, and the writes are under way: the other program acts now.
  await until(() => read(dir, "m0009.py") === FIXED_APP);
  const theirs = APP + "# their edit, made while spawnsafe runs\n";
  fs.writeFileSync(path.join(dir, "zz_changed.py"), theirs);
  fs.unlinkSync(path.join(dir, "zz_deleted.py"));
  let exited = false;
  const [r] = await Promise.all([run.finished.finally(() => (exited = true)), held.release(() => exited)]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^zz_changed\.py:1:1: error: not written: the file changed on disk during the run$/m);
  assert.match(r.stderr, /^zz_deleted\.py:1:1: error: not written: the file disappeared during the run/m);
  assert.match(r.stderr, /^m0010\.py:1:1: error: not written: the path is no longer a regular file$/m);
  assert.equal(read(dir, "zz_changed.py"), theirs, "their edit is kept");
  assert.equal(fs.existsSync(path.join(dir, "zz_deleted.py")), false, "a deleted file is not brought back");
  for (const name of fs.readdirSync(dir).filter((n) => /^m\d{4}\.py$/.test(n) && n !== "m0010.py")) assert.equal(read(dir, name), FIXED_APP, name);
  assert.deepEqual(strayFiles(dir), [], "no temporary file is left");
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A generated module of about `bytes` bytes: many small functions, then a program that uses one. */
function generatedModule(bytes: number): string {
  const parts = ["import multiprocessing as mp\n\n"];
  let size = parts[0].length;
  for (let i = 0; size < bytes; i++) {
    const f = `def f${i}(x, y=None):\n    '''Generated ${i}.'''\n    total = x * ${i} + (y or 0)\n    return [total, {'k${i}': total}, ('a', 'b')]\n\n`;
    parts.push(f);
    size += f.length;
  }
  parts.push('def work(x):\n    return f1(x)[0]\n\nif __name__ == "__main__":\n    with mp.Pool(2) as p:\n        print(p.map(work, [1, 2]))\n');
  return parts.join("");
}

test("a 5 MB generated module is processed and fixed correctly", { timeout: 10 * 60 * 1000 }, () => {
  const text = generatedModule(5 * 1024 * 1024);
  const dir = project({ "generated.py": text });
  const r = spawnsafe(["fix", "generated.py"], dir);
  assert.equal(r.status, 0, r.stderr);
  const expected = text.replace('if __name__ == "__main__":\n', 'if __name__ == "__main__":\n    mp.set_start_method("spawn", force=True)\n');
  assert.ok(read(dir, "generated.py") === expected, "the fixed module differs from the input plus the one inserted line");
  // CPython compiles it. (Running it would compile 5 MB three times, in the parent and in
  // each spawned child; that the inserted call works is what the runtime fixtures show.)
  pythonParses(path.join(dir, "generated.py"));
  fs.rmSync(dir, { recursive: true, force: true });
});

test("deeply nested code: as deep as CPython accepts is fixed correctly; deeper is a clear error, never a crash", () => {
  // CPython allows 100 levels of indentation and 200 nested brackets; a long sum nests
  // without brackets (CPython 3.11 builds its AST for about 2,500 terms).
  const ifs = Array.from({ length: 99 }, (_, i) => `${"    ".repeat(i)}if x:\n`).join("") + `${"    ".repeat(99)}pass\n`;
  const valid = `x = 1\n${ifs}y = ${"[".repeat(199)}1${"]".repeat(199)}\nz = ${Array(2000).fill("1").join(" + ")}\n`;
  const tooDeep = `w = ${"[".repeat(100000)}1${"]".repeat(100000)}\n`;
  const longSum = `s = ${Array(50000).fill("1").join(" + ")}\n`;
  const withHead = (body: string) => APP.replace("\ndef f(x):", `\n${body}\ndef f(x):`);
  for (const jobs of ["1", "2"]) {
    // With --jobs 2 and enough files the work goes to worker threads, whose stack differs.
    const extra = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`extra${i}.py`, APP]));
    const dir = project({ "valid.py": withHead(valid), "deep.py": withHead(tooDeep), "sum.py": withHead(longSum), ...extra });
    const r = spawnsafe(["fix", "--jobs", jobs, "."], dir);
    assert.doesNotMatch(r.stderr, /internal error|Maximum call stack/);
    // Deeper than CPython accepts: a clear error and the file untouched, from the analysis
    // (its walkers recurse) or from CPython, which judges every rewrite and its original
    // (src/fix/cpython.ts); never a crash.
    for (const [name, body] of [["deep.py", tooDeep], ["sum.py", longSum]]) {
      const at = `^${name.replace(".", "\\.")}:\\d+:\\d+: error: `;
      const stack = new RegExp(`${at}too deeply nested to analyse \\(the stack ran out\\); file left untouched$`, "m");
      const cpython = new RegExp(`${at}(syntax error: too many nested parentheses|RecursionError: too deeply nested: the compiler ran out of stack) \\(CPython 3\\.\\d+\\); file left untouched$`, "m");
      assert.ok(stack.test(r.stderr) || cpython.test(r.stderr), `${name}: ${r.stderr}`);
      assert.equal(read(dir, name), withHead(body), `${name} was written`);
    }
    assert.equal(r.status, 2, r.stderr);
    const fixedValid = withHead(valid).replace('if __name__ == "__main__":\n', 'if __name__ == "__main__":\n    mp.set_start_method("spawn", force=True)\n');
    assert.equal(read(dir, "valid.py"), fixedValid);
    pythonParses(path.join(dir, "valid.py"));
    for (let i = 0; i < 8; i++) assert.equal(read(dir, `extra${i}.py`), FIXED_APP);
  }
});
