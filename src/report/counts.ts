// Counting a run's results, and saying the counts in words that count what they say: the
// summary line on stderr, the footer that tells what `fix` would do, and `--statistics`.
import type { FileResult } from "../engine";

export interface Counts {
  files: number;
  /** Files changed (or that would change). */
  changed: number;
  /** Findings fixed (or that would be). */
  fixed: number;
  /** Findings left unfixed, and among them those with a safe or an unsafe fix. */
  left: number;
  leftSafe: number;
  leftUnsafe: number;
  errors: number;
  /** Places left as they are because the program already chose a start method. */
  skipped: number;
}

export function counts(results: FileResult[], pathErrors = 0): Counts {
  const c: Counts = { files: results.length, changed: 0, fixed: 0, left: 0, leftSafe: 0, leftUnsafe: 0, errors: pathErrors, skipped: 0 };
  for (const r of results) {
    if (r.error) c.errors++;
    else if (r.output) c.changed++;
    c.skipped += r.skipped?.length ?? 0;
    for (const f of r.findings) {
      if (f.fixed) c.fixed++;
      else {
        c.left++;
        if (f.applicability === "safe") c.leftSafe++;
        if (f.applicability === "unsafe") c.leftUnsafe++;
      }
    }
  }
  return c;
}

/** `1 file`, `2 files`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/**
 * The last line on stderr. `check`: `12 files scanned, 3 findings, 1 error in 0.41 s`.
 * `fix`: `12 files scanned, 2 changed (3 findings fixed), 1 finding left, no errors in 0.41 s`;
 * with --dry-run the same in the conditional.
 */
export function summaryLine(command: "check" | "fix", dryRun: boolean, c: Counts, seconds: number): string {
  const parts = [`${plural(c.files, "file")} scanned`];
  if (command === "check") parts.push(plural(c.left, "finding"));
  else {
    const changed = dryRun ? `${c.changed} would change` : `${c.changed} changed`;
    const fixed = c.fixed > 0 ? ` (${plural(c.fixed, "finding")} ${dryRun ? "would be " : ""}fixed)` : "";
    parts.push(changed + fixed, `${plural(c.left, "finding")} left`);
  }
  parts.push(c.errors === 0 ? "no errors" : plural(c.errors, "error"));
  return `${parts.join(", ")} in ${seconds.toFixed(2)} s`;
}

/**
 * What `fix` would do about what is left, as ruff says it:
 * `5 findings, 3 fixable with `spawnsafe fix` (1 more with `--unsafe-fixes`)`.
 * Null when there is nothing to say (no findings left).
 */
export function footer(command: "check" | "fix", c: Counts, unsafeFixes: boolean): string | null {
  if (c.left === 0) return null;
  const head = command === "check" ? plural(c.left, "finding") : `${plural(c.left, "finding")} left`;
  // After fix, a safe fix left unapplied is one that could not be (its file was not written, or fixes overlapped).
  if (command === "fix") {
    return c.leftUnsafe > 0 && !unsafeFixes ? `${head}, ${c.leftUnsafe} fixable with \`spawnsafe fix --unsafe-fixes\`` : `${head}; \`spawnsafe explain CODE\` says what to do`;
  }
  const safe = unsafeFixes ? c.leftSafe + c.leftUnsafe : c.leftSafe;
  const unsafe = unsafeFixes ? 0 : c.leftUnsafe;
  const command_ = unsafeFixes ? "`spawnsafe fix --unsafe-fixes`" : "`spawnsafe fix`";
  if (safe > 0 && unsafe > 0) return `${head}, ${safe} fixable with ${command_} (${unsafe} more with \`--unsafe-fixes\`)`;
  if (safe > 0) return `${head}, ${safe} fixable with ${command_}`;
  if (unsafe > 0) return `${head}, ${unsafe} fixable with \`spawnsafe fix --unsafe-fixes\``;
  return `${head}, none fixable by spawnsafe; \`spawnsafe explain CODE\` says what to do`;
}

export interface Statistic {
  code: string;
  name: string;
  count: number;
  /** The fix of these findings: safe (`fix` applies it), unsafe (only with --unsafe-fixes), or none. */
  fix: "safe" | "unsafe" | "none";
}

/**
 * Findings left, counted by code and by their fix, most frequent first (as ruff's
 * --statistics): a code whose findings differ (some with a safe fix, some without) has a
 * row for each, so every row's mark is exact.
 */
export function statistics(results: FileResult[]): Statistic[] {
  const rows = new Map<string, Statistic>();
  for (const r of results) {
    for (const f of r.findings) {
      if (f.fixed) continue;
      const fix = f.applicability ?? "none";
      const key = `${f.code} ${fix}`;
      const row = rows.get(key) ?? { code: f.code, name: f.name, count: 0, fix };
      row.count++;
      rows.set(key, row);
    }
  }
  const order = { safe: 0, unsafe: 1, none: 2 };
  return [...rows.values()].sort((a, b) => b.count - a.count || a.code.localeCompare(b.code) || order[a.fix] - order[b.fix]);
}

export const MARKS = { safe: "[*]", unsafe: "[-]", none: "[ ]" } as const;

/** `  5\tSPS102\t[*] default-start-method`, the counts right-aligned. */
export function statisticsText(stats: Statistic[]): string[] {
  const width = Math.max(0, ...stats.map((s) => String(s.count).length));
  return stats.map((s) => `${String(s.count).padStart(width)}\t${s.code}\t${MARKS[s.fix]} ${s.name}`);
}
