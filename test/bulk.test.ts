// What the bulk-update recipes of docs/bulk-updates.md (all-repos, multi-gitter, git-xargs, Sourcegraph batch
// changes) rely on, run as those tools run spawnsafe: in a fresh clone, as a command of its
// own, stdin left open, its exit status read. It never prompts; it writes only the files it
// fixes inside the repository, its cache outside it, and the summary file where asked; its
// exit statuses are the documented ones; the summary file is written in every outcome.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { CLI } from "./helpers/cli";
import { APP, FIXED_APP, commitAll, git } from "./helpers/race";

const LAMBDA = 'import multiprocessing as mp\n\nif __name__ == "__main__":\n    p = mp.Process(target=lambda: print(1))\n    p.start()\n';

/** A home for the run (HOME, XDG_CACHE_HOME, TMPDIR inside it) and a committed repository in it. */
function sandbox(files: Record<string, string>): { home: string; repo: string; env: NodeJS.ProcessEnv } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-bulk-"));
  const repo = path.join(home, "clone");
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(repo, name)), { recursive: true });
    fs.writeFileSync(path.join(repo, name), text);
  }
  commitAll(repo);
  fs.mkdirSync(path.join(home, "tmp"));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CACHE_HOME: path.join(home, ".cache"), TMPDIR: path.join(home, "tmp"), NO_COLOR: "1" };
  delete env.SPAWNSAFE_CACHE_DIR;
  delete env.SPAWNSAFE_OUTPUT_FORMAT;
  return { home, repo, env };
}

/**
 * Runs the CLI as a bulk tool does: stdin an open pipe that nobody writes to or closes (a
 * prompt, or any read of stdin, would wait forever), stdout and stderr collected.
 */
function runLikeATool(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => {
      child.stdin.destroy();
      resolve({ status, stdout, stderr });
    });
  });
}

/** Every file under `dir` (relative), with its size and modification time. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else {
        const s = fs.statSync(full);
        files.set(path.relative(dir, full), `${s.size}:${s.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return files;
}

function changedFiles(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...new Set([...before.keys(), ...after.keys()])].filter((f) => before.get(f) !== after.get(f)).sort();
}

test("fix in a fresh clone, as a bulk tool runs it: no prompt, exit 0 with --exit-zero, writes only the fixed files, the cache and the summary", async () => {
  const { home, repo, env } = sandbox({ "app.py": APP, "tools/lam.py": LAMBDA, "README.md": "docs\n", "pkg/__init__.py": "" });
  const before = snapshot(home);
  const summary = path.join(home, "tmp", "spawnsafe.md");
  const r = await runLikeATool(["fix", "--quiet", "--exit-zero", "--summary-file", summary, "."], repo, env);
  assert.equal(r.status, 0, r.stderr);
  const changed = changedFiles(before, snapshot(home)).filter((f) => !f.startsWith(`clone${path.sep}.git${path.sep}`));
  const outsideRepo = changed.filter((f) => !f.startsWith(`clone${path.sep}`));
  assert.deepEqual(
    changed.filter((f) => f.startsWith(`clone${path.sep}`)),
    [path.join("clone", "app.py")],
    "inside the repository only the fixed file changed",
  );
  assert.ok(outsideRepo.includes(path.join("tmp", "spawnsafe.md")), "the summary file");
  for (const f of outsideRepo) assert.ok(f === path.join("tmp", "spawnsafe.md") || f.startsWith(path.join(".cache", "spawnsafe") + path.sep), `written outside the repository: ${f}`);
  assert.equal(fs.readFileSync(path.join(repo, "app.py"), "utf8"), FIXED_APP);
  assert.equal(git(repo, "status", "--porcelain"), " M app.py\n", "git sees the fix and nothing else");
  assert.match(fs.readFileSync(summary, "utf8"), /### Files changed[^]*`app\.py`[^]*### Findings left[^]*`tools\/lam\.py:4:27`/);
  // Findings are left (the lambda): without --exit-zero, fix still exits 0, check exits 1.
  assert.equal((await runLikeATool(["fix", "--quiet", "."], repo, env)).status, 0);
  assert.equal((await runLikeATool(["check", "--quiet", "."], repo, env)).status, 1);
  assert.equal((await runLikeATool(["check", "--quiet", "--exit-zero", "."], repo, env)).status, 0);
  fs.rmSync(home, { recursive: true, force: true });
});

test("in a bulk run, a file that cannot be processed is exit 2 even with --exit-zero, the rest is fixed, and the summary says which", async () => {
  const { home, repo, env } = sandbox({ "app.py": APP, "broken.py": "import multiprocessing\ndef f(:\n" });
  const summary = path.join(home, "tmp", "spawnsafe.md");
  const r = await runLikeATool(["fix", "--quiet", "--exit-zero", "--summary-file", summary, "."], repo, env);
  assert.equal(r.status, 2);
  assert.equal(fs.readFileSync(path.join(repo, "app.py"), "utf8"), FIXED_APP);
  assert.match(fs.readFileSync(summary, "utf8"), /### Not processed[^]*`broken\.py:2:7`/);
  fs.rmSync(home, { recursive: true, force: true });
});

test("a clone with uncommitted changes: nothing written, exit 2, and the summary file says why", async () => {
  const { home, repo, env } = sandbox({ "app.py": APP });
  fs.appendFileSync(path.join(repo, "app.py"), "# left by an earlier step\n");
  const summary = path.join(home, "tmp", "spawnsafe.md");
  const r = await runLikeATool(["fix", "--quiet", "--exit-zero", "--summary-file", summary, "."], repo, env);
  assert.equal(r.status, 2);
  assert.equal(fs.readFileSync(path.join(repo, "app.py"), "utf8"), APP + "# left by an earlier step\n");
  assert.match(fs.readFileSync(summary, "utf8"), /\*\*Nothing was written\.\*\* fix would change files that have uncommitted changes in git: app\.py \(modified\)/);
  fs.rmSync(home, { recursive: true, force: true });
});
