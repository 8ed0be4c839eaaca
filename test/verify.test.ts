// `spawnsafe verify` without python3 (fast tier): its command line, the runtime rules and
// their docs, reading what processes recorded, and turning records into findings.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { allRules, runtimeRules, transforms, ruleByCode } from "../transforms/registry";
import { splitVerifyCommand } from "../src/command-line";
import { injectionProblem, looksLikePython, pythonFlags, renderReport, selected } from "../src/verify/command";
import { parseStackDump } from "../src/verify/stacks";
import { parseRecord, type Frame, type Hello, type ProcessReport, type VerifyRecord } from "../src/verify/records";
import { analyse } from "../src/verify/findings";
import { runtimeDir } from "../src/verify/run-command";
import { cli, spawnsafe } from "./helpers/cli";
import { REPO_ROOT } from "./fixture-cases";

const SECTIONS = ["## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"];

// ------------------------------------------------------------------ rules and docs

test("runtime rules: SPS3xx codes, unique among every rule, never in the engine's transforms", () => {
  const codes = allRules.map((r) => r.code);
  assert.equal(new Set(codes).size, codes.length);
  assert.deepEqual(runtimeRules.map((r) => r.code), ["SPS302", "SPS303", "SPS304", "SPS305"]);
  for (const r of runtimeRules) {
    assert.match(r.code, /^SPS3\d\d$/);
    assert.equal(r.fix, "never");
    assert.ok(!transforms.some((t) => t.code === r.code), `${r.code} must not be run by the static engine`);
    assert.equal(ruleByCode(r.code), r);
    assert.equal(ruleByCode(r.name), r);
  }
});

for (const r of [...runtimeRules, ruleByCode("SPS301")!]) {
  test(`${r.code} ${r.name}: its doc has every section, and a verify fixture reports it`, () => {
    assert.ok(fs.existsSync(path.join(REPO_ROOT, "transforms", `${r.name}.ts`)));
    const doc = fs.readFileSync(path.join(REPO_ROOT, "transforms", `${r.name}.md`), "utf8");
    assert.ok(doc.startsWith(`# ${r.name} (${r.code})`));
    let last = -1;
    for (const section of SECTIONS) {
      const at = doc.indexOf(`\n${section}\n`);
      assert.ok(at > last, `"${section}" missing or out of order`);
      last = at;
    }
    assert.match(doc, /^Fix: never\b/m);
    const cases = path.join(REPO_ROOT, "fixtures", "verify");
    const reporting = fs
      .readdirSync(cases)
      .filter((c) => fs.existsSync(path.join(cases, c, "findings.snap")))
      .filter((c) => new RegExp(`^\\S+:\\d+:\\d+: ${r.code} `, "m").test(fs.readFileSync(path.join(cases, c, "findings.snap"), "utf8")));
    assert.ok(reporting.length > 0, `no fixture under fixtures/verify reports ${r.code}`);
  });
}

test("rules lists the runtime rules after the static ones; explain prints their docs", async () => {
  const rules = await cli(["rules"], os.tmpdir());
  assert.equal(rules.status, 0);
  const codes = rules.stdout.trim().split("\n").map((l) => l.split(/\s+/)[0]);
  assert.deepEqual(codes.slice(-4), ["SPS302", "SPS303", "SPS304", "SPS305"]);
  assert.ok(codes.indexOf("SPS301") < codes.indexOf("SPS302"), "SPS301, static and runtime, is listed with the static rules");
  assert.match(rules.stdout, /^SPS303 +hang +fix: never/m);
  const doc = await cli(["explain", "SPS303"], os.tmpdir());
  assert.equal(doc.status, 0);
  assert.match(doc.stdout, /^# hang \(SPS303\)/);
  assert.equal((await cli(["explain", "environ-differs"], os.tmpdir())).status, 0);
});

test("the runtime's Python files ship in the package (package.json files) and are found beside the built code", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
  assert.ok(pkg.files.includes("runtime/verify/*.py"));
  for (const name of ["sitecustomize.py", "_spawnsafe_verify.py", "_spawnsafe_inspect.py"]) assert.ok(fs.existsSync(path.join(runtimeDir(), name)), name);
});

// ------------------------------------------------------------------ command line

