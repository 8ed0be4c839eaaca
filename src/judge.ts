// CPython is the judge of every rewrite. tree-sitter's grammar is more forgiving than
// CPython's (it reads Python 2's `print "x"`, a misplaced `from __future__`, nesting CPython
// refuses) and misses a few forms CPython accepts, so a re-parse by tree-sitter proves little.
// Before anything is written, one python3 process per run compiles, as CPython reads them
// (encoding cookie, BOM, line endings), the bytes of every file a fix would write and of its
// original, and the files tree-sitter could not parse:
//
// - an original CPython rejects is a broken file: reported with CPython's message and
//   position, and left alone;
// - a rewrite CPython rejects (its original compiles) is a spawnsafe bug: reported with
//   CPython's message, and not written;
// - a file tree-sitter could not parse but CPython compiles is not called a syntax error:
//   spawnsafe's parser cannot read a construct there, and the file is left alone.
//
// compile() runs nothing of the file. Without python3 (or $SPAWNSAFE_PYTHON), the run says so
// once and goes on with tree-sitter's verdicts.
import { spawn } from "node:child_process";
import * as os from "node:os";
import type { FileResult } from "./engine";
import type { Tree } from "./parse";
import { WordIndex } from "./python/words";

/** One file for CPython: `path` names it in CPython's messages; `bytes` is what is compiled. */
export interface Source {
  path: string;
  bytes: Buffer;
}

export type Verdict =
  | { accepted: true }
  | {
      accepted: false;
      /** The exception: SyntaxError, IndentationError, TabError, ValueError, RecursionError, ... */
      kind: string;
      message: string;
      /** 1-based; 0 when CPython names no place (a decoding error). */
      line: number;
      column: number;
    };

export type Judgement = { version: string; verdicts: Verdict[] } | { unavailable: string };

/** The interpreter that judges: $SPAWNSAFE_PYTHON, else python3 from PATH. */
export function pythonCommand(): string {
  return process.env.SPAWNSAFE_PYTHON || "python3";
}

/**
 * Reads `[{path, source (base64)}, ...]` on stdin; writes its version, then one verdict per
 * file, each on its own line as soon as it is known, so that a crash of the interpreter on
 * one file (deep nesting can overflow its C stack) costs only that file's verdict.
 * Warnings are ignored: a SyntaxWarning is not an error.
 */
const JUDGE_SCRIPT = String.raw`
import base64, json, sys, warnings
warnings.simplefilter("ignore")
def verdict(path, source):
    try:
        compile(source, path, "exec", dont_inherit=True)
        return {"accepted": True}
    except SyntaxError as e:
        return {"accepted": False, "kind": type(e).__name__, "message": str(e.msg if e.msg is not None else e), "line": e.lineno or 0, "column": e.offset or 0}
    except RecursionError:
        return {"accepted": False, "kind": "RecursionError", "message": "too deeply nested: the compiler ran out of stack", "line": 0, "column": 0}
    except MemoryError:
        return {"accepted": False, "kind": "MemoryError", "message": "too deeply nested or too large: the compiler ran out of memory", "line": 0, "column": 0}
    except Exception as e:
        return {"accepted": False, "kind": type(e).__name__, "message": str(e), "line": 0, "column": 0}
files = json.load(sys.stdin)
out = sys.stdout
out.write(json.dumps("%d.%d.%d" % sys.version_info[:3]) + "\n")
out.flush()
for f in files:
    out.write(json.dumps(verdict(f["path"], base64.b64decode(f["source"]))) + "\n")
    out.flush()
`;

/**
 * The judge of a run: one interpreter process, which may be started early (`prestart`) so
 * that its start-up (a pyenv shim alone takes half a second) overlaps the analysis.
 */
export class Judge {
  private early: Interpreter | null;
  /** Interpreters compiling sources handed over before the analysis ended (prejudge), and their verdicts by the sources' bytes. */
  private readonly ahead: Interpreter[] = [];
  private readonly prejudged = new Map<Buffer, Promise<{ version: string; verdict: Verdict } | null>>();

  constructor(readonly python = pythonCommand(), prestart = false) {
    this.early = prestart ? startInterpreter(python) : null;
  }

