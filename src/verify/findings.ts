// From what the processes of a run recorded to findings at the user's code: each record kind
// becomes a finding with the static code where one exists (SPS101, SPS105, SPS201, SPS202,
// SPS203, SPS204) and a runtime code otherwise (SPS301-SPS304), deduplicated across processes.
import * as fs from "node:fs";
import * as path from "node:path";
import { allRules } from "../../transforms/registry";
import type { Evidence, EvidenceFinding, EvidenceFrame } from "../report/evidence";
import type {
  ChildFailureRecord,
  ForkRecord,
  Frame,
  Hello,
  MethodReadRecord,
  PickleRecord,
  ProcessReport,
  SnapshotRecord,
  StartRecord,
  ValueDescription,
} from "./records";

export interface RunFacts {
  /** The directory paths are shown relative to. */
  cwd: string;
  /** The pid of CMD itself (a Python process when CMD is one). */
  topPid: number | null;
  /** Seconds of --timeout, when the run was stopped by it. */
  timedOutAfter: number | null;
}

export interface LocatedFinding {
  path: string;
  finding: EvidenceFinding;
}

export interface Analysis {
  findings: LocatedFinding[];
  /** Things the user must know that are not findings: processes spawnsafe could not reach. */
  notes: string[];
}

interface Location {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

const GUARD = '`if __name__ == "__main__":`';

export function analyse(reports: ProcessReport[], facts: RunFacts): Analysis {
  const c = new Collector(facts.cwd);
  const starts = new Map<number, StartRecord>();
  const startsByToken = new Map<string, StartRecord>();
  const snapshots = new Map<string, SnapshotRecord>();
  const observed: SnapshotRecord[] = [];
  const hellos = new Map<number, Hello>();
  for (const report of reports) {
    if (report.hello) hellos.set(report.hello.pid, report.hello);
    for (const r of report.records) {
      if (r.kind === "start") {
        starts.set(r.child, r);
        if (r.token) startsByToken.set(r.token, r);
      } else if (r.kind === "snapshot" && r.token) snapshots.set(r.token, r);
      else if (r.kind === "observed") observed.push(r);
    }
  }
  for (const report of reports) {
    for (const r of report.records) {
      switch (r.kind) {
        case "fork":
          forkFinding(c, r);
          break;
        case "pickle":
          pickleFinding(c, r);
          break;
        case "child-failure":
          childFailureFinding(c, r, starts.get(r.pid) ?? null, hellos.get(r.pid) ?? null);
          break;
        case "note":
          c.note(noteText(c, r.what, r.problem, r.argv, r.stack));
          break;
        case "method-read":
          methodReadFinding(c, r);
          break;
      }
    }
  }
  for (const o of observed) {
    // A process: its start token. A task: the worker's start record names its pool.
    const start = o.token ? startsByToken.get(o.token) : o.worker ? startsByToken.get(o.worker) : undefined;
    const token = o.token ?? (start?.owner && o.task ? `task:${start.owner}:${o.task}` : null);
    const parent = token ? snapshots.get(token) : undefined;
    if (parent) differenceFindings(c, parent, o, start?.method ?? parent.method ?? "spawn", parent.test ?? o.test ?? null);
  }
  if (facts.timedOutAfter !== null) hangFinding(c, reports, facts);
  return { findings: c.sorted(), notes: [...new Set(c.notes)] };
}

// ------------------------------------------------------------------------- locations

class Collector {
  readonly notes: string[] = [];
  private readonly byKey = new Map<string, LocatedFinding>();
  private readonly lines = new Map<string, string[] | null>();

  constructor(readonly cwd: string) {}

  display(file: string): string {
    if (!file || file.startsWith("<")) return file;
    const rel = path.relative(this.cwd, file);
    return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel.split(path.sep).join("/") : file;
  }

  frames(stack: Frame[]): EvidenceFrame[] {
    return stack.map((f) => ({ file: this.display(f.file), line: f.line, func: f.func, user: f.kind === "u" }));
  }

  where(f: { file: string; line: number }): string {
    return `${this.display(f.file)}:${f.line}`;
  }

  note(text: string): void {
    this.notes.push(text);
  }

