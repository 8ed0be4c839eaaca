// Issue 20, the third reliability attack: what still wrote, crashed or misled. Each test is
// one of its items, through the real CLI: a summary file among the sources, a summary that
// cannot be written, hard links, verify's output path and timeout, a damaged cache (and a
// fuzz of every field of a real cache file), lower-case codes in the configuration, a path
// with a newline, notebooks (cell and line; other kernels), and the marks of fixes that wait
// for the guard.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cli, spawnsafe } from "./helpers/cli";
import { APP, FIXED_APP } from "./helpers/race";
import { writeTree } from "./helpers/tree";
import { cacheMutations } from "./helpers/cache-fuzz";

const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), "utf8");
const tree = (files: Record<string, string>) => writeTree(files, "spawnsafe-reliability-");

// ------------------------------------------------------------------ the summary file

test("--summary-file naming a file the run reads or writes is a usage error: nothing is written", async () => {
  const dir = tree({ "a.py": APP, "pkg/b.py": APP, "pyproject.toml": "[tool.spawnsafe]\n" });
  fs.linkSync(path.join(dir, "a.py"), path.join(dir, "linked.md"));
  fs.symlinkSync("a.py", path.join(dir, "alias.md"));
  for (const [summary, paths] of [["a.py", ["a.py"]], ["./a.py", ["."]], ["pkg/b.py", ["."]], ["linked.md", ["a.py"]], ["alias.md", ["a.py"]], ["pyproject.toml", ["."]]] as const) {
    for (const command of ["fix", "check"]) {
      const r = await cli([command, "--summary-file", summary, ...paths], dir);
      assert.equal(r.status, 2, `${command} --summary-file ${summary}: ${r.stderr}`);
      assert.match(r.stderr, /--summary-file .* is a file this run reads; the summary would overwrite it/);
      assert.equal(r.stdout, "");
      assert.equal(read(dir, "a.py"), APP);
      assert.equal(read(dir, "pkg/b.py"), APP);
      assert.equal(read(dir, "pyproject.toml"), "[tool.spawnsafe]\n");
    }
  }
});

test("--summary-file into a missing folder or onto a directory fails before any source is written", async () => {
  const dir = tree({ "a.py": APP });
  fs.mkdirSync(path.join(dir, "out"));
  for (const summary of ["no/such/dir/x.md", "out", "a.py/x.md"]) {
    const r = await cli(["fix", "--summary-file", summary, "a.py"], dir);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /spawnsafe: --summary-file .*(no such folder|is a directory|is not a folder)/);
    assert.equal(read(dir, "a.py"), APP, `--summary-file ${summary} left the source as it was`);
    assert.doesNotMatch(r.stderr, /no errors/);
  }
});

test("a summary file that cannot be written at the end is counted as an error: never 'no errors' with exit 2", async () => {
  // /dev/full passes every check made before the run (it exists, is not a folder, may be
  // written) and fails the write itself (ENOSPC), as a full disk would.
  const dir = tree({ "a.py": APP });
  for (const format of ["text", "json"]) {
    const r = await cli(["check", "--format", format, "--summary-file", "/dev/full", "a.py"], dir);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /cannot write the summary file \/dev\/full: ENOSPC/);
    assert.doesNotMatch(r.stderr, /no errors/);
    assert.match(r.stderr, /1 error in/);
  }
});

// ------------------------------------------------------------------ hard links

test("a hard-linked file is not written: it would lose its link; the reason names it, the other files are fixed", async () => {
  const dir = tree({ "a.py": APP, "c.py": APP });
  fs.linkSync(path.join(dir, "a.py"), path.join(dir, "b.py.keep"));
  const inode = fs.statSync(path.join(dir, "a.py")).ino;
  const r = await cli(["fix", "a.py", "c.py"], dir);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^a\.py:1:1: error: not written: the file has 2 hard links, and a rewrite would leave the other one with the old text/m);
  assert.equal(read(dir, "a.py"), APP);
  assert.equal(fs.statSync(path.join(dir, "a.py")).ino, inode);
  assert.equal(read(dir, "c.py"), FIXED_APP);
  assert.deepEqual(fs.readdirSync(dir).sort(), ["a.py", "b.py.keep", "c.py"], "no temporary file is left");
  const readme = userDocs();
  assert.match(readme, /\*\*Symbolic and hard links\*\*/);
});

// ------------------------------------------------------------------ verify's arguments