test("verify takes everything after -- as the command, untouched by spawnsafe's own parser", () => {
  assert.deepEqual(splitVerifyCommand(["verify", "--timeout", "3", "--", "python3", "-m", "pytest", "-x", "--", "-q"]), {
    own: ["verify", "--timeout", "3"],
    command: ["python3", "-m", "pytest", "-x", "--", "-q"],
  });
  assert.deepEqual(splitVerifyCommand(["--format", "json", "verify", "--", "tox"]), { own: ["--format", "json", "verify"], command: ["tox"] });
  assert.deepEqual(splitVerifyCommand(["check", "--", "x.py"]).command, null);
  assert.deepEqual(splitVerifyCommand(["verify", "python3"]).command, null);
});

test("interpreter options that keep spawnsafe out (-I, -E, -S) are told apart from the rest", () => {
  assert.deepEqual([...pythonFlags(["-W", "ignore", "-X", "dev", "-B", "app.py", "-I"])], ["B"]);
  assert.deepEqual([...pythonFlags(["-Es", "app.py"])].sort(), ["E", "s"]);
  assert.deepEqual([...pythonFlags(["-m", "pytest", "-I"])], []);
  assert.match(injectionProblem(["python3", "-I", "app.py"])!, /-I \(isolated mode\) ignores PYTHONPATH/);
  assert.match(injectionProblem(["/usr/bin/python3.12", "-bS", "app.py"])!, /-S does not import site/);
  assert.equal(injectionProblem(["python3", "-u", "app.py"]), null);
  assert.equal(injectionProblem(["pytest", "-I"]), null);
  for (const name of ["python", "python3", "python3.12", "/usr/bin/python3.11", "pypy3", "python3.13t"]) assert.ok(looksLikePython(name), name);
  for (const name of ["pytest", "pythonista", "tox", "sh"]) assert.ok(!looksLikePython(name), name);
});

test("verify's usage errors exit 2 before running anything", () => {
  const cwd = os.tmpdir();
  const cases: Array<[string[], RegExp]> = [
    [["verify"], /needs a command after --/],
    [["verify", "python3", "app.py"], /runs the command given after --: spawnsafe verify -- python3 app.py/],
    [["verify", "--timeout", "0", "--", "true"], /--timeout must be a positive number/],
    [["verify", "--timeout", "soon", "--", "true"], /--timeout must be a positive number/],
    [["verify", "--method", "fork", "--", "true"], /--method must be one of spawn, forkserver, not .fork./],
    [["verify", "--", "python3", "-I", "app.py"], /-I \(isolated mode\) ignores PYTHONPATH, so spawnsafe cannot get into it/],
  ];
  for (const [args, message] of cases) {
    const r = spawnsafe(args, cwd);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, "");
  }
});

test("a command that is not found exits 127; one that runs no Python passes its output through and says nothing was verified (exit 2)", () => {
  const missing = spawnsafe(["verify", "--", "/no/such/program"], os.tmpdir());
  assert.equal(missing.status, 127);
  assert.match(missing.stderr, /cannot run \/no\/such\/program: command not found/);
  const shell = spawnsafe(["verify", "--", "sh", "-c", "echo out; echo err >&2; exit 3"], os.tmpdir());
  assert.equal(shell.stdout, "out\n");
  assert.match(shell.stderr, /^err\n/);
  assert.match(shell.stderr, /nothing was verified: no Python process of `sh -c 'echo out; echo err >&2; exit 3'` reported/);
  assert.equal(shell.status, 2);
});

// ------------------------------------------------------------------ reading records

test("faulthandler dumps: threads with frames outermost first, relative files resolved, the last dump wins", () => {
  const dump = [
    "Thread 0x00007f1c2d1fe640 (most recent call first):",
    '  File "/usr/lib/python3.11/threading.py", line 320 in wait',
    '  File "worker.py", line 9 in loop',
    "",
    "Current thread 0x00007f1c2e3b7740 (most recent call first):",
    '  File "main.py", line 5 in <module>',
    "",
  ].join("\n");
  const threads = parseStackDump(dump + dump.replace("line 5", "line 6"), "/work/app");
  assert.equal(threads.length, 2);
  assert.deepEqual(threads[0], {
    id: "0x00007f1c2d1fe640",
    current: false,
    frames: [
      { file: "/work/app/worker.py", line: 9, func: "loop" },
      { file: "/usr/lib/python3.11/threading.py", line: 320, func: "wait" },
    ],
  });
  assert.deepEqual(threads[1].frames, [{ file: "/work/app/main.py", line: 6, func: "<module>" }]);
  assert.equal(threads[1].current, true);
});