  /**
   * One finding per place and cause: `cause` names what went wrong there (the object that did
   * not pickle, the global that differs), without what changes from one hit to the next (thread
   * names, values, pids); a second hit counts, and adds the pytest test that hit it.
   */
  add(code: string, at: Location, text: string, evidence: Evidence, hit: { cause?: string; test?: string | null } = {}): void {
    const rule = allRules.find((r) => r.code === code)!;
    // Addresses (`<function <lambda> at 0x7f...>`) differ between runs: a message names the object without them.
    const message = text.replace(/ at 0x[0-9a-fA-F]+/g, "");
    const file = this.display(at.file);
    if (this.suppressed(at.file, at.line, code)) return;
    const key = [code, file, at.line, at.column, hit.cause ?? message].join("\0");
    const test = hit.test ? testId(hit.test) : null;
    const seen = this.byKey.get(key);
    if (seen) {
      const e = seen.finding.evidence!;
      e.occurrences = (e.occurrences ?? 1) + 1;
      if (test && !(e.tests ??= []).includes(test) && e.tests.length < MAX_TESTS) e.tests.push(test);
      return;
    }
    const finding: EvidenceFinding = {
      code,
      name: rule.name,
      message,
      line: at.line,
      column: at.column,
      endLine: at.endLine,
      endColumn: at.endColumn,
      fixable: false,
      applicability: null,
      fixed: false,
      evidence: { ...evidence, ...(test ? { tests: [test] } : {}), occurrences: 1 },
    };
    this.byKey.set(key, { path: file, finding });
  }

  /** `# spawnsafe: ignore[CODE]` (or a bare `# spawnsafe: ignore`) on the line, as for check. */
  private suppressed(file: string, line: number, code: string): boolean {
    if (!this.lines.has(file)) {
      let text: string[] | null = null;
      try {
        text = fs.readFileSync(file, "utf8").split(/\r?\n/);
      } catch {
        text = null;
      }
      this.lines.set(file, text);
    }
    const text = this.lines.get(file)?.[line - 1];
    if (!text || !text.includes("spawnsafe:")) return false;
    const m = /#\s*spawnsafe:\s*ignore(?:\[([^\]]*)\])?/.exec(text);
    if (!m) return false;
    const codes = m[1] ? m[1].split(",").map((s) => s.trim().toUpperCase()) : [];
    return codes.length === 0 || codes.includes(code);
  }