test("verify --output into a missing folder or onto a directory, and --timeout beyond a timer, are usage errors before the command runs", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-verify-args-"));
  const ran = path.join(dir, "ran");
  const command = ["--", "sh", "-c", `touch ${ran}`];
  const cases: Array<[string[], RegExp]> = [
    [["--output", "/nonexistent/dir/x.json"], /--output \/nonexistent\/dir\/x\.json: no such folder/],
    [["--output", dir], /--output .* is a directory/],
    [["--timeout", "3000000"], /--timeout must be at most 2147483 seconds/],
    [["--timeout", "1e300"], /--timeout must be at most 2147483 seconds/],
  ];
  for (const [flags, message] of cases) {
    const r = spawnsafe(["verify", ...flags, ...command], dir);
    assert.equal(r.status, 2, `${flags.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.includes("internal error"), false);
    assert.ok(!fs.existsSync(ran), `${flags.join(" ")}: the command must not run`);
  }
});

// ------------------------------------------------------------------ the cache

const JOBS = "import multiprocessing\n\ndef square(x):\n    return x * x\n\ndef run_all(n):\n    with multiprocessing.Pool(2) as pool:\n        return pool.map(square, range(n))\n";
const MAIN = "from pkg.jobs import run_all\n\nprint(run_all(3))\n";

function cachedProject(): string {
  const dir = tree({ "pyproject.toml": "", "pkg/__init__.py": "", "pkg/jobs.py": JOBS, "main.py": MAIN, "app.py": APP });
  const when = new Date(Date.now() - 60_000);
  for (const f of ["pyproject.toml", "pkg/__init__.py", "pkg/jobs.py", "main.py", "app.py"]) fs.utimesSync(path.join(dir, f), when, when);
  return dir;
}

test("a cache file with fields of the wrong type is ignored: every field of a real one, rewritten with every other JSON type, reads as no cache", async () => {
  const dir = cachedProject();
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-cache-fuzz-"));
  assert.equal((await cli(["check", "--jobs", "1", "."], dir, undefined, { SPAWNSAFE_CACHE_DIR: cache })).status, 1);
  // One value of each JSON type here; test/cache-fuzz.slow.test.ts tries every value through the CLI.
  const { file, real, mutations } = cacheMutations(cache, true);
  const { ResultCache } = require("../src/project/cache") as typeof import("../src/project/cache");
  const entries = Object.entries(real.files as Record<string, { results: Record<string, unknown> }>).flatMap(([f, e]) => Object.keys(e.results).map((key) => [f, key]));
  const kept = () => {
    const reader = new ResultCache(cache);
    return entries.filter(([f, key]) => reader.get(real.root, f, key) !== null).length;
  };
  assert.equal(kept(), entries.length, "the real cache file is read");
  let n = 0;
  for (const { where, data, valid } of mutations) {
    if (valid) continue;
    fs.writeFileSync(file, data);
    assert.equal(kept(), 0, `${where}: the file must be ignored`);
    n++;
  }
  assert.ok(n > 250, `${n} mutations`);
});

// ------------------------------------------------------------------ configuration

test("ignore = [\"sps102\"]: codes in the configuration are read case-insensitively (and the docs say so)", async () => {
  const dir = tree({ "pyproject.toml": '[tool.spawnsafe]\nignore = ["sps102"]\n', "a.py": APP });
  const r = await cli(["check", "a.py"], dir);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /SPS102/);
  const readme = userDocs();
  assert.match(readme, /codes of `ignore` are read case-insensitively/);
});

// ------------------------------------------------------------------ paths that need escaping

test("a path with a newline or a control character is escaped in text output: one finding, one line", async () => {
  const dir = tree({ "x\ny.py": APP, "t\tz\u001b.py": "import os\nos.fork()\n" });
  const r = await cli(["check", "."], dir);
  assert.equal(r.status, 1);
  const lines = r.stdout.trimEnd().split("\n");
  assert.ok(lines.every((l) => /^\S.*:\d+:\d+: SPS\d{3}/.test(l)), r.stdout);
  assert.ok(lines.some((l) => l.startsWith('"x\\ny.py":7:10: SPS102')), r.stdout);
  assert.ok(lines.some((l) => l.startsWith('"t\\tz\\033.py":2:1: SPS201')), r.stdout);
  // fix's account and the errors too.
  const fixed = await cli(["fix", "--dry-run", "."], dir);
  assert.match(fixed.stderr, /^"x\\ny\.py": would fix 1/m);
  assert.match(fixed.stdout, /^--- "a\/x\\ny\.py"\n\+\+\+ "b\/x\\ny\.py"$/m, "as git quotes such a name");
  // JSON keeps the real name.
  const json = JSON.parse((await cli(["check", "--format", "json", "."], dir)).stdout);
  assert.ok(json.files.some((f: { path: string }) => f.path === "x\ny.py"));
});

// ------------------------------------------------------------------ notebooks

function notebook(cells: Array<string | string[]>, metadata: Record<string, unknown> = {}): string {
  return JSON.stringify({ cells: cells.map((source) => ({ cell_type: "code", metadata: {}, source, outputs: [], execution_count: null })), metadata, nbformat: 4, nbformat_minor: 5 });
}

const POOL_CELL = "import multiprocessing as mp\n\ndef f(x):\n    return x\n\nwith mp.Pool(2) as p:\n    print(p.map(f, [1]))\n";

test("notebooks: each finding names its cell and the line in it, in every format; the line is a line of the .ipynb file", async () => {
  // Sources as one string each (not Jupyter's one-string-a-line layout), the JSON on one line.
  const dir = tree({ "nb.ipynb": notebook(["print('setup')\nx = 1\n", POOL_CELL]) });
  const json = JSON.parse((await cli(["check", "--format", "json", "nb.ipynb"], dir)).stdout);
  const findings = json.files[0].findings;
  assert.ok(findings.length > 0);
  assert.ok(findings.some((f: { code: string }) => f.code === "SPS102"));
  for (const f of findings) {
    assert.equal(f.cell.number, 2, JSON.stringify(f));
    assert.ok([6, 7].includes(f.cell.line), JSON.stringify(f));
    assert.equal(f.line, 1, "the notebook is one line of JSON: every finding is on its line 1, never the cell's number");
    assert.ok(f.message.startsWith(`cell 2, line ${f.cell.line}: `));
  }
  const text = await cli(["check", "nb.ipynb"], dir);
  assert.match(text.stdout, /^nb\.ipynb:1:\d+: SPS\d{3} cell 2, line 6: /m);
  const sarif = JSON.parse((await cli(["check", "--format", "sarif", "nb.ipynb"], dir)).stdout);
  for (const result of sarif.runs[0].results) {
    assert.equal(result.properties.cell.number, 2);
    assert.match(result.message.text, new RegExp(`^cell 2, line ${result.properties.cell.line}: `));
  }
  const github = await cli(["check", "--format", "github", "nb.ipynb"], dir);
  assert.match(github.stdout, /^::warning file=nb\.ipynb,line=1,[^:]*::cell 2, line 6: /m);
  const lines = await cli(["check", "--format", "json-lines", "nb.ipynb"], dir);
  assert.ok(lines.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l)).some((o) => o.cell?.number === 2 && o.cell?.line === 6), lines.stdout);
});

test("a notebook whose kernel language is not Python is skipped, with a note", async () => {
  const r = { kernelspec: { name: "ir", display_name: "R", language: "R" }, language_info: { name: "R" } };
  const dir = tree({ "r.ipynb": notebook(["library(parallel)\nmclapply(1:4, function(i) i)\n", POOL_CELL], r), "py.ipynb": notebook([POOL_CELL], { kernelspec: { language: "python", name: "python3" } }) });
  const text = await cli(["check", "r.ipynb", "py.ipynb"], dir);
  assert.match(text.stdout, /^r\.ipynb:1:1: note: skipped: the notebook's kernel language is R, not Python$/m);
  assert.doesNotMatch(text.stdout, /^r\.ipynb:\d+:\d+: SPS/m);
  assert.match(text.stdout, /^py\.ipynb:\d+:\d+: SPS102 /m);
  const json = JSON.parse((await cli(["check", "--format", "json", "r.ipynb"], dir)).stdout);
  assert.deepEqual(json.files[0].findings, []);
  assert.equal(json.files[0].error, null);
  assert.match(json.files[0].skipped[0].reason, /kernel language is R/);
});

test("an nbformat 3 notebook (cells under worksheets, code in input) is read as Jupyter reads it, a cell of another language left out", async () => {
  const v3 = JSON.stringify({
    metadata: { name: "" },
    nbformat: 3,
    nbformat_minor: 0,
    worksheets: [{ cells: [
      { cell_type: "markdown", metadata: {}, source: ["# Pools"] },
      { cell_type: "code", language: "python", input: POOL_CELL.split(/(?<=\n)/), metadata: {}, outputs: [] },
      { cell_type: "code", language: "R", input: ["library(parallel)\n"], metadata: {}, outputs: [] },
    ] }],
  }, null, 1);
  const r = await cli(["check", "--format", "json", "old.ipynb"], tree({ "old.ipynb": v3 }));
  assert.equal(r.status, 1, r.stderr);
  const [file] = JSON.parse(r.stdout).files;
  assert.equal(file.error, null);
  assert.ok(file.findings.some((f: { code: string; cell: { number: number; line: number } }) => f.code === "SPS102" && f.cell.number === 2 && f.cell.line === 6), JSON.stringify(file.findings));
});

// ------------------------------------------------------------------ marks and SPS205

const WALRUS = 'import multiprocessing\n\nprint(LIMIT := 5)\n\n\ndef work(x):\n    return min(x, LIMIT)\n\n\nwith multiprocessing.Pool(2) as pool:\n    print(pool.map(work, range(10)))\n';
const SETUP_AFTER = "import multiprocessing\n\ndef work(x):\n    return x\n\nwith multiprocessing.Pool(2) as pool:\n    print(pool.map(work, range(3)))\nsetup()\n";

test("[*] means fix applies it: a fix that waits for an unsafe guard, or reads a name only a moved statement binds, is not marked safe", async () => {
  for (const source of [WALRUS, SETUP_AFTER]) {
    const dir = tree({ "app.py": source });
    const check = JSON.parse((await cli(["check", "--format", "json", "app.py"], dir)).stdout);
    const fixed = JSON.parse((await cli(["fix", "--dry-run", "--format", "json", "app.py"], dir)).stdout);
    const applied = new Set(fixed.files[0].findings.filter((f: { fixed: boolean }) => f.fixed).map((f: { code: string }) => f.code));
    for (const f of check.files[0].findings) {
      if (f.applicability === "safe") assert.ok(applied.has(f.code), `${f.code} is marked [*] but fix does not apply it:\n${source}`);
    }
  }
  const dir = tree({ "app.py": WALRUS });
  const text = await cli(["check", "app.py"], dir);
  assert.match(text.stdout, /^app\.py:10:1: SPS101 \[-\] .*line 3 \(`print\(LIMIT := 5\)`\) moves under the guard/m);
  assert.match(text.stdout, /^app\.py:10:6: SPS102 \[-\] /m);
});

test("SPS205: no finding on an else after `elif __name__ == \"__mp_main__\"`, which already keeps spawned children out; a rewrite never repeats the condition", async () => {
  const kept = 'import multiprocessing\n\ndef f(x):\n    return x\n\nif __name__ == "__main__":\n    with multiprocessing.Pool(2) as p:\n        print(p.map(f, [1]))\nelif __name__ == "__mp_main__":\n    pass\nelse:\n    print("imported")\n';
  const dir = tree({ "app.py": kept });
  const r = await cli(["check", "app.py"], dir);
  assert.doesNotMatch(r.stdout, /SPS205/);
  const fixed = await cli(["fix", "--unsafe-fixes", "--dry-run", "app.py"], dir);
  assert.doesNotMatch(fixed.stdout, /__mp_main__" and \(__name__ != "__mp_main__"\)/);
  assert.doesNotMatch(fixed.stdout, /^\+.*__mp_main__/m);
});

// ------------------------------------------------------------------ verify's process tracking

test("verify's process tracking finds exactly the command's processes: descendants and those with the run's marker, never spawnsafe, its parents or pid 1", async () => {
  if (process.platform !== "linux") return;
  const { RunProcesses } = require("../src/verify/processes") as typeof import("../src/verify/processes");
  const { spawn } = require("node:child_process") as typeof import("node:child_process");
  const marker = `SPAWNSAFE_VERIFY_DIR=/tmp/spawnsafe-test-marker-${process.pid}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-tracking-"));
  const pids = path.join(dir, "pids");
  // A child that starts one sleeper with the environment and one with a cleared one, writes their pids, and waits.
  const env = { ...process.env, SPAWNSAFE_VERIFY_DIR: marker.split("=")[1] };
  const child = spawn("sh", ["-c", `sleep 30 & a=$!; env -i sleep 31 & b=$!; echo $a $b > ${pids}; wait`], { env, stdio: "ignore", detached: true });
  const tracked = new RunProcesses(child.pid!, marker);
  tracked.watch(20);
  const started: number[] = [];
  try {
    for (let i = 0; i < 200 && !fs.existsSync(pids); i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    started.push(...fs.readFileSync(pids, "utf8").trim().split(" ").map(Number));
    const alive = tracked.alive();
    assert.deepEqual([...alive].sort(), [...started].sort(), "the two sleepers, and nothing else");
    for (const pid of [0, 1, process.pid, process.ppid]) assert.ok(!alive.includes(pid));
  } finally {
    tracked.stop();
    for (const pid of [...started, child.pid!]) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* ended */
      }
    }
  }
});

/** The README and the docs/ pages it links to: where the user-facing facts are written. */
function userDocs(): string {
  const root = path.join(__dirname, "..", "..");
  const docs = fs.readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => fs.readFileSync(path.join(root, "docs", f), "utf8"));
  return [fs.readFileSync(path.join(root, "README.md"), "utf8"), ...docs].join("\n");
}
