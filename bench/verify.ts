// The cost of `spawnsafe verify`: `npm run bench:verify`.
//
// A clean program that starts 50 processes under spawn (bench/verify/fifty.py) is run as it
// is, `python3 fifty.py`, and under verify, `spawnsafe verify -- python3 fifty.py`, in turn,
// BENCH_RUNS rounds (default 9), so that the load of the machine falls on both alike. Wall
// clock of whole commands: verify's includes node's start-up, copying the runtime, reading
// the reports. The target: verify's median at most 1.2 times the plain median.
//
// Both run the interpreter itself (sys.executable of $SPAWNSAFE_PYTHON or python3), not a
// pyenv shim, so the shim's own start-up does not dilute the ratio, and both are timed by the
// same wrapper (bench/verify/measure.py), which also gives the CPU time of each run and of
// every process it waited for: on a machine others share, wall clock swings with their load
// and CPU time much less, so the table shows both.
import * as path from "node:path";
import { spawnSync } from "node:child_process";

const ROOT = path.resolve(__dirname, "..", "..");
const CLI = path.join(ROOT, "bin", "spawnsafe.js");
const PROGRAM = path.join(ROOT, "bench", "verify", "fifty.py");
const MEASURE = path.join(ROOT, "bench", "verify", "measure.py");
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const TARGET = 1.2;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function interpreter(): string {
  const r = spawnSync(process.env.SPAWNSAFE_PYTHON || "python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`python3 not found: ${r.stderr}`);
  return r.stdout.trim();
}

interface Sample {
  wall: number;
  cpu: number;
}

function timed(python: string, command: string[], expected: string): Sample {
  const r = spawnSync(python, [MEASURE, ...command], { encoding: "utf8", cwd: path.dirname(PROGRAM) });
  if (r.status !== 0 || r.stdout !== expected) throw new Error(`${command.join(" ")} exited ${r.status} with ${JSON.stringify(r.stdout)}: ${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as Sample;
}

function main(): void {
  const python = interpreter();
  const expected = spawnSync(python, [PROGRAM], { encoding: "utf8" }).stdout;
  const plain: Sample[] = [];
  const verify: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    plain.push(timed(python, [python, PROGRAM], expected));
    verify.push(timed(python, [process.execPath, CLI, "verify", "--quiet", "--", python, PROGRAM], expected));
    const [p, v] = [plain[i], verify[i]];
    process.stderr.write(`round ${i + 1}/${RUNS}: plain ${p.wall.toFixed(2)} s (cpu ${p.cpu.toFixed(2)} s), verify ${v.wall.toFixed(2)} s (cpu ${v.cpu.toFixed(2)} s)\n`);
  }
  const row = (what: string, pick: (s: Sample) => number, target: string, met: (ratio: number) => string) => {
    const p = median(plain.map(pick));
    const v = median(verify.map(pick));
    console.log(`| ${what} | ${p.toFixed(2)} s | ${v.toFixed(2)} s | ${(v / p).toFixed(3)}x | ${target} | ${met(v / p)} |`);
  };
  console.log(`| ${path.relative(ROOT, PROGRAM)}: 50 processes, medians of ${RUNS} | plain (spawn) | under verify | ratio | target | met |`);
  console.log(`| --- | --- | --- | --- | --- | --- |`);
  row("wall clock", (s) => s.wall, `at most ${TARGET}x`, (r) => (r <= TARGET ? "yes" : "no"));
  row("CPU time, all processes", (s) => s.cpu, "(for reference)", () => "");
}

main();