  sorted(): LocatedFinding[] {
    return [...this.byKey.values()].sort(
      (a, b) => a.path.localeCompare(b.path) || a.finding.line - b.finding.line || a.finding.column - b.finding.column || a.finding.code.localeCompare(b.finding.code),
    );
  }
}

/** How many tests a finding names; the count of hits goes on. */
const MAX_TESTS = 20;

/** pytest's node id from PYTEST_CURRENT_TEST: `tests/test_a.py::test_b[1] (call)` without the phase. */
export function testId(current: string): string {
  return current.replace(/ \((setup|call|teardown)\)$/, "");
}

/** The innermost frame of the user's code; else the innermost with a file. */
function userFrame(stack: Frame[]): Frame | null {
  for (let i = stack.length - 1; i >= 0; i--) if (stack[i].kind === "u") return stack[i];
  for (let i = stack.length - 1; i >= 0; i--) if (stack[i].kind !== "x" && stack[i].kind !== "i") return stack[i];
  return null;
}

/**
 * Code with no file that the user wrote: a program given with `python3 -c` (`<string>`) or on
 * stdin (`<stdin>`); the innermost such frame. Other code without a file (`exec` in a
 * library, a dataclass's generated methods) is not the user's.
 */
function commandFrame(stack: Frame[]): Frame | null {
  for (let i = stack.length - 1; i >= 0; i--) if (stack[i].file === "<string>" || stack[i].file === "<stdin>") return stack[i];
  return null;
}

function locate(frame: Frame): Location {
  const [column, endLine, endColumn] = frame.position ?? [1, frame.line, 1];
  return { file: frame.file, line: frame.line, column, endLine, endColumn };
}

function at(file: string, line: number, column = 1): Location {
  return { file, line, column, endLine: line, endColumn: column };
}

/** The frame that made the call the stack ends in, when it is not the user's own line. */
function innermost(stack: Frame[]): Frame | null {
  return stack.length > 0 ? stack[stack.length - 1] : null;
}

// ------------------------------------------------------------------------- forks

function forkFinding(c: Collector, r: ForkRecord): void {
  const user = userFrame(r.stack) ?? commandFrame(r.stack);
  if (!user) return;
  const others = r.threads.filter((t) => !t.current);
  const threads = others.length === 0 ? "" : ` while ${others.length} other thread${others.length === 1 ? " was" : "s were"} running (${others.map((t) => t.name).join(", ")})`;
  const evidence: Evidence = {
    stack: c.frames(r.stack),
    threads: r.threads.map((t) => ({ name: t.name, daemon: t.daemon, current: t.current, at: t.at ? `${c.display(t.at[0])}:${t.at[1]} in ${t.at[2]}` : null })),
  };
  if (r.mp) {
    const origin = (o: ForkRecord["origins"][number]) => {
      const f = userFrame(o.stack);
      return `${o.how}${f ? ` at ${c.where(f)}` : ""}`;
    };
    // The choice that made this process fork, as the recorder matched it (not the first one seen).
    const made = r.origins.find((o) => o.chosen);
    if (r.origins.length > 0) evidence.notes = r.origins.map((o) => (o === made || !made ? `fork chosen by ${origin(o)}` : `fork also chosen by ${origin(o)} (not for this process)`));
    const chosen = made ? `, chosen by ${origin(made)}` : ", chosen explicitly";
    c.add(
      "SPS105",
      locate(user),
      `A process was started with the \`fork\` start method${chosen}${threads}: kept as written; the child copies the parent's memory and the locks other threads hold, but not the threads`,
      evidence,
      { cause: chosen, test: r.test },
    );
    return;
  }
  const pty = r.stack.some((f) => f.func === "fork" && /[\\/]pty\.py$/.test(f.file));
  const call = pty ? "pty.fork()" : `${r.call}()`;
  const caller = innermost(r.stack);
  const inside = caller && caller !== user && !(pty && caller.func === "fork") ? ` (in \`${caller.func}\`, ${c.where(caller)})` : "";
  c.add(
    "SPS201",
    locate(user),
    `\`${call}\`${inside} forked the process${threads}: the child gets the parent's memory and the locks other threads hold, but not the threads; the start method does not change this call`,
    evidence,
    { cause: call + inside, test: r.test },
  );
}

// ------------------------------------------------------------------------- pickling

/** What happens to what cannot be pickled, by the call that handed it over. */
function consequence(via: string, method: string): string {
  switch (via) {
    case "start":
      return `the process cannot start under ${method}`;
    case "Queue.put":
    case "JoinableQueue.put":
      return `the queue's feeder thread fails to send it later and drops it (\`${via}\` itself does not fail)`;
    case "SimpleQueue.put":
    case "Connection.send":
      return `\`${via}\` fails`;
    default:
      return `\`${via}\` hands it to ${via.startsWith("Pool.") ? "the pool's task thread" : "the executor's queue thread"}, which fails to send it: CPython's error names neither the object nor this line`;
  }
}

const TARGET_ROOTS = /^(target|self|initializer|func|fn)\b/;

function pickleFinding(c: Collector, r: PickleRecord): void {
  const user = userFrame(r.stack);
  if (!user) return;
  const evidence: Evidence = { object: { path: r.path, type: r.type, repr: r.repr, error: r.error }, stack: c.frames(r.stack) };
  const hit = { cause: `${r.via}|${r.path}|${r.type}`, test: r.test };
  if (/created in a fork context is being shared with a process in a (spawn|forkserver) context/.test(r.error)) {
    c.add("SPS204", locate(user), `\`${r.path}\` (${r.type}) was made from a fork context and cannot be shared with a ${r.method ?? "spawn"} process: ${r.error}`, evidence, hit);
    return;
  }
  const method = r.method ?? "spawn";
  if (TARGET_ROOTS.test(r.path)) {
    const what = r.via === "start" ? (r.root.startsWith("self.") ? "The Process object" : r.root === "initializer" ? "The pool initializer" : "The target") : "The task function";
    const name = r.root === "initializer" || r.root.startsWith("self.") ? "" : r.target ? ` \`${r.target}\`` : "";
    const through = r.path === r.root ? "" : `: its \`${r.path}\` is a \`${r.type}\``;
    const then = r.via === "start" ? `the process cannot start under ${method}` : "the task never runs";
    c.add("SPS202", locate(user), `${what}${name} cannot be pickled${through} (${r.error}), so ${then}`, evidence, hit);
    return;
  }
  c.add("SPS301", locate(user), `\`${r.path}\` is a \`${r.type}\`, which cannot be pickled (${r.error}): ${consequence(r.via, method)}`, evidence, hit);
}

// ------------------------------------------------------------------------- children

function childFailureFinding(c: Collector, r: ChildFailureRecord, start: StartRecord | null, hello: Hello | null): void {
  const startSite = start ? userFrame(start.stack) : null;
  const evidence: Evidence = { error: r.error, stack: c.frames(r.stack), notes: [] };
  if (startSite) evidence.notes!.push(`the process was started at ${c.where(startSite)}${start!.target ? ` (target \`${start!.target}\`)` : ""}`);
  if (hello) evidence.notes!.push(`child process ${hello.pid}: ${commandText(hello.argv)}`);
  const error = r.error.replace(/ from '[^']*'>/g, ">");
  if (r.etype === "RuntimeError" && /bootstrapping phase/.test(r.error)) {
    const line = userFrame(r.stack);
    if (line && line.kind === "u") {
      c.add(
        "SPS101",
        locate(line),
        `A spawned child re-ran this line while importing the main module and started a process before its own start had finished: move it under ${GUARD}`,
        evidence,
        { cause: "bootstrap", test: r.test },
      );
      return;
    }
  }
  const m = r.missing;
  if (m && m.file && m.line) {
    const place = m.guarded ? `is defined under ${GUARD}, which a spawned child does not run` : `is not defined when a spawned child imports ${c.display(m.file)}`;
    c.add("SPS202", at(m.file, m.line, m.col ?? 1), `\`${m.name}\` ${place}: the child cannot find it (${error}). Define it at module level`, evidence, { cause: `missing|${m.name}`, test: r.test });
    return;
  }
  const during = r.phase === "task" ? "receiving a task" : importsMain(r.stack) ? "importing the main module" : "loading the process object";
  const user = userFrame(r.stack);
  const location = user && user.kind === "u" ? locate(user) : startSite ? locate(startSite) : null;
  if (!location) return;
  c.add("SPS302", location, `A spawned child failed while ${during}, before the user's code ran: ${error}`, evidence, { cause: `${during}|${r.etype}`, test: r.test });
}

