// `spawnsafe verify` over real programs under python3 (full tier): one run per case of
// fixtures/verify/ (layout in fixtures/verify/README.md), each asserting the exit status,
// the exact findings with their evidence (findings.snap), the JSON report against the
// schema, and what the case adds (the program's exact output, no fork, stderr).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import Ajv from "ajv";
import AjvDraft04 from "ajv-draft-04";
import { REPO_ROOT } from "./fixture-cases";
import { CLI } from "./helpers/cli";
import { pythonExecutable, sitecustomizeDir } from "./helpers/python";
import type { EvidenceFinding } from "../src/report/evidence";

const UPDATE = process.env.UPDATE_SNAPSHOTS === "1";
const CASES = path.join(REPO_ROOT, "fixtures", "verify");
const schema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "schema", "report.schema.json"), "utf8"));
const validateReport = new Ajv({ allErrors: true, strict: false }).compile(schema);
const sarifSchema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "test", "fixtures", "sarif-2.1.0-rtm.5.json"), "utf8"));
const validateSarif = new AjvDraft04({ allErrors: true, strict: false, unicodeRegExp: false }).compile<any>(sarifSchema);

interface SarifFrame {
  location: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } }; message: { text: string } };
}

interface VerifyCase {
  /** The command after `--`; "python3" stands for the interpreter under test. */
  run: string[];
  /** verify's own flags, before `--`. */
  flags: string[];
  exit: number;
  /** Folders of the case put on the program's PYTHONPATH. */
  pythonPath: string[];
  /** stdout equals the program's own, run without verify. */
  sameOutput: boolean;
  /** Also count forks (test/runtime/sitecustomize.py, chained): none under verify, some without. */
  countForks: boolean;
  /** Patterns stderr must match. */
  stderr: string[];
  /** stdout, exactly. */
  stdout: string | null;
}

interface VerifyRun {
  status: number | null;
  stdout: string;
  stderr: string;
  report: { files: Array<{ path: string; findings: EvidenceFinding[] }>; verify: { timedOut: boolean } } & Record<string, unknown>;
  forks: string[];
}

function readCase(dir: string): VerifyCase {
  const raw = JSON.parse(fs.readFileSync(path.join(dir, "case.json"), "utf8"));
  return { run: raw.run, flags: raw.flags ?? [], exit: raw.exit, pythonPath: raw.pythonPath ?? [], sameOutput: raw.sameOutput ?? false, countForks: raw.countForks ?? false, stderr: raw.stderr ?? [], stdout: raw.stdout ?? null };
}

function command(c: VerifyCase): string[] {
  return c.run.map((a) => (a === "python3" ? pythonExecutable() : a));
}

function environment(dir: string, c: VerifyCase, forkLog: string | null): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", PYTHONDONTWRITEBYTECODE: "1", PYTHONHASHSEED: "0" };
  for (const key of Object.keys(env)) if (key.startsWith("SPAWNSAFE_") && key !== "SPAWNSAFE_PYTHON") delete env[key];
  const dirs = [...(forkLog ? [sitecustomizeDir()] : []), ...c.pythonPath.map((p) => path.join(dir, p))];
  if (dirs.length > 0) env.PYTHONPATH = dirs.join(path.delimiter);
  else delete env.PYTHONPATH;
  if (forkLog) env.SPAWNSAFE_FORK_LOG = forkLog;
  return env;
}

function forksIn(log: string): string[] {
  return fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
}

