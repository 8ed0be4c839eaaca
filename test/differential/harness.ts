// The differential harness (issue 17, item 5): each generated program (generate.ts) runs under
// python3 as it is (fork, the default here) for its baseline; then `spawnsafe fix .` (safe
// fixes only) and, if it changed anything, the fixed program runs again. A safe fix whose
// program prints something else, exits otherwise, hangs, or still calls os.fork() is a
// soundness failure. For the yield, the same program after `fix --unsafe-fixes` runs with
// spawn (or forkserver) as the default: does it run the same under spawn at all?
//
//   yield = programs the safe fixes fully migrate (same output, no os.fork() left)
//           / programs that run the same under spawn
//
// Programs run in scratch folders with test/runtime/sitecustomize.py counting forks; `fix` runs
// in this process (test/helpers/cli.ts), the programs two at a time.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { cli } from "../helpers/cli";
import { pythonExecutable, sitecustomizeDir } from "../helpers/python";
import { generate, type DiffProgram } from "./generate";

export interface Run {
  stdout: string;
  stderr: string;
  status: number | null;
  timedOut: boolean;
  /** Stopped a few seconds after a traceback, instead of waiting out what is usually a hang. */
  stoppedAfterError: boolean;
  /** os.fork() calls of the program and its children, not counting a forkserver's own. */
  forks: number;
}

export interface Verdict {
  program: DiffProgram;
  /** The unfixed program's run under fork. */
  baseline: Run;
  /** The baseline did not run (exit status, hang): the program is not counted. */
  invalid: string | null;
  /** What the safe fix did: "unchanged", "changed", or "error: ..." (exit status 2). */
  safeFix: string;
  safeRun: Run | null;
  /** A soundness failure: what the safe fix broke. */
  failure: string | null;
  /** The baseline printed something else when run again: not held against the fix. */
  flaky: boolean;
  /** The safe fixes migrated it: same output, no os.fork() left. */
  migrated: boolean;
  /** It runs the same under spawn (after --unsafe-fixes, or already after the safe fixes). */
  spawnSame: boolean;
  /** Why not, when not. */
  spawnDetail: string;
  /** The files after the safe fix (for keeping a failure). */
  fixedFiles: Record<string, string> | null;
}

export interface Options {
  /** Seconds before a run counts as a hang. */
  timeoutSec: number;
  /** Also try the unfixed program under spawn when the unsafe fix's program differs. */
  tryOriginal: boolean;
  /** SPAWNSAFE_CACHE_DIR for the fix runs (the test runner sets its own). */
  cacheDir?: string;
}

const DEFAULTS: Options = { timeoutSec: 20, tryOriginal: false };

function writeProject(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
}

function readProject(dir: string, files: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of Object.keys(files)) out[rel] = fs.readFileSync(path.join(dir, rel), "utf8");
  return out;
}

function scratch(program: DiffProgram, files = program.files): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-differential-"));
  writeProject(dir, files);
  return dir;
}

/**
 * Runs the program's entry in `dir` under python3 with the fork counter, stdin fed, and the
 * default start method optionally changed. The whole process group goes on timeout.
 */
