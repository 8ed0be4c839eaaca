// A run over many files: discover, read, process each (in worker threads when there are
// enough files to pay for them), then write what changed safely, one file at a time.
import { hash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { hasInitPy, pathInside } from "./project/paths";
import type { FileResult } from "./engine";
import { mayHaveFindings, mayUseProjectNames, mentionsApi, projectMatters } from "./python/gate";
import type { DirectStart } from "./python/summary";
import type { ModuleContext } from "./python/module";
import { contextOf } from "./project/project";
import { NO_EXPORTS, type ProjectExports } from "./project/starts";
import { ResultCache } from "./project/cache";
import { processIsolated } from "./isolate";
import { processInWorkers, type Job } from "./project/workers";
import { planRun, type RunPlan } from "./project/plan";
import { uncommittedChanges, type DirtyFile } from "./project/git";
import { writeSafely } from "./project/write";
import { carryVerdicts, dischargedByCallers, guardsHeldBack, heldBackByPrograms, heldBackOutsideRun, programWideHeldBack } from "./project/programs";
import { Judge, judgeResults, SPARSE_BYTES } from "./judge";
import type { FileInfo, Options } from "./transform";
import { decodeSource } from "./parse";
import { Trees } from "./trees";

export interface RunRequest {
  paths: string[];
  exclude: string[];
  /** Apply the exclusions to files given by name too (ruff's --force-exclude). */
  forceExclude?: boolean;
  /** `exclude` replaces the configuration's exclude list (--exclude given) instead of adding to it. */
  replaceConfiguredExclude?: boolean;
  /** --mode and --method when given; the rest comes from the configuration, then the defaults. */
  options: Partial<Pick<Options, "mode" | "method" | "unsafeFixes">>;
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
  /** The folder of the cache of results (src/project/cache.ts); none when absent. */
  cache?: string | null;
  /** Called with the plan before any file is read: throws to stop the run (a usage error). */
  planned?: (plan: RunPlan) => void;
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
  /** Said once about the whole run, on stderr: that CPython could not check the rewrites. */
  notices?: string[];
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
  // The caller's last look at what the run covers, before any file is read (throws to stop it).
  request.planned?.(plan);
  // `fix` most often rewrites something: its judge starts now, while the files are analysed.
  const judge = new Judge(undefined, request.fix && files.length > 0);
  // The trees parsed on this thread, shared by the first round, the model, the last round and the judge.
  const trees = new Trees();
  let processed: Awaited<ReturnType<typeof processAll>>;
  try {
    processed = await processAll(files, plan, request, interrupted, trees, judge);
  } catch (e) {
    judge.dispose();
    throw e;
  }
  const notices: string[] = [];
  const done = (results: FileResult[], written: number, stopped: boolean, refused?: RunResult["refused"]): RunResult => ({
    results,
    ...(notices.length > 0 ? { notices } : {}),
    missing,
    unreadable,
    seconds: seconds(),
    written,
    interrupted: stopped,
    ...(refused ? { refused } : {}),
  });
  if (!processed) {
    judge.dispose();
    return done([], 0, true);
  }
  const { results, originals } = processed;
  // CPython judges what would be written, and what tree-sitter could not parse, in one batch.
  const notice = await judgeResults(
    results.flatMap((result, i) => (originals[i] ? [{ result, original: originals[i]! }] : [])),
    judge,
    (text) => trees.peek(text),
  );
  trees.clear();
  if (notice) notices.push(notice);
  if (interrupted()) return done(results, 0, true);
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

type Exports = Record<string, ProjectExports>;

/**
 * Reads every file on the main thread, then processes them in two rounds. First the files
 * that name the API, without the project's process-starting functions: the project model is
 * built from what they show. Then, with the model, the files it may change: those that may
 * call such a function of another module (processed again) and the others that run such a call.
 * Every other file is settled on the main thread, at once. A round goes to worker threads
 * when it holds enough files.
 *
 * With a cache (src/project/cache.ts), a file whose result is kept is not processed again.
 * When no file of any project changed, the models are kept too: the first round is skipped,
 * and the files whose results are not kept are read and processed once, with the model.
 * Returns null when interrupted.
 */
async function processAll(files: string[], plan: RunPlan, request: RunRequest, interrupted: () => boolean, trees: Trees, judge: Judge): Promise<{ results: FileResult[]; originals: (Buffer | null)[] } | null> {
  const results: FileResult[] = new Array(files.length);
  const originals: (Buffer | null)[] = new Array(files.length).fill(null);
  const setups = files.map((f) => plan.setup(f));
  const infos = files.map((f, i) => ({ ...fileInfo(f, displayPath(f), plan.isPackageDir), project: setups[i].facts }));
  const cache = request.cache ? new ResultCache(request.cache) : null;
  const jobOf = (i: number): Job => ({ info: infos[i], bytes: originals[i]!, options: setups[i].options, root: setups[i].root, scope: setups[i].scope });
  const contextFor = (i: number, known: Exports) => contextOf(known[setups[i].root] ?? NO_EXPORTS, setups[i].scope);
  // Everything the engine is given but the bytes: what a file's result is cached under.
  const keyOf = (i: number, starts: Exports) =>
    hash("sha1", `${JSON.stringify([infos[i], setups[i].options, setups[i].scope, request.fix])}\0${contextKey(contextFor(i, starts))}`, "base64");
  const cached = (i: number, key: string) => cache?.get(setups[i].root, files[i], key) ?? null;
  // A file tree-sitter could not parse is judged by CPython after the run: its result is not kept.
  const keep = (i: number, key: string, result: FileResult) => !result.askCPython && cache?.set(setups[i].root, files[i], key, result);
  const settle = (i: number, starts: Exports, result: FileResult) => {
    results[i] = result;
    if (cache) keep(i, keyOf(i, starts), result);
  };
  let done = 0;
  const tick = () => request.progress?.(++done, files.length);
  /** Reads files; those that cannot be read are settled as errors. Returns the others. */
  const read = (indices: number[]) =>
    indices.filter((i) => {
      // The cache's stat is taken before the read: a write in between is seen by the next run.
      cache?.statOf(files[i]);
      try {
        originals[i] = fs.readFileSync(files[i]);
        return true;
      } catch (err) {
        results[i] = failed(infos[i].path, `cannot read: ${describeError(err)}`);
        tick();
        return false;
      }
    });
  /** processRound, with the results kept in the cache taken from it (and the others kept there). */
  const round = async (indices: number[], starts: Exports, onResult: () => void): Promise<FileResult[] | null> => {
    // Each key worked out once: a hash of the file's treatment, on every file of the round.
    const keys = cache ? indices.map((i) => keyOf(i, starts)) : [];
    const out: (FileResult | null)[] = indices.map((i, k) => (cache ? cached(i, keys[k]) : null));
    const todo = indices.filter((_, k) => !out[k]);
    for (const result of out) if (result) onResult();
    const computed = await processRound(todo.map(jobOf), starts, request, interrupted, onResult, trees);
    if (!computed) return null;
    let next = 0;
    return indices.map((i, k) => {
      if (out[k]) return out[k]!;
      const result = computed[next++];
      if (cache) keep(i, keys[k], result);
      return result;
    });
  };
  /**
   * With the model: a file that does not name the API is processed (in the last round, in
   * `again`) if its top level may call one of the project's starting functions, else settled
   * here at once, unparsed.
   */
  const queueOrSettle = (i: number, again: number[]) => {
    const context = contextFor(i, plan.exports);
    if (projectMatters(context) && mayHaveFindings(originals[i]!.toString("latin1"), context)) again.push(i);
    else {
      settle(i, plan.exports, processIsolated(infos[i], originals[i]!, setups[i].options, request.fix, context));
      tick();
    }
  };
  /** The last round: `again` with the model; `uncounted` of them were not counted in an earlier round. */
  const lastRound = async (again: number[], uncounted: number) => {
    const computed = await round(again, plan.exports, () => {
      if (uncounted-- > 0) tick();
    });
    if (!computed) return null;
    again.forEach((i, k) => (results[i] = computed[k]));
    // Units that span modules: a library's switch waits on its programs' bootstrap, then a
    // program's guard on some switch it serves (src/project/programs.ts).
    const inRun = new Set(files);
    const outside = new Map<string, Array<{ path: string; text: string }>>();
    const outsideOf = (i: number) => {
      const root = setups[i].root;
      let found = outside.get(root);
      if (!found) {
        found = (plan.projectFiles.get(root) ?? []).filter((f) => !inRun.has(f)).flatMap((f) => {
          try {
            return [{ path: displayPath(f), text: fs.readFileSync(f, "latin1") }];
          } catch {
            return [];
          }
        });
        outside.set(root, found);
      }
      return found;
    };
    // A library's site unknown only through its function's parameters, proved at every call (src/python/deferred.ts).
    const textAt = (i: number) => {
      try {
        return (originals[i] ??= fs.readFileSync(files[i])).toString("latin1");
      } catch {
        return null;
      }
    };
    for (const [i, discharged] of dischargedByCallers(results, textAt, outsideOf)) {
      results[i] = processIsolated(infos[i], originals[i]!, setups[i].options, request.fix, { ...contextFor(i, plan.exports), discharged }, trees);
    }
    const outsideRun = (r: typeof results) => heldBackOutsideRun(r, (i) => infos[i].project?.module ?? null, outsideOf);
    for (const holds of [programWideHeldBack, heldBackByPrograms, outsideRun, guardsHeldBack]) {
      for (const [i, unitBlock] of holds(results)) {
        originals[i] ??= fs.readFileSync(files[i]);
        results[i] = processIsolated(infos[i], originals[i]!, { ...setups[i].options, unitBlock }, request.fix, contextFor(i, plan.exports), trees);
      }
    }
    carryVerdicts(results);
    // The judge reads the trees of the rewrites.
    trees.retain(request.fix ? results.flatMap((r) => (r?.output ? [r.after] : [])) : []);
    cache?.save();
    return { results, originals };
  };

  const roots = [...plan.projects.keys()];
  const models = roots.map((root) => cache?.model(plan.projects.get(root)!, plan.projectFiles.get(root)!) ?? null);
  if (cache && models.every((model) => model !== null)) {
    roots.forEach((root, k) => plan.useExports(root, models[k]!));
    const missed = files.map((_, i) => i).filter((i) => {
      const kept = cached(i, keyOf(i, plan.exports));
      if (kept) results[i] = kept;
      return !kept;
    });
    for (let n = files.length - missed.length; n > 0; n--) tick();
    const again: number[] = [];
    for (const i of read(missed)) {
      if (mentionsApi(originals[i]!)) again.push(i);
      else queueOrSettle(i, again);
    }
    return lastRound(again, again.length);
  }

  const first: number[] = [];
  const rest: number[] = [];
  for (const i of read(files.map((_, i) => i))) (mentionsApi(originals[i]!) ? first : rest).push(i);
  // A first round on this thread leaves a core to CPython: it compiles meanwhile the large originals a fix may
  // rewrite (their rewrites are then compiled in part: src/judge.ts sparseRewrite).
  if (request.fix && defaultJobs() > 1 && first.length < MIN_FILES_FOR_WORKERS) {
    judge.prejudge(first.filter((i) => originals[i]!.length >= SPARSE_BYTES).map((i) => ({ path: infos[i].path, bytes: originals[i]! })));
  }
  // Progress counts a file once, when its first result is in.
  // The first round knows the project's modules (from their paths) but none of their names.
  const firstResults = await round(first, { ...plan.exports }, tick);
  if (!firstResults) return null;
  const known = new Map<string, { starts: DirectStart[]; aliases: Record<string, string> }>();
  first.forEach((i, k) => {
    const { starts, aliases } = firstResults[k];
    if (starts) known.set(files[i], { starts, aliases: aliases ?? {} });
  });
  const index = new Map(files.map((f, i) => [f, i]));
  plan.findStarts(known, (file) => originals[index.get(file) ?? -1] ?? null, trees);
  roots.forEach((root) => !plan.projects.get(root)!.partial && cache?.setModel(plan.projects.get(root)!, plan.projectFiles.get(root)!));

  const again: number[] = [];
  first.forEach((i, k) => {
    const context = contextFor(i, plan.exports);
    // The first round saw no other module's names: a file that may use one is processed again.
    if (projectMatters(context) && mayUseProjectNames(originals[i]!.toString("latin1"), context)) again.push(i);
    // A site the library fix rewrites may be one the project's tests patch: its safety changes.
    else if (Object.keys(context.patched ?? {}).length > 0 && firstResults[k].findings.some((f) => f.code === "SPS103")) again.push(i);
    else settle(i, plan.exports, firstResults[k]);
  });
  for (const i of rest) queueOrSettle(i, again);
  // Only the trees of the files processed again are read again (and, for fix, the rewrites', by the judge too).
  trees.retain([
    ...again.flatMap((i) => {
      const k = first.indexOf(i);
      return [textOf(originals[i]!), k >= 0 ? firstResults[k].after : ""];
    }),
    ...(request.fix ? firstResults.flatMap((r) => (r.output ? [r.after] : [])) : []),
  ]);
  // Files of the first round were counted then; the others count now.
  const firstSet = new Set(first);
  return lastRound(again, again.filter((i) => !firstSet.has(i)).length);
}

/** A file's text as the engine decodes it ("" when it cannot be). */
function textOf(bytes: Buffer): string {
  try {
    return decodeSource(bytes).text;
  } catch {
    return "";
  }
}

/** A digest of the project names a file sees, worked out once per view. */
const contextKeys = new WeakMap<Record<string, string[]>, string>();
function contextKey(context: ModuleContext): string {
  let key = contextKeys.get(context.startingFunctions);
  if (key === undefined) {
    key = hash("sha1", JSON.stringify([context.startingFunctions, context.aliases, context.packages, context.patched ?? {}]), "base64");
    contextKeys.set(context.startingFunctions, key);
  }
  return key;
}

/** One round of jobs: in worker threads when there are enough, else here. Null when interrupted. */
async function processRound(
  jobs: Job[],
  projectExports: Exports,
  request: RunRequest,
  interrupted: () => boolean,
  onResult: () => void,
  trees?: Trees,
): Promise<FileResult[] | null> {
  const threads = Math.min(Math.max(1, Math.floor(request.jobs ?? defaultJobs())), jobs.length);
  if (threads > 1 && jobs.length >= MIN_FILES_FOR_WORKERS) {
    return processInWorkers(jobs, projectExports, request.fix, threads, interrupted, onResult);
  }
  const results: FileResult[] = [];
  for (const job of jobs) {
    await nextTurn();
    if (interrupted()) return null;
    results.push(processIsolated(job.info, job.bytes, job.options, request.fix, contextOf(projectExports[job.root] ?? NO_EXPORTS, job.scope), trees));
    onResult();
  }
  return results;
}

export function displayPath(file: string): string {
  return (pathInside(process.cwd(), file) || file).split(path.sep).join("/");
}

export function fileInfo(file: string, shownAs: string, isPackageDir = hasInitPy): FileInfo {
  const dir = path.dirname(file);
  return { path: shownAs, packageDir: isPackageDir(dir) ? displayPath(dir) : null, isMainModule: path.basename(file) === "__main__.py" };
}

function failed(shownAs: string, message: string): FileResult {
  return { path: shownAs, decision: null, findings: [], error: { message, line: 1, column: 1 }, before: "", after: "", output: null, passes: 0 };
}

function describeError(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}