function verify(dir: string, c: VerifyCase, args: string[] = []): VerifyRun {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-verify-test-"));
  try {
    const reportFile = path.join(scratch, "report.json");
    const forkLog = c.countForks ? path.join(scratch, "forks.log") : null;
    const r = spawnSync(process.execPath, [CLI, "verify", "--format", "json", "--output", reportFile, ...args, ...c.flags, "--", ...command(c)], {
      cwd: dir,
      env: environment(dir, c, forkLog),
      encoding: "utf8",
      timeout: 120_000,
    });
    const report = fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, "utf8")) : null;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, report, forks: forkLog ? forksIn(forkLog) : [] };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** The program as it is, without verify (the interpreter's default start method: fork on 3.11). */
function plain(dir: string, c: VerifyCase): { stdout: string; forks: string[] } {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-plain-test-"));
  try {
    const forkLog = c.countForks ? path.join(scratch, "forks.log") : null;
    const [program, ...args] = command(c);
    const r = spawnSync(program, args, { cwd: dir, env: environment(dir, c, forkLog), encoding: "utf8", timeout: 120_000 });
    assert.equal(r.status, 0, `the program itself failed: ${r.stderr}`);
    return { stdout: r.stdout, forks: forkLog ? forksIn(forkLog) : [] };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

const userStack = (stack: Array<{ file: string; line: number; func: string; user: boolean }>) =>
  stack
    .filter((f) => f.user)
    .map((f) => `${f.file}:${f.line} ${f.func}`)
    .join(" > ");

/**
 * The report in short: the exit status, then each finding as text prints it and the parts
 * of its evidence that do not change between runs (no pids, addresses, library lines, nor
 * how many workers happened to hit it).
 */
export function verifySnapshot(status: number | null, report: VerifyRun["report"]): string {
  const lines = [`exit ${status}`];
  for (const file of report.files) {
    for (const f of file.findings) {
      lines.push(`${file.path}:${f.line}:${f.column}: ${f.code} ${f.message}`);
      const e = f.evidence ?? {};
      if (e.object) lines.push(`  object ${e.object.path}: ${e.object.type}`);
      for (const v of e.values ?? []) lines.push(`  value ${v.name}: parent ${v.parent}, child ${v.child} (${v.compared})`);
      if (e.threads) lines.push(`  threads ${e.threads.map((t) => t.name + (t.current ? " (current)" : "")).join(", ")}`);
      if (e.stack && userStack(e.stack)) lines.push(`  stack ${userStack(e.stack)}`);
      for (const n of e.notes ?? []) if (!/^child process \d+/.test(n)) lines.push(`  note ${n}`);
      for (const p of e.processes ?? []) {
        const threads = p.threads.map((t) => userStack(t.stack)).filter(Boolean);
        lines.push(`  process ${p.role}${threads.length ? `: ${threads.join("; ")}` : ""}`);
      }
    }
  }
  return lines.join("\n") + "\n";
}

function compareOrUpdate(file: string, actual: string): void {
  const actualFile = file.replace(/\.snap$/, ".actual.snap");
  if (UPDATE) {
    fs.writeFileSync(file, actual);
    fs.rmSync(actualFile, { force: true });
    return;
  }
  const expected = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null;
  if (expected === actual) {
    fs.rmSync(actualFile, { force: true });
    return;
  }
  fs.writeFileSync(actualFile, actual);
  assert.fail(`findings differ: diff ${path.relative(process.cwd(), file)} ${path.relative(process.cwd(), actualFile)}`);
}

function checkReport(run: VerifyRun): void {
  assert.ok(run.report, `no report was written:\n${run.stderr}`);
  assert.ok(validateReport(run.report), JSON.stringify(validateReport.errors?.slice(0, 5), null, 2));
  assert.doesNotMatch(run.stderr, /internal error/);
}

for (const name of fs.readdirSync(CASES).sort()) {
  const dir = path.join(CASES, name);
  if (!fs.existsSync(path.join(dir, "case.json"))) continue;
  test(`verify fixture ${name}`, () => {
    const c = readCase(dir);
    const run = verify(dir, c);
    checkReport(run);
    compareOrUpdate(path.join(dir, "findings.snap"), verifySnapshot(run.status, run.report));
    assert.equal(run.status, c.exit, run.stderr);
    for (const pattern of c.stderr) assert.match(run.stderr, new RegExp(pattern));
    if (c.stdout !== null) assert.equal(run.stdout, c.stdout);
    if (c.sameOutput) {
      const alone = plain(dir, c);
      assert.equal(run.stdout, alone.stdout, "a clean program prints exactly what it prints without verify");
      if (c.countForks) {
        assert.ok(alone.forks.length > 0, "without verify the program forks (python3's default start method)");
        assert.deepEqual(run.forks, [], "under verify no process forks");
      }
    }
  });
}

test("verify -- python3 -m pytest over examples/pytest-suite: the spawn-unsafe test's hazard is reported, the others pass", () => {
  const dir = path.join(REPO_ROOT, "examples", "pytest-suite");
  const c: VerifyCase = { run: ["python3", "-m", "pytest", "-p", "no:cacheprovider", "-q"], flags: [], exit: 1, pythonPath: [], sameOutput: false, countForks: false, stderr: [], stdout: null };
  const run = verify(dir, c);
  checkReport(run);
  assert.match(run.stdout, /^FAILED test_workers\.py::test_validation_in_worker /m);
  assert.match(run.stdout, /1 failed, 3 passed/);
  assert.equal(verifySnapshot(run.status, run.report), [
    "exit 1",
    "test_workers.py:46:5: SPS203 `settings.MODE` (settings.py) is 'strict' in the parent when the process was started but 'lenient' in the spawned child (simple value): the parent changed it at run time, a child starts from a fresh import",
    "  value settings.MODE: parent 'strict', child 'lenient' (value)",
    "  stack test_workers.py:46 test_validation_in_worker",
    "",
  ].join("\n"));
});

test("verify --format sarif carries the findings with their stack, and every rule", () => {
  const dir = path.join(CASES, "unpicklable-argument");
  const c = readCase(dir);
  const sarif = spawnSync(process.execPath, [CLI, "verify", "--format", "sarif", "--", ...command(c)], { cwd: dir, env: environment(dir, c, null), encoding: "utf8" });
  assert.equal(sarif.status, 1);
  const log = JSON.parse(sarif.stdout);
  const result = log.runs[0].results[0];
  assert.equal(result.ruleId, "SPS301");
  assert.deepEqual(result.locations[0].physicalLocation.region, { startLine: 15, startColumn: 5, endLine: 15, endColumn: 19 });
  assert.ok(validateSarif(log), JSON.stringify(validateSarif.errors?.slice(0, 5), null, 2));
  // The user's frames, relative to the run; the interpreter's are absolute file: URIs.
  const frames = (result.stacks[0].frames as SarifFrame[]).map((f) => f.location).filter((l) => !/^(\/|file:)/.test(l.physicalLocation.artifactLocation.uri));
  assert.deepEqual(
    frames.map((l) => `${l.physicalLocation.artifactLocation.uri}:${l.physicalLocation.region.startLine} ${l.message.text}`),
    ["main.py:15 main", "main.py:20 <module>"],
  );
  assert.ok(log.runs[0].tool.driver.rules.some((r: { id: string }) => r.id === "SPS303"));
});

test("without --baseline the provoked pickling errors fail the gate, each naming the test that hit it; --select and --ignore narrow them", () => {
  const dir = path.join(CASES, "provoked-pickling");
  const c = { ...readCase(dir), flags: [] };
  const run = verify(dir, c);
  checkReport(run);
  assert.equal(run.status, 1);
  const found = run.report.files.flatMap((f) => f.findings.map((x) => [x.code, x.evidence?.tests]));
  assert.deepEqual(found, [
    ["SPS202", ["test_errors.py::test_a_lambda_task_is_refused"]],
    ["SPS301", ["test_errors.py::test_a_lock_cannot_be_sent"]],
  ]);
  const only = verify(dir, { ...c, flags: ["--select", "SPS3"] });
  assert.deepEqual(only.report.files.flatMap((f) => f.findings.map((x) => x.code)), ["SPS301"]);
  const none = verify(dir, { ...c, flags: ["--ignore", "SPS2,SPS301"] });
  assert.equal(none.status, 0);
  const zero = verify(dir, { ...c, flags: ["--exit-zero"] });
  assert.equal(zero.status, 0);
  assert.equal(zero.report.files.length, 1);
  // --baseline: the same two, seen under fork too, are left out and marked in the report.
  const gate = verify(dir, { ...c, flags: ["--baseline"] });
  checkReport(gate);
  assert.equal(gate.status, 0);
  assert.deepEqual(gate.report.files, []);
  const baseline = (gate.report.verify as unknown as { baseline: { exitStatus: number; dropped: Array<{ code: string; path: string }> } }).baseline;
  assert.equal(baseline.exitStatus, 0);
  assert.deepEqual(baseline.dropped.map((d) => `${d.code} ${d.path}`), ["SPS202 test_errors.py", "SPS301 test_errors.py"]);
});

test("junit over a pytest run: the finding's test case is classed under the pytest node id that hit it", () => {
  const dir = path.join(REPO_ROOT, "examples", "pytest-suite");
  const c: VerifyCase = { run: ["python3", "-m", "pytest", "-p", "no:cacheprovider", "-q"], flags: [], exit: 1, pythonPath: [], sameOutput: false, countForks: false, stderr: [], stdout: null };
  const r = spawnSync(process.execPath, [CLI, "verify", "--format", "junit", "--quiet", "--", ...command(c)], { cwd: dir, env: environment(dir, c, null), encoding: "utf8" });
  assert.equal(r.status, 1, r.stderr);
  const xml = r.stdout.slice(r.stdout.indexOf('<?xml version="1.0"'));
  assert.match(xml, /<testsuites name="spawnsafe verify" tests="1" failures="1" errors="0" time="[\d.]+">/);
  assert.match(xml, /<testcase name="SPS203 global-only-in-main at test_workers\.py:46:5" classname="test_workers\.py::test_validation_in_worker" time="0">/);
  assert.match(xml, /See: spawnsafe explain SPS203<\/failure>/);
});

test("spawnsafe's own frames never show in the program's tracebacks (a failed start, a second set_start_method)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tracebacks-"));
  try {
    fs.writeFileSync(path.join(dir, "lam.py"), 'import multiprocessing\n\nif __name__ == "__main__":\n    multiprocessing.Process(target=lambda: 1).start()\n');
    fs.writeFileSync(path.join(dir, "twice.py"), 'import multiprocessing\n\nif __name__ == "__main__":\n    multiprocessing.set_start_method("spawn")\n    multiprocessing.set_start_method("spawn")\n');
    const c: VerifyCase = { run: [], flags: [], exit: 1, pythonPath: [], sameOutput: false, countForks: false, stderr: [], stdout: null };
    for (const [file, error] of [["lam.py", /PicklingError/], ["twice.py", /RuntimeError: context has already been set/]] as const) {
      const r = spawnSync(process.execPath, [CLI, "verify", "--quiet", "--", pythonExecutable(), file], { cwd: dir, env: environment(dir, c, null), encoding: "utf8" });
      assert.match(r.stderr, error);
      assert.match(r.stderr, new RegExp(`File "${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/${file}", line \\d+, in <module>\\n.*\\n  File "[^"]*multiprocessing/`));
      assert.doesNotMatch(r.stderr, /_spawnsafe|spawnsafe-verify-/);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