test("a record cut short by a kill is skipped; frames become objects", () => {
  assert.equal(parseRecord('{"kind":"fork","stack":[["/a.py",3,"f","u"'), null);
  const r = parseRecord('{"kind":"start","pid":1,"child":2,"method":"spawn","token":"1:1","target":"f","owner":null,"stack":[["/a.py",3,"f","u",[5,3,9]]]}');
  assert.deepEqual((r as { stack: Frame[] }).stack, [{ file: "/a.py", line: 3, func: "f", kind: "u", position: [5, 3, 9] }]);
});

// ------------------------------------------------------------------ records to findings

const CWD = "/work/app";
const STDLIB = "/usr/lib/python3.11";
const user = (file: string, line: number, func: string, position?: [number, number, number]): Frame => ({ file: `${CWD}/${file}`, line, func, kind: "u", ...(position ? { position } : {}) });
const lib = (file: string, line: number, func: string): Frame => ({ file: `${STDLIB}/${file}`, line, func, kind: "l" });

function hello(pid: number, role = "program"): Hello {
  return { kind: "hello", pid, ppid: 1, argv: ["python3", "main.py"], exe: "python3", version: "3.11.7", cwd: CWD, stdlib: STDLIB, role, forked: false, dumpSignal: 40, stacks: null };
}

function processReport(pid: number, records: Array<Record<string, unknown>>, extra: Partial<ProcessReport> = {}): ProcessReport {
  return { hello: hello(pid, extra.hello?.role), records: records.map((r) => ({ pid, ...r }) as unknown as VerifyRecord), dump: null, stem: `p${pid}`, ...extra };
}

function findings(reports: ProcessReport[], timedOutAfter: number | null = null) {
  return analyse(reports, { cwd: CWD, topPid: 100, timedOutAfter }).findings.map((f) => `${f.path}:${f.finding.line}:${f.finding.column}: ${f.finding.code} ${f.finding.message}`);
}

test("a fork inside a library is reported at the user's line, naming the library function and the other threads", () => {
  const fork = {
    kind: "fork",
    call: "os.fork",
    mp: false,
    stack: [user("main.py", 19, "main", [5, 19, 36]), { file: `${CWD}/site-packages/forkhelper/__init__.py`, line: 6, func: "run_detached", kind: "l" }],
    threads: [
      { name: "MainThread", daemon: false, current: true, at: [`${CWD}/main.py`, 19, "main"] },
      { name: "heartbeat", daemon: true, current: false, at: [`${STDLIB}/threading.py`, 327, "wait"] },
    ],
    origins: [],
  };
  const [line] = findings([processReport(100, [fork])]);
  assert.equal(
    line,
    "main.py:19:5: SPS201 `os.fork()` (in `run_detached`, site-packages/forkhelper/__init__.py:6) forked the process while 1 other thread was running (heartbeat): the child gets the parent's memory and the locks other threads hold, but not the threads; the start method does not change this call",
  );
});

test("a fork start method is attributed to the choice that made this process fork, not to the first one seen", () => {
  const site = [user("main.py", 19, "main", [5, 19, 36])];
  const threads = [{ name: "MainThread", daemon: false, current: true, at: [`${CWD}/main.py`, 19, "main"] }];
  const library = { how: 'get_context("fork")', stack: [user("main.py", 4, "<module>"), { file: `${CWD}/site-packages/lib/__init__.py`, line: 3, func: "setup", kind: "l" }] };
  const own = { how: 'get_context("fork")', stack: [user("jobs.py", 9, "run")], chosen: true };
  const mp = { kind: "fork", call: "os.fork", mp: true, stack: site, threads, origins: [own, library] };
  const out = analyse([processReport(100, [mp])], { cwd: CWD, topPid: 100, timedOutAfter: null }).findings;
  assert.match(out[0].finding.message, /^A process was started with the `fork` start method, chosen by get_context\("fork"\) at jobs\.py:9: kept as written/);
  assert.deepEqual(out[0].finding.evidence?.notes, ['fork chosen by get_context("fork") at jobs.py:9', 'fork also chosen by get_context("fork") at main.py:4 (not for this process)']);
  // No choice matched (a recorder that could not tell): said so, not pinned on any of them.
  const unmatched = { ...mp, origins: [library] };
  assert.match(findings([processReport(100, [unmatched])])[0], /start method, chosen explicitly: kept as written/);
});

