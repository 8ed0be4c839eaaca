// The migration units `fix --verify` tries: what must switch together, applied whole or not at
// all. The engine is learning to name each finding's unit (Finding.unit); until it does, a
// unit is the unsafe fixes of one file. Everything else reads units through unitsOf() and
// treeFor(), so the engine's units replace these two and nothing more.
import type { Finding, FileResult } from "../engine";

export interface Unit {
  /** The engine's unit name; for now the display path of its file. */
  id: string;
  /** Display paths of the files the unit changes. */
  files: string[];
  /** The unsafe findings whose fixes make up the unit. */
  findings: Array<{ path: string; finding: Finding }>;
}

/** The unit a fixed unsafe finding belongs to: the engine's name for it, else its file. */
function unitOf(path: string, finding: Finding): string {
  return (finding as Finding & { unit?: string | null }).unit ?? path;
}

/** The units of a run made with every unsafe fix applied (--unsafe-fixes), in file order. */
export function unitsOf(results: FileResult[]): Unit[] {
  const units = new Map<string, Unit>();
  for (const r of results) {
    if (r.error || !r.output) continue;
    for (const finding of r.findings) {
      if (!finding.fixed || finding.applicability !== "unsafe") continue;
      const id = unitOf(r.path, finding);
      const unit = units.get(id) ?? { id, files: [], findings: [] };
      if (!unit.files.includes(r.path)) unit.files.push(r.path);
      unit.findings.push({ path: r.path, finding });
      units.set(id, unit);
    }
  }
  return [...units.values()];
}

/**
 * The bytes of each file that changes when the safe fixes and the given units are applied:
 * a file of a chosen unit gets the run with every unsafe fix (`unsafe`), any other file the
 * run with safe fixes only (`safe`). Exact while a unit is a whole file; once units span
 * parts of files, this becomes an engine run with Options.unsafeUnits.
 */
export function treeFor(units: Unit[], safe: FileResult[], unsafe: FileResult[]): Map<string, Buffer> {
  const chosen = new Set(units.flatMap((u) => u.files));
  const out = new Map<string, Buffer>();
  for (const r of unsafe) if (chosen.has(r.path) && r.output && !r.error) out.set(r.path, r.output);
  for (const r of safe) if (!chosen.has(r.path) && r.output && !r.error) out.set(r.path, r.output);
  return out;
}
