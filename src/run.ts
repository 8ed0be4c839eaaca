// A run over many files: discover, read, process each (in worker threads when there are
// enough files to pay for them), then write what changed safely, one file at a time.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { packageDirOf } from "./project/discover";
import { mayNeedParsing, type FileResult } from "./engine";
import { processIsolated } from "./isolate";
import { processInWorkers, type Job } from "./project/workers";
import { planRun, type RunPlan } from "./project/plan";
import { contextOf } from "./project/project";
import { uncommittedChanges, type DirtyFile } from "./project/git";
import { writeSafely } from "./project/write";
import type { FileInfo, Options } from "./transform";

export interface RunRequest {
  paths: string[];
  exclude: string[];
  /** Apply the exclusions to files given by name too (ruff's --force-exclude). */
  forceExclude?: boolean;
  /** `exclude` replaces the configuration's exclude list (--exclude given) instead of adding to it. */
  replaceConfiguredExclude?: boolean;
  /** --mode and --method when given; the rest comes from the configuration, then the defaults. */
  options: Partial<Pick<Options, "mode" | "method">>;
  /** --config FILE instead of each project's pyproject.toml. */
  config?: string | null;
  /** --isolated: read no configuration file. */
  isolated?: boolean;
  /** Apply fixes (fix and fix --dry-run) or only report (check). */
  fix: boolean;
  /** Write the changed files. */
  write: boolean;
  /** Write even files with uncommitted changes in git (else the run refuses, writing nothing). */
  allowDirty?: boolean;
  /** Worker threads; 1 processes every file on the main thread. Default: the number of cores. */
  jobs?: number;
  /** Polled between files and between writes: once true, nothing more is started. */
  interrupted?: () => boolean;
  /** Called after each file is processed (for a progress bar). */
  progress?: (done: number, total: number) => void;
}

export interface RunResult {
  results: FileResult[];
  /** Paths given on the command line that do not exist. */
  missing: string[];
  /** Paths given, or folders in the walk, that could not be read. */
  unreadable: Array<{ path: string; reason: string }>;
  seconds: number;
  /** Files written (fix without --dry-run). */
  written: number;
  /** The run stopped early on request (SIGINT); `results` is then incomplete. */
  interrupted: boolean;
  /**
   * Set when `fix` wrote nothing because files it would change have uncommitted changes
   * (display paths), or because that could not be checked (`problem`).
   */
  refused?: { dirty: DirtyFile[]; problem: string | null };
}

/**
 * Below this many files that need parsing, starting worker threads (each loads the engine
 * and the tree-sitter addon, about 60 ms of CPU) costs more than it saves.
 */
export const MIN_FILES_FOR_WORKERS = 8;

/**
 * Only a routing hint: files whose bytes hold one of these go to the workers, the others
 * are checked on the main thread (processFile returns at once for them). A superset of the
 * engine's own prefilter, so a mismatch can only cost time, never change a result.
 */
const MAY_NEED_PARSING = ["multiprocessing", "ProcessPoolExecutor", "fork"];

export function defaultJobs(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length || 1;
}

export async function run(request: RunRequest): Promise<RunResult> {
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  const interrupted = request.interrupted ?? (() => false);
  // Throws ConfigError before anything is read or written.
  const plan = planRun(
    {
      paths: request.paths,
      exclude: request.exclude,
      replaceConfiguredExclude: request.replaceConfiguredExclude ?? false,
      forceExclude: request.forceExclude ?? false,
      flags: request.options,
      config: request.config,
      isolated: request.isolated,
    },
    displayPath,
  );
  const { files, missing, unreadable } = plan;
  const processed = await processAll(files, plan, request, interrupted);
  const done = (results: FileResult[], written: number, stopped: boolean, refused?: RunResult["refused"]): RunResult => ({
    results,
    missing,
    unreadable,
    seconds: seconds(),
    written,
    interrupted: stopped,
    ...(refused ? { refused } : {}),
  });
  if (!processed) return done([], 0, true);
  const { results, originals } = processed;
  let written = 0;
  if (request.write) {
    const changing = results.map((r, i) => (r.output && !r.error ? i : -1)).filter((i) => i >= 0);
    if (!request.allowDirty && changing.length > 0) {
      const check = uncommittedChanges(changing.map((i) => files[i]));
      if (interrupted()) return done(results, 0, true);
      if ("problem" in check) return done(results, 0, false, { dirty: [], problem: check.problem });
      if (check.dirty.length > 0) return done(results, 0, false, { dirty: check.dirty.map((d) => ({ ...d, file: displayPath(d.file) })), problem: null });
    }
    for (const i of changing) {
      const result = results[i];
      // A pending SIGINT gets its chance between two writes, never during one.
      await nextTurn();
      if (interrupted()) return done(results, written, true);
      const problem = writeSafely(files[i], originals[i]!, result.output!);
      if (problem) notWritten(result, problem);
      else written++;
    }
  }
  return done(results, written, false);
}

