// The machine-readable report. Its schema is schema/report.schema.json; bump `version`
// on any change that is not an addition.
import type { FileResult, Finding } from "../engine";
import { unifiedDiff } from "./diff";

export const JSON_REPORT_VERSION = 1;

export interface JsonReport {
  version: number;
  command: "check" | "fix" | "verify";
  dryRun: boolean;
  summary: { files: number; changed: number; findings: number; fixed: number; errors: number };
  files: Array<{
    path: string;
    decision: { role: string; reason: string } | null;
    changed: boolean;
    findings: Finding[];
    error: { message: string; line: number; column: number } | null;
    diff?: string;
  }>;
}

export function jsonReport(command: "check" | "fix" | "verify", dryRun: boolean, results: FileResult[]): JsonReport {
  const files = results.map((r) => ({
    path: r.path,
    decision: r.decision,
    changed: r.output !== null,
    findings: r.findings,
    error: r.error,
    ...(dryRun && r.output ? { diff: unifiedDiff(r.path, r.before, r.after) } : {}),
  }));
  return {
    version: JSON_REPORT_VERSION,
    command,
    dryRun,
    summary: {
      files: results.length,
      changed: results.filter((r) => r.output !== null).length,
      findings: results.reduce((n, r) => n + r.findings.filter((f) => !f.fixed).length, 0),
      fixed: results.reduce((n, r) => n + r.findings.filter((f) => f.fixed).length, 0),
      errors: results.filter((r) => r.error).length,
    },
    files,
  };
}
