// `spawnsafe fix --verify -- python3 -m pytest` over examples/fix-verify (full tier): three
// units with unsafe fixes; the tests prove one (kept), break one under spawn (reverted, with
// verify's evidence) and never reach the third (reverted as not exercised). The tree is a
// copy in a git repository of its own, so the dirty-tree refusal and the writes are real.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { REPO_ROOT } from "./fixture-cases";
import { CLI } from "./helpers/cli";
import { pythonExecutable } from "./helpers/python";

const EXAMPLE = path.join(REPO_ROOT, "examples", "fix-verify");
const PYTEST = () => [pythonExecutable(), "-m", "pytest", "-q", "-p", "no:cacheprovider"];

function environment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", PYTHONDONTWRITEBYTECODE: "1" };
  for (const key of Object.keys(env)) if (key.startsWith("SPAWNSAFE_") && key !== "SPAWNSAFE_PYTHON") delete env[key];
  delete env.PYTHONPATH;
  return env;
}

function git(dir: string, ...args: string[]): string {
  const r = spawnSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...args], { cwd: dir, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fix-verify-"));
  fs.cpSync(EXAMPLE, dir, { recursive: true, filter: (p) => !p.includes("__pycache__") });
  git(dir, "init", "-q");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "as it is");
  return dir;
}

function fixVerify(dir: string, flags: string[]) {
  return spawnSync(process.execPath, [CLI, "fix", "--verify", ...flags, "--", ...PYTEST()], { cwd: dir, env: environment(), encoding: "utf8", timeout: 300_000 });
}

const read = (dir: string, file: string) => fs.readFileSync(path.join(dir, file), "utf8");

test("fix --verify keeps the unit the tests prove, reverts the one they break and the one they never reach, and says why", () => {
  const dir = project();
  try {
    const summary = path.join(os.tmpdir(), `fix-verify-summary-${process.pid}.md`);
    const r = fixVerify(dir, ["--summary-file", summary]);
    assert.equal(r.status, 0, r.stderr);
    const markdown = fs.readFileSync(summary, "utf8");
    fs.rmSync(summary, { force: true });
    assert.match(markdown, /shop\/batch\.py/);
    assert.match(markdown, /\n## Proved by `.*pytest.*`\n\n- shop\/batch\.py \(1 unsafe fix, SPS103\): proved by/);
    assert.match(markdown, /\n {2}- shop\/worker\.py:7:5: SPS202 /);
    assert.match(r.stdout, /^shop\/batch\.py \(1 unsafe fix, SPS103\): proved by `.*pytest.*`, kept: exited 0, 2 of 2 tests passed, as before; 1 of 1 creation site reached; [\d.]+ s$/m);
    assert.match(r.stdout, /^shop\/worker\.py \(1 unsafe fix, SPS103\): failed, reverted: exited 1 where the project as it is exited 0; test_shop\.py::test_isolated_run_succeeds passed before and failed now \(AttributeError: Can't pickle local object 'test_isolated_run_succeeds\.<locals>\.job'\)$/m);
    assert.match(r.stdout, /^ {4}shop\/worker\.py:7:5: SPS202 The target `test_isolated_run_succeeds\.<locals>\.job` cannot be pickled/m);
    assert.match(r.stdout, /^shop\/report\.py \(1 unsafe fix, SPS103\): not exercised by `.*`, reverted: none of its 1 creation site ran$/m);
    assert.match(r.stdout, /^units: 0 files proved statically, 1 proved by the command, 1 failed, 1 not exercised$/m);
    assert.deepEqual(git(dir, "status", "--short").trim().split("\n"), ["M shop/batch.py"]);
    assert.match(read(dir, "shop/batch.py"), /with multiprocessing\.get_context\("spawn"\)\.Pool\(2\) as pool:/);
    // What was kept still passes, under the project's own start method and under spawn.
    const after = spawnSync(PYTEST()[0], PYTEST().slice(1), { cwd: dir, env: environment(), encoding: "utf8" });
    assert.equal(after.status, 0, after.stdout);
    // Idempotent: nothing is left to try.
    const again = fixVerify(dir, []);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /^units: 0 files proved statically, 0 proved by the command, 1 failed, 1 not exercised$/m);
    assert.deepEqual(git(dir, "status", "--short").trim().split("\n"), ["M shop/batch.py"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("fix --verify --dry-run prints the diff of what would be kept and leaves every file as it was; a dirty tree is refused", () => {
  const dir = project();
  try {
    const r = fixVerify(dir, ["--dry-run"]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^--- a\/shop\/batch\.py\n\+\+\+ b\/shop\/batch\.py\n/);
    assert.doesNotMatch(r.stdout, /worker\.py|report\.py/);
    assert.match(r.stderr, /shop\/batch\.py \(1 unsafe fix, SPS103\): proved by .*, would be kept/);
    assert.equal(git(dir, "status", "--short"), "");
    fs.appendFileSync(path.join(dir, "shop", "report.py"), "# a local change\n");
    const dirty = fixVerify(dir, []);
    assert.equal(dirty.status, 2);
    assert.match(dirty.stderr, /uncommitted changes in git: shop\/report\.py \(modified\)/);
    assert.equal(git(dir, "status", "--short").trim(), "M shop/report.py");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("fix --verify interrupted during a trial leaves every file as it was", async () => {
  const dir = project();
  try {
    const child = spawn(process.execPath, [CLI, "fix", "--verify", "--", ...PYTEST()], { cwd: dir, env: environment(), stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
      // The baseline is done: the next run is a trial, with the units written.
      if (/baseline, the project as it is/.test(stderr) && !child.killed) setTimeout(() => child.kill("SIGINT"), 1500);
    });
    const status = await new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    assert.equal(status, 130, stderr);
    assert.match(stderr, /interrupted: every file is as it was before the command/);
    assert.equal(git(dir, "status", "--short", "--ignored", "--untracked-files=all").replace(/^!! .*__pycache__.*\n/gm, ""), "");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
