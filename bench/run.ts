// spawnsafe's benchmarks, measured side by side in one run: `npm run bench`.
//
// 1. The standard library of the machine's python3, as it is: `spawnsafe check` against the
//    floor (`grep -rlE` of the names spawnsafe recognises over the same files), twice: with
//    the results an earlier run cached (what a user's next run does) and with --no-cache
//    (a first run); and, with --no-cache, against the same check written as a LibCST
//    visitor (bench/libcst_check.py), both on every core. And the same library copied to a
//    directory of its own (bench/corpus.ts writeStdlibRoot), where it is one project root and
//    the project model reads all its modules: `check --no-cache` there against where it is.
// 2. A corpus where every file creates processes (bench/corpus.ts): spawnsafe's throughput
//    with --no-cache against raw tree-sitter parsing of the same files (bench/parse.ts)
//    times the cores used.
// 3. One 3.6 MB module that names the API everywhere (that corpus, one module after another):
//    the whole `check --no-cache` run against tree-sitter alone parsing it, both as whole
//    commands (node, loading tree-sitter, reading, parsing) and against the parse itself;
//    and the same module within its project, where it calls a neighbour's function that
//    starts processes (the run reads it in both rounds and in the project model).
// 4. Generated modules of small functions (bench/corpus.ts writeGeneratedModule), 0.7 MB to
//    12.6 MB, each alone in its folder: `fix --dry-run` against `check`, both --no-cache,
//    and the peak memory of fix (node's own; CPython's judge is a process of its own).
// Each command of 3 and 4 is also run once with bench/count-parses.ts loaded: the most
// times any one text was parsed whole (1 is the target: a rewrite is a text of its own, parsed
// incrementally from its original's tree).
// `npm run bench:vs BASE_ROOT` (bench/vs.ts) times the rows of 4 (and 3, with BENCH_BIG=1)
// against another build of spawnsafe, side by side.
//
// Every timing is the median of several runs (BENCH_RUNS, default 5; the slow LibCST runs
// BENCH_LIBCST_RUNS, default 3). Timings are wall-clock of whole commands, node's and
// python's start-up included; the parse floor alone is timed inside its process, which
// only makes it harder to reach.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { python, pythonFiles, stdlibDir, writeBigModule, writeBigProject, writeGeneratedModule, writeRelevantCorpus, writeStdlibRoot } from "./corpus";

const ROOT = path.resolve(__dirname, "..", "..");
const CLI = path.join(ROOT, "bin", "spawnsafe.js");
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const LIBCST_RUNS = Number(process.env.BENCH_LIBCST_RUNS ?? 3);
const CORES = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
/** The names spawnsafe's prefilter looks for: what a file must mention to be parsed at all. */
const RECOGNISED = "multiprocessing|ProcessPoolExecutor|fork";

interface Timed {
  seconds: number;
  stdout: string;
  stderr: string;
}

/** The cache of results spawnsafe keeps between runs: the benchmark's own, new for each run of it. */
let cacheDir = "";

/** Where spawnsafe keeps its cache in the runs timed() makes. */
export function useCacheDir(dir: string): void {
  cacheDir = dir;
}

