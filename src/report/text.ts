// The human report: findings as `path:line:col: CODE message`, and what `fix` changed, per file.
import type { FileResult, Finding } from "../engine";

export interface Style {
  color: boolean;
}

const paint = (on: boolean, code: string, s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

export function findingLine(path: string, f: Finding, style: Style): string {
  const where = paint(style.color, "1", `${path}:${f.line}:${f.column}:`);
  const code = paint(style.color, f.fixed ? "32" : "31", f.code);
  const mark = f.fixed ? " (fixed)" : f.applicability === "safe" ? " [*]" : f.applicability === "unsafe" ? " [-]" : "";
  return `${where} ${code}${mark} ${f.message}`;
}

export function errorLine(result: FileResult, style: Style): string {
  const e = result.error!;
  return `${paint(style.color, "1", `${result.path}:${e.line}:${e.column}:`)} ${paint(style.color, "31", "error:")} ${e.message}`;
}

/** `fix`'s account of one changed file: the decision and why, then each fix. */
export function fixSummary(result: FileResult, style: Style, dryRun: boolean): string[] {
  const fixed = result.findings.filter((f) => f.fixed);
  const verb = dryRun ? "would fix" : "fixed";
  const head = `${paint(style.color, "1", result.path)}: ${verb} ${fixed.length} (${decisionText(result)})`;
  return [head, ...fixed.map((f) => `  ${f.line}:${f.column} ${f.code} ${f.message}`)];
}

/** `fix`'s account of a file it treated as an application or library but did not change. */
export function unchangedLine(result: FileResult, style: Style): string {
  return `${paint(style.color, "1", result.path)}: unchanged (${decisionText(result)})`;
}

function decisionText(result: FileResult): string {
  if (!result.decision) return "";
  return `${result.decision.role === "app" ? "application" : result.decision.role}: ${result.decision.reason}`;
}
