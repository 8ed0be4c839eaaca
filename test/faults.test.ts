// Faults a bulk run meets in the wild, through the real CLI: a read-only file, a file deleted
// or changed by someone else while the run is under way, a dirty git tree, a symbolic link
// loop, a binary file named .py, a 5 MB generated module, code nested deeper than anyone
// writes. Each time: a clear message naming the file, nothing lost, the other files still
// processed, and exit status 2 where a file could not be processed.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { spawnsafe } from "./helpers/cli";
import { pythonExecutable } from "./helpers/python";
import { APP, FIXED_APP, appTree, raceFirstWrite, strayFiles } from "./helpers/race";
import { writeTree } from "./helpers/tree";

function project(files: Record<string, string | Buffer>): string {
  return writeTree(files, "spawnsafe-faults-");
}

const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), "utf8");

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { encoding: "utf8" });
}

function pythonParses(file: string): void {
  execFileSync(pythonExecutable(), ["-c", "import ast, sys; ast.parse(open(sys.argv[1], 'rb').read())", file]);
}

test("a read-only file is not written (clear message, exit 2) and the other files are fixed", () => {
  const dir = project({ "app.py": APP, "locked.py": APP });
  fs.chmodSync(path.join(dir, "locked.py"), 0o444);
  const r = spawnsafe(["fix", "."], dir);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^locked\.py:1:1: error: not written: the file is read-only \(mode 0444\)$/m);
  assert.equal(read(dir, "locked.py"), APP);
  assert.equal(fs.statSync(path.join(dir, "locked.py")).mode & 0o777, 0o444);
  assert.equal(read(dir, "app.py"), FIXED_APP);
  // Its finding is still reported, as not fixed, and the summary counts it.
  assert.match(r.stdout, /^locked\.py:7:10: SPS102 \[\*\]/m);
  assert.match(r.stderr, /^2 files scanned, 1 changed, 1 findings, 1 errors in \d+\.\d\d s$/m);
  const json = spawnsafe(["fix", "--format", "json", "."], dir);
  const locked = JSON.parse(json.stdout).files.find((f: { path: string }) => f.path === "locked.py");
  assert.equal(locked.changed, false);
  assert.match(locked.error.message, /read-only/);
  assert.deepEqual(fs.readdirSync(dir).sort(), ["app.py", "locked.py"], "no temporary file is left");
});

test("a file deleted and a file changed by someone else during the run are not written; the rest is fixed", async () => {
  const dir = appTree(400);
  fs.writeFileSync(path.join(dir, "zz_changed.py"), APP);
  fs.writeFileSync(path.join(dir, "zz_deleted.py"), APP);
  const theirs = APP + "# their edit, made while spawnsafe runs\n";
  // Files are written in path order: the zz_ files come last, long after the first write.
  const r = await raceFirstWrite(["fix", "."], dir, dir, () => {
    fs.writeFileSync(path.join(dir, "zz_changed.py"), theirs);
    fs.unlinkSync(path.join(dir, "zz_deleted.py"));
  });
  assert.ok(r.acted, "the run never wrote");
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^zz_changed\.py:1:1: error: not written: the file changed on disk during the run$/m);
  assert.match(r.stderr, /^zz_deleted\.py:1:1: error: not written: the file disappeared during the run/m);
  assert.equal(read(dir, "zz_changed.py"), theirs, "their edit is kept");
  assert.equal(fs.existsSync(path.join(dir, "zz_deleted.py")), false, "a deleted file is not brought back");
  for (const name of fs.readdirSync(dir).filter((n) => n.startsWith("m"))) assert.equal(read(dir, name), FIXED_APP, name);
  assert.deepEqual(strayFiles(dir), [], "no temporary file is left");
  fs.rmSync(dir, { recursive: true, force: true });
});

