// GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

/** Workflow-command escaping: data escapes %, CR, LF; properties also ':' and ','. */
function escapeData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export function githubAnnotation(
  level: "warning" | "error",
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
