// [tool.spawnsafe], --config and --isolated through the real CLI: settings apply, flags given
// on the command line win, and a bad configuration stops the run with exit 2, writing nothing.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cli } from "./helpers/cli";
import { writeTree } from "./helpers/tree";

const APP = 'import multiprocessing as mp\n\ndef f(x):\n    return x\n\nif __name__ == "__main__":\n    with mp.Pool(2) as p:\n        print(p.map(f, [1]))\n';

function project(files: Record<string, string | Buffer>): string {
  return writeTree(files, "spawnsafe-config-");
}

const SET_SPAWN = /mp\.set_start_method\("spawn", force=True\)/;
const SET_FORKSERVER = /mp\.set_start_method\("forkserver", force=True\)/;
const CONTEXT_FORKSERVER = /mp\.get_context\("forkserver"\)\.Pool\(2\)/;

test("[tool.spawnsafe] mode and method apply, and the report names them as the evidence", async () => {
  const dir = project({ "pyproject.toml": '[tool.spawnsafe]\nmode = "lib"\nmethod = "forkserver"\n', "app.py": APP });
  const r = await cli(["fix", "--dry-run", "."], dir);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, CONTEXT_FORKSERVER);
  assert.match(r.stderr, /app\.py: would fix 1 \(library: mode = "lib" in pyproject\.toml \[tool\.spawnsafe\]\)/);
  const json = JSON.parse((await cli(["check", "--format", "json", "."], dir)).stdout);
  assert.deepEqual(json.files[0].decision, { role: "library", reason: 'mode = "lib" in pyproject.toml [tool.spawnsafe]' });
});

test("flags given on the command line win over the configuration, even when they name the default", async () => {
  const dir = project({ "pyproject.toml": '[tool.spawnsafe]\nmode = "lib"\nmethod = "forkserver"\n', "app.py": APP });
  const app = await cli(["fix", "--dry-run", "--mode", "app", "."], dir);
  assert.match(app.stdout, SET_FORKSERVER, "--mode from the flag, method from the config");
  const auto = await cli(["fix", "--dry-run", "--mode", "auto", "--method", "spawn", "."], dir);
  assert.match(auto.stdout, SET_SPAWN, "an explicit --mode auto and --method spawn beat the config's lib and forkserver");
  assert.match(auto.stderr, /application: run as a program/);
  const lib = await cli(["fix", "--dry-run", "--mode=lib", "."], dir);
  assert.match(lib.stderr, /\(library: --mode lib\)/);
});

test("--isolated reads no configuration; --config FILE replaces the project's", async () => {
  const dir = project({
    "pyproject.toml": '[tool.spawnsafe]\nmode = "lib"\n',
    "shared.toml": 'method = "forkserver"\n',
    "other/pyproject.toml": '[tool.spawnsafe]\nmode = "app"\nmethod = "forkserver"\n',
    "app.py": APP,
  });
  assert.match((await cli(["fix", "--dry-run", "--isolated", "."], dir)).stdout, SET_SPAWN);
  // A file of top-level keys: its mode is unset, so the project's `lib` does not apply either.
  assert.match((await cli(["fix", "--dry-run", "--config", "shared.toml", "."], dir)).stdout, SET_FORKSERVER);
  // A pyproject.toml given with --config: its [tool.spawnsafe] table.
  assert.match((await cli(["fix", "--dry-run", "--config", "other/pyproject.toml", "app.py"], dir)).stdout, SET_FORKSERVER);
  const both = await cli(["check", "--config", "shared.toml", "--isolated", "."], dir);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /--config and --isolated cannot be used together/);
});

test("exclude skips what it matches when walking directories, never a file named on the command line", async () => {
  const dir = project({
    "pyproject.toml": '[tool.spawnsafe]\nexclude = ["legacy", "gen/*.py"]\n',
    "app.py": APP,
    "legacy/old.py": APP,
    "sub/legacy/older.py": APP,
    "gen/made.py": APP,
    "gen/deep/kept.py": APP,
  });
  const walked = await cli(["check", "."], dir);
  assert.deepEqual(walked.stdout.trim().split("\n").map((l) => l.split(":")[0]), ["app.py", "gen/deep/kept.py"]);
  const named = await cli(["check", "legacy/old.py"], dir);
  assert.match(named.stdout, /^legacy\/old\.py:7:10: SPS102/);
});

