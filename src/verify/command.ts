// `spawnsafe verify [--method M] [--timeout S] [--format F] [--select/--ignore CODES] [--baseline]
// [--exit-zero] [--quiet] -- CMD [ARGS...]`: run CMD with every Python process it starts on spawn
// (or forkserver), pass its output through, then report what the run showed, in the formats of
// `check` and JUnit XML. With --baseline, findings that a second run under the project's own
// start method shows too are not spawn problems: dropped, and counted.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { allRules } from "../../transforms/registry";
import type { FileResult } from "../engine";
import { evidenceLines, type EvidenceFinding } from "../report/evidence";
import { findingLine, type Style } from "../report/text-report";
import { jsonReport, type JsonReport } from "../report/json";
import { sarifReport } from "../report/sarif";
import { githubAnnotation } from "../report/github";
import { junitReport } from "../report/junit";
import { analyse, type LocatedFinding } from "./findings";
import { runCommand, type RunOutcome } from "./run-command";

export type Format = "text" | "json" | "sarif" | "github" | "junit";

export interface VerifyArgs {
  command: string[];
  method: "spawn" | "forkserver";
  timeout: number | null;
  format: Format;
  quiet: boolean;
  /** Write the report to this file instead of stdout (stdout then carries only CMD's output). */
  output: string | null;
  /** Code prefixes to report (null: every code); --select. */
  select: string[] | null;
  /** Code prefixes not to report; --ignore. */
  ignore: string[];
  /** Findings do not make verify fail: its status is CMD's. */
  exitZero: boolean;
  /** Run CMD a second time under its own start method; drop what that run shows too. */
  baseline: boolean;
}

export interface VerifyIO {
  out(text: string): void;
  err(text: string): void;
  style: Style;
  docs(name: string): string;
  version: string;
}

/** The exit status of `spawnsafe verify` for spawnsafe's own errors (as every command's). */
const USAGE = 2;

/** The name of a Python interpreter: python, python3, python3.12, pypy3, a pyenv shim of one. */
export function looksLikePython(program: string): boolean {
  return /^(python|pypy)(\d+(\.\d+)*)?[dmtw]*$/.test(path.basename(program));
}

/** The single-letter interpreter options before the script, -m or -c. */
export function pythonFlags(args: string[]): Set<string> {
  const letters = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "-m" || arg === "-c" || arg === "-" || arg === "--" || !arg.startsWith("-")) break;
    if (arg.startsWith("--")) continue;
    const body = arg.slice(1);
    for (let j = 0; j < body.length; j++) {
      const ch = body[j];
      if (ch === "W" || ch === "X") {
        if (j === body.length - 1) i++; // the value is the next argument
        break;
      }
      letters.add(ch);
      if (ch === "m" || ch === "c") return letters;
    }
  }
  return letters;
}

/** Why spawnsafe cannot get into CMD's own interpreter, or null. */
export function injectionProblem(command: string[]): string | null {
  if (!looksLikePython(command[0])) return null;
  const flags = pythonFlags(command.slice(1));
  const why: Array<[string, string]> = [
    ["I", "-I (isolated mode) ignores PYTHONPATH"],
    ["E", "-E ignores PYTHONPATH"],
    ["S", "-S does not import site, which loads spawnsafe"],
  ];
  for (const [letter, text] of why) {
    if (flags.has(letter)) return `${command[0]} ${text}, so spawnsafe cannot get into it; run the command without -${letter}`;
  }
  return null;
}

function shellText(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}

