// The command-line contract: exit statuses, dry-run writes nothing, errors name the file
// and leave it untouched while the other files are processed, output formats.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { CLI, cli } from "./helpers/cli";
import { writeTree } from "./helpers/tree";

const APP = 'import multiprocessing as mp\n\ndef f(x):\n    return x\n\nif __name__ == "__main__":\n    with mp.Pool(2) as p:\n        print(p.map(f, [1]))\n';
const BROKEN = "import multiprocessing\ndef f(:\n    pass\n";

function project(files: Record<string, string | Buffer>): string {
  return writeTree(files, "spawnsafe-cli-");
}

test("fix --dry-run prints a unified diff, writes nothing and exits 1", async () => {
  const dir = project({ "app.py": APP });
  const r = await cli(["fix", "--dry-run", "."], dir);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^--- a\/app\.py\n\+\+\+ b\/app\.py\n@@ /);
  assert.match(r.stdout, /^\+    mp\.set_start_method\("spawn", force=True\)$/m);
  assert.equal(fs.readFileSync(path.join(dir, "app.py"), "utf8"), APP);
});

test("fix writes, keeps the mode bits, and a second dry run finds nothing (exit 0)", async () => {
  const dir = project({ "app.py": APP });
  fs.chmodSync(path.join(dir, "app.py"), 0o751);
  const r = await cli(["fix", "."], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /app\.py: fixed 1 \(application: run as a program/);
  const after = fs.readFileSync(path.join(dir, "app.py"), "utf8");
  assert.notEqual(after, APP);
  assert.equal(fs.statSync(path.join(dir, "app.py")).mode & 0o777, 0o751);
  assert.deepEqual(fs.readdirSync(dir), ["app.py"], "no temporary file is left behind");
  const again = await cli(["fix", "--dry-run", "."], dir);
  assert.equal(again.status, 0);
  assert.equal(again.stdout, "");
});

test("a file with a syntax error is named with line:col, left untouched, and the others are fixed (exit 2)", async () => {
  const dir = project({ "app.py": APP, "broken.py": BROKEN });
  const r = await cli(["fix", "."], dir);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^broken\.py:2:7: error: syntax error/m);
  assert.equal(fs.readFileSync(path.join(dir, "broken.py"), "utf8"), BROKEN);
  assert.match(fs.readFileSync(path.join(dir, "app.py"), "utf8"), /set_start_method/);
});

test("check: findings as path:line:col: CODE message; exit 1 with findings, 0 without, 2 on errors", async () => {
  const dir = project({ "app.py": APP, "clean.py": "print('hi')\n" });
  const found = await cli(["check", "app.py"], dir);
  assert.equal(found.status, 1);
  assert.equal(found.stdout, "app.py:7:10: SPS102 [*] Processes are created with the default start method (fork on Linux before Python 3.14); set \"spawn\" first in the main guard\n");
  assert.equal(fs.readFileSync(path.join(dir, "app.py"), "utf8"), APP, "check writes nothing");
  assert.equal((await cli(["check", "clean.py"], dir)).status, 0);
  const broken = project({ "broken.py": BROKEN });
  assert.equal((await cli(["check", "."], broken)).status, 2);
});

test("usage errors and missing paths exit 2", async () => {
  const dir = project({ "app.py": APP });
  for (const args of [["fix", "--mode", "bogus", "."], ["check", "--no-such-flag"], ["frobnicate"], []]) {
    const r = await cli(args, dir);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /spawnsafe: /);
  }
  const missing = await cli(["check", "nope.py"], dir);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nope\.py: no such file or directory/);
});

test("--method forkserver and --mode lib choose the fix", async () => {
  const dir = project({ "app.py": APP });
  const server = await cli(["fix", "--dry-run", "--method", "forkserver", "app.py"], dir);
  assert.match(server.stdout, /mp\.set_start_method\("forkserver", force=True\)/);
  const lib = await cli(["fix", "--dry-run", "--mode", "lib", "app.py"], dir);
  assert.match(lib.stdout, /^\+    with mp\.get_context\("spawn"\)\.Pool\(2\) as p:$/m);
  assert.doesNotMatch(lib.stdout, /set_start_method/);
});

