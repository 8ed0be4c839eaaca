// GitHub Actions workflow commands: each finding becomes an annotation on the pull request.
import type { FileResult } from "../engine";
import type { RefusedReport } from "./json";

/** Workflow-command escaping: data escapes %, CR, LF; properties also ':' and ','. */
function escapeData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export function githubAnnotation(
  level: "warning" | "error" | "notice",
  path: string,
  at: { line: number; column: number; endLine?: number; endColumn?: number },
  title: string,
  message: string,
): string {
  const props = [`file=${escapeProperty(path)}`, `line=${at.line}`, `col=${at.column}`];
  if (at.endLine !== undefined) props.push(`endLine=${at.endLine}`);
  if (at.endColumn !== undefined && at.endLine === at.line) props.push(`endColumn=${at.endColumn}`);
  props.push(`title=${escapeProperty(title)}`);
  return `::${level} ${props.join(",")}::${escapeData(message)}`;
}

/** Errors, findings left (warnings) and places left as they are (notices); a refusal first. */
export function githubReport(results: FileResult[], refused: RefusedReport | null): string[] {
  const lines: string[] = [];
  if (refused) lines.push(`::error title=spawnsafe::${escapeData(refused.reason)}`);
  for (const r of results) {
    if (r.error) lines.push(githubAnnotation("error", r.path, r.error, "spawnsafe", r.error.message));
    for (const f of r.findings.filter((f) => !f.fixed)) lines.push(githubAnnotation("warning", r.path, f, `${f.code} ${f.name}`, f.message));
    for (const s of r.skipped ?? []) lines.push(githubAnnotation("notice", r.path, s, "spawnsafe: left as it is", s.reason));
  }
  return lines;
}