export async function verifyCommand(args: VerifyArgs, io: VerifyIO): Promise<number> {
  const problem = injectionProblem(args.command);
  if (problem) {
    io.err(`spawnsafe: ${problem}`);
    return USAGE;
  }
  const outcome = await runCommand({ command: args.command, method: args.method, timeout: args.timeout, cwd: process.cwd(), env: process.env });
  if (outcome.startError) {
    const missing = outcome.startError.code === "ENOENT";
    io.err(`spawnsafe: cannot run ${args.command[0]}: ${missing ? "command not found" : outcome.startError.message}`);
    return missing ? 127 : 126;
  }
  const cmd = shellText(args.command);
  const pythons = outcome.reports.filter((r) => r.hello);
  if (pythons.length === 0) {
    io.err(
      `spawnsafe: nothing was verified: no Python process of \`${cmd}\` reported to spawnsafe. Either it ran none, or they could not load spawnsafe: ` +
        "a frozen program (PyInstaller, Nuitka) does not read PYTHONPATH, and an interpreter run with -I, -E or -S, or given an environment without PYTHONPATH, ignores it",
    );
    return USAGE;
  }
  if (looksLikePython(args.command[0]) && !pythons.some((r) => r.hello!.pid === outcome.pid)) {
    io.err(`spawnsafe: \`${cmd}\` itself sent no report: spawnsafe could not get into it (a wrapper that resets PYTHONPATH?); only the processes it started were verified`);
  }
  const analysis = analyse(outcome.reports, { cwd: process.cwd(), topPid: outcome.pid, timedOutAfter: outcome.timedOut ? args.timeout : null });
  for (const note of analysis.notes) io.err(note);
  let findings = analysis.findings.filter((f) => selected(f.finding.code, args.select, args.ignore));
  let baseline: BaselineSummary | undefined;
  if (args.baseline) {
    const compared = await againstBaseline(args, findings);
    findings = compared.findings;
    baseline = compared.summary;
    if (!args.quiet && compared.summary) {
      const b = compared.summary;
      const ended = b.timedOut ? "was stopped by --timeout" : b.signal ? `was killed by ${b.signal}` : `exited ${b.exitStatus}`;
      io.err(`verify: baseline: \`${cmd}\` under its own start method ${ended}; ${b.alsoThere} finding${b.alsoThere === 1 ? "" : "s"} happen there too (not spawn problems): not counted`);
    }
  }
  if (outcome.stoppedByUser) io.err(`spawnsafe: interrupted twice: \`${cmd}\` and every process it started were terminated`);
  if (outcome.leftovers > 0 && !outcome.timedOut && !outcome.stoppedByUser) {
    io.err(`spawnsafe: ${outcome.leftovers} process${outcome.leftovers === 1 ? " was" : "es were"} still running after \`${cmd}\` ended: terminated`);
  }
  const summary: RunSummary = { command: args.command, method: args.method, exitStatus: outcome.status, signal: outcome.signal, timedOut: outcome.timedOut, pythonProcesses: pythons.length };
  if (baseline) summary.baseline = baseline;
  const report = renderReport(args.format, findings, summary, { ...io, style: args.output ? { color: false } : io.style }, outcome.seconds);
  if (args.output) fs.writeFileSync(args.output, report);
  else if (report) io.out(report);
  const status = exitStatus(outcome.status, outcome.signal);
  if (!args.quiet) {
    const n = findings.length;
    const ended = outcome.timedOut ? `was stopped after --timeout ${args.timeout} s` : outcome.signal ? `was killed by ${outcome.signal}` : `exited ${outcome.status}`;
    io.err(`verify: \`${cmd}\` ${ended}; ${pythons.length} Python process${pythons.length === 1 ? "" : "es"} under ${args.method}, ${n} finding${n === 1 ? "" : "s"} in ${outcome.seconds.toFixed(2)} s`);
  }
  if (findings.length > 0 && !args.exitZero) return 1;
  return status;
}

/** A code passes --select (a prefix of it, or ALL) and no --ignore prefix. */
export function selected(code: string, select: string[] | null, ignore: string[]): boolean {
  const matches = (prefix: string) => prefix === "ALL" || code.startsWith(prefix);
  return (select === null || select.some(matches)) && !ignore.some(matches);
}

/** How the baseline run went, for the report. */
export interface BaselineSummary {
  exitStatus: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Findings of the spawn run that the baseline run showed too: dropped. */
  alsoThere: number;
  /** Those findings, each marked by its code and place. */
  dropped: Array<{ code: string; path: string; line: number; column: number }>;
}

/**
 * Findings that record what the move changes (a fork kept, os.fork(), a read of the start
 * method) are spawn problems whatever the baseline shows; every other finding that the
 * baseline run shows at the same place is the program's own (a test that provokes a
 * pickling error on purpose) and is dropped.
 */