test("directories skip virtual environments, site-packages, .git and .gitignored paths; --exclude adds more", async () => {
  const dir = project({
    "app.py": APP,
    "env/pyvenv.cfg": "home = /usr\n",
    "env/lib/x.py": APP,
    "lib/site-packages/y.py": APP,
    ".git/hooks/z.py": APP,
    ".gitignore": "generated/\n",
    "generated/g.py": APP,
    "tools/t.py": APP,
  });
  fs.mkdirSync(path.join(dir, ".git", "objects"), { recursive: true });
  const r = await cli(["check", "--exclude", "tools", "."], dir);
  assert.deepEqual(r.stdout.trim().split("\n").map((l) => l.split(":")[0]), ["app.py"]);
});

test("a package named like a skipped folder (venv, build, dist) is still searched", async () => {
  // CPython's own standard library has a `venv` package; pip has `operations/build`.
  const dir = project({
    "app.py": APP,
    "venv/__init__.py": "",
    "venv/runner.py": APP,
    "tools/build/__init__.py": "",
    "tools/build/steps.py": APP,
    "build/lib/copy.py": APP,
    ".venv/lib/v.py": APP,
  });
  const r = await cli(["check", "."], dir);
  assert.deepEqual(r.stdout.trim().split("\n").map((l) => l.split(":")[0]), ["app.py", "tools/build/steps.py", "venv/runner.py"]);
});

test("fix reports each finding where check reports it, also those fixed in a later pass", async () => {
  // SPS101 guards the pool in pass 1; SPS102 is fixed in pass 2, in the moved text.
  const dir = project({ "app.py": "import multiprocessing as mp\n\ndef f(x):\n    return x\n\nprint('start')\npool = mp.Pool(2)\nprint(pool.map(f, [1]))\n" });
  const positions = async (args: string[]) =>
    JSON.parse((await cli([...args, "--format", "json", "."], dir)).stdout).files[0].findings.map((f: { code: string; line: number; column: number }) => `${f.code} ${f.line}:${f.column}`);
  const checked = await positions(["check"]);
  assert.deepEqual(checked, ["SPS101 7:1", "SPS102 7:8"]);
  assert.deepEqual((await positions(["fix", "--dry-run"])).sort(), checked);
});

test("--format json is a versioned report", async () => {
  const dir = project({ "app.py": APP });
  const r = await cli(["check", "--format", "json", "."], dir);
  const report = JSON.parse(r.stdout);
  assert.equal(report.version, 1);
  assert.equal(report.files[0].path, "app.py");
  assert.equal(report.files[0].decision.role, "app");
  assert.equal(report.files[0].findings[0].code, "SPS102");
});

test("rules lists every code; explain prints the documentation; an unknown code exits 2", async () => {
  const r = await cli(["rules"], os.tmpdir());
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^SPS101 +missing-main-guard/m);
  const doc = await cli(["explain", "SPS101"], os.tmpdir());
  assert.equal(doc.status, 0);
  assert.match(doc.stdout, /## Why is this bad\?/);
  assert.equal((await cli(["explain", "SPS999"], os.tmpdir())).status, 2);
});

test("no colour when stdout is not a terminal", async () => {
  const dir = project({ "app.py": APP });
  const r = await cli(["check", "."], dir);
  assert.doesNotMatch(r.stdout + r.stderr, /\u001b\[/);
});

test("a reader that closes the pipe early (| head) ends the run quietly, without an EPIPE trace", async () => {
  const r = spawnSync("bash", ["-c", `"${process.execPath}" "${CLI}" rules | head -1; exit \${PIPESTATUS[0]}`], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^SPS101/);
  assert.doesNotMatch(r.stderr, /EPIPE|Error/);
});
