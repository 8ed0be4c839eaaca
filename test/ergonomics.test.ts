// What bulk and editor users see, through the real CLI: the summary line (stderr, every
// format), the progress bar (a terminal only), --quiet, stdin mode, and the pre-commit hooks.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { CLI, cli, resolvedPython } from "./helpers/cli";
import { REPO_ROOT } from "./fixture-cases";
import { APP, FIXED_APP, appTree } from "./helpers/race";
import { writeTree } from "./helpers/tree";

const FORK = "import os\npid = os.fork()\n";
const BROKEN = "import multiprocessing\ndef f(:\n    pass\n";
/** check: `4 files scanned, 2 findings, 1 error in 0.12 s`; fix: `4 files scanned, 1 changed (1 finding fixed), 1 finding left, no errors in 0.12 s`. */
const CHECK_SUMMARY = /^(\d+) files? scanned, (\d+) findings?, (no errors|\d+ errors?) in \d+\.\d\d s$/;
const FIX_SUMMARY = /^(\d+) files? scanned, (\d+) (?:changed|would change)(?: \((\d+) findings? (?:would be )?fixed\))?, (\d+) findings? left, (no errors|\d+ errors?) in \d+\.\d\d s$/;

function project(files: Record<string, string | Buffer>): string {
  return writeTree(files, "spawnsafe-ergonomics-");
}

/** The counts of the summary line, which must be the last line of stderr: [files, changed, findings left, errors]. */
function summary(stderr: string): number[] {
  const last = stderr.trimEnd().split("\n").pop() ?? "";
  const errors = (text: string) => (text === "no errors" ? 0 : parseInt(text, 10));
  const check = CHECK_SUMMARY.exec(last);
  if (check) return [Number(check[1]), 0, Number(check[2]), errors(check[3])];
  const fix = FIX_SUMMARY.exec(last);
  assert.ok(fix, `no summary line at the end of stderr:\n${stderr}`);
  return [Number(fix[1]), Number(fix[2]), Number(fix[4]), errors(fix[5])];
}

for (const format of ["text", "json", "sarif", "github"]) {
  test(`--format ${format}: the summary line is the last line of stderr, stdout is only the report; --quiet drops it`, async () => {
    const dir = project({ "app.py": APP, "forks.py": FORK, "broken.py": BROKEN, "clean.py": "print('hi')\n" });
    const checked = await cli(["check", "--format", format, "."], dir);
    assert.equal(checked.status, 2);
    assert.deepEqual(summary(checked.stderr), [4, 0, 2, 1]);
    const dry = await cli(["fix", "--dry-run", "--format", format, "."], dir);
    assert.deepEqual(summary(dry.stderr), [4, 1, 1, 1]);
    for (const r of [checked, dry]) {
      assert.doesNotMatch(r.stdout, /files scanned/);
      if (format === "json" || format === "sarif") JSON.parse(r.stdout);
    }
    const quiet = await cli(["check", "--quiet", "--format", format, "."], dir);
    assert.doesNotMatch(quiet.stderr, /files scanned/);
    assert.equal(quiet.stdout, checked.stdout);
    assert.equal(fs.readFileSync(path.join(dir, "app.py"), "utf8"), APP);
  });
}

test("--quiet: fix prints neither the per-file account nor the summary, but still the errors and what is left", async () => {
  const dir = project({ "app.py": APP, "forks.py": FORK, "broken.py": BROKEN });
  const r = await cli(["fix", "--quiet", "."], dir);
  assert.equal(r.status, 2);
  assert.match(r.stdout, /^forks\.py:2:7: SPS201 [^\n]*\n$/, "only what is left unfixed");
  // CPython judges what tree-sitter cannot parse (src/judge.ts); without python3, tree-sitter's word stands.
  if (resolvedPython()) assert.match(r.stderr, /^broken\.py:2:7: error: syntax error: invalid syntax \(CPython 3\.\d+\); file left untouched\n$/);
  else assert.match(r.stderr, /^spawnsafe: CPython was not asked[^\n]*\nbroken\.py:2:7: error: syntax error: missing \)\n$/);
  assert.equal(fs.readFileSync(path.join(dir, "app.py"), "utf8"), FIXED_APP);
});