function importsMain(stack: Frame[]): boolean {
  return stack.some((f) => f.func === "_fixup_main_from_path" || f.func === "_fixup_main_from_name");
}

// ------------------------------------------------------------------------- globals and environment

function describe(d: ValueDescription): string {
  switch (d[0]) {
    case "v":
      return d[2];
    case "n":
      return `${d[1]} of ${d[2]} item${d[2] === 1 ? "" : "s"}`;
    case "t":
      return `a ${d[1]}`;
    default:
      return "not defined";
  }
}

function compared(p: ValueDescription, c: ValueDescription): "value" | "size" | "contents" | "type" | "presence" {
  if (p[0] === "missing" || c[0] === "missing") return "presence";
  if (p[0] === "v" && c[0] === "v" && p[1] === c[1]) return "value";
  // Same size: the contents differ (their checksums); a recorder without them never gets here.
  if (p[0] === "n" && c[0] === "n" && p[1] === c[1]) return p[2] === c[2] ? "contents" : "size";
  return "type";
}

function globalName(key: string): string {
  const at = key.indexOf(":");
  const module = key.slice(0, at);
  const name = key.slice(at + 1);
  return module === "__main__" ? name : `${module}.${name}`;
}

/** Variables a tool changes all the time, whose staleness in a child says nothing of the program. */
const VOLATILE_ENVIRON = new Set(["PYTEST_CURRENT_TEST"]);

