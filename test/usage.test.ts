// Usage errors, wherever they stand on the command line, stop the run before any file is
// read or written (issue 13); paths are taken as given, never replaced by the whole folder;
// options that could exhaust the machine are bounded.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { CLI, cli } from "./helpers/cli";
import { APP, FIXED_APP } from "./helpers/race";
import { writeTree } from "./helpers/tree";
import { planRun } from "../src/project/plan";

function project(files: Record<string, string>): string {
  return writeTree(files, "spawnsafe-usage-");
}

const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), "utf8");

/** One usage error on stderr, then the hint, and nothing else anywhere. */
function assertUsageError(r: { status: number | null; stdout: string; stderr: string }, what: RegExp, label: string): void {
  assert.equal(r.status, 2, `${label}: ${r.stderr}`);
  assert.equal(r.stdout, "", `${label}: nothing on stdout`);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 2, `${label}: one error and the hint:\n${r.stderr}`);
  assert.match(lines[0], what, label);
  assert.equal(lines[1], "Run 'spawnsafe --help' for usage.", label);
}

test("a usage error anywhere on the command line writes nothing and reads nothing (exit 2, one message)", async () => {
  const dir = project({ "a.py": APP, "b.py": APP });
  const cases: Array<[string[], RegExp]> = [
    [["fix", "--dry-rn", "a.py"], /^spawnsafe: unknown option '--dry-rn'; did you mean --dry-run\?$/],
    [["fix", "a.py", "--dry-rn"], /^spawnsafe: unknown option '--dry-rn'/],
    [["--dry-rn", "fix", "a.py"], /^spawnsafe: unknown option '--dry-rn'/],
    [["fix", "--method", "fork", "a.py"], /^spawnsafe: --method must be one of spawn, forkserver, not 'fork'$/],
    [["fix", "a.py", "--method", "fork"], /--method must be one of spawn, forkserver/],
    [["--method", "fork", "fix", "a.py"], /--method must be one of spawn, forkserver/],
    [["fix", "--format", "xml", "a.py"], /--output-format must be one of text, json, json-lines, sarif, github, not 'xml'/],
    [["fix", "--output-format", "xml", "a.py"], /--output-format must be one of/],
    [["fix", "--mode", "application", "a.py"], /--mode must be one of auto, app, lib, not 'application'/],
    [["fix", "--mode", "app", "--mode", "lib", "a.py"], /--mode given more than once/],
    [["fix", "--jobs", "0", "a.py"], /--jobs must be a positive whole number, not 0/],
    [["fix", "--jobs", "many", "a.py"], /--jobs must be a positive whole number, not many/],
    [["fix", "--exclude", "", "a.py"], /--exclude needs a glob, not an empty string/],
    [["fix", "--extend-exclude=", "."], /--extend-exclude needs a glob, not an empty string/],
    [["fix", ""], /an empty path names no file/],
    [["fix", "a.py", ""], /an empty path names no file/],
    [["fix", "--mode"], /--mode needs a value/],
    [["check", "--dry-run", "a.py"], /--dry-run is not an option of 'check'/],
    [["fix", "--quiet=yes", "a.py"], /--quiet takes no value/],
    [["fix", "--config", "x.toml", "--isolated", "a.py"], /--config and --isolated cannot be used together/],
    [["fix", "--exit-zero", "--exit-non-zero-on-fix", "a.py"], /--exit-zero and --exit-non-zero-on-fix cannot be used together/],
    [["check", "--cache", "--no-cache", "a.py"], /--cache and --no-cache cannot be used together/],
    [["frobnicate", "a.py"], /^spawnsafe: unknown command 'frobnicate'/],
    [[], /^spawnsafe: give a command: fix, check, verify, rules, explain, completion$/],
  ];
  for (const [args, what] of cases) {
    const r = await cli(args, dir);
    assertUsageError(r, what, args.join(" ") || "(no arguments)");
    assert.equal(read(dir, "a.py"), APP, `${args.join(" ")} wrote a.py`);
    assert.equal(read(dir, "b.py"), APP, `${args.join(" ")} wrote b.py`);
  }
});

test("an unknown value in SPAWNSAFE_OUTPUT_FORMAT is a usage error too; a flag wins over it", async () => {
  const dir = project({ "a.py": APP });
  const env = { ...process.env, NO_COLOR: "1", SPAWNSAFE_OUTPUT_FORMAT: "xml" };
  const r = await cli(["fix", "a.py"], dir, undefined, env);
  assertUsageError({ status: r.status, stdout: r.stdout, stderr: r.stderr }, /SPAWNSAFE_OUTPUT_FORMAT must be one of text, json, json-lines, sarif, github, not 'xml'/, "env");
  assert.equal(read(dir, "a.py"), APP);
  const flagWins = await cli(["check", "--output-format", "json", "a.py"], dir, undefined, env);
  assert.equal(flagWins.status, 1, flagWins.stderr);
  JSON.parse(flagWins.stdout);
});