const ALWAYS_SPAWN_PROBLEMS = new Set(["SPS105", "SPS201", "SPS305"]);

function placeKey(f: LocatedFinding): string {
  return [f.finding.code, f.path, f.finding.line, f.finding.column].join("\0");
}

async function againstBaseline(args: VerifyArgs, findings: LocatedFinding[]): Promise<{ findings: LocatedFinding[]; summary?: BaselineSummary }> {
  // Nothing the baseline could take away: no second run.
  if (!findings.some((f) => !ALWAYS_SPAWN_PROBLEMS.has(f.finding.code))) return { findings };
  const outcome: RunOutcome = await runCommand({ command: args.command, method: "keep", timeout: args.timeout, cwd: process.cwd(), env: process.env, silent: true });
  const there = new Set(
    analyse(outcome.reports, { cwd: process.cwd(), topPid: outcome.pid, timedOutAfter: outcome.timedOut ? args.timeout : null }).findings.map(placeKey),
  );
  const kept = findings.filter((f) => ALWAYS_SPAWN_PROBLEMS.has(f.finding.code) || !there.has(placeKey(f)));
  const dropped = findings.filter((f) => !kept.includes(f)).map((f) => ({ code: f.finding.code, path: f.path, line: f.finding.line, column: f.finding.column }));
  return { findings: kept, summary: { exitStatus: outcome.status, signal: outcome.signal, timedOut: outcome.timedOut, alsoThere: dropped.length, dropped } };
}

function exitStatus(status: number | null, signal: NodeJS.Signals | null): number {
  if (status !== null) return status;
  if (signal) return 128 + (os.constants.signals[signal] ?? 0);
  return 1;
}

/** One file result per path, as `check` reports them. */
function fileResults(findings: LocatedFinding[]): FileResult[] {
  const byPath = new Map<string, EvidenceFinding[]>();
  for (const f of findings) byPath.set(f.path, [...(byPath.get(f.path) ?? []), f.finding]);
  return [...byPath].map(([p, list]) => ({ path: p, decision: null, findings: list, error: null, before: "", after: "", output: null, passes: 0 }));
}

/** How the run went, for the JSON report's `verify` object. */
export interface RunSummary {
  command: string[];
  method: "spawn" | "forkserver";
  exitStatus: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  pythonProcesses: number;
  /** --baseline: the run under the project's own start method (absent when it was not needed). */
  baseline?: BaselineSummary;
}

/** The report in one of check's formats; text is empty when nothing was found. */
export function renderReport(format: Format, findings: LocatedFinding[], run: RunSummary, io: Pick<VerifyIO, "style" | "docs" | "version">, seconds = 0): string {
  const results = fileResults(findings);
  switch (format) {
    case "json": {
      const report: JsonReport & { verify?: RunSummary } = jsonReport("verify", false, results);
      report.verify = run;
      return JSON.stringify(report, null, 2) + "\n";
    }
    case "sarif":
      return JSON.stringify(sarifReport(results, allRules, (r) => io.docs(r.name), io.version), null, 2) + "\n";
    case "github":
      return results
        .flatMap((r) =>
          (r.findings as EvidenceFinding[]).map((f) =>
            githubAnnotation("warning", r.path, f, `${f.code} ${f.name}`, [f.message, ...(f.evidence ? evidenceLines(f.evidence, "  ") : []), explainLine(f.code, "  ")].join("\n")),
          ),
        )
        .map((l) => l + "\n")
        .join("");
    case "text": {
      const lines: string[] = [];
      for (const r of results) {
        for (const f of r.findings as EvidenceFinding[]) {
          lines.push(findingLine(r.path, f, io.style));
          if (f.evidence) lines.push(...evidenceLines(f.evidence));
          lines.push(explainLine(f.code, "    "));
        }
      }
      return lines.length > 0 ? lines.join("\n") + "\n" : "";
    }
    case "junit":
      return junitReport(findings, { command: shellText(run.command), seconds, timestamp: new Date().toISOString().slice(0, 19) });
  }
}

/** The last line of a finding in text: where its documentation is. */
function explainLine(code: string, indent: string): string {
  return `${indent}see: spawnsafe explain ${code}`;
}
