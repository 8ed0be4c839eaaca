// The property every generated program (test/property/generate.ts) must have under `fix`,
// for every program CPython compiles:
//
// 1. the engine settles on it (no "did not settle", no invalid rewrite, no crash);
// 2. a second fix of the fixed text changes nothing;
// 3. (with python3) CPython compiles the fixed text;
// 4. (with python3, for the programs that run) the fixed program prints what the original
//    printed, exits 0, under the fork default and under the spawn default.
//
// The engine runs in-process (fast); CPython compiles originals and rewrites in one batch
// through spawnsafe's own judge (src/judge.ts); programs run under python3 through the
// fixtures' harness (test/helpers/python.ts). Each failure keeps its program, so the seed and
// index reproduce it: SPAWNSAFE_PROPERTY_SEED=S SPAWNSAFE_PROPERTY_ONLY=I.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { processFile, type FileResult } from "../../src/engine";
import { judge } from "../../src/judge";
import { runPythonAsync } from "../helpers/python";
import { generate, type Program } from "./generate";

export interface Failure {
  program: Program;
  /** Which part of the property broke: settle, idempotence, marks ([*] on a fix fix does not apply), compile, run. */
  property: "settle" | "idempotence" | "marks" | "compile" | "run";
  /** A one-line class of the failure (what the fix got wrong), for counting them. */
  kind: string;
  detail: string;
  /** The rewrite's bytes. */
  fixed: Buffer | null;
}

export interface Outcome {
  programs: number;
  /** Programs CPython rejects as generated (not held to the property). */
  rejectedOriginals: number;
  changed: number;
  ran: number;
  /** Runnable programs that do not run as generated (under fork), so are not compared. */
  notRunning: number;
  failures: Failure[];
  seconds: { engine: number; judge: number; run: number };
}

export interface CheckOptions {
  seed: number;
  count: number;
  /** Only this program index (reproducing a failure). */
  only?: number | null;
  /** python3 to judge and run with; null: engine properties only. */
  python: string | null;
  /** How many changed runnable programs to run (before and after, fork and spawn). */
  run: number;
}

const INFO = { path: "prog.py", packageDir: null, isMainModule: false };
const OPTIONS = { mode: "auto" as const, method: "spawn" as const };

function engineBug(result: FileResult): string | null {
  const message = result.error?.message ?? "";
  if (/did not settle/.test(message)) return "did not settle";
  if (/produced invalid Python/.test(message)) return "tree-sitter rejects the rewrite";
  if (/internal error|stack ran out/.test(message)) return `crash: ${message}`;
  return null;
}

export async function checkPrograms(options: CheckOptions): Promise<Outcome> {
  const indices = options.only != null ? [options.only] : Array.from({ length: options.count }, (_, i) => i);
  const programs = indices.map((i) => generate(options.seed, i));
  const outcome: Outcome = { programs: programs.length, rejectedOriginals: 0, changed: 0, ran: 0, notRunning: 0, failures: [], seconds: { engine: 0, judge: 0, run: 0 } };
  const clock = () => process.hrtime.bigint();
  const since = (t: bigint) => Number(clock() - t) / 1e9;

  let t = clock();
  const fixed: Array<Buffer | null> = [];
  const engineFailures: Array<Failure | null> = [];
  const claimsSpawn: boolean[] = [];
  for (const program of programs) {
    const first = processFile(INFO, program.bytes, OPTIONS, true);
    const bug = engineBug(first);
    let failure: Failure | null = bug ? { program, property: "settle", kind: bug, detail: first.error!.message, fixed: null } : null;
    if (!failure && first.output) {
      const second = processFile(INFO, first.output, OPTIONS, true);
      if (second.error || second.output) {
        failure = {
          program,
          property: "idempotence",
          kind: second.error ? `second fix fails: ${engineBug(second) ?? second.error.message}` : `second fix changes it again (${second.findings.filter((f) => f.fixed).map((f) => f.code).join(", ")})`,
          detail: second.error?.message ?? second.after,
          fixed: first.output,
        };
      }
    }
    if (!failure && !first.error) {
      // `[*]` means fix applies it: every finding check marks safe is one the fix run fixed.
      const checked = processFile(INFO, program.bytes, OPTIONS, false);
      const applied = new Set(first.findings.filter((f) => f.fixed).map((f) => `${f.code} ${f.line}:${f.column}`));
      const unapplied = checked.findings.find((f) => f.applicability === "safe" && !applied.has(`${f.code} ${f.line}:${f.column}`));
      if (unapplied) {
        failure = { program, property: "marks", kind: `${unapplied.code} is marked [*] but fix does not apply it`, detail: unapplied.message, fixed: first.output };
      }
    }
    fixed.push(first.error ? null : first.output);
    // A finding left unfixed (a hazard the fix holds back for) means the fix does not claim the program works under spawn.
    claimsSpawn.push(first.findings.every((f) => f.fixed));
    engineFailures.push(failure);
  }
  outcome.seconds.engine = since(t);
  outcome.changed = fixed.filter((f) => f).length;

  // Without python3 the engine's properties are all there is; every program is held to them.
  if (!options.python) {
    outcome.failures = engineFailures.filter((f): f is Failure => f !== null);
    return outcome;
  }

  t = clock();
  const sources = programs.flatMap((program, k) => [
    { path: `p${program.index}.py`, bytes: program.bytes },
    ...(fixed[k] ? [{ path: `p${program.index}.fixed.py`, bytes: fixed[k]! }] : []),
  ]);
  const answer = await judge(sources, options.python);
  if ("unavailable" in answer) throw new Error(`python3 could not judge: ${answer.unavailable}`);
  outcome.seconds.judge = since(t);
  let at = 0;
  const runnable: Array<{ program: Program; fixed: Buffer; spawn: boolean }> = [];
  programs.forEach((program, k) => {
    const original = answer.verdicts[at++];
    const rewrite = fixed[k] ? answer.verdicts[at++] : null;
    if (!original.accepted) {
      outcome.rejectedOriginals++;
      return;
    }
    if (engineFailures[k]) return void outcome.failures.push(engineFailures[k]!);
    if (rewrite && !rewrite.accepted) {
      outcome.failures.push({
        program,
        property: "compile",
        kind: `CPython rejects the rewrite: ${rewrite.kind}: ${rewrite.message.replace(/'[^']*'/g, "'…'").replace(/\d+/g, "N")}`,
        detail: `${rewrite.kind}: ${rewrite.message} at ${rewrite.line}:${rewrite.column}`,
        fixed: fixed[k]!,
      });
      return;
    }
    if (rewrite && program.runnable) runnable.push({ program, fixed: fixed[k]!, spawn: claimsSpawn[k] });
  });

  t = clock();
  // Two programs at a time (the machine's cores); each runs three times.
  const queue = runnable.slice(0, options.run);
  const results: Array<Failure | "not running" | null> = new Array(queue.length);
  let next = 0;
  const lane = async () => {
    while (next < queue.length) {
      const k = next++;
      results[k] = await runBoth(queue[k].program, queue[k].fixed, options.python!, queue[k].spawn);
    }
  };
  await Promise.all([lane(), lane()]);
  for (const r of results) {
    if (r === "not running") outcome.notRunning++;
    else {
      outcome.ran++;
      if (r) outcome.failures.push(r);
    }
  }
  outcome.seconds.run = since(t);
  return outcome;
}

