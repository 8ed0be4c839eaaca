// fix in a git work tree refuses to rewrite files with uncommitted changes unless
// --allow-dirty (the rule of `cargo fix`); --dry-run and check never refuse; git is run only
// when a .git is found above the files.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { CLI, cli } from "./helpers/cli";
import { APP, FIXED_APP } from "./helpers/race";

function repo(files: Record<string, string>, commit = true): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-git-"));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  git(dir, "init", "-q");
  if (commit) {
    git(dir, "add", "-f", ".");
    git(dir, "commit", "-qm", "start");
  }
  return dir;
}

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { encoding: "utf8" });
}

const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), "utf8");

test("a clean work tree is fixed; dirty files that fix would not change do not matter", async () => {
  const dir = repo({ "app.py": APP, "notes.py": "print('x')\n" });
  fs.appendFileSync(path.join(dir, "notes.py"), "# local change\n");
  fs.writeFileSync(path.join(dir, "scratch.py"), "print('untracked, nothing to fix')\n");
  const r = await cli(["fix", "."], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(read(dir, "app.py"), FIXED_APP);
});

test("--dry-run and check never refuse; --allow-dirty writes; the refusal names paths from the working directory", async () => {
  const dir = repo({ "src/app.py": APP });
  fs.appendFileSync(path.join(dir, "src/app.py"), "# wip\n");
  const refused = await cli(["fix", "src"], dir);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /^ {2}src\/app\.py \(modified\)$/m);
  assert.equal(read(dir, "src/app.py"), APP + "# wip\n");
  const inside = await cli(["fix", "."], path.join(dir, "src"));
  assert.match(inside.stderr, /^ {2}app\.py \(modified\)$/m);
  assert.equal((await cli(["fix", "--dry-run", "src"], dir)).status, 1);
  assert.equal((await cli(["check", "src"], dir)).status, 1);
  const allowed = await cli(["fix", "--allow-dirty", "src"], dir);
  assert.equal(allowed.status, 0, allowed.stderr);
  assert.equal(read(dir, "src/app.py"), FIXED_APP + "# wip\n");
});

test("files git cannot restore count as uncommitted: untracked, ignored, or in a repository without commits", async () => {
  const dir = repo({ ".gitignore": "generated.py\n", "app.py": APP });
  fs.writeFileSync(path.join(dir, "generated.py"), APP);
  const r = await cli(["fix", "generated.py"], dir);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^ {2}generated\.py \(untracked\)$/m);
  const fresh = repo({ "app.py": APP }, false);
  git(fresh, "add", "app.py");
  const staged = await cli(["fix", "."], fresh);
  assert.equal(staged.status, 2);
  assert.match(staged.stderr, /^ {2}app\.py \(staged\)$/m);
});

test("files in a nested repository (a submodule or vendored checkout) are checked against that repository", async () => {
  const outer = repo({ "app.py": APP });
  const inner = path.join(outer, "vendor", "lib");
  fs.mkdirSync(inner, { recursive: true });
  fs.writeFileSync(path.join(inner, "mod.py"), APP);
  git(inner, "init", "-q");
  git(inner, "add", ".");
  git(inner, "commit", "-qm", "inner");
  // Untracked in the outer repository, committed in its own: clean.
  const r = await cli(["fix", "vendor/lib/mod.py", "app.py"], outer);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(read(outer, "vendor/lib/mod.py"), FIXED_APP);
});

test("when git cannot answer, fix refuses with the reason; outside a repository git is never run", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-git-"));
  fs.writeFileSync(path.join(dir, "app.py"), APP);
  // No git on the PATH at all: outside a repository that does not matter.
  const env = { ...process.env, PATH: "/nonexistent", NO_COLOR: "1" };
  const plain = spawnSync(process.execPath, [CLI, "fix", "."], { cwd: dir, env, encoding: "utf8" });
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(read(dir, "app.py"), FIXED_APP);
  // A .git is there but git is missing, or the .git is not a repository: refuse, say why.
  fs.writeFileSync(path.join(dir, "app.py"), APP);
  fs.mkdirSync(path.join(dir, ".git"));
  const noGit = spawnSync(process.execPath, [CLI, "fix", "."], { cwd: dir, env, encoding: "utf8" });
  assert.equal(noGit.status, 2);
  assert.match(noGit.stderr, /cannot tell whether files in .* have uncommitted changes: git is not installed\nNothing was written\. Run again with --allow-dirty to fix anyway\./);
  const broken = await cli(["fix", "."], dir);
  assert.equal(broken.status, 2);
  assert.match(broken.stderr, /cannot tell whether files in .* have uncommitted changes: fatal: /);
  assert.equal(read(dir, "app.py"), APP);
  assert.equal((await cli(["fix", "--allow-dirty", "."], dir)).status, 0);
  assert.equal(read(dir, "app.py"), FIXED_APP);
});

test("files marked assume-unchanged or skip-worktree are refused like changed ones: git diff would never show the rewrite", async () => {
  const dir = repo({ "assumed.py": APP, "skipped.py": APP, "clean.py": APP });
  git(dir, "update-index", "--assume-unchanged", "assumed.py");
  git(dir, "update-index", "--skip-worktree", "skipped.py");
  const r = await cli(["fix", "."], dir);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^ {2}assumed\.py \(assume-unchanged\)$/m);
  assert.match(r.stderr, /^ {2}skipped\.py \(skip-worktree\)$/m);
  assert.doesNotMatch(r.stderr, /clean\.py/);
  for (const name of ["assumed.py", "skipped.py", "clean.py"]) assert.equal(read(dir, name), APP, `${name} was written`);
  assert.equal((await cli(["fix", "--allow-dirty", "."], dir)).status, 0);
  assert.equal(read(dir, "assumed.py"), FIXED_APP);
});

test("a refused fix still prints a valid report in every machine format, saying why nothing was written", async () => {
  const dir = repo({ "app.py": APP });
  fs.appendFileSync(path.join(dir, "app.py"), "# wip\n");
  const json = await cli(["fix", "--output-format", "json", "."], dir);
  assert.equal(json.status, 2);
  const report = JSON.parse(json.stdout);
  assert.deepEqual(report.refused.files, [{ path: "app.py", state: "modified" }]);
  assert.match(report.refused.reason, /uncommitted changes/);
  assert.equal(report.summary.changed, 0);
  const sarif = JSON.parse((await cli(["fix", "--output-format", "sarif", "."], dir)).stdout);
  assert.equal(sarif.runs[0].invocations[0].executionSuccessful, false);
  assert.match(sarif.runs[0].invocations[0].toolExecutionNotifications[0].message.text, /app\.py \(modified\)/);
  const lines = (await cli(["fix", "--output-format", "json-lines", "."], dir)).stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(lines.some((l) => l.type === "refused" && l.files[0].path === "app.py"), JSON.stringify(lines));
  const github = await cli(["fix", "--output-format", "github", "."], dir);
  assert.match(github.stdout, /^::error title=spawnsafe::fix would change files that have uncommitted changes in git: app\.py \(modified\)/m);
  assert.equal(read(dir, "app.py"), APP + "# wip\n");
});
