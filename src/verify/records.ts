// What the Python processes of a run wrote: one JSON-lines file per process (the records of
// runtime/verify/_spawnsafe_verify.py) and, after a timeout, one faulthandler dump each.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseStackDump, type ThreadDump } from "./stacks";

/** u: the user's code; l: the standard library or an installed package; x: no file (<string>). */
export type FrameKind = "u" | "l" | "i" | "x";

export interface Frame {
  file: string;
  line: number;
  func: string;
  kind: FrameKind;
  /** 1-based column, end line and end column of the call, for the innermost user frame. */
  position?: [number, number, number];
}

export interface Hello {
  kind: "hello";
  pid: number;
  ppid: number;
  argv: string[];
  exe: string;
  version: string;
  cwd: string;
  /** The standard library's folder (os.py's). */
  stdlib: string;
  /** program, mp-child, forked, forkserver, resource-tracker */
  role: string;
  forked: boolean;
  dumpSignal: number;
  stacks: string | null;
}

export interface ThreadInfo {
  name: string;
  daemon: boolean;
  current: boolean;
  at: [string, number, string] | null;
}

/** Every record but hello may carry the pytest test that was running (PYTEST_CURRENT_TEST). */
interface Common {
  test?: string;
}

export interface ForkRecord extends Common {
  kind: "fork";
  pid: number;
  call: "os.fork" | "os.forkpty";
  /** From multiprocessing's fork start method (popen_fork), not a direct call. */
  mp: boolean;
  stack: Frame[];
  threads: ThreadInfo[];
  /** Where fork was chosen; the one that made this process fork (when known) is first, marked chosen. */
  origins: Array<{ how: string; stack: Frame[]; chosen?: boolean }>;
}

export interface PickleRecord extends Common {
  kind: "pickle";
  pid: number;
  /** start, Pool.map, ProcessPoolExecutor.submit, Queue.put, ... */
  via: string;
  method?: string;
  target: string | null;
  /** The root that failed: target, args, kwargs, initializer, initargs, func, iterable, fn, item, obj, self.x */
  root: string;
  /** The object that fails, as the user would write it: self.output_handle, args[1]. */
  path: string;
  type: string;
  repr: string;
  error: string;
  stack: Frame[];
}

export interface StartRecord extends Common {
  kind: "start";
  pid: number;
  child: number;
  method: string;
  token: string | null;
  target: string;
  /** A pool's or executor's worker: its pool ("pid:id" of the queue its tasks come through). */
  owner: string | null;
  stack: Frame[];
}

/** A simple value's repr; a container's size and a checksum of its contents (bounded); another object's type. */
export type ValueDescription = ["v", string, string] | ["n", string, number, number?] | ["t", string] | ["missing"];

export interface SnapshotRecord extends Common {
  kind: "snapshot" | "observed";
  pid: number;
  /**
   * Pairs a child's observation with the parent's snapshot: the process's start token, or
   * task:<owner>:<module>:<function> for a task (null in the child's record of a task).
   */
  token: string | null;
  /** observed, of a task: module:function, and the worker's own start token (its start record names its pool). */
  task?: string;
  worker?: string;
  /** observed: the names of os.environ the child's own code changed since it began. */
  envChanged?: string[];
  /** snapshot of a process: its start method. */
  method?: string;
  /** "module:name" (or "module:attr" of an imported project module) -> its description. */
  globals: Record<string, ValueDescription>;
  /** os.environ: name -> crc32 of the value (values are never written). */
  env: Record<string, number>;
  files: Record<string, string>;
  stores: string[];
  /** observed: globals the child's pool initializer assigns. */
  skip?: string[];
  stack?: Frame[];
  what?: "process" | "task";
}

export interface ChildFailureRecord extends Common {
  kind: "child-failure";
  pid: number;
  /** start: before the target ran (spawn._main); task: receiving a pool or executor task. */
  phase: "start" | "task";
  etype: string;
  error: string;
  /** The traceback, outermost first. */
  stack: Frame[];
  missing?: { name: string; module: string; file?: string; line?: number; col?: number; guarded?: boolean };
}

export interface NoteRecord extends Common {
  kind: "note";
  pid: number;
  what: "not-injected" | "not-forced";
  problem: string;
  argv?: string[];
  stack?: Frame[];
}

/** Code outside multiprocessing read the start method while it was verify's default, not the program's choice. */
export interface MethodReadRecord extends Common {
  kind: "method-read";
  pid: number;
  /** What get_start_method() returned (verify's default). */
  method: string;
  /** What the interpreter would have answered without verify (fork on Linux before 3.14). */
  native: string | null;
  stack: Frame[];
}

/** fix --verify: a line outside the standard library chose spawn or forkserver (get_context, set_start_method) as it ran. */
export interface SiteRecord extends Common {
  kind: "site";
  pid: number;
  how: string;
  file: string;
  line: number;
}

/** fix --verify over pytest: one phase of one test, from runtime/verify/_spawnsafe_pytest.py. */
export interface TestRecord extends Common {
  kind: "test";
  pid: number;
  nodeid: string;
  when: "setup" | "call" | "teardown";
  outcome: "passed" | "failed" | "skipped";
  /** A failed phase: pytest's one-line summary of the error. */
  message?: string;
}

export type VerifyRecord = Hello | SiteRecord | TestRecord | MethodReadRecord | ForkRecord | PickleRecord | StartRecord | SnapshotRecord | ChildFailureRecord | NoteRecord;

export interface ProcessReport {
  hello: Hello | null;
  records: VerifyRecord[];
  /** The faulthandler dump written at --timeout, when there was one. */
  dump: ThreadDump[] | null;
  /** The file stem, p<pid>-<random>. */
  stem: string;
}

type RawFrame = [string, number, string, FrameKind, [number, number, number]?];

function frames(raw: unknown): Frame[] {
  if (!Array.isArray(raw)) return [];
  return (raw as RawFrame[]).map(([file, line, func, kind, position]) => ({ file, line, func, kind, ...(position ? { position } : {}) }));
}

/** One line of a report file, its stacks turned into frames; null for a line cut short by a kill. */
export function parseRecord(line: string): VerifyRecord | null {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  if (!raw || typeof raw !== "object" || typeof raw.kind !== "string") return null;
  if ("stack" in raw) raw.stack = frames(raw.stack);
  if (raw.kind === "fork" && Array.isArray(raw.origins)) {
    raw.origins = (raw.origins as Array<Record<string, unknown>>).map((o) => ({ how: String(o.how), stack: frames(o.stack), ...(o.chosen ? { chosen: true } : {}) }));
  }
  return raw as unknown as VerifyRecord;
}

/** Every process's report in the folder, in the order the processes started (by file time). */
export function readReports(dir: string): ProcessReport[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: ProcessReport[] = [];
  for (const name of names.filter((n) => n.endsWith(".jsonl")).sort()) {
    const stem = name.slice(0, -".jsonl".length);
    const records = readRecords(path.join(dir, name));
    const hello = (records.find((r) => r.kind === "hello") as Hello | undefined) ?? null;
    let dump: ThreadDump[] | null = null;
    const stacksFile = path.join(dir, `${stem}.stacks`);
    try {
      const text = fs.readFileSync(stacksFile, "utf8");
      if (text.trim()) dump = parseStackDump(text, hello?.cwd ?? null);
    } catch {
      // no dump: not asked for, or the process was gone
    }
    out.push({ hello, records, dump, stem });
  }
  return out;
}

export function readRecords(file: string): VerifyRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const records: VerifyRecord[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    const r = parseRecord(line);
    if (r) records.push(r);
  }
  return records;
}
