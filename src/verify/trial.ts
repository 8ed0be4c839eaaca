// `spawnsafe fix --verify [--timeout S] [paths..] -- CMD [ARGS...]`: the user's own command
// proves what static analysis could not. CMD runs once on the project as it is (the baseline:
// its exit status and, under pytest, every test's outcome); the safe fixes go in as `fix`
// applies them; then the unsafe units are tried, all together first and halves on failure:
// applied to the tree, CMD run with verify's recorder (the rest of the program keeps its own
// start method), kept when the run matches the baseline AND reached the unit's creation sites
// (the lines its fixes added that choose spawn ran), else reverted with the evidence. Every
// write is atomic; an interrupt, an error or --dry-run leaves the tree as it was.
import * as fs from "node:fs";
import * as path from "node:path";
import type { structuredPatch as StructuredPatch } from "diff";
import type { FileResult } from "../engine";
import type { RunResult } from "../run-files";
import { uncommittedChanges } from "../project/git";
import { writeSafely } from "../project/write";
import { unifiedDiff } from "../report/diff";
import { analyse } from "./findings";
import { runCommand, type RunOutcome } from "./run-command";
import type { ProcessReport, SiteRecord, TestRecord } from "./records";
import { treeFor, unitsOf, type Unit } from "./trial-units";

export interface FixVerifyRequest {
  command: string[];
  timeout: number | null;
  dryRun: boolean;
  allowDirty: boolean;
  quiet: boolean;
  cwd: string;
  /** The engine over the paths, writing nothing: with safe fixes only, or with every unsafe one too. */
  engine(unsafeFixes: boolean): Promise<RunResult>;
  /** Called at the end with each file's result as kept (for --summary-file) and the account; false: it failed. */
  finished?(results: FileResult[], account: string[]): boolean;
}

export interface FixVerifyIo {
  out(text: string): void;
  err(text: string): void;
}

type TestOutcome = "passed" | "failed" | "skipped";

/** What one run of CMD showed. */
export interface RunFigures {
  status: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  seconds: number;
  /** pytest node id -> outcome (empty when CMD is not pytest). */
  tests: Map<string, TestOutcome>;
  /** pytest node id -> pytest's one-line summary of its failure. */
  failures?: Map<string, string>;
  /** Absolute file -> lines that chose spawn as they ran. */
  sites: Map<string, Set<number>>;
  reports: ProcessReport[];
  pid: number | null;
}

export type Verdict =
  | { kind: "proved"; figures: RunFigures; reached: number; sites: number }
  | { kind: "failed"; figures: RunFigures; why: string[]; evidence: string[] }
  | { kind: "not-exercised"; sites: number };

export interface UnitAccount {
  unit: Unit;
  verdict: Verdict;
}

/** A test's outcome from its phases: failed if any phase failed, skipped if one was skipped, else passed. */
export function testOutcomes(reports: ProcessReport[]): Map<string, TestOutcome> {
  const out = new Map<string, TestOutcome>();
  for (const report of reports) {
    for (const r of report.records) {
      if (r.kind !== "test") continue;
      const t = r as TestRecord;
      const was = out.get(t.nodeid);
      if (was === "failed" || t.outcome === "failed") out.set(t.nodeid, "failed");
      else if (was === "skipped" || t.outcome === "skipped") out.set(t.nodeid, "skipped");
      else out.set(t.nodeid, "passed");
    }
  }
  return out;
}

function failureMessages(reports: ProcessReport[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const report of reports) {
    for (const r of report.records) if (r.kind === "test" && r.outcome === "failed" && r.message && !out.has(r.nodeid)) out.set(r.nodeid, r.message);
  }
  return out;
}

function figuresOf(outcome: RunOutcome): RunFigures {
  const sites = new Map<string, Set<number>>();
  for (const report of outcome.reports) {
    for (const r of report.records) {
      if (r.kind !== "site") continue;
      const s = r as SiteRecord;
      const file = path.resolve(s.file);
      if (!sites.has(file)) sites.set(file, new Set());
      sites.get(file)!.add(s.line);
    }
  }
  return {
    status: outcome.status,
    signal: outcome.signal,
    timedOut: outcome.timedOut,
    seconds: outcome.seconds,
    tests: testOutcomes(outcome.reports),
    failures: failureMessages(outcome.reports),
    sites,
    reports: outcome.reports,
    pid: outcome.pid,
  };
}

