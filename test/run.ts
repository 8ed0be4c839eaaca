// The test command (`npm test`, `npm run test:fast`): runs the compiled test files two at a
// time, each in its own node process, and prints a line as each test ends, so a person can
// follow a run that takes minutes. Tiers by file name:
//   test/<name>.test.ts        the fast tier: no python3, a few seconds a file at most
//   test/<name>.slow.test.ts   the full tier only: python3, big trees, packing the package
// Usage: node dist/test/run.js [--fast] [--jobs N] [file-name-filter...]
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { MARK } from "./helpers/mark";

interface Outcome {
  file: string;
  passed: number;
  failed: Array<{ name: string; error: string | null }>;
  skipped: number;
  seconds: number;
  status: number | null;
  /** What the file printed other than test results: shown when it fails. */
  stderr: string;
}

const here = __dirname;
const args = process.argv.slice(2);
const fast = args.includes("--fast");
const jobsAt = args.indexOf("--jobs");
const jobs = jobsAt >= 0 ? Number(args[jobsAt + 1]) : 2;
const filters = args.filter((a, i) => !a.startsWith("--") && (jobsAt < 0 || i !== jobsAt + 1));

const timesFile = path.join(here, "..", "test-times.json");
const lastTimes: Record<string, number> = readJson(timesFile) ?? {};

const files = fs
  .readdirSync(here)
  .filter((f) => f.endsWith(".test.js") && !(fast && f.endsWith(".slow.test.js")))
  // Only files whose source is still there: a renamed test leaves its old build in dist/.
  .filter((f) => fs.existsSync(path.join(here, "..", "..", "test", f.replace(/\.js$/, ".ts"))))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  // Longest first, so that the run ends soon after its longest file does: as the last run
  // here measured them, else (a fresh clone) as they were measured when this was written.
  .sort((a, b) => expected(b) - expected(a) || a.localeCompare(b));

/** Seconds a file took on a 2-core machine when this was written; 1 for the rest. */
function expected(file: string): number {
  const measured: Record<string, number> = {
    "differential.slow.test.js": 140,
    "runtime-1.slow.test.js": 92, "runtime-2.slow.test.js": 89, "property.slow.test.js": 41, "faults.slow.test.js": 36, "prefilter.slow.test.js": 35,
    "corpus.slow.test.js": 26, "verify.slow.test.js": 26, "cpython.slow.test.js": 18, "signals.slow.test.js": 16, "pack.slow.test.js": 10,
    "fixtures.test.js": 7, "ergonomics.test.js": 7, "git.test.js": 6, "cpython-judge.test.js": 6, "verify.test.js": 6, "bulk.test.js": 5, "usage.test.js": 3,
  };
  return lastTimes[file] ?? measured[file] ?? 1;
}

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const cacheDir = path.join(here, "..", "test-cache");
fs.rmSync(cacheDir, { recursive: true, force: true });
let testsDone = 0;

function say(line: string): void {
  process.stdout.write(line + "\n");
}

function runFile(file: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const outcome: Outcome = { file, passed: 0, failed: [], skipped: 0, seconds: 0, status: null, stderr: "" };
    const child = spawn(process.execPath, ["--test-reporter", path.join(here, "reporter.js"), "--test-reporter-destination", "stdout", path.join(here, file)], {
      stdio: ["ignore", "pipe", "pipe"],
      // Every CLI run of the tests keeps its cache here, never in the user's cache folder.
      env: { ...process.env, SPAWNSAFE_CACHE_DIR: cacheDir },
    });
    const short = file.replace(/\.test\.js$/, "");
    lineByLine(child.stdout!, (line) => {
      // A test's own notes (lines starting with "# ") are shown; the rest of its output only if the file fails.
      if (!line.startsWith(MARK)) {
        if (line.startsWith("# ")) say(`    ${short}: ${line.slice(2)}`);
        else outcome.stderr += line + "\n";
        return;
      }
      const event: { name: string; ok: boolean; skipped: boolean; ms: number; error: string | null } = JSON.parse(line.slice(MARK.length));
      testsDone++;
      if (event.skipped) outcome.skipped++;
      else if (event.ok) outcome.passed++;
      else outcome.failed.push({ name: event.name, error: event.error });
      const mark = event.skipped ? "-" : event.ok ? "✔" : "✖";
      say(`  ${mark} ${short} › ${event.name} (${(event.ms / 1000).toFixed(1)} s)  [${testsDone} tests, ${elapsed()}]`);
    });
    child.stderr!.on("data", (d) => (outcome.stderr += d));
    child.on("close", (status) => {
      outcome.status = status;
      outcome.seconds = (Date.now() - t0) / 1000;
      resolve(outcome);
    });
  });
}

function lineByLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = "";
  stream.on("data", (chunk) => {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop() ?? "";
    for (const p of parts) onLine(p);
  });
  stream.on("end", () => rest && onLine(rest));
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  say(`${fast ? "Fast tier" : "All tests"}: ${files.length} files, ${jobs} at a time (${os.availableParallelism()} cores)`);
  const queue = [...files];
  const outcomes: Outcome[] = [];
  await Promise.all(
    Array.from({ length: Math.max(1, jobs) }, async () => {
      for (let file = queue.shift(); file; file = queue.shift()) {
        const o = await runFile(file);
        outcomes.push(o);
        const ok = o.status === 0 && o.failed.length === 0;
        say(`[${outcomes.length}/${files.length} files] ${ok ? "✔" : "✖"} ${file}: ${o.passed} passed${o.failed.length ? `, ${o.failed.length} failed` : ""}${o.skipped ? `, ${o.skipped} skipped` : ""} in ${o.seconds.toFixed(1)} s  [${elapsed()}]`);
      }
    }),
  );
  fs.writeFileSync(timesFile, JSON.stringify({ ...lastTimes, ...Object.fromEntries(outcomes.map((o) => [o.file, Math.round(o.seconds * 10) / 10])) }, null, 2));
  const bad = outcomes.filter((o) => o.status !== 0 || o.failed.length > 0);
  for (const o of bad) {
    say(`\n✖ ${o.file} (exit status ${o.status})`);
    for (const f of o.failed) say(`  ✖ ${f.name}\n${indent(f.error ?? "", "      ")}`);
    if (o.failed.length === 0 && o.stderr) say(indent(o.stderr.trimEnd(), "    "));
  }
  const passed = outcomes.reduce((n, o) => n + o.passed, 0);
  const failed = outcomes.reduce((n, o) => n + o.failed.length, 0);
  say(`\n${passed} tests passed, ${failed} failed, in ${files.length} files, ${elapsed()}`);
  return bad.length === 0 ? 0 : 1;
}

function indent(text: string, by: string): string {
  return text.split("\n").map((l) => by + l).join("\n");
}

main().then((code) => (process.exitCode = code));