for (const [signal, status] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  test(`${signal} during the writes: every file is old or new, none half written, no temporary file left (exit ${status})`, async () => {
    const dir = appTree(400);
    const r = await raceFirstWrite(["fix", "."], dir, dir, (child) => child.kill(signal));
    assert.ok(r.acted, "the run never wrote");
    assert.equal(r.status, status, r.stderr);
    const m = /interrupted: (\d+) files? written, every other file left as it was/.exec(r.stderr);
    assert.ok(m, r.stderr);
    const contents = fs.readdirSync(dir).map((name) => read(dir, name));
    const fixed = contents.filter((c) => c === FIXED_APP).length;
    assert.equal(contents.filter((c) => c !== APP && c !== FIXED_APP).length, 0, "a file is neither old nor new");
    assert.equal(fixed, Number(m[1]), "the message counts the files written");
    assert.ok(fixed >= 1 && fixed < 400, `the run stopped part way (${fixed} written)`);
    assert.deepEqual(strayFiles(dir), [], "no temporary file is left");
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

test("a dirty git tree: fix names the files with uncommitted changes, writes nothing and exits 2", () => {
  const dir = project({ "clean.py": APP, "edited.py": APP, "staged.py": APP, "other.py": "print('not touched by fix')\n" });
  git(dir, "init", "-q");
  git(dir, "add", ".");
  git(dir, "commit", "-qm", "start");
  fs.appendFileSync(path.join(dir, "edited.py"), "# work in progress\n");
  fs.appendFileSync(path.join(dir, "staged.py"), "# staged work\n");
  git(dir, "add", "staged.py");
  fs.writeFileSync(path.join(dir, "new.py"), APP);
  fs.appendFileSync(path.join(dir, "other.py"), "# dirty, but fix would not change it\n");
  const before = Object.fromEntries(fs.readdirSync(dir).filter((n) => n.endsWith(".py")).map((n) => [n, read(dir, n)]));
  const r = spawnsafe(["fix", "."], dir);
  assert.equal(r.status, 2);
  assert.equal(
    r.stderr,
    "spawnsafe: fix would change files that have uncommitted changes in git:\n  edited.py (modified)\n  new.py (untracked)\n  staged.py (staged)\n" +
      "Nothing was written. Commit or stash them first, or run again with --allow-dirty.\n",
  );
  assert.equal(r.stdout, "");
  for (const [name, text] of Object.entries(before)) assert.equal(read(dir, name), text, `${name} was written`);
});

test("a symbolic link loop neither hangs the walk nor stops the run; given by name it is a clear error", () => {
  const dir = project({ "app.py": APP, "pkg/mod.py": APP });
  fs.symlinkSync("self", path.join(dir, "self"));
  fs.symlinkSync("b", path.join(dir, "a"));
  fs.symlinkSync("a", path.join(dir, "b"));
  fs.symlinkSync("..", path.join(dir, "pkg", "up"));
  fs.symlinkSync(".", path.join(dir, "pkg", "here.py"));
  const walked = spawnsafe(["check", "."], dir);
  assert.equal(walked.status, 1, walked.stderr);
  assert.deepEqual(walked.stdout.trim().split("\n").map((l) => l.split(":")[0]), ["app.py", "pkg/mod.py"]);
  const named = spawnsafe(["check", "a", "app.py"], dir);
  assert.equal(named.status, 2);
  assert.match(named.stderr, /^spawnsafe: a: cannot read: too many levels of symbolic links \(a link loop\)$/m);
  assert.match(named.stdout, /^app\.py:7:10: SPS102/m);
});

test("a binary file named .py (NUL bytes) and undecodable bytes: an error with line:col, untouched, the rest fixed", () => {
  const binary = Buffer.concat([Buffer.from("import multiprocessing\nx = 1\nblob = '"), Buffer.from([0x7f, 0x45, 0x00, 0x01, 0xff]), Buffer.from("'\n")]);
  const utf16 = Buffer.from("\ufeffimport multiprocessing\n", "utf16le");
  const undecodable = Buffer.from([...Buffer.from("import multiprocessing\n# caf"), 0xe9, ...Buffer.from("\n")]);
  const dir = project({ "app.py": APP, "blob.py": binary, "utf16.py": utf16, "latin.py": undecodable });
  const r = spawnsafe(["fix", "."], dir);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^blob\.py:3:11: error: source code cannot contain NUL bytes \(a binary file\?\)$/m);
  assert.match(r.stderr, /^utf16\.py:1:4: error: source code cannot contain NUL bytes/m);
  assert.match(r.stderr, /^latin\.py:2:6: error: not valid UTF-8/m);
  assert.ok(fs.readFileSync(path.join(dir, "blob.py")).equals(binary));
  assert.ok(fs.readFileSync(path.join(dir, "utf16.py")).equals(utf16));
  assert.ok(fs.readFileSync(path.join(dir, "latin.py")).equals(undecodable));
  assert.equal(read(dir, "app.py"), FIXED_APP);
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
  const ran = execFileSync(pythonExecutable(), ["generated.py"], { cwd: dir, encoding: "utf8" });
  assert.equal(ran, "[1, 2]\n");
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
    // (src/judge.ts); never a crash.
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