test("overrides apply in order, later ones winning; ignore switches findings off, also in suppressions", async () => {
  const dir = project({
    "pyproject.toml": [
      "[tool.spawnsafe]",
      'ignore = ["SPS205"]',
      "",
      "[[tool.spawnsafe.overrides]]",
      'paths = ["tools/**"]',
      'mode = "lib"',
      'method = "forkserver"',
      "",
      "[[tool.spawnsafe.overrides]]",
      'paths = ["tools/special.py"]',
      'mode = "app"',
      'ignore = ["SPS102"]',
      "",
    ].join("\n"),
    "tools/batch.py": APP,
    "tools/special.py": APP,
    "slow.py": "import time\n" + APP.replace("\nif", "\ntime.sleep(1)\n\nif"),
    "silenced.py": "import time\n" + APP.replace("\nif", "\ntime.sleep(1)  # spawnsafe: ignore[SPS205]\n\nif"),
  });
  const r = await cli(["check", "--format", "json", "."], dir);
  const files = Object.fromEntries(JSON.parse(r.stdout).files.map((f: { path: string }) => [f.path, f]));
  assert.match(files["tools/batch.py"].decision.reason, /mode = "lib" for paths \["tools\/\*\*"\] in pyproject\.toml \[\[tool\.spawnsafe\.overrides\]\] #1/);
  assert.deepEqual(files["tools/batch.py"].findings.map((f: { message: string }) => /forkserver/.test(f.message)), [true]);
  assert.equal(files["tools/special.py"].decision.role, "app");
  assert.deepEqual(files["tools/special.py"].findings, [], "SPS102 ignored for that file");
  assert.deepEqual(files["slow.py"].findings.map((f: { code: string }) => f.code), ["SPS102"], "SPS205 is ignored");
  assert.deepEqual(files["silenced.py"].findings.map((f: { code: string }) => f.code), ["SPS102"], "a suppression of an ignored code is not unused");
  const unignored = await cli(["check", "--isolated", "slow.py"], dir);
  assert.match(unignored.stdout, /slow\.py:\d+:1: SPS205/, "without the config SPS205 is reported");
});

const BAD: Array<[string, string, RegExp]> = [
  ["unknown key", '[tool.spawnsafe]\nmodes = "app"\n', /^spawnsafe: pyproject\.toml: \[tool\.spawnsafe\] modes: unknown key \(known keys: mode, method, exclude, ignore, overrides\)$/m],
  ["bad mode", '[tool.spawnsafe]\nmode = "application"\n', /pyproject\.toml: \[tool\.spawnsafe\] mode: must be one of "auto", "app", "lib", not "application"/],
  ["bad method", "[tool.spawnsafe]\nmethod = 3\n", /pyproject\.toml: \[tool\.spawnsafe\] method: must be one of "spawn", "forkserver", not 3/],
  ["exclude not a list", '[tool.spawnsafe]\nexclude = "legacy"\n', /pyproject\.toml: \[tool\.spawnsafe\] exclude: must be an array of glob strings, not "legacy"/],
  ["unknown code", '[tool.spawnsafe]\nignore = ["SPS999"]\n', /pyproject\.toml: \[tool\.spawnsafe\] ignore: "SPS999" is not a finding code/],
  ["override key", '[[tool.spawnsafe.overrides]]\npaths = ["a"]\nexclude = ["b"]\n', /pyproject\.toml: \[\[tool\.spawnsafe\.overrides\]\] #1 exclude: unknown key/],
  ["override without paths", '[[tool.spawnsafe.overrides]]\nmode = "app"\n', /pyproject\.toml: \[\[tool\.spawnsafe\.overrides\]\] #1 paths: required/],
  ["invalid TOML", '[tool.spawnsafe]\nmode = \n', /^spawnsafe: pyproject\.toml:2:\d+: invalid TOML/m],
];

for (const [what, toml, message] of BAD) {
  test(`bad configuration (${what}): exit 2, the file and key named, nothing written`, async () => {
    const dir = project({ "pyproject.toml": toml, "app.py": APP });
    for (const args of [["check", "."], ["fix", "."], ["fix", "--dry-run", "."], ["check", "--format", "json", "app.py"]]) {
      const r = await cli(args, dir);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, "", "no report on stdout");
    }
    assert.equal(fs.readFileSync(path.join(dir, "app.py"), "utf8"), APP);
    // --isolated does not read it at all.
    assert.equal((await cli(["fix", "--isolated", "."], dir)).status, 0);
  });
}

test("--config naming a missing file, or a file with a bad key, is an error; paths in it are relative to the working directory", async () => {
  const dir = project({ "app.py": APP, "conf/spawnsafe.toml": 'exclude = ["app.py"]\nverbose = true\n' });
  const missing = await cli(["check", "--config", "nope.toml", "."], dir);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /spawnsafe: nope\.toml: cannot read the configuration \(ENOENT\)/);
  const bad = await cli(["check", "--config", "conf/spawnsafe.toml", "."], dir);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /spawnsafe: conf\/spawnsafe\.toml: verbose: unknown key/);
  fs.writeFileSync(path.join(dir, "conf/spawnsafe.toml"), 'exclude = ["app.py"]\n');
  const excluded = await cli(["check", "--config", "conf/spawnsafe.toml", "."], dir);
  assert.equal(excluded.status, 0, "app.py, relative to the working directory, is excluded");
});