/**
 * Runs the original (fork, Python's default here) and the rewrite under the fork default and,
 * when the fix claims the program works under spawn (it left no finding unfixed), the spawn default.
 */
export async function runBoth(program: Program, fixed: Buffer, python: string, spawn = true): Promise<Failure | "not running" | null> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-property-"));
  process.env.SPAWNSAFE_PYTHON = python;
  try {
    fs.writeFileSync(path.join(dir, "prog.py"), program.bytes);
    fs.writeFileSync(path.join(dir, "fixed.py"), fixed);
    const before = await runPythonAsync(dir, "prog.py", { timeoutSec: 30 });
    if (before.timedOut || before.status !== 0) return "not running";
    for (const method of spawn ? (["fork", "spawn"] as const) : (["fork"] as const)) {
      const after = await runPythonAsync(dir, "fixed.py", { timeoutSec: 30, method });
      const problem = after.timedOut
        ? "hangs"
        : after.status !== 0
          ? `fails: ${lastLine(after.stderr)}`
          : after.stdout !== before.stdout
            ? "prints something else"
            : null;
      if (problem) {
        return {
          program,
          property: "run",
          kind: `the rewrite ${problem.replace(/\d+/g, "N").replace(/'[^']*'/g, "'…'")} (default ${method})`,
          detail: `under the ${method} default the rewrite ${problem}\n--- before\n${before.stdout}--- after\n${after.stdout}${after.stderr}`,
          fixed,
        };
      }
    }
    return null;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}

/** Failures by kind, most frequent first, each with its first program (seed, index). */
export function failureClasses(failures: Failure[]): Array<{ kind: string; count: number; first: Failure }> {
  const classes = new Map<string, { kind: string; count: number; first: Failure }>();
  for (const f of failures) {
    const c = classes.get(f.kind);
    if (c) c.count++;
    else classes.set(f.kind, { kind: f.kind, count: 1, first: f });
  }
  return [...classes.values()].sort((a, b) => b.count - a.count);
}

/** Writes each failing program, its rewrite and what broke under `dir`; returns the folder. */
export function keepFailures(failures: Failure[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-property-failures-"));
  for (const f of failures) {
    const base = path.join(dir, `seed${f.program.seed}-${f.program.index}`);
    fs.writeFileSync(`${base}.py`, f.program.bytes);
    if (f.fixed) fs.writeFileSync(`${base}.fixed.py`, f.fixed);
    fs.writeFileSync(`${base}.txt`, `${f.property}: ${f.kind}\nfeatures: ${f.program.features.join(" ")}\n\n${f.detail}\n`);
  }
  return dir;
}
