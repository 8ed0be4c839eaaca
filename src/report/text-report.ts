// The human report: findings as `path:line:col: CODE [mark] message`, and what `fix` changed,
// per file, and why; places left as they are.
import type { FileResult, Finding } from "../engine";
import { MARKS } from "./counts";

export interface Style {
  color: boolean;
}

const paint = (on: boolean, code: string, s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

/** `[*]` safe fix, `[-]` unsafe fix (only with --unsafe-fixes), nothing: no fix. */
function mark(f: Finding): string {
  return f.applicability ? ` ${MARKS[f.applicability]}` : "";
}

const CONTROL = /[\x00-\x1f\x7f]/;
const ESCAPES: Record<string, string> = { "\n": "\\n", "\t": "\\t", "\r": "\\r", '"': '\\"', "\\": "\\\\" };

/**
 * A path as a line of text may hold it: as it is, unless it has a control character (a
 * newline would cut a finding in two, an escape would talk to the terminal); then quoted as
 * git quotes it, `"x\ny.py"`, with C escapes and octal for the rest.
 */
export function quotedPath(path: string): string {
  if (!CONTROL.test(path)) return path;
  return `"${path.replace(/[\x00-\x1f\x7f"\\]/g, (c) => ESCAPES[c] ?? `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`)}"`;
}

export function findingLine(path: string, f: Finding, style: Style): string {
  const where = paint(style.color, "1", `${quotedPath(path)}:${f.line}:${f.column}:`);
  const code = paint(style.color, f.fixed ? "32" : "31", f.code);
  return `${where} ${code}${f.fixed ? " (fixed)" : mark(f)} ${f.message}`;
}

export function errorLine(result: FileResult, style: Style): string {
  const e = result.error!;
  return `${paint(style.color, "1", `${quotedPath(result.path)}:${e.line}:${e.column}:`)} ${paint(style.color, "31", "error:")} ${e.message}`;
}

/** `fix`'s account of one changed file: the decision and why, then each fix with its safety. */
export function fixSummary(result: FileResult, style: Style, dryRun: boolean): string[] {
  const fixed = result.findings.filter((f) => f.fixed);
  const verb = dryRun ? "would fix" : "fixed";
  const head = `${paint(style.color, "1", quotedPath(result.path))}: ${verb} ${fixed.length} (${decisionText(result)})`;
  return [head, ...fixed.map((f) => `  ${f.line}:${f.column} ${f.code}${mark(f)} ${f.message}`)];
}

/** `fix`'s account of a file it treated as an application or library but did not change. */
export function unchangedLine(result: FileResult, style: Style): string {
  return `${paint(style.color, "1", quotedPath(result.path))}: unchanged (${decisionText(result)})`;
}

/** The places of the file left as they are, under its account: `  9:5 note: left as it is: ...`. */
export function skipLines(result: FileResult): string[] {
  return (result.skipped ?? []).map((s) => `  ${s.line}:${s.column} note: ${s.reason}`);
}

/** The same, as `check` lists them among the findings: `path:9:5: note: left as it is: ...`. */
export function skipNotes(result: FileResult): string[] {
  return (result.skipped ?? []).map((s) => `${quotedPath(result.path)}:${s.line}:${s.column}: note: ${s.reason}`);
}

function decisionText(result: FileResult): string {
  if (!result.decision) return "";
  return `${result.decision.role === "app" ? "application" : result.decision.role}: ${result.decision.reason}`;
}