test("cross-file starts are found the same way on the main thread and in worker threads", async () => {
  const files: Record<string, string> = {
    "pyproject.toml": "",
    "jobs.py": "import multiprocessing\n\ndef square(x):\n    return x * x\n\ndef run_all(n):\n    with multiprocessing.Pool(2) as pool:\n        return pool.map(square, range(n))\n",
    "main.py": "from jobs import run_all\n\nprint(run_all(3))\n",
  };
  for (let i = 0; i < 10; i++) files[`tool${i}.py`] = `import jobs as j${i}\n\nj${i}.run_all(${i})\n`;
  const dir = project(files);
  const one = await cli(["check", "--format", "json", "--jobs", "1", "."], dir);
  const many = await cli(["check", "--format", "json", "--jobs", "2", "."], dir);
  const strip = (s: string) => JSON.parse(s).files;
  assert.deepEqual(strip(many.stdout), strip(one.stdout));
  const report = strip(one.stdout);
  const tool3 = report.find((f: { path: string }) => f.path === "tool3.py");
  assert.equal(tool3.findings[0].code, "SPS101");
  assert.match(tool3.findings[0].message, /\(tool3\.py:3 → jobs\.run_all → jobs\.py:7 multiprocessing\.Pool\)/);
});

test("a usage error stops the run before any file is written", async () => {
  const dir = project({ "app.py": APP, "shared.toml": "" });
  for (const args of [["fix", "--jobs", "0", "."], ["fix", "--config", "shared.toml", "--isolated", "."], ["fix", "--mode", "app", "--mode", "lib", "."]]) {
    const r = await cli(args, dir);
    assert.equal(r.status, 2, args.join(" "));
    assert.equal(r.stdout, "");
    assert.doesNotMatch(r.stderr, /files scanned/);
  }
  assert.equal(fs.readFileSync(path.join(dir, "app.py"), "utf8"), APP);
});

test("a script given alone, with no project marker above it, sees the modules and packages beside it", async () => {
  const dir = project({
    "pkg/__init__.py": "",
    "pkg/work.py": "import multiprocessing\n\ndef go():\n    with multiprocessing.Pool(2) as p:\n        return p.map(abs, [1])\n",
    "s.py": "from pkg.work import go\n\nprint(go())\n",
  });
  const r = await cli(["check", path.join(dir, "s.py")], os.tmpdir());
  assert.match(r.stdout, /s\.py:3:1: SPS101 \[\*\] Processes are started at module top level \(.*s\.py:3 → pkg\.work\.go → .*pkg\/work\.py:4 multiprocessing\.Pool\)/);
});

test("--exclude replaces the configuration's exclude list, --extend-exclude adds to it (as ruff)", async () => {
  const dir = project({ "pyproject.toml": '[tool.spawnsafe]\nexclude = ["legacy"]\n', "app.py": APP, "legacy/old.py": APP, "tools/t.py": APP });
  const checked = async (args: string[]) =>
    (JSON.parse((await cli(["check", "--format", "json", ...args, "."], dir)).stdout).files as Array<{ path: string }>).map((f) => f.path).sort();
  assert.deepEqual(await checked([]), ["app.py", "tools/t.py"]);
  assert.deepEqual(await checked(["--exclude", "tools"]), ["app.py", "legacy/old.py"]);
  assert.deepEqual(await checked(["--extend-exclude", "tools"]), ["app.py"]);
});