  /**
   * Compiles every source with CPython, in one process (another one only if the interpreter
   * dies on a file: that file is then rejected, and a new process goes on from the next).
   * Never rejects: an interpreter that cannot be run is `{ unavailable: why }`.
   */
  async judge(sources: Source[]): Promise<Judgement> {
    const verdicts: Verdict[] = [];
    let version: string | null = null;
    while (verdicts.length < sources.length) {
      const interpreter = this.early ?? startInterpreter(this.python);
      this.early = null;
      const answer = await interpreter.send(sources.slice(verdicts.length));
      // Could not start, or died before saying anything: no judge for this run.
      if (answer.version === null) return { unavailable: answer.failure ?? `${this.python} gave no answer` };
      version ??= answer.version;
      verdicts.push(...answer.verdicts);
      // Started, then died on a file: that file is the one it could not judge; the rest go to a new process.
      if (answer.failure !== null && verdicts.length < sources.length) {
        verdicts.push({ accepted: false, kind: "crash", message: `the interpreter died compiling it (${answer.failure})`, line: 0, column: 0 });
      }
    }
    this.early?.dispose();
    this.early = null;
    return { version: version ?? "", verdicts };
  }

  /**
   * Starts compiling `sources` now, in an interpreter of their own, so that CPython reads a
   * file while spawnsafe analyses it; judgeResults takes the verdict of the same bytes from
   * here. A source whose verdict is not had (the interpreter died or is missing) is compiled then.
   */
  prejudge(sources: Source[]): void {
    if (sources.length === 0) return;
    const interpreter = startInterpreter(this.python);
    this.ahead.push(interpreter);
    const answer = interpreter.send(sources);
    sources.forEach((s, k) =>
      this.prejudged.set(
        s.bytes,
        answer.then((a) => (a.version !== null && k < a.verdicts.length ? { version: a.version, verdict: a.verdicts[k] } : null)),
      ),
    );
  }

  /** Whether `bytes` were handed to prejudge(). */
  isPrejudged(bytes: Buffer): boolean {
    return this.prejudged.has(bytes);
  }

  /** The verdict on `bytes` when they were handed to prejudge() and it was had. */
  async prejudgedVerdict(bytes: Buffer): Promise<{ version: string; verdict: Verdict } | null> {
    return (await this.prejudged.get(bytes)) ?? null;
  }

  /** Ends an interpreter started early and never used, and those still compiling ahead. */
  dispose(): void {
    this.early?.dispose();
    this.early = null;
    for (const interpreter of this.ahead.splice(0)) interpreter.dispose();
  }
}

/** Compiles `sources` with CPython in one process (see Judge). */
export function judge(sources: Source[], python = pythonCommand()): Promise<Judgement> {
  return new Judge(python).judge(sources);
}

/** What one interpreter process said: its version (null if it said nothing), verdicts in order, and why it stopped early. */
interface Answer {
  version: string | null;
  verdicts: Verdict[];
  failure: string | null;
}

interface Interpreter {
  /** Sends the sources (once) and waits for the process to answer and exit. */
  send(sources: Source[]): Promise<Answer>;
  dispose(): void;
}

