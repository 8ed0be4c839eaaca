// The machine-readable report. Its schema is schema/report.schema.json; bump `version`
// on any change that is not an addition.
import type { FileResult, Finding } from "../engine";
import type { Skip } from "../skips";
import { unifiedDiff } from "./diff";

export const JSON_REPORT_VERSION = 1;

/** fix refused to write (uncommitted changes in git, or git could not tell): why, and the files. */
export interface RefusedReport {
  reason: string;
  files: Array<{ path: string; state: string }>;
}

/** A finding in the document is the engine's own, field for field (schema/report.schema.json pins them). */
export type JsonFinding = Finding;

export interface JsonReport {
  version: number;
  command: "check" | "fix" | "verify";
  dryRun: boolean;
  summary: { files: number; changed: number; findings: number; fixed: number; errors: number; skipped: number };
  files: Array<{
    path: string;
    decision: { role: string; reason: string } | null;
    changed: boolean;
    findings: JsonFinding[];
    error: { message: string; line: number; column: number } | null;
    skipped: Skip[];
    diff?: string;
  }>;
  refused?: RefusedReport;
}

export interface ReportExtras {
  /** Include each changed file's diff (--dry-run, --show-fixes). */
  diffs: boolean;
  /** check --show-fixes: the results of a dry fix run, whose diffs are given per file. */
  fixes: FileResult[] | null;
  refused: RefusedReport | null;
  /** Errors of the run beyond its files' own: paths that could not be read, a summary file that could not be written. */
  runErrors?: number;
}

export function jsonReport(command: "check" | "fix" | "verify", dryRun: boolean, results: FileResult[], extras: ReportExtras = { diffs: dryRun, fixes: null, refused: null }): JsonReport {
  const fixes = new Map((extras.fixes ?? []).map((r) => [r.path, r]));
  const files = results.map((r) => {
    const diffOf = fixes.get(r.path) ?? (extras.diffs ? r : null);
    return {
      path: r.path,
      decision: r.decision,
      changed: r.output !== null,
      findings: r.findings,
      error: r.error,
      skipped: r.skipped ?? [],
      ...(diffOf?.output ? { diff: unifiedDiff(r.path, diffOf.before, diffOf.after) } : {}),
    };
  });
  return {
    version: JSON_REPORT_VERSION,
    command,
    dryRun,
    summary: {
      files: results.length,
      changed: results.filter((r) => r.output !== null).length,
      findings: results.reduce((n, r) => n + r.findings.filter((f) => !f.fixed).length, 0),
      fixed: results.reduce((n, r) => n + r.findings.filter((f) => f.fixed).length, 0),
      errors: results.filter((r) => r.error).length + (extras.runErrors ?? 0),
      skipped: results.reduce((n, r) => n + (r.skipped?.length ?? 0), 0),
    },
    files,
    ...(extras.refused ? { refused: extras.refused } : {}),
  };
}