export function runProgram(dir: string, program: DiffProgram, method: "spawn" | "forkserver" | null, timeoutSec: number): Promise<Run> {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-differential-forks-"));
  const logFile = path.join(logDir, "forks.log");
  fs.writeFileSync(logFile, "");
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith("SPAWNSAFE_") || key.startsWith("PYTHON")) delete env[key];
  Object.assign(env, {
    PYTHONPATH: sitecustomizeDir(),
    PYTHONDONTWRITEBYTECODE: "1",
    PYTHONIOENCODING: "utf-8",
    PYTHONHASHSEED: "0",
    SPAWNSAFE_FORK_LOG: logFile,
    ...(method ? { SPAWNSAFE_START_METHOD: method } : {}),
  });
  return new Promise((resolve, reject) => {
    const child = spawn(pythonExecutable(), [program.entry, ...program.args], { cwd: dir, env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let stoppedAfterError = false;
    let grace: NodeJS.Timeout | null = null;
    const stop = () => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // the group is gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutSec * 1000);
    child.stdin!.on("error", () => undefined);
    child.stdin!.end(program.stdin);
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      // A child's traceback then a wait for its result: give it 5 s to exit, then stop it.
      if (!grace && stderr.includes("Traceback (most recent call last)")) {
        grace = setTimeout(() => {
          stoppedAfterError = true;
          stop();
        }, 5000);
      }
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      if (grace) clearTimeout(grace);
      stop();
      let forks = 0;
      try {
        forks = fs
          .readFileSync(logFile, "utf8")
          .split("\n")
          .filter((l) => l && l.split("\t")[2] !== "forkserver").length;
      } finally {
        fs.rmSync(logDir, { recursive: true, force: true });
      }
      resolve({ stdout, stderr, status, timedOut: timedOut && !stoppedAfterError, stoppedAfterError, forks });
    });
  });
}

/** How `after` differs from `before`, or null when it runs the same. */
function difference(before: Run, after: Run): string | null {
  if (after.timedOut) return "hangs";
  if (after.stoppedAfterError) return `hangs after an error: ${errorLine(after.stderr)}`;
  if (after.status !== before.status) return `exits ${after.status} (was ${before.status}): ${errorLine(after.stderr)}`;
  if (after.stdout !== before.stdout) return `prints something else${after.stderr.includes("Traceback") ? `: ${errorLine(after.stderr)}` : ""}`;
  return null;
}

/** The last line of the last traceback (CPython's error), or the last line of stderr. */
export function errorLine(stderr: string): string {
  const lines = stderr.trim().split("\n");
  const error = [...lines].reverse().find((l) => /^[A-Za-z_.]*(Error|Exception|Exit|Interrupt|Warning)\b/.test(l));
  return (error ?? lines[lines.length - 1] ?? "").trim().slice(0, 200);
}

async function fixIn(dir: string, program: DiffProgram, unsafe: boolean, options: Options): Promise<{ status: number | null; output: string; changed: boolean; files: Record<string, string> }> {
  const flags = ["fix", "--method", program.method, ...(unsafe ? ["--unsafe-fixes"] : []), "."];
  const r = await cli(flags, dir, "", options.cacheDir ? { SPAWNSAFE_CACHE_DIR: options.cacheDir } : {});
  const files = readProject(dir, program.files);
  const changed = Object.keys(files).some((k) => files[k] !== program.files[k]);
  return { status: r.status, output: r.stdout + r.stderr, changed, files };
}