function startInterpreter(python: string): Interpreter {
  // -I: no PYTHON* variables, no user site; -S: no site module (no .pth code, faster start).
  const child = spawn(python, ["-I", "-S", "-c", JUDGE_SCRIPT], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let spawnError: NodeJS.ErrnoException | null = null;
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  child.on("error", (e: NodeJS.ErrnoException) => (spawnError = e));
  // The interpreter may exit before reading it all (a wrong binary): that is told by its exit.
  child.stdin.on("error", () => {});
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  const send = async (sources: Source[]): Promise<Answer> => {
    child.stdin.end(JSON.stringify(sources.map((s) => ({ path: s.path, source: s.bytes.toString("base64") }))));
    const { code, signal } = await closed;
    const lines = out.split("\n").filter((l) => l.length > 0);
    let version: string | null = null;
    const verdicts: Verdict[] = [];
    try {
      const first = lines.length > 0 ? JSON.parse(lines[0]) : null;
      if (typeof first === "string" && /^\d+\.\d+/.test(first)) version = first;
      for (const line of lines.slice(1)) verdicts.push(JSON.parse(line) as Verdict);
    } catch {
      // A partial last line: the verdicts read so far stand.
    }
    if (version !== null && verdicts.length === sources.length) return { version, verdicts, failure: null };
    const e: NodeJS.ErrnoException | null = spawnError;
    const failure = e
      ? e.code === "ENOENT"
        ? `${python} not found`
        : `${python} could not be run (${e.code ?? e.message})`
      : `${python} ${signal ? `was killed by ${signal}` : `exited with status ${code}`}${lastLine(err)}`;
    return { version, verdicts: verdicts.slice(0, sources.length), failure };
  };
  return {
    send,
    dispose: () => {
      child.kill();
    },
  };
}

function lastLine(text: string): string {
  const line = text.trim().split("\n").pop();
  return line ? `: ${line}` : "";
}

/** How CPython's verdict reads in a report: "SyntaxError: invalid syntax" is a "syntax error: invalid syntax". */
function describe(v: Extract<Verdict, { accepted: false }>, version: string): string {
  const label = v.kind === "SyntaxError" ? "syntax error" : v.kind === "IndentationError" ? "indentation error" : v.kind === "TabError" ? "tab error" : v.kind;
  return `${label}: ${v.message} (CPython ${shortVersion(version)})`;
}

function shortVersion(version: string): string {
  return version.split(".").slice(0, 2).join(".");
}

/** What a run hands the judge: each file's result and the bytes it was read from. */
export interface Judged {
  result: FileResult;
  original: Buffer;
}

/**
 * Puts CPython's verdicts into the results of a run, before anything is written: the files
 * a fix would rewrite (their originals and rewrites), the files tree-sitter could not parse
 * and those a fix went wrong on (their originals: CPython may reject them). Returns a notice for stderr when CPython could not be asked (once per run), else null.
 *
 * An original handed to judge.prejudge() is not compiled again. A large rewrite whose tree
 * `treeOf` gives is compiled as its changed statements only (sparseRewrite), the rest of it
 * being its original's, which CPython compiles whole: the whole rewrite is compiled only when
 * that part is rejected, and its verdict stands.
 */
export async function judgeResults(files: Judged[], judge = new Judge(), treeOf?: (text: string) => Tree | undefined): Promise<string | null> {
  const asked: Array<{ file: Judged; rewrite: boolean }> = [];
  for (const file of files) {
    const { result } = file;
    if (result.askCPython) asked.push({ file, rewrite: false });
    else if (result.output && !result.error) asked.push({ file, rewrite: false }, { file, rewrite: true });
  }
  if (asked.length === 0) {
    judge.dispose();
    return null;
  }
  const sparse = asked.map(({ file, rewrite }) => (rewrite && treeOf ? sparseRewrite(file.result.before, file.result.after, file.result.output!, treeOf(file.result.after)) : null));
  const unavailable = (why: string) => {
    judge.dispose();
    for (const { file } of asked) delete file.result.askCPython;
    return `spawnsafe: CPython was not asked to check the files (${why}): rewrites were checked by spawnsafe's own parser only. Set SPAWNSAFE_PYTHON to a python3 interpreter.`;
  };
  const bytesOf = (k: number) => sparse[k] ?? (asked[k].rewrite ? asked[k].file.result.output! : asked[k].file.original);
  const verdicts: Verdict[] = new Array(asked.length);
  let version = "";
  // The rewrites (and the originals not handed to prejudge) are compiled while CPython may still be compiling those originals.
  const sent = asked.map((_, k) => k).filter((k) => asked[k].rewrite || !judge.isPrejudged(asked[k].file.original));
  const [answer, early] = await Promise.all([
    sent.length > 0 ? judgeSplit(sent.map((k) => ({ path: asked[k].file.result.path, bytes: bytesOf(k) })), judge) : null,
    Promise.all(asked.map(({ file, rewrite }) => (rewrite || !judge.isPrejudged(file.original) ? null : judge.prejudgedVerdict(file.original)))),
  ]);
  if (answer && "unavailable" in answer) return unavailable(answer.unavailable);
  early.forEach((e, k) => {
    if (e) [verdicts[k], version] = [e.verdict, e.version];
  });
  if (answer) {
    version = answer.version;
    sent.forEach((k, n) => (verdicts[k] = answer.verdicts[n]));
  }
  // An original whose early verdict was not had (its interpreter died or is missing): compiled now.
  const late = asked.map((_, k) => k).filter((k) => !verdicts[k]);
  if (late.length > 0) {
    const again = await judgeSplit(late.map((k) => ({ path: asked[k].file.result.path, bytes: bytesOf(k) })), new Judge(judge.python));
    if ("unavailable" in again) return unavailable(again.unavailable);
    version = again.version;
    late.forEach((k, n) => (verdicts[k] = again.verdicts[n]));
  }
  // A rejected part of a rewrite whose original CPython accepts: the whole rewrite is CPython's to judge.
  const whole = sent.filter((k) => sparse[k] && !verdicts[k].accepted && verdicts[k - 1].accepted);
  if (whole.length > 0) {
    const answer = await judgeSplit(whole.map((k) => ({ path: asked[k].file.result.path, bytes: asked[k].file.result.output! })), new Judge(judge.python));
    if ("unavailable" in answer) return unavailable(answer.unavailable);
    whole.forEach((k, n) => (verdicts[k] = answer.verdicts[n]));
  }
  judge.dispose();
  asked.forEach(({ file, rewrite }, k) => {
    const verdict = verdicts[k];
    const { result } = file;
    if (!rewrite) {
      if (!verdict.accepted) rejectedOriginal(result, verdict, version);
      else if (result.askCPython === "unparsed") parserGap(result, version);
      delete result.askCPython;
      return;
    }
    // The original was judged just before: a rejected original is already an error.
    if (!verdict.accepted && !result.error) rejectedRewrite(result, verdict, version);
  });
  return null;
}

/** Below this many bytes, a rewrite is compiled whole: cutting it saves less than a millisecond or two. */
export const SPARSE_BYTES = 256 << 10;

/**
 * A large rewrite as CPython needs to see it when its original compiles: its top-level
 * statements that hold a change (and those beside them, and every statement up to the last
 * `from __future__` import), each on its own lines, every other line left empty (but the
 * first after kept ones, which holds `pass`), so that a message points where it would in the
 * whole file. A changed line is kept even where tree-sitter sees no statement. A module compiles when each of its
 * top-level statements does, but for two things that reach across them, module-level
 * `global`/`nonlocal` statements and the future imports: a text with the first is compiled
 * whole, and the second are kept. The statements are tree-sitter's (the rewrite parsed
 * without error); where CPython would cut them otherwise, the part compiled is cut short
 * and rejected, and the whole rewrite is compiled. Null (compiled whole) for a small file,
 * a file not in UTF-8, one with a lone CR, or without its tree.
 */
export function sparseRewrite(before: string, after: string, output: Buffer, tree: Tree | undefined): Buffer | null {
  if (!tree || output.length < SPARSE_BYTES || /\r(?!\n)/.test(after)) return null;
  const bom = output[0] === 0xef && output[1] === 0xbb && output[2] === 0xbf;
  const body = Buffer.from(after, "utf8");
  if (!(bom ? output.subarray(3) : output).equals(body)) return null;
  const root = tree.rootNode;
  // A global or nonlocal statement outside every function and class (in the module's own scope, at
  // its top level or in an `if` there) is checked against the whole module's uses of its names.
  // Each starts with its keyword: found by a search of the text, not a walk of the whole tree.
  const words = new WordIndex(after);
  for (const keyword of ["global", "nonlocal"]) {
    for (const at of words.positions(keyword)) {
      const token = root.descendantForIndex(at, at + keyword.length);
      if (token.type !== keyword || token.parent?.type !== `${keyword}_statement`) continue;
      let scope = token.parent.parent;
      while (scope && scope.type !== "function_definition" && scope.type !== "class_definition") scope = scope.parent;
      if (!scope) return null;
    }
  }
  const kept: Array<[number, number]> = [];
  /** Keeps the top-level statement at `row` (if the row is in one) and those beside it. */
  const keepAt = (row: number) => {
    let node: typeof root | null = root.descendantForPosition({ row, column: 0 });
    while (node && node.parent && node.parent.id !== root.id) node = node.parent;
    // A changed row is compiled as it is, even where tree-sitter sees no statement (it reads some text CPython rejects).
    kept.push([row, row]);
    if (!node || node.id === root.id) return;
    for (const n of [node.previousSibling, node, node.nextSibling]) {
      if (n) kept.push([n.startPosition.row, n.endPosition.column === 0 && n.endPosition.row > n.startPosition.row ? n.endPosition.row - 1 : n.endPosition.row]);
    }
  };
  // The rows of the rewrite that its original does not have, and those around each removal.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { diffLines } = require("diff") as typeof import("diff");
  // The lines both share at their start and end are not diffed (most of a large file).
  let head = 0;
  const most = Math.min(before.length, after.length);
  while (head < most && before.charCodeAt(head) === after.charCodeAt(head)) head++;
  head = after.lastIndexOf("\n", head - 1) + 1;
  let tail = 0;
  while (tail < most - head && before.charCodeAt(before.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)) tail++;
  const cut = after.indexOf("\n", after.length - tail - 1);
  tail = cut < 0 ? 0 : after.length - cut - 1;
  let row = rowOf(after, head);
  for (const part of diffLines(before.slice(head, before.length - tail), after.slice(head, after.length - tail))) {
    const lines = part.count ?? 0;
    if (part.added) for (let r = row; r < row + lines; r++) if (!kept.some(([a, b]) => a <= r && r <= b)) keepAt(r);
    if (part.removed) [row - 1, row].forEach((r) => r >= 0 && keepAt(r));
    if (!part.removed) row += lines;
  }
  const future = after.lastIndexOf("__future__");
  if (future >= 0) {
    const at = kept.length;
    keepAt(rowOf(after, future));
    if (kept.length === at) return null;
    kept.push([0, Math.max(...kept.slice(at).map(([, b]) => b))]);
  }
  const keep = new Uint8Array(rowOf(after, after.length) + 1);
  for (const [a, b] of kept) keep.fill(1, a, b + 1);
  const out: string[] = [bom ? "\ufeff" : ""];
  for (let start = 0, r = 0; start < after.length; r++) {
    const newline = after.indexOf("\n", start);
    const end = newline < 0 ? after.length : newline + 1;
    // The first line left out after kept ones holds `pass`: it ends their indented blocks, as the statement left
    // out did, so that a kept line after it is not read as one more line of them.
    out.push(keep[r] ? after.slice(start, end) : newline < 0 ? "" : r > 0 && keep[r - 1] ? "pass\n" : "\n");
    start = end;
  }
  return Buffer.from(out.join(""), "utf8");
}

/** The row (0-based) of a character of a text without lone CRs. */
function rowOf(text: string, index: number): number {
  let row = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < index; i = text.indexOf("\n", i + 1)) row++;
  return row;
}

