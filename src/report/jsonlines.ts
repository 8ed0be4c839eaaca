// --output-format json-lines: one JSON object a line, for consumers that read a line at a
// time (log pipelines, `jq -c`, a script that stops at the first error). Every object has
// a `type`: "finding" (each finding, `fixed` after fix), "error" (a file that could not be
// processed), "skipped" (a place left as it is, and why), "changed" (a file fix changed, or
// would, with its diff when there is one), "refused" (fix wrote nothing: uncommitted
// changes), then one "summary" last.
import type { FileResult } from "../engine";
import type { ReportExtras } from "./json";
import type { Counts } from "./counts";
import { unifiedDiff } from "./diff";

export function jsonLines(command: "check" | "fix", dryRun: boolean, results: FileResult[], extras: ReportExtras & { counts: Counts }): string[] {
  const lines: string[] = [];
  const emit = (record: object) => lines.push(JSON.stringify(record));
  const fixes = new Map((extras.fixes ?? []).map((r) => [r.path, r]));
  for (const r of results) {
    if (r.error) emit({ type: "error", path: r.path, ...r.error });
    const diffOf = fixes.get(r.path) ?? (extras.diffs ? r : null);
    if (r.output || diffOf?.output) {
      emit({ type: "changed", path: r.path, decision: r.decision, wouldChange: !r.output || dryRun, ...(diffOf?.output ? { diff: unifiedDiff(r.path, diffOf.before, diffOf.after) } : {}) });
    }
    for (const f of r.findings) emit({ type: "finding", path: r.path, ...f });
    for (const s of r.skipped ?? []) emit({ type: "skipped", path: r.path, ...s });
  }
  if (extras.refused) emit({ type: "refused", ...extras.refused });
  const c = extras.counts;
  emit({ type: "summary", command, dryRun, files: c.files, changed: c.changed, fixed: c.fixed, findings: c.left, errors: c.errors, skipped: c.skipped });
  return lines;
}
