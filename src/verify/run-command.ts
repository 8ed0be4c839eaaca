// Running CMD for `spawnsafe verify`: the runtime folder first on PYTHONPATH, CMD in a
// process group of its own (so a hang ends with the whole group), its stdio untouched,
// signals passed on; at --timeout, every Python process's stacks, then the group's end.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { parseRecord, readReports, type Hello, type ProcessReport } from "./records";
import { RunProcesses } from "./processes";

export interface RunRequest {
  command: string[];
  /** keep: the program's own start method (verify --baseline's second run). */
  method: "spawn" | "forkserver" | "keep";
  /** Seconds; null: no limit. */
  timeout: number | null;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** CMD's stdin, stdout and stderr go nowhere (the baseline run: its output was seen once). */
  silent?: boolean;
  /** fix --verify: record the lines that choose spawn (site records) and, under pytest, each test's outcome. */
  trial?: boolean;
}

export interface RunOutcome {
  /** CMD's exit status, or null when a signal ended it. */
  status: number | null;
  signal: NodeJS.Signals | null;
  /** CMD could not be started (not found, not executable). */
  startError: NodeJS.ErrnoException | null;
  pid: number | null;
  timedOut: boolean;
  reports: ProcessReport[];
  /** Processes of the group still running after CMD ended, which verify terminated. */
  leftovers: number;
  /** A second Ctrl-C (SIGINT) ended the whole group (the first is passed on to CMD). */
  stoppedByUser: boolean;
  seconds: number;
}

/** The Python files that go into every process: shipped in the package's runtime/ folder. */
export function runtimeDir(): string {
  // dist/src/verify/run-command.js -> the package root
  return path.resolve(__dirname, "..", "..", "..", "runtime", "verify");
}

const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];

