// Faults a bulk run meets in the wild, through the real CLI: a read-only file, a dirty git
// tree, a symbolic link loop, a binary file named .py. Each time: a clear message naming the
// file, nothing lost, the other files still processed, and exit status 2 where a file could
// not be processed. (faults.slow.test.ts: races with other writers, signals, a 5 MB module,
// code nested deeper than anyone writes, judged by python3.)
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { cli } from "./helpers/cli";
import { APP, FIXED_APP } from "./helpers/race";
import { writeTree } from "./helpers/tree";

function project(files: Record<string, string | Buffer>): string {
  return writeTree(files, "spawnsafe-faults-");
}

const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), "utf8");

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { encoding: "utf8" });
}

test("a read-only file is not written (clear message, exit 2) and the other files are fixed", async () => {
  const dir = project({ "app.py": APP, "locked.py": APP });
  fs.chmodSync(path.join(dir, "locked.py"), 0o444);
  const r = await cli(["fix", "."], dir);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^locked\.py:1:1: error: not written: the file is read-only \(mode 0444\)$/m);
  assert.equal(read(dir, "locked.py"), APP);
  assert.equal(fs.statSync(path.join(dir, "locked.py")).mode & 0o777, 0o444);
  assert.equal(read(dir, "app.py"), FIXED_APP);
  // Its finding is still reported, as not fixed, and the summary counts it.
  assert.match(r.stdout, /^locked\.py:7:10: SPS102 \[\*\]/m);
  assert.match(r.stderr, /^2 files scanned, 1 changed \(1 finding fixed\), 1 finding left, 1 error in \d+\.\d\d s$/m);
  const json = await cli(["fix", "--format", "json", "."], dir);
  const locked = JSON.parse(json.stdout).files.find((f: { path: string }) => f.path === "locked.py");
  assert.equal(locked.changed, false);
  assert.match(locked.error.message, /read-only/);
  assert.deepEqual(fs.readdirSync(dir).sort(), ["app.py", "locked.py"], "no temporary file is left");
});

test("a dirty git tree: fix names the files with uncommitted changes, writes nothing and exits 2", async () => {
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
  const r = await cli(["fix", "."], dir);
  assert.equal(r.status, 2);
  assert.equal(
    r.stderr,
    "spawnsafe: fix would change files that have uncommitted changes in git:\n  edited.py (modified)\n  new.py (untracked)\n  staged.py (staged)\n" +
      "Nothing was written. Commit or stash them first, or run again with --allow-dirty.\n",
  );
  assert.equal(r.stdout, "");
  for (const [name, text] of Object.entries(before)) assert.equal(read(dir, name), text, `${name} was written`);
});

test("a symbolic link loop neither hangs the walk nor stops the run; given by name it is a clear error", async () => {
  const dir = project({ "app.py": APP, "pkg/mod.py": APP });
  fs.symlinkSync("self", path.join(dir, "self"));
  fs.symlinkSync("b", path.join(dir, "a"));
  fs.symlinkSync("a", path.join(dir, "b"));
  fs.symlinkSync("..", path.join(dir, "pkg", "up"));
  fs.symlinkSync(".", path.join(dir, "pkg", "here.py"));
  const walked = await cli(["check", "."], dir);
  assert.equal(walked.status, 1, walked.stderr);
  assert.deepEqual(walked.stdout.trim().split("\n").map((l) => l.split(":")[0]), ["app.py", "pkg/mod.py"]);
  const named = await cli(["check", "a", "app.py"], dir);
  assert.equal(named.status, 2);
  assert.match(named.stderr, /^spawnsafe: a: cannot read: too many levels of symbolic links \(a link loop\)$/m);
  assert.match(named.stdout, /^app\.py:7:10: SPS102/m);
});

test("a binary file named .py (NUL bytes) and undecodable bytes: an error with line:col, untouched, the rest fixed", async () => {
  const binary = Buffer.concat([Buffer.from("import multiprocessing\nx = 1\nblob = '"), Buffer.from([0x7f, 0x45, 0x00, 0x01, 0xff]), Buffer.from("'\n")]);
  const utf16 = Buffer.from("\ufeffimport multiprocessing\n", "utf16le");
  const undecodable = Buffer.from([...Buffer.from("import multiprocessing\n# caf"), 0xe9, ...Buffer.from("\n")]);
  const dir = project({ "app.py": APP, "blob.py": binary, "utf16.py": utf16, "latin.py": undecodable });
  const r = await cli(["fix", "."], dir);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^blob\.py:3:11: error: source code cannot contain NUL bytes \(a binary file\?\)$/m);
  assert.match(r.stderr, /^utf16\.py:1:4: error: source code cannot contain NUL bytes/m);
  assert.match(r.stderr, /^latin\.py:2:6: error: not valid UTF-8/m);
  assert.ok(fs.readFileSync(path.join(dir, "blob.py")).equals(binary));
  assert.ok(fs.readFileSync(path.join(dir, "utf16.py")).equals(utf16));
  assert.ok(fs.readFileSync(path.join(dir, "latin.py")).equals(undecodable));
  assert.equal(read(dir, "app.py"), FIXED_APP);
});

test("read-only is the owner's write bit, as docs/guarantees.md says: mode 0464 (group may write) is not written, even by root", async () => {
  const dir = project({ "app.py": APP, "group.py": APP });
  fs.chmodSync(path.join(dir, "group.py"), 0o464);
  const r = await cli(["fix", "."], dir);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^group\.py:1:1: error: not written: the file is read-only \(mode 0464\)$/m);
  assert.equal(read(dir, "group.py"), APP);
  assert.equal(read(dir, "app.py"), FIXED_APP);
});

test("a notebook with a null cell, or a cell that is not an object, is a clear error", async () => {
  const notebook = (cells: unknown[]) => JSON.stringify({ cells, metadata: {}, nbformat: 4, nbformat_minor: 5 });
  const code = { cell_type: "code", source: ["import multiprocessing as mp\n", "mp.Pool(2)\n"], metadata: {}, outputs: [], execution_count: null };
  const dir = project({ "null.ipynb": notebook([code, null]), "number.ipynb": notebook([3]), "text.ipynb": notebook([{ cell_type: "code", source: [1, 2] }]) });
  const r = await cli(["check", "."], dir);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^null\.ipynb:1:1: error: not a readable notebook: cell 2 is null, not an object$/m);
  assert.match(r.stderr, /^number\.ipynb:1:1: error: not a readable notebook: cell 1 is a number, not an object$/m);
  assert.match(r.stderr, /^text\.ipynb:1:1: error: not a readable notebook: cell 1: source is not text$/m);
  assert.doesNotMatch(r.stderr, /Cannot read|undefined|TypeError/);
});
