// `spawnsafe verify [--method M] [--timeout S] [--format F] [--quiet] -- CMD [ARGS...]`:
// run CMD with every Python process it starts on spawn (or forkserver), pass its output
// through, then report what the run showed, in the formats of `check`.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { allRules } from "../../transforms";
import type { FileResult } from "../engine";
import { evidenceLines, type EvidenceFinding } from "../report/evidence";
import { findingLine, type Style } from "../report/text";
import { jsonReport, type JsonReport } from "../report/json";
import { sarifReport } from "../report/sarif";
import { githubAnnotation } from "../report/github";
import { analyse, type LocatedFinding } from "./findings";
import { runCommand } from "./run";

export type Format = "text" | "json" | "sarif" | "github";

export interface VerifyArgs {
  command: string[];
  method: "spawn" | "forkserver";
  timeout: number | null;
  format: Format;
  quiet: boolean;
  /** Write the report to this file instead of stdout (stdout then carries only CMD's output). */
  output: string | null;
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
  if (outcome.stoppedByUser) io.err(`spawnsafe: interrupted twice: \`${cmd}\` and every process it started were terminated`);
  if (outcome.leftovers > 0 && !outcome.timedOut && !outcome.stoppedByUser) {
    io.err(`spawnsafe: ${outcome.leftovers} process${outcome.leftovers === 1 ? " was" : "es were"} still running after \`${cmd}\` ended: terminated`);
  }
  const report = renderReport(
    args.format,
    analysis.findings,
    { command: args.command, method: args.method, exitStatus: outcome.status, signal: outcome.signal, timedOut: outcome.timedOut, pythonProcesses: pythons.length },
    { ...io, style: args.output ? { color: false } : io.style },
  );
  if (args.output) fs.writeFileSync(args.output, report);
  else if (report) io.out(report);
  const status = exitStatus(outcome.status, outcome.signal);
  if (!args.quiet) {
    const n = analysis.findings.length;
    const ended = outcome.timedOut ? `was stopped after --timeout ${args.timeout} s` : outcome.signal ? `was killed by ${outcome.signal}` : `exited ${outcome.status}`;
    io.err(`verify: \`${cmd}\` ${ended}; ${pythons.length} Python process${pythons.length === 1 ? "" : "es"} under ${args.method}, ${n} finding${n === 1 ? "" : "s"} in ${outcome.seconds.toFixed(2)} s`);
  }
  if (analysis.findings.length > 0) return 1;
  return status;
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
}

/** The report in one of check's formats; text is empty when nothing was found. */
export function renderReport(format: Format, findings: LocatedFinding[], run: RunSummary, io: Pick<VerifyIO, "style" | "docs" | "version">): string {
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
            githubAnnotation("warning", r.path, f, `${f.code} ${f.name}`, [f.message, ...(f.evidence ? evidenceLines(f.evidence, "  ") : [])].join("\n")),
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
        }
      }
      return lines.length > 0 ? lines.join("\n") + "\n" : "";
    }
  }
}