test("one finding per place and cause: hits with other thread names or values count, and name each pytest test that hit them", () => {
  const site = [user("main.py", 19, "main", [5, 19, 36])];
  const fork = (thread: string, test: string) => ({
    kind: "fork",
    call: "os.fork",
    mp: false,
    stack: site,
    threads: [{ name: "MainThread", daemon: false, current: true, at: null }, { name: thread, daemon: true, current: false, at: null }],
    origins: [],
    test,
  });
  const out = analyse([processReport(100, [fork("Thread-1", "tests/test_a.py::test_one (call)"), fork("Thread-2", "tests/test_a.py::test_two[x] (call)"), fork("Thread-3", "tests/test_a.py::test_one (call)")])], {
    cwd: CWD,
    topPid: 100,
    timedOutAfter: null,
  }).findings;
  assert.equal(out.length, 1);
  assert.equal(out[0].finding.evidence?.occurrences, 3);
  assert.deepEqual(out[0].finding.evidence?.tests, ["tests/test_a.py::test_one", "tests/test_a.py::test_two[x]"]);
  assert.match(out[0].finding.message, /\(Thread-1\)/);
});

test("a container whose contents changed but not its size is SPS203 (contents); the same contents are not", () => {
  const site = [user("main.py", 17, "main", [15, 17, 40])];
  const parent = processReport(100, [
    { kind: "start", child: 201, method: "spawn", token: "100:1", target: "work", owner: null, stack: site },
    { kind: "snapshot", token: "100:1", what: "process", globals: { "__main__:NAMES": ["n", "list", 2, 111], "__main__:SAME": ["n", "dict", 1, 7] }, env: {}, files: {}, stores: [], stack: site },
  ]);
  const child = processReport(201, [{ kind: "observed", token: "100:1", globals: { "__main__:NAMES": ["n", "list", 2, 222], "__main__:SAME": ["n", "dict", 1, 7] }, env: {}, files: {}, stores: [] }]);
  const out = analyse([parent, child], { cwd: CWD, topPid: 100, timedOutAfter: null }).findings;
  assert.deepEqual(out.map((f) => f.finding.evidence?.values), [[{ name: "NAMES", parent: "list of 2 items", child: "list of 2 items", compared: "contents" }]]);
  assert.match(out[0].finding.message, /^`NAMES` holds 2 items in the parent when the process was started and in the spawned child, but not the same ones \(contents\)/);
});

test("a read of the start method is SPS305 at the user's line, naming the library function that read it", () => {
  const read = { kind: "method-read", method: "spawn", native: "fork", stack: [user("main.py", 8, "main", [5, 8, 20]), { file: `${CWD}/site-packages/lib/core.py`, line: 40, func: "check_fork", kind: "l" }] };
  assert.deepEqual(findings([processReport(100, [read])]), [
    "main.py:8:5: SPS305 The start method was read here (in `check_fork`, site-packages/lib/core.py:40): `get_start_method()` answered 'spawn' under verify, where the program as it is gets 'fork'; " +
      "code that branches on it, or refuses any method but fork, behaves differently once the program moves",
  ]);
});

test("--select and --ignore take codes and prefixes; an unknown one is a usage error", () => {
  assert.ok(selected("SPS203", null, []));
  assert.ok(selected("SPS203", ["SPS2"], []));
  assert.ok(!selected("SPS301", ["SPS2"], []));
  assert.ok(selected("SPS301", ["ALL"], ["SPS2"]));
  assert.ok(!selected("SPS203", ["ALL"], ["SPS20"]));
  const r = spawnsafe(["verify", "--select", "SPS2,XYZ", "--", "true"], os.tmpdir());
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--select: 'XYZ' is no code nor the start of one/);
});