/** How a run differs from the baseline: a different exit, a test that passed there and failed, hung or did not run here. */
export function differences(baseline: RunFigures, run: RunFigures, timeout: number | null): string[] {
  const why: string[] = [];
  if (run.timedOut) why.push(`still running after --timeout ${timeout} s (a hang)`);
  else if (run.status !== baseline.status || run.signal !== baseline.signal) why.push(`${ended(run)} where the project as it is ${ended(baseline)}`);
  for (const [test, outcome] of baseline.tests) {
    if (outcome !== "passed") continue;
    const now = run.tests.get(test);
    if (now === "passed") continue;
    const message = now === "failed" ? run.failures?.get(test) : undefined;
    const what = now === undefined ? "did not finish" : now === "failed" ? "failed" : "was skipped";
    why.push(`${test} passed before and ${what} now${message ? ` (${message})` : ""}`);
  }
  return why;
}

function ended(f: RunFigures): string {
  return f.signal ? `was killed by ${f.signal}` : `exited ${f.status}`;
}

function testFigures(f: RunFigures): string {
  if (f.tests.size === 0) return "";
  const passed = [...f.tests.values()].filter((o) => o === "passed").length;
  return `, ${passed} of ${f.tests.size} test${f.tests.size === 1 ? "" : "s"} passed`;
}

/**
 * The lines of the fixed text (1-based) that the fixes added and that choose a start method:
 * the unit's creation sites as they run (get_context("spawn") at a creation site,
 * set_start_method("spawn", force=True) in a main guard).
 */