/** Runs a `check` finding something under a pseudo-terminal (util-linux `script`), returning all it printed. */
function underTerminal(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const r = spawnSync("script", ["-qec", command, "/dev/null"], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", ...env }, maxBuffer: 1 << 28 });
  assert.equal(r.status, 1, r.stderr);
  return r.stdout;
}

const hasScript = spawnSync("script", ["--version"]).status === 0;

test("the progress bar: drawn on stderr when it is a terminal, erased before the report, never when piped or with --quiet", { skip: !hasScript && "no `script` command for a pseudo-terminal" }, async () => {
  // The bar's own clock (a delay before the first draw, a pause between draws) is tested
  // with a fake clock in progress.test.ts; here it is set to draw at once, whatever the
  // machine's speed.
  const now = { SPAWNSAFE_PROGRESS_DELAY_MS: "0" };
  const dir = appTree(20, "spawnsafe-progress-");
  const shown = underTerminal(["check", "--format", "json", "."], dir, now);
  assert.match(shown, /\r\u001b\[2K\[[#.]+\] +\d+\/20 files {2}\d+\.\d s/, "no progress bar on a terminal");
  assert.match(shown, /\r\u001b\[2K\{/, "the bar is erased before the report");
  // Piped: the same run draws nothing.
  const piped = spawnSync(process.execPath, [CLI, "check", "--format", "json", "."], { cwd: dir, encoding: "utf8", env: { ...process.env, ...now } });
  assert.doesNotMatch(piped.stderr, /\r|\u001b/);
  assert.match(piped.stderr, /^20 files scanned/m);
  JSON.parse(piped.stdout);
  // --quiet: no bar even on a terminal (and no summary).
  const quiet = underTerminal(["check", "--quiet", "--format", "json", "."], dir, now);
  assert.doesNotMatch(quiet, /\u001b|files scanned/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("stdin: fix - prints the fixed file on stdout, its account on stderr, and writes nothing", async () => {
  const dir = project({});
  const r = await cli(["fix", "-", "--stdin-filename", "tools/app.py"], dir, APP);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, FIXED_APP);
  assert.match(r.stderr, /^tools\/app\.py: fixed 1 \(application/m);
  assert.deepEqual(summary(r.stderr), [1, 1, 0, 0]);
  assert.deepEqual(fs.readdirSync(dir), []);
  // Unchanged text comes back as it is, byte for byte; without a name, stdin is "-".
  const clean = await cli(["fix", "-"], dir, "print('hi')\r\n");
  assert.equal(clean.stdout, "print('hi')\r\n");
  assert.equal(clean.status, 0);
});

test("stdin: the --stdin-filename path decides the package and so the role, as if the file were there", async () => {
  const dir = project({ "pkg/__init__.py": "" });
  const lib = await cli(["check", "-", "--stdin-filename", "pkg/mod.py"], dir, APP);
  assert.equal(lib.status, 1);
  assert.match(lib.stdout, /^pkg\/mod\.py:7:10: SPS103 /);
  const fixed = await cli(["fix", "-", "--stdin-filename", "pkg/mod.py"], dir, APP);
  assert.match(fixed.stdout, /with mp\.get_context\("spawn"\)\.Pool\(2\) as p:/);
  const app = await cli(["check", "--stdin-filename", "script.py"], dir, APP);
  assert.match(app.stdout, /^script\.py:7:10: SPS102 /);
  const json = await cli(["check", "--format", "json", "-", "--stdin-filename", "pkg/mod.py"], dir, APP);
  assert.equal(JSON.parse(json.stdout).files[0].decision.role, "library");
  const dry = await cli(["fix", "--dry-run", "-", "--stdin-filename", "pkg/mod.py"], dir, APP);
  assert.equal(dry.status, 1);
  assert.match(dry.stdout, /^--- a\/pkg\/mod\.py\n\+\+\+ b\/pkg\/mod\.py\n/);
});

test("stdin: a file that cannot be processed comes back unchanged on stdout, with the error on stderr (exit 2)", async () => {
  const dir = project({});
  const r = await cli(["fix", "-", "--stdin-filename", "broken.py"], dir, BROKEN);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, BROKEN);
  assert.match(r.stderr, /^broken\.py:2:7: error: syntax error/m);
  // Bytes that are not UTF-8 under a coding cookie survive the trip.
  const latin = Buffer.from("# -*- coding: latin-1 -*-\n# caf\xe9\n" + APP, "latin1");
  const out = spawnSync(process.execPath, [CLI, "fix", "-", "--stdin-filename", "latin.py"], { cwd: dir, input: latin });
  assert.equal(out.status, 0);
  assert.ok(out.stdout.equals(Buffer.from("# -*- coding: latin-1 -*-\n# caf\xe9\n" + FIXED_APP, "latin1")));
});

test("stdin: usage errors, and --force-exclude on an excluded --stdin-filename passes the text through", async () => {
  const dir = project({ "other.py": APP });
  for (const args of [["fix", "-", "other.py"], ["fix", "--format", "json", "-"], ["check", "--stdin-filename", "x.py", "other.py"]]) {
    const r = await cli(args, dir, APP);
    assert.equal(r.status, 2, args.join(" "));
    assert.match(r.stderr, /^spawnsafe: /);
  }
  const fix = await cli(["fix", "--force-exclude", "--exclude", "vendor", "-", "--stdin-filename", "vendor/lib.py"], dir, APP);
  assert.equal(fix.status, 0);
  assert.equal(fix.stdout, APP);
  const check = await cli(["check", "--force-exclude", "--exclude", "vendor", "-", "--stdin-filename", "vendor/lib.py"], dir, APP);
  assert.equal(check.status, 0);
  assert.equal(check.stdout, "");
  // Without --force-exclude, a named file is always processed.
  assert.equal((await cli(["check", "--exclude", "vendor", "-", "--stdin-filename", "vendor/lib.py"], dir, APP)).status, 1);
});

interface Hook {
  id: string;
  entry: string;
  language: string;
  types: string;
}

/** The hooks of .pre-commit-hooks.yaml (a flat list of `key: value` maps). */
function hooks(): Hook[] {
  const text = fs.readFileSync(path.join(REPO_ROOT, ".pre-commit-hooks.yaml"), "utf8");
  return text
    .split(/^- /m)
    .slice(1)
    .map((block) => Object.fromEntries(block.split("\n").map((l) => /^\s*([\w-]+):\s*(.*?)\s*$/.exec(l)).filter((m) => m !== null).map((m) => [m![1], m![2]])) as unknown as Hook);
}

test(".pre-commit-hooks.yaml: node hooks for python files whose entries work as pre-commit runs them", async () => {
  const list = hooks();
  assert.deepEqual(list.map((h) => h.id), ["spawnsafe-fix", "spawnsafe-check"]);
  for (const h of list) {
    assert.equal(h.language, "node");
    assert.equal(h.types, "[python]");
    assert.match(h.entry, /^spawnsafe (fix|check)\b/);
  }
  // As pre-commit does: in the repository root, staged files as arguments, unstaged work stashed.
  const dir = project({ "app.py": "print('committed')\n", "build/gen.py": APP, "clean.py": "print('hi')\n" });
  const git = (...args: string[]) => execFileSync("git", ["-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t", ...args]);
  git("init", "-q");
  git("add", "-f", ".");
  git("commit", "-qm", "start");
  fs.writeFileSync(path.join(dir, "app.py"), APP);
  git("add", "app.py");
  const staged = ["app.py", "build/gen.py", "clean.py"];
  const run = (entry: string) => cli([...entry.split(" ").slice(1), ...staged], dir);
  const check = await run(list[1].entry);
  assert.equal(check.status, 1, check.stderr);
  assert.deepEqual(check.stdout.trim().split("\n").map((l) => l.split(":")[0]), ["app.py"], "build/ is excluded even when named");
  const fix = await run(list[0].entry);
  assert.equal(fix.status, 0, fix.stderr);
  assert.equal(fs.readFileSync(path.join(dir, "app.py"), "utf8"), FIXED_APP);
  assert.equal(fs.readFileSync(path.join(dir, "build", "gen.py"), "utf8"), APP);
});

// The reference (docs/cli.md) is made from the tables; this asks that each option is also told in words.
test("docs/usage.md documents every option of fix and check", async () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, "docs", "usage.md"), "utf8");
  for (const command of ["fix", "check"]) {
    const help = (await cli([command, "--help"], os.tmpdir())).stdout;
    const flags = [...help.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]).filter((f) => f !== "--help" && f !== "--version");
    assert.ok(flags.length >= 9, help);
    for (const flag of flags) assert.match(readme, new RegExp(`\`${flag}\\b`), `${flag} is not in docs/usage.md`);
  }
});