test("pickling failures: the target and what it carries are SPS202, arguments SPS301, fork-context objects SPS204; repeats merge", () => {
  const base = { kind: "pickle", via: "start", method: "spawn", target: "Sink.drain", repr: "<x>", stack: [user("main.py", 15, "main", [5, 15, 19]), lib("multiprocessing/reduction.py", 60, "dump")] };
  const self = { ...base, root: "target", path: "self.output_handle", type: "_io.TextIOWrapper", error: "TypeError: cannot pickle '_io.TextIOWrapper' object" };
  const arg = { ...base, root: "args", path: "args[1]._lock", type: "_thread.lock", error: "TypeError: cannot pickle '_thread.lock' object" };
  const mixed = { ...base, root: "args", path: "args[0]", type: "multiprocessing.queues.Queue", error: "RuntimeError: A SemLock created in a fork context is being shared with a process in a spawn context. This is not supported." };
  const task = { ...base, via: "Pool.map", root: "iterable", path: "iterable[2].rows", type: "generator", error: "TypeError: cannot pickle 'generator' object", stack: [user("main.py", 16, "main", [19, 16, 40])] };
  const out = analyse([processReport(100, [self, self, arg, mixed, task])], { cwd: CWD, topPid: 100, timedOutAfter: null }).findings;
  assert.deepEqual(out.map((f) => f.finding.code), ["SPS202", "SPS204", "SPS301", "SPS301"]);
  assert.equal(out[0].finding.evidence?.occurrences, 2);
  assert.deepEqual(out[0].finding.evidence?.object, { path: "self.output_handle", type: "_io.TextIOWrapper", repr: "<x>", error: self.error });
  assert.match(out[0].finding.message, /^The target `Sink\.drain` cannot be pickled: its `self\.output_handle` is a `_io\.TextIOWrapper`/);
  assert.match(out[2].finding.message, /^`args\[1\]\._lock` is a `_thread\.lock`, which cannot be pickled .*: the process cannot start under spawn$/);
  assert.match(out[3].finding.message, /`Pool\.map` hands it to the pool's task thread, which fails to send it/);
  assert.equal(out[3].finding.line, 16);
});

test("a task's globals are compared with the snapshot of its own pool only; the environment only where the child's code or a forkserver made it differ", () => {
  const site = [user("main.py", 17, "main", [15, 17, 40])];
  const parent = processReport(100, [
    { kind: "start", child: 201, method: "spawn", token: "100:1", target: "pool worker", owner: "100:7", stack: site },
    { kind: "start", child: 202, method: "spawn", token: "100:2", target: "pool worker", owner: "100:8", stack: site },
    { kind: "snapshot", token: "task:100:7:__main__:apply", what: "task", globals: { "registry:PLUGINS": ["n", "dict", 2] }, env: { A: 1, B: 2 }, files: { registry: `${CWD}/registry.py` }, stores: [], stack: site },
  ]);
  const observed = (worker: string, env: Record<string, number>, envChanged: string[]) => ({
    kind: "observed",
    token: null,
    task: "__main__:apply",
    worker,
    globals: { "registry:PLUGINS": ["n", "dict", 0] },
    env,
    envChanged,
    files: {},
    stores: [],
  });
  // The worker of another pool (owner 100:8) ran the same function later: not compared with pool 100:7's snapshot.
  const other = processReport(202, [observed("100:2", { A: 1, B: 2 }, [])]);
  assert.deepEqual(findings([parent, other]), []);
  // Inherited differences (C code set them behind os.environ) are not reported under spawn.
  const child = processReport(201, [observed("100:1", { A: 1, B: 3, C: 4 }, [])]);
  assert.deepEqual(findings([parent, child]), [
    "main.py:17:15: SPS203 `registry.PLUGINS` (registry.py) holds 2 items in the parent when the task was submitted but 0 in the spawned child (container size): the parent filled it at run time, a child starts from a fresh import",
  ]);
  // What the child's own code changed is.
  const changed = processReport(201, [observed("100:1", { A: 1, B: 3 }, ["B"])]);
  assert.match(findings([parent, changed])[1], /SPS304 os\.environ differs in the spawned child from the parent when the task was submitted: B \(another value\)$/);
  // Under forkserver the inherited environment is the server's: what the parent's code changed
  // since it began (B, and pytest's PYTEST_CURRENT_TEST, left out) is reported; what C code set
  // behind os.environ (C) is not.
  const forkserver = processReport(
    100,
    parent.records.map((r) => (r.kind === "start" ? { ...r, method: "forkserver" } : r.kind === "snapshot" ? { ...r, env: { ...r.env, PYTEST_CURRENT_TEST: 5 }, envChanged: ["B", "PYTEST_CURRENT_TEST"] } : r)) as unknown as Array<Record<string, unknown>>,
  );
  const stale = processReport(201, [observed("100:1", { A: 1, B: 3, C: 4, PYTEST_CURRENT_TEST: 6 }, [])]);
  assert.match(findings([forkserver, stale])[1], /SPS304 os\.environ differs in the spawned child from the parent when the task was submitted: B \(another value\)$/);
});

test("children's failures: the bootstrapping error is SPS101 at the top-level line, a name missing from __mp_main__ SPS202 at its definition, anything else SPS302 where the parent started it", () => {
  const parent = processReport(100, [{ kind: "start", child: 201, method: "spawn", token: "100:1", target: "run", owner: null, stack: [user("main.py", 21, "main", [5, 21, 19])] }]);
  const spawnMain = lib("multiprocessing/spawn.py", 132, "_main");
  const boot = { kind: "child-failure", phase: "start", etype: "RuntimeError", error: "RuntimeError: An attempt has been made to start a new process before the current process has finished its bootstrapping phase.", stack: [spawnMain, user("main.py", 11, "<module>"), lib("multiprocessing/spawn.py", 140, "_check_not_importing_main")] };
  const missing = { kind: "child-failure", phase: "start", etype: "AttributeError", error: "AttributeError: Can't get attribute 'hello' on <module '__mp_main__' from '/work/app/main.py'>", stack: [spawnMain], missing: { name: "hello", module: "__main__", file: `${CWD}/main.py`, line: 7, col: 5, guarded: true } };
  const other = { kind: "child-failure", phase: "start", etype: "ModuleNotFoundError", error: "ModuleNotFoundError: No module named 'plugin_upper'", stack: [spawnMain] };
  assert.deepEqual(findings([parent, processReport(201, [boot])]), [
    'main.py:11:1: SPS101 A spawned child re-ran this line while importing the main module and started a process before its own start had finished: move it under `if __name__ == "__main__":`',
  ]);
  assert.deepEqual(findings([parent, processReport(201, [missing])]), [
    "main.py:7:5: SPS202 `hello` is defined under `if __name__ == \"__main__\":`, which a spawned child does not run: the child cannot find it (AttributeError: Can't get attribute 'hello' on <module '__mp_main__'>). Define it at module level",
  ]);
  assert.deepEqual(findings([parent, processReport(201, [other])]), [
    "main.py:21:5: SPS302 A spawned child failed while loading the process object, before the user's code ran: ModuleNotFoundError: No module named 'plugin_upper'",
  ]);
});

test("a hang is reported at the user's line of the command's main thread, with every process's stacks", () => {
  const top = processReport(100, [], {
    dump: [{ id: "0x1", current: true, frames: [{ file: `${CWD}/main.py`, line: 21, func: "<module>" }, { file: `${CWD}/main.py`, line: 17, func: "main" }, { file: `${STDLIB}/multiprocessing/popen_fork.py`, line: 27, func: "poll" }] }],
  });
  const child = processReport(201, [], { hello: hello(201, "mp-child"), dump: [{ id: "0x2", current: true, frames: [{ file: `${CWD}/main.py`, line: 7, func: "wait_for" }] }] });
  const out = analyse([top, child], { cwd: CWD, topPid: 100, timedOutAfter: 5 }).findings;
  assert.equal(out.length, 1);
  assert.equal(
    `${out[0].path}:${out[0].finding.line}: ${out[0].finding.message}`,
    "main.py:17: The command was still running after --timeout 5 s, its main thread waiting in `poll` (multiprocessing/popen_fork.py) under this line; the stacks of its 2 Python processes follow, and the process group was terminated",
  );
  assert.deepEqual(out[0].finding.evidence?.processes?.map((p) => [p.pid, p.role, p.threads[0].stack.filter((f) => f.user).map((f) => f.line)]), [
    [100, "program", [21, 17]],
    [201, "mp-child", [7]],
  ]);
});

test("a `# spawnsafe: ignore[CODE]` comment on the line silences a runtime finding, as for check", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-verify-ignore-"));
  try {
    fs.writeFileSync(path.join(dir, "main.py"), "import os\n\npid = os.fork()  # spawnsafe: ignore[SPS201]\nother = os.fork()\n");
    const fork = (line: number) => ({ kind: "fork", call: "os.fork", mp: false, stack: [{ file: path.join(dir, "main.py"), line, func: "<module>", kind: "u" }], threads: [], origins: [] });
    const out = analyse([processReport(100, [fork(3), fork(4)])], { cwd: dir, topPid: 100, timedOutAfter: null }).findings;
    assert.deepEqual(out.map((f) => `${f.path}:${f.finding.line}`), ["main.py:4"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("text prints the evidence below each finding; github puts it in the annotation; json has a verify object", () => {
  const fork = { kind: "fork", call: "os.fork", mp: false, stack: [user("main.py", 3, "main", [5, 3, 14])], threads: [{ name: "MainThread", daemon: false, current: true, at: [`${CWD}/main.py`, 3, "main"] }], origins: [] };
  const located = analyse([processReport(100, [fork])], { cwd: CWD, topPid: 100, timedOutAfter: null }).findings;
  const run = { command: ["python3", "main.py"], method: "spawn" as const, exitStatus: 0, signal: null, timedOut: false, pythonProcesses: 1 };
  const io = { style: { color: false }, docs: () => "doc", version: "0.0.0" };
  const text = renderReport("text", located, run, io);
  assert.equal(
    text,
    [
      "main.py:3:5: SPS201 `os.fork()` forked the process: the child gets the parent's memory and the locks other threads hold, but not the threads; the start method does not change this call",
      "    threads alive (1):",
      "      MainThread (this thread) at main.py:3 in main",
      "    stack (most recent call last):",
      "      main.py:3 in main",
      "    see: spawnsafe explain SPS201",
      "",
    ].join("\n"),
  );
  assert.equal(renderReport("text", [], run, io), "");
  const github = renderReport("github", located, run, io);
  assert.match(github, /^::warning file=main\.py,line=3,col=5,endLine=3,endColumn=14,title=SPS201 os-fork::`os\.fork\(\)` forked the process.*%0A  threads alive \(1\):%0A/);
  const json = JSON.parse(renderReport("json", located, run, io));
  assert.equal(json.command, "verify");
  assert.deepEqual(json.verify, run);
  assert.equal(json.files[0].findings[0].evidence.stack[0].file, "main.py");
});

test("the hazards of the verify fixtures are invisible to check: it reports none of the codes verify reports there", async () => {
  const blind: Record<string, string> = { "unpicklable-self": "SPS202", "unpicklable-argument": "SPS301", "registry-global": "SPS203", "fork-in-library": "SPS201" };
  for (const [name, code] of Object.entries(blind)) {
    const dir = path.join(REPO_ROOT, "fixtures", "verify", name);
    const snap = fs.readFileSync(path.join(dir, "findings.snap"), "utf8");
    assert.match(snap, new RegExp(`^main\\.py:\\d+:\\d+: ${code} `, "m"), `verify reports ${code} for ${name}`);
    const r = await cli(["check", "--no-cache", "--format", "json", "."], dir);
    const codes = JSON.parse(r.stdout).files.flatMap((f: { findings: Array<{ code: string }> }) => f.findings.map((x) => x.code));
    assert.ok(!codes.includes(code), `check reports ${code} for ${name}: ${codes}`);
  }
});

// ------------------------------------------------------------------ junit

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/** Enough of an XML reader for a report: elements, attributes, text, the five entities and &#N;. */
function parseXml(xml: string): XmlElement {
  const unescape = (s: string) =>
    s.replace(/&(lt|gt|amp|quot|apos|#\d+);/g, (_, e: string) => (e.startsWith("#") ? String.fromCodePoint(Number(e.slice(1))) : { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" }[e]!));
  const body = xml.replace(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n/, "");
  assert.notEqual(body, xml, "an XML declaration, UTF-8");
  const stack: XmlElement[] = [{ name: "#root", attrs: {}, children: [], text: "" }];
  const token = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while ((m = token.exec(body))) {
    at = token.lastIndex;
    const top = stack[stack.length - 1];
    if (m[5] !== undefined) {
      assert.doesNotMatch(m[5], /[<>]|&(?!(lt|gt|amp|quot|apos|#\d+);)/, "text is escaped");
      top.text += unescape(m[5]);
    } else if (m[1]) {
      assert.equal(top.name, m[2], "tags nest");
      stack.pop();
    } else {
      const attrs: Record<string, string> = {};
      for (const a of m[3].matchAll(/([\w-]+)="([^"]*)"/g)) {
        assert.ok(!(a[1] in attrs), `attribute ${a[1]} given once`);
        attrs[a[1]] = unescape(a[2]);
      }
      const el = { name: m[2], attrs, children: [], text: "" };
      top.children.push(el);
      if (!m[4]) stack.push(el);
    }
  }
  assert.equal(at, body.length, `unreadable XML at ${JSON.stringify(body.slice(at, at + 40))}`);
  assert.equal(stack.length, 1, "every element closed");
  assert.equal(stack[0].children.length, 1, "one root element");
  return stack[0].children[0];
}

// The shape of junit-10.xsd (Jenkins' xunit plugin), which Jenkins, GitLab and the GitHub test
// reporters read: the elements each may hold, their attributes, the required ones.
const JUNIT: Record<string, { attrs: string[]; required: string[]; children: string[] }> = {
  testsuites: { attrs: ["name", "time", "tests", "failures", "disabled", "errors"], required: [], children: ["testsuite"] },
  testsuite: {
    attrs: ["name", "tests", "failures", "errors", "time", "disabled", "skipped", "timestamp", "hostname", "id", "package", "file", "log", "url", "version"],
    required: ["name", "tests"],
    children: ["properties", "testcase", "system-out", "system-err"],
  },
  testcase: { attrs: ["name", "assertions", "time", "classname", "status"], required: ["name"], children: ["skipped", "error", "failure", "system-out", "system-err"] },
  failure: { attrs: ["message", "type"], required: [], children: [] },
};

function checkJunit(el: XmlElement): void {
  const shape = JUNIT[el.name];
  assert.ok(shape, `no <${el.name}> in junit-10.xsd`);
  for (const a of Object.keys(el.attrs)) assert.ok(shape.attrs.includes(a), `<${el.name} ${a}=...> is not in junit-10.xsd`);
  for (const a of shape.required) assert.ok(a in el.attrs, `<${el.name}> needs ${a}`);
  for (const a of ["tests", "failures", "errors", "skipped"]) if (a in el.attrs) assert.match(el.attrs[a], /^\d+$/);
  if ("time" in el.attrs) assert.match(el.attrs.time, /^\d+(\.\d+)?$/);
  if ("timestamp" in el.attrs) assert.match(el.attrs.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  for (const c of el.children) {
    assert.ok(shape.children.includes(c.name), `<${c.name}> inside <${el.name}>`);
    checkJunit(c);
  }
  if (el.name === "testsuite" || el.name === "testsuites") {
    const cases = el.name === "testsuite" ? el.children.filter((c) => c.name === "testcase") : el.children.flatMap((s) => s.children.filter((c) => c.name === "testcase"));
    assert.equal(Number(el.attrs.tests), cases.length, `<${el.name}> tests= counts its test cases`);
    assert.equal(Number(el.attrs.failures), cases.filter((c) => c.children.some((x) => x.name === "failure")).length, `<${el.name}> failures= counts the failed ones`);
  }
}

test("junit: a failed test case per finding, named by the pytest test that hit it, in junit-10.xsd's shape; a clean run is one passing case", () => {
  const stack = [user("test_app.py", 12, "test_send", [5, 12, 30])];
  const pickle = { kind: "pickle", via: "Queue.put", method: "spawn", target: null, root: "item", path: "item", type: "_thread.lock", repr: "<lock & <stuff>>", error: "TypeError: cannot pickle '_thread.lock' object", stack, test: "test_app.py::test_send[a\"b] (call)" };
  const fork = { kind: "fork", call: "os.fork", mp: false, stack: [user("main.py", 3, "main")], threads: [], origins: [] };
  const located = analyse([processReport(100, [pickle, fork])], { cwd: CWD, topPid: 100, timedOutAfter: null }).findings;
  const run = { command: ["python3", "-m", "pytest"], method: "spawn" as const, exitStatus: 0, signal: null, timedOut: false, pythonProcesses: 1 };
  const io = { style: { color: false }, docs: () => "doc", version: "0.0.0" };
  const root = parseXml(renderReport("junit", located, run, io, 1.5));
  assert.equal(root.name, "testsuites");
  checkJunit(root);
  const cases = root.children[0].children;
  assert.deepEqual(
    cases.map((c) => [c.attrs.classname, c.attrs.name, c.children[0].attrs.type]),
    [
      ["main.py", "SPS201 os-fork at main.py:3:1", "SPS201"],
      ['test_app.py::test_send[a"b]', "SPS301 unpicklable-argument at test_app.py:12:5", "SPS301"],
    ],
  );
  const failure = cases[1].children[0];
  assert.match(failure.attrs.message, /^`item` is a `_thread\.lock`, which cannot be pickled/);
  assert.match(failure.text, /object: item: _thread\.lock = <lock & <stuff>>/);
  assert.match(failure.text, /hit by test: test_app\.py::test_send\[a"b\]/);
  assert.match(failure.text, /See: spawnsafe explain SPS301$/);
  const clean = parseXml(renderReport("junit", [], run, io, 1.5));
  checkJunit(clean);
  assert.deepEqual(clean.children[0].children.map((c) => [c.attrs.name, c.children.length]), [["spawnsafe verify: python3 -m pytest", 0]]);
  assert.equal(clean.attrs.failures, "0");
});
