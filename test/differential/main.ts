// `npm run differential -- --seed S --count N`: the differential test (harness.ts) on demand.
// Prints the two numbers (soundness failures, which must be 0, and the yield), then each
// failing program's seed/index and the folder where a copy of it is kept.
//
//   --seed S        the generator's seed (default 1)
//   --count N       programs (default 200)
//   --from I        first program index (default 0)
//   --only I        just program I (prints it and its verdict)
//   --lanes K       programs run at once (default 2)
//   --keep DIR      where failing programs are copied (default a new folder under the temp dir)
//   --print         print program --only I and exit, without running it
//   --thorough      also run the unfixed program under spawn when the unsafe fix's does not match
//   --verdicts F    write one JSON line per program to F (families, what the fixes did, the runs' outcome)
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generate } from "./generate";
import { check, checkMany, familyLines, keep, plainLines, yieldLine, type Verdict } from "./harness";

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const n = Number(process.argv[at + 1]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} needs a non-negative integer`);
  return n;
}

function text(name: string): string | null {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? null : process.argv[at + 1];
}

function show(files: Record<string, string>): string {
  return Object.entries(files)
    .map(([rel, t]) => `# ---- ${rel}\n${t}`)
    .join("\n");
}

async function main(): Promise<number> {
  const seed = option("seed", 1);
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-differential-cache-"));
  const opts = { cacheDir, tryOriginal: process.argv.includes("--thorough") };
  const keepRoot = text("keep") ?? fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-differential-failures-"));
  fs.mkdirSync(keepRoot, { recursive: true });
  try {
    if (process.argv.includes("--only")) {
      const program = generate(seed, option("only", 0));
      process.stdout.write(`${show(program.files)}\n# args: ${JSON.stringify(program.args)} stdin: ${JSON.stringify(program.stdin)} method: ${program.method}\n# ${program.families.join(" ")}${program.plain ? " (plain)" : ""}\n`);
      if (process.argv.includes("--print")) return 0;
      const v = await check(program, opts);
      process.stdout.write(`\nbaseline: exit ${v.baseline.status}\n${v.baseline.stdout}${v.baseline.stderr}`);
      process.stdout.write(`invalid: ${v.invalid}\nsafe fix: ${v.safeFix}\nfailure: ${v.failure}\nmigrated: ${v.migrated}\nruns the same under spawn: ${v.spawnSame} ${v.spawnDetail}\n`);
      if (v.fixedFiles) process.stdout.write(`\n${show(v.fixedFiles)}`);
      if (v.safeRun) process.stdout.write(`\nafter the safe fix: exit ${v.safeRun.status}, ${v.safeRun.forks} forks\n${v.safeRun.stdout}${v.safeRun.stderr}`);
      if (v.failure || v.invalid) process.stdout.write(`kept in ${keep(v, keepRoot)}\n`);
      return v.failure ? 1 : 0;
    }
    const count = option("count", 200);
    let done = 0;
    const verdicts = text("verdicts");
    if (verdicts) fs.writeFileSync(verdicts, "");
    const progress = (v: Verdict) => {
      done++;
      if (verdicts) {
        const { program, failure, invalid, flaky, safeFix, migrated, spawnSame, spawnDetail } = v;
        const line = { index: program.index, plain: program.plain, families: program.families, safeFix, failure, invalid, flaky, migrated, spawnSame, spawnDetail };
        fs.appendFileSync(verdicts, JSON.stringify(line) + "\n");
      }
      if (v.failure) process.stdout.write(`FAIL seed ${seed} program ${v.program.index}: ${v.failure}  (${keep(v, keepRoot)})\n`);
      else if (v.invalid) process.stdout.write(`not running under fork: seed ${seed} program ${v.program.index}: ${v.invalid}  (${keep(v, keepRoot)})\n`);
      if (done % 50 === 0) process.stderr.write(`${done}/${count}\n`);
    };
    const s = await checkMany(seed, count, option("lanes", 2), opts, option("from", 0), progress);
    process.stdout.write(`\n${yieldLine(s)}\n`);
    process.stdout.write("\nby family: soundness failures of programs with it (a program counts under each of its families)\n");
    for (const line of familyLines(s.verdicts, false)) process.stdout.write(`  ${line}\n`);
    process.stdout.write("\nthe yield's gap: plainly spawn-safe programs that run the same under spawn, migrated by safe fixes, by choice\n");
    for (const line of plainLines(s.verdicts)) process.stdout.write(`  ${line}\n`);
    if (s.failures.length) {
      process.stdout.write(`\nfailing programs (seed ${seed}):\n`);
      for (const v of s.failures) process.stdout.write(`  ${v.program.index}: ${v.failure}  ${path.join(keepRoot, `seed${seed}-${v.program.index}`)}\n`);
    }
    for (const v of s.fixErrors) process.stdout.write(`fix error: seed ${seed} program ${v.program.index}: ${v.safeFix}\n`);
    return s.failures.length ? 1 : 0;
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exitCode = 2;
  },
);