/** Below this many bytes to compile, a second interpreter's start costs more than it saves. */
const SPLIT_BYTES = 1 << 20;

/**
 * Judges `sources` with two interpreters side by side when there is a second core and enough
 * to compile: an original and its rewrite are compiled at once, not one after the other
 * (CPython compiles a large module more slowly than spawnsafe analyses it). The verdicts are
 * the same, in the same order.
 */
async function judgeSplit(sources: Source[], judge: Judge): Promise<Judgement> {
  const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  const total = sources.reduce((n, s) => n + s.bytes.length, 0);
  if (sources.length < 2 || cores < 2 || total < SPLIT_BYTES) return judge.judge(sources);
  // Largest first, each to the lighter of the two.
  const groups: number[][] = [[], []];
  const sizes = [0, 0];
  for (const i of sources.map((_, i) => i).sort((a, b) => sources[b].bytes.length - sources[a].bytes.length)) {
    const g = sizes[0] <= sizes[1] ? 0 : 1;
    groups[g].push(i);
    sizes[g] += sources[i].bytes.length;
  }
  const answers = await Promise.all([judge, new Judge(judge.python)].map((j, g) => j.judge(groups[g].map((i) => sources[i]))));
  for (const answer of answers) if ("unavailable" in answer) return answer;
  const verdicts: Verdict[] = new Array(sources.length);
  answers.forEach((answer, g) => groups[g].forEach((i, k) => (verdicts[i] = (answer as { verdicts: Verdict[] }).verdicts[k])));
  return { version: (answers[0] as { version: string }).version, verdicts };
}