export async function runCommand(req: RunRequest): Promise<RunOutcome> {
  const started = process.hrtime.bigint();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-verify-"));
  try {
    const inject = path.join(work, "inject");
    const reports = path.join(work, "reports");
    fs.mkdirSync(inject);
    fs.mkdirSync(reports);
    for (const name of fs.readdirSync(runtimeDir())) {
      if (name.endsWith(".py")) fs.copyFileSync(path.join(runtimeDir(), name), path.join(inject, name));
    }
    const env: NodeJS.ProcessEnv = { ...req.env };
    env.PYTHONPATH = [inject, env.PYTHONPATH].filter((p) => !!p).join(path.delimiter);
    env.SPAWNSAFE_VERIFY_DIR = reports;
    env.SPAWNSAFE_VERIFY_METHOD = req.method;
    if (req.trial) {
      env.SPAWNSAFE_VERIFY_SITES = "1";
      env.PYTEST_PLUGINS = ["_spawnsafe_pytest", env.PYTEST_PLUGINS].filter((p) => !!p).join(",");
    }
    const result = await execute(req, env, reports);
    return { ...result, reports: readReports(reports), seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function execute(req: RunRequest, env: NodeJS.ProcessEnv, reports: string): Promise<Omit<RunOutcome, "reports" | "seconds">> {
  // detached: CMD leads a new process group (and session); every process it starts stays
  // in it unless it leaves on purpose, so the group can be stopped as one.
  const child = spawn(req.command[0], req.command.slice(1), { cwd: req.cwd, env, stdio: req.silent ? "ignore" : "inherit", detached: true });
  // What leaves the group (setsid, a daemon's double fork) is followed too (src/verify/processes.ts).
  const tracked = child.pid !== undefined ? new RunProcesses(child.pid, `SPAWNSAFE_VERIFY_DIR=${reports}`) : null;
  tracked?.watch();
  // Signals go on to CMD's group (it is not in the terminal's foreground group); a second
  // Ctrl-C ends the group, as it would end a program that ignores the first.
  let interrupts = 0;
  let stoppedByUser = false;
  const forward = (signal: NodeJS.Signals) => {
    if (signal === "SIGINT" && ++interrupts >= 2 && child.pid !== undefined) {
      stoppedByUser = true;
      void terminate(child.pid, reports, tracked);
      return;
    }
    signalGroup(child.pid, signal);
  };
  for (const s of FORWARDED) process.on(s, forward);
  let timedOut = false;
  let timer: NodeJS.Timeout | null = null;
  try {
    const ended = new Promise<{ status: number | null; signal: NodeJS.Signals | null; error: NodeJS.ErrnoException | null }>((resolve) => {
      child.once("error", (error: NodeJS.ErrnoException) => resolve({ status: null, signal: null, error }));
      child.once("exit", (status, signal) => resolve({ status, signal, error: null }));
    });
    if (req.timeout !== null && child.pid !== undefined) {
      const pid = child.pid;
      timer = setTimeout(() => {
        timedOut = true;
        void dumpStacks(reports).then(() => terminate(pid, reports, tracked));
      }, req.timeout * 1000);
    }
    const end = await ended;
    if (timer) clearTimeout(timer);
    let leftovers = 0;
    if (child.pid !== undefined && !end.error) leftovers = await endLeftovers(child.pid, reports, tracked);
    return { status: end.status, signal: end.signal, startError: end.error, pid: child.pid ?? null, timedOut, leftovers, stoppedByUser };
  } finally {
    tracked?.stop();
    for (const s of FORWARDED) process.off(s, forward);
  }
}

function signalGroup(pgid: number | undefined, signal: NodeJS.Signals | number): boolean {
  if (!pgid) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is empty
  }
}

function signalPid(pid: number, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The Python processes of this run, from their hello records, that are still running. */
function livePythons(reports: string): Hello[] {
  const out: Hello[] = [];
  let names: string[] = [];
  try {
    names = fs.readdirSync(reports).filter((n) => n.endsWith(".jsonl"));
  } catch {
    return out;
  }
  for (const name of names) {
    const hello = firstRecord(path.join(reports, name));
    if (hello && belongsToRun(hello.pid, reports)) out.push(hello);
  }
  return out;
}

/** A report file's first record: its hello, written when the process started. */
function firstRecord(file: string): Hello | null {
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, "r");
    const buffer = Buffer.alloc(16384);
    const n = fs.readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, n).toString("utf8");
    const end = text.indexOf("\n");
    const record = end < 0 ? null : parseRecord(text.slice(0, end));
    return record?.kind === "hello" ? record : null;
  } catch {
    return null;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/**
 * The process is alive and is one of this run (its environment names this run's report
 * folder): a pid that ended and was reused by another program is never signalled.
 */
function belongsToRun(pid: number, reports: string): boolean {
  if (process.platform !== "linux") return signalPid(pid, 0);
  try {
    const environ = fs.readFileSync(`/proc/${pid}/environ`);
    if (!environ.includes(`SPAWNSAFE_VERIFY_DIR=${reports}\0`)) return false;
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/**
 * Every live Python process of the run writes its threads' stacks (faulthandler, on the
 * signal its hello record names); waits until the dumps stop growing, at most 2 s.
 */
export async function dumpStacks(reports: string): Promise<void> {
  const targets = livePythons(reports).filter((h) => h.dumpSignal > 0 && h.stacks);
  for (const h of targets) signalPid(h.pid, h.dumpSignal);
  const sizes = new Map<string, number>();
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    await sleep(50);
    let settled = true;
    for (const h of targets) {
      let size = 0;
      try {
        size = fs.statSync(path.join(reports, h.stacks!)).size;
      } catch {
        size = 0;
      }
      if (size === 0 && signalPid(h.pid, 0)) settled = false;
      if (sizes.get(h.stacks!) !== size) settled = false;
      sizes.set(h.stacks!, size);
    }
    if (settled) return;
  }
}

/**
 * SIGTERM to the group, to the run's Python processes that left it and to every other
 * process of the run found outside it (`tracked`); SIGKILL after 1 s.
 */
async function terminate(pgid: number, reports: string, tracked: RunProcesses | null): Promise<void> {
  const strays = livePythons(reports).map((h) => h.pid);
  const others = (tracked?.alive() ?? []).filter((pid) => !strays.includes(pid));
  const stillOurs = (pid: number) => (strays.includes(pid) ? belongsToRun(pid, reports) : !!tracked?.same(pid));
  signalGroup(pgid, "SIGTERM");
  for (const pid of [...strays, ...others]) signalPid(pid, "SIGTERM");
  const deadline = Date.now() + 1000;
  while (Date.now() < deadline && (groupAlive(pgid) || [...strays, ...others].some(stillOurs))) await sleep(50);
  signalGroup(pgid, "SIGKILL");
  for (const pid of [...strays, ...others]) if (stillOurs(pid)) signalPid(pid, "SIGKILL");
}

function groupAlive(pgid: number): boolean {
  const members = groupMembers(pgid);
  if (members !== null) return members.length > 0;
  return signalGroup(pgid, 0);
}

/** Live (not zombie) processes of the group, read from /proc; null where there is no /proc. */
function groupMembers(pgid: number): number[] | null {
  if (process.platform !== "linux") return null;
  const out: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return null;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") out.push(Number(e));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

/**
 * After CMD ended: what it left running in its group or outside it (a Python process of
 * the run, or any process src/verify/processes.ts found) gets a moment to end on its own (a resource tracker sees its pipe
 * close), then is terminated, so verify never leaves anything running.
 */
async function endLeftovers(pgid: number, reports: string, tracked: RunProcesses | null): Promise<number> {
  const deadline = Date.now() + 1000;
  const remaining = () => [...new Set([...(groupMembers(pgid) ?? []), ...livePythons(reports).map((h) => h.pid), ...(tracked?.alive() ?? [])])];
  let left = remaining();
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(50);
    left = remaining();
  }
  if (left.length === 0) return 0;
  await terminate(pgid, reports, tracked);
  return left.length;
}