/** A file that could not be written keeps its findings, unfixed, and is reported as an error. */
function notWritten(result: FileResult, problem: string): void {
  result.error = { message: problem, line: 1, column: 1 };
  result.output = null;
  result.after = result.before;
  result.findings = result.findings.map((f) => ({ ...f, fixed: false }));
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Reads every file on the main thread; files that may need parsing go to worker threads
 * when there are enough of them, the others (and all files with --jobs 1) are processed
 * here. Returns null when interrupted.
 */
async function processAll(files: string[], plan: RunPlan, request: RunRequest, interrupted: () => boolean): Promise<{ results: FileResult[]; originals: (Buffer | null)[] } | null> {
  const results: FileResult[] = new Array(files.length);
  const originals: (Buffer | null)[] = new Array(files.length).fill(null);
  const heavy: number[] = [];
  const setups = files.map((f) => plan.setup(f));
  const jobOf = (i: number): Job => {
    const planned = setups[i];
    const info = { ...fileInfo(files[i], displayPath(files[i])), project: planned.facts };
    return { info, bytes: originals[i]!, options: planned.options, root: planned.root, scope: planned.scope };
  };
  const contextFor = (job: Job) => contextOf(plan.startingFunctions[job.root], job.scope);
  const processHere = (job: Job) => processIsolated(job.info, job.bytes, job.options, request.fix, contextFor(job));
  let done = 0;
  const tick = () => request.progress?.(++done, files.length);
  for (let i = 0; i < files.length; i++) {
    const shownAs = displayPath(files[i]);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(files[i]);
    } catch (err) {
      results[i] = failed(shownAs, `cannot read: ${describeError(err)}`);
      tick();
      continue;
    }
    originals[i] = bytes;
    const job = jobOf(i);
    // A project with functions that start processes: any file's top level may call one.
    const projectStarts = Object.keys(plan.startingFunctions[job.root] ?? {}).length > 0;
    const heavyFile = projectStarts ? mayNeedParsing(bytes.toString("latin1"), job.info, contextFor(job)) : MAY_NEED_PARSING.some((word) => bytes.includes(word));
    if (heavyFile) {
      heavy.push(i);
    } else {
      results[i] = processHere(job);
      tick();
    }
  }
  const jobs = Math.max(1, Math.floor(request.jobs ?? defaultJobs()));
  if (jobs > 1 && heavy.length >= MIN_FILES_FOR_WORKERS) {
    const work: Job[] = heavy.map(jobOf);
    const threads = Math.min(jobs, heavy.length);
    const fromWorkers = await processInWorkers(work, plan.startingFunctions, request.fix, threads, interrupted, tick);
    if (!fromWorkers) return null;
    heavy.forEach((i, k) => (results[i] = fromWorkers[k]));
  } else {
    for (const i of heavy) {
      await nextTurn();
      if (interrupted()) return null;
      results[i] = processHere(jobOf(i));
      tick();
    }
  }
  return { results, originals };
}

export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return (rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file).split(path.sep).join("/");
}

export function fileInfo(file: string, shownAs: string): FileInfo {
  return { path: shownAs, packageDir: packageDirOf(file) && displayPath(path.dirname(file)), isMainModule: path.basename(file) === "__main__.py" };
}

function failed(shownAs: string, message: string): FileResult {
  return { path: shownAs, decision: null, findings: [], error: { message, line: 1, column: 1 }, before: "", after: "", output: null, passes: 0 };
}

function describeError(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}