/** tree-sitter's grammar misses a form CPython accepts: not a syntax error, but nothing can be done with the file. */
function parserGap(result: FileResult, version: string): void {
  const at = result.error!;
  result.error = {
    message: `spawnsafe's parser cannot read the construct at ${at.line}:${at.column} (CPython ${shortVersion(version)} accepts the file); file left untouched`,
    line: at.line,
    column: at.column,
  };
}

/** A file CPython itself rejects is an error, left alone: its findings are dropped, as for any syntax error. */
function rejectedOriginal(result: FileResult, verdict: Extract<Verdict, { accepted: false }>, version: string): void {
  result.error = { message: `${describe(verdict, version)}; file left untouched`, line: Math.max(1, verdict.line), column: Math.max(1, verdict.column) };
  result.findings = [];
  result.output = null;
  result.after = result.before;
}

/** A rewrite CPython rejects is a spawnsafe bug: not written, the findings stay, unfixed. */
function rejectedRewrite(result: FileResult, verdict: Extract<Verdict, { accepted: false }>, version: string): void {
  const codes = [...new Set(result.findings.filter((f) => f.fixed).map((f) => f.code))].join(", ");
  const where = verdict.line > 0 ? ` at line ${verdict.line}:${Math.max(1, verdict.column)} of the rewrite` : "";
  result.error = {
    message: `a fix (${codes}) produced code that CPython rejects (a spawnsafe bug, please report it): ${describe(verdict, version)}${where}; file left untouched`,
    line: 1,
    column: 1,
  };
  result.output = null;
  result.after = result.before;
  result.findings = result.findings.map((f) => ({ ...f, fixed: false }));
}