function differenceFindings(c: Collector, parent: SnapshotRecord, child: SnapshotRecord, method: string, test: string | null): void {
  const site = parent.stack ? userFrame(parent.stack) : null;
  if (!site) return;
  const moment = parent.what === "task" ? "when the task was submitted" : "when the process was started";
  const skip = new Set([...(parent.stores ?? []), ...(child.stores ?? []), ...(child.skip ?? [])]);
  const stack = c.frames(parent.stack ?? []);
  for (const [key, p] of Object.entries(parent.globals ?? {})) {
    const k = (child.globals ?? {})[key];
    if (!k || skip.has(key) || JSON.stringify(p) === JSON.stringify(k)) continue;
    if (p[0] === "missing") continue;
    const name = globalName(key);
    const how = compared(p, k);
    const file = parent.files?.[key.slice(0, key.indexOf(":"))];
    const of = file ? ` (${c.display(file)})` : "";
    let message: string;
    if (how === "presence") message = `\`${name}\`${of} is ${describe(p)} in the parent ${moment} but is not defined in the spawned child: the parent assigns it where a child does not run`;
    else if (how === "size") message = `\`${name}\`${of} holds ${p[2]} item${p[2] === 1 ? "" : "s"} in the parent ${moment} but ${k[2]} in the spawned child (container size): the parent filled it at run time, a child starts from a fresh import`;
    else if (how === "contents") message = `\`${name}\`${of} holds ${p[2]} item${p[2] === 1 ? "" : "s"} in the parent ${moment} and in the spawned child, but not the same ones (contents): the parent changed it at run time, a child starts from a fresh import`;
    else if (how === "value") message = `\`${name}\`${of} is ${p[2]} in the parent ${moment} but ${k[2]} in the spawned child (simple value): the parent changed it at run time, a child starts from a fresh import`;
    else message = `\`${name}\`${of} is ${describe(p)} in the parent ${moment} but ${describe(k)} in the spawned child (type)`;
    c.add("SPS203", locate(site), message, { values: [{ name, parent: describe(p), child: describe(k), compared: how }], stack }, { cause: `${key}|${how}`, test });
  }
  // A spawned child inherits the parent's real environment, which can hold what C code set
  // behind os.environ's back (readline sets LINES and COLUMNS): what differs there is not the
  // program's doing. What counts: what the child's own code changed since it began (its main
  // module re-run), and, under forkserver, what the parent's code changed after the server
  // (whose environment its children get) began. PYTEST_CURRENT_TEST, which pytest changes
  // for every test, is left out.
  const penv = parent.env ?? {};
  const kenv = child.env ?? {};
  const childChanged = new Set(child.envChanged ?? []);
  const parentChanged = new Set(parent.envChanged ?? []);
  const diffs: Array<{ name: string; parent: string; child: string; compared: "value" | "presence" }> = [];
  for (const name of [...new Set([...Object.keys(penv), ...Object.keys(kenv)])].sort()) {
    const p = penv[name];
    const k = kenv[name];
    if (p === k || VOLATILE_ENVIRON.has(name)) continue;
    if (!(childChanged.has(name) || (method === "forkserver" && parentChanged.has(name)))) continue;
    if (p !== undefined && k !== undefined) diffs.push({ name, parent: "set", child: "set to another value", compared: "value" });
    else diffs.push({ name, parent: p === undefined ? "unset" : "set", child: k === undefined ? "unset" : "set", compared: "presence" });
  }
  if (diffs.length > 0) {
    const shown = diffs.slice(0, 4).map((d) => `${d.name} (${d.compared === "value" ? "another value" : `${d.parent} in the parent, ${d.child} in the child`})`);
    const rest = diffs.length > 4 ? ` and ${diffs.length - 4} more` : "";
    c.add(
      "SPS304",
      locate(site),
      `os.environ differs in the spawned child from the parent ${moment}: ${shown.join(", ")}${rest}`,
      { values: diffs.map((d) => ({ name: `os.environ[${JSON.stringify(d.name)}]`, parent: d.parent, child: d.child, compared: d.compared })), stack },
      { cause: diffs.map((d) => d.name).join(","), test },
    );
  }
}

// ------------------------------------------------------------------------- hangs

function commandText(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
}