export async function check(program: DiffProgram, opts: Partial<Options> = {}): Promise<Verdict> {
  const options = { ...DEFAULTS, ...opts };
  const dirs: string[] = [];
  const fresh = (files = program.files) => {
    const d = scratch(program, files);
    dirs.push(d);
    return d;
  };
  const verdict: Verdict = {
    program,
    baseline: null as unknown as Run,
    invalid: null,
    safeFix: "unchanged",
    safeRun: null,
    failure: null,
    flaky: false,
    migrated: false,
    spawnSame: false,
    spawnDetail: "",
    fixedFiles: null,
  };
  try {
    verdict.baseline = await runProgram(fresh(), program, null, options.timeoutSec);
    const b = verdict.baseline;
    if (b.timedOut || b.stoppedAfterError || b.status !== 0) {
      verdict.invalid = b.timedOut ? "hangs under fork" : `fails under fork: ${errorLine(b.stderr)}`;
      return verdict;
    }

    const safeDir = fresh();
    const safe = await fixIn(safeDir, program, false, options);
    if (safe.status !== 0) verdict.safeFix = `error: exit ${safe.status}: ${safe.output.trim().split("\n").pop()}`;
    else if (safe.changed) {
      verdict.safeFix = "changed";
      verdict.fixedFiles = safe.files;
      // Run a fresh copy of the fixed files: nothing left over from `fix` itself.
      const run = await runProgram(fresh(safe.files), program, null, options.timeoutSec);
      verdict.safeRun = run;
      const diff = difference(b, run) ?? (run.forks > 0 ? `still calls os.fork() ${run.forks} time(s)` : null);
      if (diff) {
        // A baseline that is not the same twice is the generator's fault, not the fix's.
        const again = await runProgram(fresh(), program, null, options.timeoutSec);
        if (again.stdout !== b.stdout || again.status !== b.status) verdict.flaky = true;
        else verdict.failure = diff;
      } else verdict.migrated = true;
    }
    if (verdict.migrated) {
      verdict.spawnSame = true;
      return verdict;
    }

    const unsafeDir = fresh();
    const unsafe = await fixIn(unsafeDir, program, true, options);
    const run = await runProgram(fresh(unsafe.files), program, program.method, options.timeoutSec);
    const diff = difference(b, run);
    if (!diff) verdict.spawnSame = true;
    else if (options.tryOriginal && unsafe.changed) {
      const original = await runProgram(fresh(), program, program.method, options.timeoutSec);
      if (!difference(b, original)) verdict.spawnSame = true;
      else verdict.spawnDetail = diff;
    } else verdict.spawnDetail = diff;
    return verdict;
  } finally {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}

export interface Summary {
  seed: number;
  programs: number;
  invalid: Verdict[];
  flaky: Verdict[];
  failures: Verdict[];
  fixErrors: Verdict[];
  /** Programs a safe fix changed. */
  changed: number;
  migrated: number;
  spawnSame: number;
  /** Of the plainly spawn-safe programs (built from safe choices only): how many, how many migrated. */
  plain: { programs: number; migrated: number; spawnSame: number };
  seconds: number;
  verdicts: Verdict[];
}

/** Checks programs `from`..`from+count-1` of `seed`, `lanes` at a time. */
export async function checkMany(seed: number, count: number, lanes = 2, opts: Partial<Options> = {}, from = 0, onVerdict?: (v: Verdict) => void): Promise<Summary> {
  const t0 = Date.now();
  const verdicts: Verdict[] = [];
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = from + next++;
      const v = await check(generate(seed, i), opts);
      verdicts.push(v);
      onVerdict?.(v);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  verdicts.sort((a, b) => a.program.index - b.program.index);
  const valid = verdicts.filter((v) => !v.invalid && !v.flaky);
  const plain = valid.filter((v) => v.program.plain);
  return {
    seed,
    programs: verdicts.length,
    invalid: verdicts.filter((v) => v.invalid),
    flaky: verdicts.filter((v) => v.flaky),
    failures: valid.filter((v) => v.failure),
    fixErrors: valid.filter((v) => v.safeFix.startsWith("error")),
    changed: valid.filter((v) => v.safeFix === "changed").length,
    migrated: valid.filter((v) => v.migrated).length,
    spawnSame: valid.filter((v) => v.spawnSame).length,
    plain: { programs: plain.length, migrated: plain.filter((v) => v.migrated).length, spawnSame: plain.filter((v) => v.spawnSame).length },
    seconds: (Date.now() - t0) / 1000,
    verdicts,
  };
}

/** Writes a failing program, its safe fix and what broke; returns its folder. */
export function keep(v: Verdict, root: string): string {
  const dir = path.join(root, `seed${v.program.seed}-${v.program.index}`);
  fs.rmSync(dir, { recursive: true, force: true });
  writeProject(path.join(dir, "original"), v.program.files);
  if (v.fixedFiles) writeProject(path.join(dir, "fixed"), v.fixedFiles);
  const command = `python3 ${[v.program.entry, ...v.program.args].join(" ")}${v.program.stdin ? ` <<< ${JSON.stringify(v.program.stdin.trim())}` : ""}`;
  fs.writeFileSync(
    path.join(dir, "README.txt"),
    [
      `seed ${v.program.seed}, program ${v.program.index}: ${v.failure ?? v.invalid ?? v.safeFix}`,
      `run: ${command}   (fix: spawnsafe fix --method ${v.program.method} .)`,
      `families: ${v.program.families.join(" ")}`,
      "",
      "--- baseline (fork) stdout",
      v.baseline.stdout,
      ...(v.safeRun ? ["--- after the safe fix: stdout", v.safeRun.stdout, "--- after the safe fix: stderr", v.safeRun.stderr] : []),
    ].join("\n"),
  );
  return dir;
}

/**
 * Per hazard family (a choice of the generator that is not spawn-safe): how
 * many programs have it, how many of them a safe fix broke, migrated, and run the same under
 * spawn. A failing program counts under each of its families; the plain ones under "(plain)".
 */
export function familyTable(
  verdicts: Verdict[],
  familiesOf: (v: Verdict) => string[] = (v) => (v.program.hazards.length ? v.program.hazards : ["(plain)"]),
): Array<{ family: string; programs: number; failures: number; migrated: number; spawnSame: number }> {
  const rows = new Map<string, { family: string; programs: number; failures: number; migrated: number; spawnSame: number }>();
  for (const v of verdicts) {
    if (v.invalid || v.flaky) continue;
    for (const family of familiesOf(v)) {
      const row = rows.get(family) ?? { family, programs: 0, failures: 0, migrated: 0, spawnSame: 0 };
      row.programs++;
      if (v.failure) row.failures++;
      if (v.migrated) row.migrated++;
      if (v.spawnSame) row.spawnSame++;
      rows.set(family, row);
    }
  }
  return [...rows.values()].sort((a, b) => b.failures - a.failures || b.programs - a.programs || a.family.localeCompare(b.family));
}

export function familyLines(verdicts: Verdict[], onlyFailing: boolean): string[] {
  return familyTable(verdicts)
    .filter((r) => !onlyFailing || r.failures > 0)
    .map((r) => `${String(r.failures).padStart(4)} of ${String(r.programs).padEnd(4)} ${r.family}  (migrated ${r.migrated}, same under spawn ${r.spawnSame})`);
}

/** The yield's gap: the plainly spawn-safe programs by each of their choices, migrated or not. */
export function plainLines(verdicts: Verdict[]): string[] {
  return familyTable(
    verdicts.filter((v) => v.program.plain && v.spawnSame),
    (v) => v.program.families.filter((f) => !f.startsWith("reader:")),
  )
    .sort((a, b) => b.programs - b.migrated - (a.programs - a.migrated) || a.family.localeCompare(b.family))
    .map((r) => `${String(r.migrated).padStart(4)} of ${String(r.programs).padEnd(4)} ${r.family}`);
}

export function yieldLine(s: Summary): string {
  const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : "n/a");
  return [
    `soundness failures: ${s.failures.length} of ${s.changed} programs a safe fix changed` +
      ` (${s.failures.filter((v) => !v.failure!.startsWith("still calls")).length} behave otherwise: output, exit status or a hang;` +
      ` ${s.failures.filter((v) => v.failure!.startsWith("still calls")).length} behave the same but still call os.fork(): a unit applied in part)`,
    `yield: ${s.migrated}/${s.spawnSame} = ${pct(s.migrated, s.spawnSame)} (programs the safe fixes migrate / programs that run the same under spawn)`,
    `plainly spawn-safe programs: ${s.plain.programs}, run the same under spawn ${s.plain.spawnSame}, migrated by safe fixes ${s.plain.migrated} (${pct(s.plain.migrated, s.plain.spawnSame)})`,
    `programs: ${s.programs}, not running under fork ${s.invalid.length}, flaky ${s.flaky.length}, fix errors ${s.fixErrors.length}, ${s.seconds.toFixed(0)} s`,
  ].join("\n");
}