export function siteLines(before: string, after: string): number[] {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { structuredPatch } = require("diff") as { structuredPatch: typeof StructuredPatch };
  const lines: number[] = [];
  for (const hunk of structuredPatch("a", "b", before, after, "", "", { context: 0 }).hunks) {
    let line = hunk.newStart;
    for (const l of hunk.lines) {
      if (l.startsWith("+")) {
        if (/\b(get_context|set_start_method)\s*\(/.test(l)) lines.push(line);
        line++;
      } else if (!l.startsWith("-") && !l.startsWith("\\")) line++;
    }
  }
  return lines;
}

class Tree {
  private readonly original = new Map<string, Buffer>();
  private readonly current = new Map<string, Buffer>();

  constructor(
    private readonly cwd: string,
    files: string[],
  ) {
    for (const f of files) {
      const bytes = fs.readFileSync(this.abs(f));
      this.original.set(f, bytes);
      this.current.set(f, bytes);
    }
  }

  abs(file: string): string {
    return path.resolve(this.cwd, file);
  }

  /** Writes every file to its content in `tree` (the original when absent); throws when a write is refused. */
  set(tree: Map<string, Buffer>): void {
    for (const [file, now] of this.current) {
      const want = tree.get(file) ?? this.original.get(file)!;
      if (now.equals(want)) continue;
      const problem = writeSafely(this.abs(file), now, want);
      if (problem) throw new Error(`${file}: ${problem}`);
      this.current.set(file, want);
    }
  }

  restore(): void {
    this.set(new Map());
  }
}

export async function fixVerify(req: FixVerifyRequest, io: FixVerifyIo): Promise<number> {
  const cmd = req.command.join(" ");
  const safe = await req.engine(false);
  const unsafe = await req.engine(true);
  for (const r of [...safe.results, ...unsafe.results]) if (r.error) io.err(`spawnsafe: ${r.path}:${r.error.line}:${r.error.column}: ${r.error.message}`);
  const units = unitsOf(unsafe.results);
  const changing = [...new Set([...safe.results, ...unsafe.results].filter((r) => r.output && !r.error).map((r) => r.path))];
  if (changing.length === 0) {
    io.err("fix --verify: nothing to fix");
    return 0;
  }
  // Trials write the tree, dry run or not: files with uncommitted changes are not touched.
  const tree = new Tree(req.cwd, changing);
  if (!req.allowDirty) {
    const check = uncommittedChanges(changing.map((f) => tree.abs(f)));
    if ("problem" in check || check.dirty.length > 0) {
      const what = "problem" in check ? check.problem : check.dirty.map((d) => `${path.relative(req.cwd, d.file) || d.file} (${d.state})`).join(", ");
      io.err(
        `spawnsafe: fix --verify writes the files it tries, and these have uncommitted changes in git: ${what}\n` +
          "Nothing was written. Commit or stash them first, or run again with --allow-dirty.",
      );
      return 2;
    }
  }
  let stopped: NodeJS.Signals | null = null;
  const onSignal = (s: NodeJS.Signals) => {
    stopped ??= s;
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const s of signals) process.on(s, onSignal);
  let trials = 0;
  const say = (text: string) => {
    if (!req.quiet) io.err(`fix --verify: ${text}`);
  };
  const runOnce = async (): Promise<RunFigures> =>
    figuresOf(await runCommand({ command: req.command, method: "keep", timeout: req.timeout, cwd: req.cwd, env: process.env, silent: true, trial: true }));
  try {
    const baseline = await runOnce();
    if (stopped) throw new Interrupted();
    say(`baseline, the project as it is: \`${cmd}\` ${baseline.timedOut ? "was stopped by --timeout" : ended(baseline)}${testFigures(baseline)} (${baseline.seconds.toFixed(1)} s)`);
    if (baseline.timedOut || baseline.status !== 0) {
      io.err(`spawnsafe: \`${cmd}\` fails on the project as it is (${baseline.timedOut ? "a hang" : ended(baseline)}): it can prove nothing; nothing was written`);
      return 2;
    }
    const byPath = new Map(unsafe.results.map((r) => [r.path, r]));
    const sitesOf = (u: Unit) => u.files.flatMap((f) => siteLines(byPath.get(f)!.before, byPath.get(f)!.after).map((line) => ({ file: tree.abs(f), line })));
    const accounts = new Map<string, UnitAccount>();
    const trial = async (tried: Unit[]): Promise<void> => {
      if (tried.length === 0) return;
      tree.set(treeFor(tried, safe.results, unsafe.results));
      const figures = await runOnce();
      trials++;
      if (stopped) throw new Interrupted();
      const why = differences(baseline, figures, req.timeout);
      say(`trial ${trials}, ${tried.length} unit${tried.length === 1 ? "" : "s"} (${tried.map((u) => u.id).join(", ")}): ${why.length === 0 ? "as the baseline" : why[0]}`);
      if (why.length === 0) {
        for (const u of tried) {
          const sites = sitesOf(u);
          const reached = sites.filter((s) => figures.sites.get(s.file)?.has(s.line)).length;
          const verdict: Verdict = reached > 0 ? { kind: "proved", figures, reached, sites: sites.length } : { kind: "not-exercised", sites: sites.length };
          accounts.set(u.id, { unit: u, verdict });
        }
        return;
      }
      if (tried.length === 1) {
        accounts.set(tried[0].id, { unit: tried[0], verdict: { kind: "failed", figures, why, evidence: evidenceOf(figures, req, tried) } });
        return;
      }
      const half = Math.ceil(tried.length / 2);
      await trial(tried.slice(0, half));
      await trial(tried.slice(half));
    };
    await trial(units);
    // After a split, the units kept one half at a time run once more together.
    let kept = units.filter((u) => accounts.get(u.id)?.verdict.kind === "proved");
    if (trials > 1 && kept.length > 1) {
      tree.set(treeFor(kept, safe.results, unsafe.results));
      const together = await runOnce();
      trials++;
      if (stopped) throw new Interrupted();
      const why = differences(baseline, together, req.timeout);
      if (why.length > 0) {
        say(`the ${kept.length} units that passed one by one fail together: ${why[0]}; all reverted`);
        const evidence = evidenceOf(together, req, kept);
        for (const u of kept) {
          const others = kept.filter((k) => k !== u).map((k) => k.id);
          accounts.set(u.id, { unit: u, verdict: { kind: "failed", figures: together, why: [`together with ${others.join(", ")}: ${why[0]}`, ...why.slice(1)], evidence } });
        }
        kept = [];
      }
    }
    const final = treeFor(kept, safe.results, unsafe.results);
    if (req.dryRun) {
      tree.restore();
      for (const file of changing) {
        if (!final.has(file)) continue;
        const chosen = kept.some((u) => u.files.includes(file));
        const r = (chosen ? unsafe : safe).results.find((x) => x.path === file)!;
        io.out(unifiedDiff(file, r.before, r.after));
      }
    } else {
      tree.set(final);
    }
    const account = accountLines(units, accounts, safe.results, req);
    for (const line of account) (req.dryRun ? io.err : io.out)(line);
    const keptFiles = new Set(kept.flatMap((u) => u.files));
    const results = safe.results.map((r) => (keptFiles.has(r.path) ? unsafe.results.find((x) => x.path === r.path) ?? r : r));
    if (req.finished && !req.finished(results, account)) return 2;
    if (req.dryRun) return final.size > 0 ? 1 : 0;
    return [...safe.results, ...unsafe.results].some((r) => r.error) ? 2 : 0;
  } catch (e) {
    tree.restore();
    if (e instanceof Interrupted) {
      io.err(`spawnsafe: interrupted: every file is as it was before the command (${trials} trial run${trials === 1 ? "" : "s"} done)`);
      return stopped === "SIGTERM" ? 143 : stopped === "SIGHUP" ? 129 : 130;
    }
    throw e;
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}

class Interrupted extends Error {}

/**
 * What verify saw in a failed run, first three findings as text lines, the units' own files
 * first. Forks are left out: the rest of the program keeps its start method (fork) on purpose.
 */
function evidenceOf(figures: RunFigures, req: FixVerifyRequest, units: Unit[]): string[] {
  const { findings } = analyse(figures.reports, { cwd: req.cwd, topPid: figures.pid, timedOutAfter: figures.timedOut ? req.timeout : null });
  const files = new Set(units.flatMap((u) => u.files));
  return findings
    .filter((f) => !["SPS105", "SPS201"].includes(f.finding.code))
    .sort((a, b) => Number(files.has(b.path)) - Number(files.has(a.path)))
    .slice(0, 3)
    .map((f) => `${f.path}:${f.finding.line}:${f.finding.column}: ${f.finding.code} ${f.finding.message}`);
}

/** The account per unit, then the yield: proved statically, proved by CMD, failed, not exercised. */
function accountLines(units: Unit[], accounts: Map<string, UnitAccount>, safe: FileResult[], req: FixVerifyRequest): string[] {
  const lines: string[] = [];
  const statically = safe.filter((r) => r.output && !r.error);
  for (const r of statically) {
    const n = r.findings.filter((f) => f.fixed).length;
    lines.push(`${r.path}: proved statically: ${n} safe fix${n === 1 ? "" : "es"}, ${req.dryRun ? "would be applied" : "applied"}`);
  }
  const counts = { proved: 0, failed: 0, "not-exercised": 0 };
  for (const u of units) {
    const a = accounts.get(u.id);
    if (!a) continue;
    const v = a.verdict;
    counts[v.kind]++;
    const codes = [...new Set(u.findings.map((f) => f.finding.code))].join(", ");
    const head = `${u.id} (${u.findings.length} unsafe fix${u.findings.length === 1 ? "" : "es"}, ${codes})`;
    if (v.kind === "proved") {
      const f = v.figures;
      const sites = `${v.reached} of ${v.sites} creation site${v.sites === 1 ? "" : "s"} reached`;
      const kept = req.dryRun ? "would be kept" : "kept";
      lines.push(`${head}: proved by \`${req.command.join(" ")}\`, ${kept}: ${ended(f)}${testFigures(f)}, as before; ${sites}; ${f.seconds.toFixed(1)} s`);
    } else if (v.kind === "not-exercised") {
      lines.push(`${head}: not exercised by \`${req.command.join(" ")}\`, reverted: none of its ${v.sites} creation site${v.sites === 1 ? "" : "s"} ran`);
    } else {
      const more = v.why.length > 4 ? `; and ${v.why.length - 4} more test${v.why.length - 4 === 1 ? "" : "s"}` : "";
      lines.push(`${head}: failed, reverted: ${v.why.slice(0, 4).join("; ")}${more}`);
      for (const e of v.evidence) lines.push(`    ${e}`);
    }
  }
  const files = `${statically.length} file${statically.length === 1 ? "" : "s"}`;
  lines.push(`units: ${files} proved statically, ${counts.proved} proved by the command, ${counts.failed} failed, ${counts["not-exercised"]} not exercised`);
  return lines;
}
