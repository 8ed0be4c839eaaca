// The cost of `spawnsafe verify`: `npm run bench:verify`.
//
// A clean program that starts 50 processes under spawn (bench/verify/fifty.py) is run as it
// is, `python3 fifty.py`, and under verify, `spawnsafe verify -- python3 fifty.py`, in turn,
// BENCH_RUNS rounds (default 9), so that the load of the machine falls on both alike. Wall
// clock of whole commands: verify's includes node's start-up, copying the runtime, reading
// the reports. The target: verify's median at most 1.2 times the plain median.
//
// Both run the interpreter itself (sys.executable of $SPAWNSAFE_PYTHON or python3), not a
// pyenv shim, so the shim's own start-up does not dilute the ratio.
import * as path from "node:path";
import { spawnSync } from "node:child_process";

const ROOT = path.resolve(__dirname, "..", "..");
const CLI = path.join(ROOT, "bin", "spawnsafe.js");
const PROGRAM = path.join(ROOT, "bench", "verify", "fifty.py");
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

function timed(command: string, args: string[], expected: string): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(command, args, { encoding: "utf8", cwd: path.dirname(PROGRAM) });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0 || r.stdout !== expected) throw new Error(`${command} ${args.join(" ")} exited ${r.status} with ${JSON.stringify(r.stdout)}: ${r.stderr}`);
  return seconds;
}

function main(): void {
  const python = interpreter();
  const expected = spawnSync(python, [PROGRAM], { encoding: "utf8" }).stdout;
  const plain: number[] = [];
  const verify: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    plain.push(timed(python, [PROGRAM], expected));
    verify.push(timed(process.execPath, [CLI, "verify", "--quiet", "--", python, PROGRAM], expected));
    process.stderr.write(`round ${i + 1}/${RUNS}: plain ${plain[i].toFixed(2)} s, verify ${verify[i].toFixed(2)} s\n`);
  }
  const p = median(plain);
  const v = median(verify);
  const ratio = v / p;
  console.log(`| measurement | plain (spawn) | under verify | ratio | target | met |`);
  console.log(`| --- | --- | --- | --- | --- | --- |`);
  console.log(`| ${path.relative(ROOT, PROGRAM)}: 50 processes, median of ${RUNS} | ${p.toFixed(2)} s | ${v.toFixed(2)} s | ${ratio.toFixed(3)}x | at most ${TARGET}x | ${ratio <= TARGET ? "yes" : "no"} |`);
}

main();