export function timed(command: string, args: string[], input?: string): Timed {
  const started = process.hrtime.bigint();
  const r = spawnSync(command, args, { input, encoding: "utf8", maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: "1", SPAWNSAFE_CACHE_DIR: cacheDir } });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.error) throw r.error;
  if (r.status !== 0 && r.status !== 1 && r.status !== 2) throw new Error(`${command} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return { seconds, stdout: r.stdout, stderr: r.stderr };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs each measurement in turn, `runs` rounds, so that load on the machine falls on all alike. */
export function measure(runs: number, commands: Record<string, () => number>): Record<string, number> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) for (const [name, run] of Object.entries(commands)) samples[name].push(run());
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

function hasLibcst(): boolean {
  return spawnSync(python(), ["-c", "import libcst"], { stdio: "ignore" }).status === 0;
}

/** One run of spawnsafe (`cli`, this build's by default) with its parses counted (bench/count-parses.ts). */
export function counted(args: string[], cli = CLI): { texts: number; most: number; incremental: number; maxRss: number } {
  const r = timed(process.execPath, ["-r", path.join(ROOT, "dist", "bench", "count-parses.js"), cli, ...args]);
  return JSON.parse(r.stderr.trim().split("\n").pop()!);
}

/** Functions of the generated modules: 0.7, 1.5, 2.9 and 12.6 MB. */
const GENERATED = (process.env.BENCH_GENERATED ?? "20000,40000,80000,330000").split(",").map(Number);

function row(cells: string[]): string {
  return `| ${cells.join(" | ")} |`;
}

function main(): void {
  const stdlib = stdlibDir();
  const stdlibFiles = pythonFiles(stdlib);
  const stdlibList = stdlibFiles.join("\n");
  const stdlibBytes = stdlibFiles.reduce((n, f) => n + fs.statSync(f).size, 0);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-bench-"));
  cacheDir = path.join(scratch, "cache");
  const relevant = path.join(scratch, "relevant");
  const relevantFiles = writeRelevantCorpus(relevant, Number(process.env.BENCH_CORPUS_FILES ?? 1000));
  const relevantBytes = relevantFiles.reduce((n, f) => n + fs.statSync(f).size, 0);
  console.log(`python3 standard library: ${stdlib} (${stdlibList.split("\n").length} files, ${(stdlibBytes / 1e6).toFixed(1)} MB)`);
  console.log(`all-relevant corpus: ${relevantFiles.length} files, ${(relevantBytes / 1e6).toFixed(1)} MB`);
  console.log(`cores: ${CORES}, runs: ${RUNS} (LibCST ${LIBCST_RUNS}), medians\n`);

  const grepArgs = ["-rlE", RECOGNISED, "--include=*.py", "--exclude-dir=site-packages", "--exclude-dir=__pycache__", stdlib];
  const check = (...flags: string[]) => timed(process.execPath, [CLI, "check", "--quiet", ...flags, stdlib]).seconds;
  // The first run fills the cache; the cached runs are the ones after it (a user's second run).
  check();
  const stdlibTimes = measure(RUNS, {
    grep: () => timed("grep", grepArgs).seconds,
    cached: () => check(),
    uncached: () => check("--no-cache"),
  });
  const stdlibRoot = path.join(scratch, "stdlib-root");
  writeStdlibRoot(stdlibRoot);
  const rootTimes = measure(RUNS, {
    there: () => timed(process.execPath, [CLI, "check", "--quiet", "--no-cache", stdlib]).seconds,
    root: () => timed(process.execPath, [CLI, "check", "--quiet", "--no-cache", stdlibRoot]).seconds,
  });
  let libcst: number | null = null;
  if (hasLibcst()) {
    libcst = measure(LIBCST_RUNS, {
      libcst: () => timed(python(), [path.join(ROOT, "bench", "libcst_check.py"), String(CORES)], stdlibList).seconds,
    }).libcst;
  } else {
    console.log("LibCST is not importable by python3: that comparison is skipped.\n");
  }

  const relevantList = relevantFiles.join("\n");
  let parseSeconds = 0;
  const relevantTimes = measure(RUNS, {
    parse: () => {
      const out = timed(process.execPath, [path.join(ROOT, "dist", "bench", "parse.js")], relevantList);
      parseSeconds = JSON.parse(out.stdout).seconds;
      return parseSeconds;
    },
    spawnsafe: () => timed(process.execPath, [CLI, "check", "--quiet", "--no-cache", "--jobs", String(CORES), relevant]).seconds,
  });
  const big = path.join(scratch, "big", "big.py");
  const bigBytes = writeBigModule(big, relevantFiles, 3.6e6);
  let bigParse = 0;
  const bigTimes = measure(RUNS, {
    parse: () => {
      const out = timed(process.execPath, [path.join(ROOT, "dist", "bench", "parse.js")], big);
      bigParse = JSON.parse(out.stdout).seconds;
      return out.seconds;
    },
    spawnsafe: () => timed(process.execPath, [CLI, "check", "--quiet", "--no-cache", big]).seconds,
  });
  const inProject = writeBigProject(path.join(scratch, "project"), fs.readFileSync(big, "utf8"));
  const projectTimes = measure(RUNS, {
    parse: () => timed(process.execPath, [path.join(ROOT, "dist", "bench", "parse.js")], inProject).seconds,
    spawnsafe: () => timed(process.execPath, [CLI, "check", "--quiet", "--no-cache", inProject]).seconds,
  });
  const bigParses = counted(["check", "--quiet", "--no-cache", big]);
  const projectParses = counted(["check", "--quiet", "--no-cache", inProject]);
  const generated = GENERATED.map((functions) => {
    const file = path.join(scratch, `generated-${functions}`, "m.py");
    const bytes = writeGeneratedModule(file, functions);
    const times = measure(RUNS, {
      parse: () => timed(process.execPath, [path.join(ROOT, "dist", "bench", "parse.js")], file).seconds,
      check: () => timed(process.execPath, [CLI, "check", "--quiet", "--no-cache", file]).seconds,
      fix: () => timed(process.execPath, [CLI, "fix", "--dry-run", "--quiet", "--no-cache", file]).seconds,
    });
    return { functions, bytes, times, check: counted(["check", "--quiet", "--no-cache", file]), fix: counted(["fix", "--dry-run", "--quiet", "--no-cache", file]) };
  });
  fs.rmSync(scratch, { recursive: true, force: true });

  const mb = relevantBytes / 1e6;
  const floorThroughput = (mb / relevantTimes.parse) * CORES;
  const ourThroughput = mb / relevantTimes.spawnsafe;
  const cachedRatio = stdlibTimes.cached / stdlibTimes.grep;
  const uncachedRatio = stdlibTimes.uncached / stdlibTimes.grep;
  const libcstRatio = libcst === null ? null : libcst / stdlibTimes.uncached;
  const parseShare = ourThroughput / floorThroughput;

  const lines = [
    row(["measurement", "spawnsafe", "compared with", "ratio", "target", "met"]),
    row(["---", "---", "---", "---", "---", "---"]),
    row(["stdlib `check`, results cached by an earlier run, vs grep floor", `${stdlibTimes.cached.toFixed(3)} s`, `grep -rlE: ${stdlibTimes.grep.toFixed(3)} s`, `${cachedRatio.toFixed(1)}x the floor`, "at most 2x", cachedRatio <= 2 ? "yes" : "no"]),
    row(["stdlib `check --no-cache` vs grep floor", `${stdlibTimes.uncached.toFixed(2)} s`, `grep -rlE: ${stdlibTimes.grep.toFixed(3)} s`, `${uncachedRatio.toFixed(1)}x the floor`, "at most 2x", uncachedRatio <= 2 ? "yes" : "no"]),
    libcstRatio === null
      ? row(["stdlib `check --no-cache` vs LibCST visitor", `${stdlibTimes.uncached.toFixed(2)} s`, "LibCST: not run", "-", "at least 10x faster", "-"])
      : row(["stdlib `check --no-cache` vs LibCST visitor", `${stdlibTimes.uncached.toFixed(2)} s`, `LibCST (${CORES} processes): ${libcst!.toFixed(1)} s`, `${libcstRatio.toFixed(0)}x faster`, "at least 10x faster", libcstRatio >= 10 ? "yes" : "no"]),
    row(["stdlib copied as one project root (the model reads every module), `check --no-cache`", `${rootTimes.root.toFixed(2)} s`, `where it is: ${rootTimes.there.toFixed(2)} s`, `${(rootTimes.root / rootTimes.there).toFixed(2)}x`, "-", "-"]),
    row([`one ${(bigBytes / 1e6).toFixed(1)} MB module naming the API everywhere, \`check --no-cache\``, `${bigTimes.spawnsafe.toFixed(2)} s`, `tree-sitter alone, whole command: ${bigTimes.parse.toFixed(2)} s (the parse itself: ${bigParse.toFixed(2)} s)`, `${(bigTimes.spawnsafe / bigTimes.parse).toFixed(2)}x (${(bigTimes.spawnsafe / bigParse).toFixed(2)}x the parse itself)`, "at most 1.5x", bigTimes.spawnsafe <= 1.5 * bigTimes.parse ? "yes" : "no"]),
    row([`the same module within its project, calling a neighbour's function that starts processes, \`check --no-cache\``, `${projectTimes.spawnsafe.toFixed(2)} s`, `tree-sitter alone, whole command: ${projectTimes.parse.toFixed(2)} s`, `${(projectTimes.spawnsafe / projectTimes.parse).toFixed(2)}x`, "at most 1.5x", projectTimes.spawnsafe <= 1.5 * projectTimes.parse ? "yes" : "no"]),
    row(["parses of any one text, the 3.6 MB module alone / within its project", `${bigParses.most} / ${projectParses.most}`, "-", "-", "1", bigParses.most <= 1 && projectParses.most <= 1 ? "yes" : "no"]),
    ...generated.flatMap(({ functions, bytes, times, check, fix }) => {
      const what = `generated ${(bytes / 1e6).toFixed(1)} MB module (${functions / 1000}k functions)`;
      const ratio = times.fix / times.check;
      return [
        row([`${what}, \`fix --dry-run\` vs \`check\``, `${times.fix.toFixed(2)} s`, `check: ${times.check.toFixed(2)} s (tree-sitter alone, whole command: ${times.parse.toFixed(2)} s)`, `${ratio.toFixed(2)}x`, "at most 2x", ratio <= 2 ? "yes" : "no"]),
        row([`${what}: parses of any one text (check / fix), peak memory of fix`, `${check.most} / ${fix.most}, ${(fix.maxRss / 1e6).toFixed(0)} MB`, `check: ${(check.maxRss / 1e6).toFixed(0)} MB`, "-", "1 / 1, under 1 GB", check.most <= 1 && fix.most <= 1 && fix.maxRss < 1e9 ? "yes" : "no"]),
      ];
    }),
    row(["all-relevant corpus throughput (`--no-cache`)", `${ourThroughput.toFixed(1)} MB/s (${CORES} threads)`, `tree-sitter parse: ${(mb / relevantTimes.parse).toFixed(1)} MB/s x ${CORES} cores`, `${(parseShare * 100).toFixed(0)}%`, "at least 80%", parseShare >= 0.8 ? "yes" : "no"]),
  ];
  console.log(lines.join("\n"));
}

if (require.main === module) main();