test("after --, an argument is a path even if it starts with '-'; the other files are left alone", async () => {
  const dir = project({ "a.py": APP, "-weird.py": APP, "--help.py": APP, "-": APP });
  const r = await cli(["fix", "--", "-weird.py"], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(read(dir, "-weird.py"), FIXED_APP);
  assert.equal(read(dir, "a.py"), APP, "only the named path is processed");
  assert.equal(read(dir, "--help.py"), APP);
  // Without --, `-weird.py` is an unknown option, as ruff has it, and nothing is written.
  assertUsageError(await cli(["fix", "-weird.py"], dir), /^spawnsafe: unknown option '-weird\.py'; a path that starts with '-' goes after '--': spawnsafe fix -- -weird\.py$/, "fix -weird.py");
  // `check --help.py` is an unknown option (not a request for help); after -- it is the file.
  const help = await cli(["check", "--help.py"], dir);
  assertUsageError(help, /^spawnsafe: unknown option '--help\.py'/, "check --help.py");
  const named = await cli(["check", "--", "--help.py"], dir);
  assert.equal(named.status, 1, named.stderr);
  assert.match(named.stdout, /^--help\.py:7:10: SPS102 /);
  // After --, `-` is a file named "-", not stdin.
  const dash = await cli(["check", "--", "-"], dir, "print('not read')\n");
  assert.match(dash.stdout, /^-:7:10: SPS102 /);
});

test("explain without a code, or with two, prints one error", async () => {
  const dir = os.tmpdir();
  assertUsageError(await cli(["explain"], dir), /^spawnsafe: 'explain' needs a finding code: explain CODE$/, "explain");
  assertUsageError(await cli(["explain", "SPS101", "SPS102"], dir), /^spawnsafe: 'explain' takes one code; got 'SPS101' 'SPS102'$/, "explain two");
  const unknown = await cli(["explain", "SPS999"], dir);
  assert.equal(unknown.status, 2);
  assert.equal(unknown.stderr, "spawnsafe: unknown code SPS999; 'spawnsafe rules' lists them\n");
});

test("--jobs above the number of cores is capped at it, and says so", async () => {
  const dir = project({ "a.py": APP });
  const cores = os.availableParallelism();
  const r = await cli(["check", "--jobs", "100000", "a.py"], dir);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^spawnsafe: --jobs 100000 is more than the ${cores} cores here; using ${cores}$`, "m"));
  assert.match(r.stdout, /^a\.py:7:10: SPS102 /);
  assert.doesNotMatch((await cli(["check", "--jobs", String(cores), "a.py"], dir)).stderr, /more than/);
  assert.doesNotMatch((await cli(["check", "-q", "--jobs", "100000", "a.py"], dir)).stderr, /more than/, "--quiet silences the note");
});

test("a cache folder that cannot be made (--cache-dir /proc/x) means no cache, at once", async () => {
  const dir = project({ "a.py": APP });
  // Written a minute ago: a file changed in the last two seconds is not cached, and nothing would be saved.
  const past = new Date(Date.now() - 60_000);
  fs.utimesSync(path.join(dir, "a.py"), past, past);
  for (const cacheDir of ["/proc/x", "/proc/x/y", "/dev/null/cache", path.join(dir, "a.py", "sub")]) {
    const r = spawnSync(process.execPath, [CLI, "check", "--cache-dir", cacheDir, "a.py"], { cwd: dir, encoding: "utf8", timeout: 60_000, env: { ...process.env, NO_COLOR: "1" } });
    assert.equal(r.error, undefined, `${cacheDir}: the run did not end`);
    assert.equal(r.status, 1, `${cacheDir}: ${r.stderr}`);
    assert.match(r.stdout, /^a\.py:7:10: SPS102 /);
  }
});

test("the project model does not read a huge file beside the one checked", async () => {
  const dir = project({ "plain.py": APP, "helpers.py": "def helper():\n    return 1\n" });
  // Sparse: 300 MB that take no disk.
  const huge = path.join(dir, "generated_tables.py");
  fs.writeFileSync(huge, "import multiprocessing\nTABLE = '''");
  fs.truncateSync(huge, 300 * 1024 * 1024);
  const reads = readsDuring(() => {
    const plan = planRun({ paths: [path.join(dir, "plain.py")], exclude: [], flags: {} }, (f) => f);
    plan.findStarts(new Map());
  });
  assert.ok(reads.includes(path.join(dir, "helpers.py")), `the model reads the modules beside the script: ${reads}`);
  assert.ok(!reads.includes(huge), "the model read the 300 MB file");
  // And the command itself: the same check, with less heap than the file's text would take.
  const r = spawnSync(process.execPath, ["--max-old-space-size=64", CLI, "check", "plain.py"], { cwd: dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  assert.equal(r.status, 1, r.stderr.slice(0, 2000));
  assert.match(r.stdout, /^plain\.py:7:10: SPS102 /);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The files fs.readFileSync was asked for while `body` ran (in this process). */
function readsDuring(body: () => void): string[] {
  // The module object itself (what `import * as fs` reads through), not this file's view of it.
  const real = require("node:fs") as { readFileSync: (...a: unknown[]) => unknown };
  const original = real.readFileSync;
  const reads: string[] = [];
  real.readFileSync = (file: unknown, ...rest: unknown[]) => {
    if (typeof file === "string") reads.push(file);
    return original(file, ...rest);
  };
  try {
    body();
  } finally {
    real.readFileSync = original;
  }
  return reads;
}
