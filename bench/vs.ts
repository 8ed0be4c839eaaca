// Issue 18's rows of the benchmark, this build against another, side by side in one run:
// `node dist/bench/vs.js BASE_ROOT` (BASE_ROOT: a checkout of spawnsafe with dist/ built).
//
// - Generated modules of small functions (bench/corpus.ts writeGeneratedModule, sizes from
//   BENCH_GENERATED as in bench/run.ts): `check --no-cache` and `fix --dry-run --no-cache` of
//   both builds, run in turn (A B A B ...) so that load on the machine falls on all alike;
//   fix against check within each build, and the peak memory of fix and its whole parses of any
//   one text and incremental parses (one counted run each, bench/count-parses.ts).
// - With BENCH_BIG=1, the 3.6 MB module alone and within its project (bench/run.ts's rows 3):
//   `check --no-cache` of both builds.
// - With BENCH_STDLIB=1, the standard library where it is and copied as one project root
//   (bench/run.ts's rows 1): `check --no-cache` of both builds. BENCH_GENERATED=none leaves
//   the generated modules out.
// Timings are medians of BENCH_RUNS runs (default 3) of whole commands.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { counted, measure, timed, useCacheDir } from "./run";
import { stdlibDir, writeBigModule, writeBigProject, writeGeneratedModule, writeRelevantCorpus, writeStdlibRoot } from "./corpus";

const ROOT = path.resolve(__dirname, "..", "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const GENERATED = process.env.BENCH_GENERATED === "none" ? [] : (process.env.BENCH_GENERATED ?? "20000,40000,80000,330000").split(",").map(Number);

function row(cells: string[]): string {
  return `| ${cells.join(" | ")} |`;
}

function main(): void {
  const baseRoot = process.argv[2];
  if (!baseRoot || !fs.existsSync(path.join(baseRoot, "bin", "spawnsafe.js"))) throw new Error("usage: node dist/bench/vs.js BASE_ROOT (a spawnsafe checkout with dist/ built)");
  const builds = { this: path.join(ROOT, "bin", "spawnsafe.js"), base: path.join(path.resolve(baseRoot), "bin", "spawnsafe.js") };
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-bench-vs-"));
  useCacheDir(path.join(scratch, "cache"));
  const run = (cli: string, args: string[]) => () => timed(process.execPath, [cli, ...args]).seconds;
  console.log(`this build: ${ROOT}; base: ${path.resolve(baseRoot)}; runs: ${RUNS}, medians\n`);
  const lines = [
    row(["file", "command", "this build", "base", "this / base", "fix / check, this (base)", "peak of fix, this (base)", "whole parses of any one text in fix, incremental, this (base)"]),
    row(["---", "---", "---", "---", "---", "---", "---", "---"]),
  ];
  for (const functions of GENERATED) {
    const file = path.join(scratch, `generated-${functions}`, "m.py");
    const bytes = writeGeneratedModule(file, functions);
    const check = ["check", "--quiet", "--no-cache", file];
    const fix = ["fix", "--dry-run", "--quiet", "--no-cache", file];
    const t = measure(RUNS, { checkThis: run(builds.this, check), checkBase: run(builds.base, check), fixThis: run(builds.this, fix), fixBase: run(builds.base, fix) });
    const c = { this: counted(fix, builds.this), base: counted(fix, builds.base) };
    const what = `generated ${(bytes / 1e6).toFixed(1)} MB (${functions / 1000}k functions)`;
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    lines.push(row([what, "`check`", `${t.checkThis.toFixed(2)} s`, `${t.checkBase.toFixed(2)} s`, ratio(t.checkThis, t.checkBase), "", "", ""]));
    lines.push(row([what, "`fix --dry-run`", `${t.fixThis.toFixed(2)} s`, `${t.fixBase.toFixed(2)} s`, ratio(t.fixThis, t.fixBase),
      `${ratio(t.fixThis, t.checkThis)} (${ratio(t.fixBase, t.checkBase)})`,
      `${(c.this.maxRss / 1e6).toFixed(0)} MB (${(c.base.maxRss / 1e6).toFixed(0)} MB)`,
      `${c.this.most}, ${c.this.incremental ?? 0} (${c.base.most}, ${c.base.incremental ?? "not counted"})`]));
    console.error(lines[lines.length - 1]);
  }
  if (process.env.BENCH_BIG === "1") {
    const relevant = writeRelevantCorpus(path.join(scratch, "relevant"), 1000);
    const big = path.join(scratch, "big", "big.py");
    const bigBytes = writeBigModule(big, relevant, 3.6e6);
    const inProject = writeBigProject(path.join(scratch, "project"), fs.readFileSync(big, "utf8"));
    for (const [what, file] of [[`${(bigBytes / 1e6).toFixed(1)} MB module alone`, big], ["the same within its project", inProject]]) {
      const check = ["check", "--quiet", "--no-cache", file];
      const t = measure(RUNS, { this: run(builds.this, check), base: run(builds.base, check) });
      lines.push(row([what, "`check`", `${t.this.toFixed(2)} s`, `${t.base.toFixed(2)} s`, `${(t.this / t.base).toFixed(2)}x`, "", "", ""]));
      console.error(lines[lines.length - 1]);
    }
  }
  if (process.env.BENCH_STDLIB === "1") {
    const root = path.join(scratch, "stdlib-root");
    writeStdlibRoot(root);
    for (const [what, dir] of [["stdlib where it is", stdlibDir()], ["stdlib copied as one project root", root]]) {
      const check = ["check", "--quiet", "--no-cache", dir];
      const t = measure(RUNS, { this: run(builds.this, check), base: run(builds.base, check) });
      lines.push(row([what, "`check`", `${t.this.toFixed(2)} s`, `${t.base.toFixed(2)} s`, `${(t.this / t.base).toFixed(2)}x`, "", "", ""]));
      console.error(lines[lines.length - 1]);
    }
  }
  fs.rmSync(scratch, { recursive: true, force: true });
  console.log(lines.join("\n"));
}

main();
