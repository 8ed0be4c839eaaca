// A run over many files: discover, read, process each (in worker threads when there are
// enough files to pay for them), then write what changed safely, one file at a time.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { packageDirOf } from "./project/discover";
import { mayNeedParsing, processFile, type FileResult } from "./engine";
import { processInWorkers, type Job } from "./project/workers";
import { planRun, type RunPlan } from "./project/plan";
import { contextOf } from "./project/project";
import type { FileInfo, Options } from "./transform";

export interface RunRequest {
  paths: string[];
  exclude: string[];
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
  seconds: number;
  /** Files written (fix without --dry-run). */
  written: number;
  /** The run stopped early on request (SIGINT); `results` is then incomplete. */
  interrupted: boolean;
}

/**
 * Below this many files that need parsing, starting worker threads (each loads the engine
 * and the tree-sitter addon, about 60 ms of CPU) costs more than it saves.
 */
export const MIN_FILES_FOR_WORKERS = 8;


export function defaultJobs(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length || 1;
}

export async function run(request: RunRequest): Promise<RunResult> {
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  const interrupted = request.interrupted ?? (() => false);
  // Throws ConfigError before anything is read or written.
  const plan = planRun({ paths: request.paths, exclude: request.exclude, flags: request.options, config: request.config, isolated: request.isolated }, displayPath);
  const { files, missing } = plan;
  const processed = await processAll(files, plan, request, interrupted);
  if (!processed) return { results: [], missing, seconds: seconds(), written: 0, interrupted: true };
  const { results, originals } = processed;
  let written = 0;
  if (request.write) {
    for (let i = 0; i < results.length; i++) {
      const result = results[i];
      if (!result.output || result.error) continue;
      // A pending SIGINT gets its chance between two writes, never during one.
      await nextTurn();
      if (interrupted()) return { results, missing, seconds: seconds(), written, interrupted: true };
      const problem = writeSafely(files[i], originals[i]!, result.output);
      if (problem) result.error = { message: problem, line: 1, column: 1 };
      else written++;
    }
  }
  return { results, missing, seconds: seconds(), written, interrupted: false };
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
  const processHere = (job: Job) => processFile(job.info, job.bytes, job.options, request.fix, contextOf(plan.startingFunctions[job.root], job.scope));
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
    // Only a routing hint (the engine decides on the decoded text): files that may need
    // parsing go to the workers, the others are decoded here, where processFile returns at once.
    const job = jobOf(i);
    if (mayNeedParsing(bytes.toString("latin1"), job.info, contextOf(plan.startingFunctions[job.root], job.scope))) {
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

/**
 * Writes through a temporary file in the same directory and a rename, keeping the mode
 * bits, so the file is at every moment either the old or the new one; refuses when the
 * file changed on disk since it was read.
 */
export function writeSafely(file: string, expected: Buffer, output: Buffer): string | null {
  let current: Buffer;
  let mode: number;
  try {
    current = fs.readFileSync(file);
    mode = fs.statSync(file).mode & 0o7777;
  } catch (err) {
    return `not written: the file disappeared during the run (${describeError(err)})`;
  }
  if (!current.equals(expected)) return "not written: the file changed on disk during the run";
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.spawnsafe-${process.pid}.tmp`);
  try {
    fs.writeFileSync(temp, output, { mode });
    fs.chmodSync(temp, mode);
    fs.renameSync(temp, file);
    return null;
  } catch (err) {
    try {
      fs.unlinkSync(temp);
    } catch {
      /* nothing was created */
    }
    return `not written: ${describeError(err)}`;
  }
}