function hangFinding(c: Collector, reports: ProcessReport[], facts: RunFacts): void {
  const dumped = reports.filter((r) => r.hello && r.dump && r.dump.length > 0).sort((a, b) => a.hello!.pid - b.hello!.pid);
  const libs = [...new Set(reports.map((r) => r.hello?.stdlib).filter((d): d is string => !!d))];
  const top = dumped.find((r) => r.hello!.pid === facts.topPid) ?? dumped.find((r) => r.hello!.role === "program") ?? dumped[0];
  const processes = dumped.map((r) => ({
    pid: r.hello!.pid,
    command: commandText(r.hello!.argv),
    role: r.hello!.role,
    threads: r.dump!.map((t) => ({ id: t.id, current: t.current, stack: t.frames.map((f) => ({ file: c.display(f.file), line: f.line, func: f.func, user: isUser(f.file, libs) })) })),
  }));
  let location: Location | null = null;
  let waiting = "";
  if (top) {
    const main = top.dump!.find((t) => t.current) ?? top.dump![0];
    const frames = main.frames;
    for (let i = frames.length - 1; i >= 0 && !location; i--) if (isUser(frames[i].file, libs)) location = at(frames[i].file, frames[i].line);
    const last = frames[frames.length - 1];
    if (last && location && !isUser(last.file, libs)) waiting = `, its main thread waiting in \`${last.func}\` (${libraryFile(last.file, libs)}) under this line`;
  }
  if (!location) {
    const hello = reports.find((r) => r.hello?.pid === facts.topPid)?.hello;
    const script = hello?.argv.find((a, i) => i > 0 && a.endsWith(".py"));
    location = at(script ? path.resolve(hello!.cwd, script) : path.join(facts.cwd, "<command>"), 1);
  }
  const n = processes.length;
  c.add(
    "SPS303",
    location,
    `The command was still running after --timeout ${facts.timedOutAfter} s${waiting}; the stacks of its ${n} Python process${n === 1 ? "" : "es"} follow, and the process group was terminated`,
    { processes },
    { cause: "hang", test: lastTest(reports, top?.hello?.pid ?? facts.topPid) },
  );
}

/** The pytest test the process was running when it last recorded something. */
function lastTest(reports: ProcessReport[], pid: number | null): string | null {
  const report = reports.find((r) => r.hello?.pid === pid);
  for (const r of [...(report?.records ?? [])].reverse()) if ("test" in r && r.test) return r.test;
  return null;
}

// ------------------------------------------------------------------------- start-method reads

function methodReadFinding(c: Collector, r: MethodReadRecord): void {
  const user = userFrame(r.stack);
  if (!user) return;
  const caller = innermost(r.stack);
  const inside = caller && caller !== user ? ` (in \`${caller.func}\`, ${c.where(caller)})` : "";
  const native = r.native && r.native !== r.method ? `, where the program as it is gets '${r.native}'` : "";
  c.add(
    "SPS305",
    locate(user),
    `The start method was read here${inside}: \`get_start_method()\` answered '${r.method}' under verify${native}; ` +
      "code that branches on it, or refuses any method but fork, behaves differently once the program moves",
    { stack: c.frames(r.stack) },
    { cause: "read", test: r.test },
  );
}

/** A library file as its module path shows it: multiprocessing/popen_fork.py. */
function libraryFile(file: string, stdlibs: string[]): string {
  for (const d of stdlibs) if (file.startsWith(d + path.sep)) return file.slice(d.length + 1).split(path.sep).join("/");
  const m = /[\\/](?:site|dist)-packages[\\/](.*)$/.exec(file);
  return m ? m[1].split(path.sep).join("/") : file;
}

/** A frame of the user's code: not the standard library (of any interpreter of the run), an installed package or spawnsafe. */
function isUser(file: string, stdlibs: string[]): boolean {
  if (!file || file.startsWith("<")) return false;
  if (/[\\/](site|dist)-packages[\\/]/.test(file)) return false;
  if (stdlibs.some((d) => file.startsWith(d + path.sep))) return false;
  if (/_spawnsafe_(verify|inspect)\.py$/.test(file)) return false;
  return true;
}

// ------------------------------------------------------------------------- notes

function noteText(c: Collector, what: string, problem: string, argv: string[] | undefined, stack: Frame[] | undefined): string {
  const where = stack ? userFrame(stack) : null;
  if (what === "not-forced") return `spawnsafe: warning: ${problem}; processes kept the interpreter's default start method`;
  return `spawnsafe: warning: a Python process was started that spawnsafe cannot verify (${commandText(argv ?? [])}${where ? `, at ${c.where(where)}` : ""}): ${problem}`;
}
