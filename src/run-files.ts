// A run over many files: discover, read, process each (in worker threads when there are
// enough files to pay for them), then write what changed safely, one file at a time.
import { hash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { hasInitPy, pathInside } from "./project/paths";
import type { FileResult } from "./engine";
import { mayHaveFindings, mayUseProjectNames, mentionsApi, projectMatters } from "./python/gate";
import type { DirectStart } from "./python/module-summary";
import type { ModuleContext } from "./python/module";
import { contextOf } from "./project/project";
import { NO_EXPORTS, type ProjectExports } from "./project/project-exports";
import { ResultCache } from "./project/cache";
import { processIsolated } from "./isolate";
import { processInWorkers, type Job } from "./project/thread-pool";
import { planRun, type PlannedFile, type RunPlan } from "./project/plan";
import { uncommittedChanges, type DirtyFile } from "./project/git";
import { writeSafely } from "./project/write";
import { carryVerdicts, dischargedByCallers, guardsHeldBack, heldBackByPrograms, heldBackOutsideRun, programWideHeldBack, startMethodHeldBack, unreachedLibraries } from "./project/programs";
import { Judge, judgeResults, SPARSE_BYTES } from "./judge";
import type { FileInfo } from "./file-info";
import type { Options } from "./options";
import { decodeSource } from "./parse";
import { transforms } from "../transforms/registry";
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
  let processed: Processed | null;
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

/** The codes of the findings that depend on the patches of the project's tests (Transform.readsTestPatches). */
/** What the message of a site's unsafe fix says when a child reads a project module (src/python/crossing.ts). */
const PROJECT_STATE_READ = "project module code or state";
const READS_TEST_PATCHES = new Set(transforms.filter((t) => t.readsTestPatches).map((t) => t.code));

/** One run's files as they are processed: each one's setup, bytes and result, by index. */
interface Batch {
  files: string[];
  plan: RunPlan;
  request: RunRequest;
  interrupted: () => boolean;
  /** The trees parsed on this thread (src/trees.ts). */
  trees: Trees;
  setups: PlannedFile[];
  infos: FileInfo[];
  results: FileResult[];
  originals: (Buffer | null)[];
  cache: ResultCache | null;
  /** Counts one more file done, for the progress bar. */
  tick: () => void;
}

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
async function processAll(files: string[], plan: RunPlan, request: RunRequest, interrupted: () => boolean, trees: Trees, judge: Judge): Promise<Processed | null> {
  const batch = newBatch(files, plan, request, interrupted, trees);
  if (useKeptModels(batch)) return processWithKeptModels(batch);
  const { first, rest } = readAndSort(batch);
  prejudgeLargeOriginals(batch, first, judge);
  // Progress counts a file once, when its first result is in.
  // The first round knows the project's modules (from their paths) but none of their names.
  const firstResults = await cachedRound(batch, first, { ...plan.exports }, batch.tick);
  if (!firstResults) return null;
  buildProjectModel(batch, first, firstResults);
  const again = settleOrQueue(batch, first, firstResults, rest);
  retainTreesForLastRound(batch, again, first, firstResults);
  // Files of the first round were counted then; the others count now.
  const firstSet = new Set(first);
  return lastRound(batch, again, again.filter((i) => !firstSet.has(i)).length);
}

interface Processed {
  results: FileResult[];
  originals: (Buffer | null)[];
}

function newBatch(files: string[], plan: RunPlan, request: RunRequest, interrupted: () => boolean, trees: Trees): Batch {
  const setups = files.map((f) => plan.setup(f));
  let done = 0;
  return {
    files,
    plan,
    request,
    interrupted,
    trees,
    setups,
    infos: files.map((f, i) => ({ ...fileInfo(f, displayPath(f), plan.isPackageDir), project: setups[i].facts })),
    results: new Array(files.length),
    originals: new Array(files.length).fill(null),
    cache: request.cache ? new ResultCache(request.cache) : null,
    tick: () => request.progress?.(++done, files.length),
  };
}

/** The names of the project a file sees, from the exports `known` of each project. */
function contextFor(batch: Batch, i: number, known: Exports): ModuleContext {
  return contextOf(known[batch.setups[i].root] ?? NO_EXPORTS, batch.setups[i].scope);
}

/** Everything the engine is given but the bytes: what a file's result is cached under. */
function keyOf(batch: Batch, i: number, starts: Exports): string {
  const { infos, setups, request } = batch;
  return hash("sha1", `${JSON.stringify([infos[i], setups[i].options, setups[i].scope, request.fix])}\0${contextKey(contextFor(batch, i, starts))}`, "base64");
}

function cached(batch: Batch, i: number, key: string): FileResult | null {
  return batch.cache?.get(batch.setups[i].root, batch.files[i], key) ?? null;
}

/** Keeps a result in the cache; a file tree-sitter could not parse is judged by CPython after the run: its result is not kept. */
function keep(batch: Batch, i: number, key: string, result: FileResult): void {
  if (!result.askCPython) batch.cache?.set(batch.setups[i].root, batch.files[i], key, result);
}

function settle(batch: Batch, i: number, starts: Exports, result: FileResult): void {
  batch.results[i] = result;
  if (batch.cache) keep(batch, i, keyOf(batch, i, starts), result);
}

function jobOf(batch: Batch, i: number): Job {
  const { infos, originals, setups } = batch;
  return { info: infos[i], bytes: originals[i]!, options: setups[i].options, root: setups[i].root, scope: setups[i].scope };
}

/** Reads files; those that cannot be read are settled as errors. Returns the others. */
function readFiles(batch: Batch, indices: number[]): number[] {
  return indices.filter((i) => {
    // The cache's stat is taken before the read: a write in between is seen by the next run.
    batch.cache?.statOf(batch.files[i]);
    try {
      batch.originals[i] = fs.readFileSync(batch.files[i]);
      return true;
    } catch (err) {
      batch.results[i] = failed(batch.infos[i].path, `cannot read: ${describeError(err)}`);
      batch.tick();
      return false;
    }
  });
}

/** processRound, with the results kept in the cache taken from it (and the others kept there). */
async function cachedRound(batch: Batch, indices: number[], starts: Exports, onResult: () => void): Promise<FileResult[] | null> {
  const { cache } = batch;
  // Each key worked out once: a hash of the file's treatment, on every file of the round.
  const keys = cache ? indices.map((i) => keyOf(batch, i, starts)) : [];
  const out: (FileResult | null)[] = indices.map((i, k) => (cache ? cached(batch, i, keys[k]) : null));
  const todo = indices.filter((_, k) => !out[k]);
  for (const result of out) if (result) onResult();
  const computed = await processRound(todo.map((i) => jobOf(batch, i)), starts, batch.request, batch.interrupted, onResult, batch.trees);
  if (!computed) return null;
  let next = 0;
  return indices.map((i, k) => {
    if (out[k]) return out[k]!;
    const result = computed[next++];
    if (cache) keep(batch, i, keys[k], result);
    return result;
  });
}

/** When the cache kept every project's model (no file of any project changed), the run uses them. */
function useKeptModels(batch: Batch): boolean {
  const { cache, plan } = batch;
  const roots = [...plan.projects.keys()];
  const models = roots.map((root) => cache?.model(plan.projects.get(root)!, plan.projectFiles.get(root)!) ?? null);
  if (!cache || !models.every((model) => model !== null)) return false;
  roots.forEach((root, k) => plan.useExports(root, models[k]!));
  return true;
}

/** With the kept models: the kept results are taken, and the other files read and processed once, in the last round. */
function processWithKeptModels(batch: Batch): Promise<Processed | null> {
  const { files, plan, results, originals } = batch;
  const missed = files.map((_, i) => i).filter((i) => {
    const kept = cached(batch, i, keyOf(batch, i, plan.exports));
    if (kept) results[i] = kept;
    return !kept;
  });
  for (let n = files.length - missed.length; n > 0; n--) batch.tick();
  const again: number[] = [];
  for (const i of readFiles(batch, missed)) {
    if (mentionsApi(originals[i]!)) again.push(i);
    else queueOrSettle(batch, i, again);
  }
  return lastRound(batch, again, again.length);
}

/** Reads every file: those that name the API go to the first round, the others wait for the model. */
function readAndSort(batch: Batch): { first: number[]; rest: number[] } {
  const first: number[] = [];
  const rest: number[] = [];
  for (const i of readFiles(batch, batch.files.map((_, i) => i))) (mentionsApi(batch.originals[i]!) ? first : rest).push(i);
  return { first, rest };
}

/**
 * A first round on this thread leaves a core to CPython: it compiles meanwhile the large originals a fix may
 * rewrite (their rewrites are then compiled in part: src/judge.ts sparseRewrite).
 */
function prejudgeLargeOriginals(batch: Batch, first: number[], judge: Judge): void {
  if (!batch.request.fix || defaultJobs() <= 1 || first.length >= MIN_FILES_FOR_WORKERS) return;
  judge.prejudge(first.filter((i) => batch.originals[i]!.length >= SPARSE_BYTES).map((i) => ({ path: batch.infos[i].path, bytes: batch.originals[i]! })));
}

/** The project model: which functions of each project start processes, from what the first round showed. */
function buildProjectModel(batch: Batch, first: number[], firstResults: FileResult[]): void {
  const { files, plan, originals, cache } = batch;
  const known = new Map<string, { starts: DirectStart[]; aliases: Record<string, string> }>();
  first.forEach((i, k) => {
    const { starts, aliases } = firstResults[k];
    if (starts) known.set(files[i], { starts, aliases: aliases ?? {} });
  });
  const index = new Map(files.map((f, i) => [f, i]));
  plan.findStarts(known, (file) => originals[index.get(file) ?? -1] ?? null, batch.trees);
  for (const [root, project] of plan.projects) if (!project.partial) cache?.setModel(project, plan.projectFiles.get(root)!);
}

/**
 * With the model: the first round's results that it cannot change are settled; the files it
 * may change are returned, to be processed again in the last round.
 */
function settleOrQueue(batch: Batch, first: number[], firstResults: FileResult[], rest: number[]): number[] {
  const { plan, originals } = batch;
  const again: number[] = [];
  first.forEach((i, k) => {
    const context = contextFor(batch, i, plan.exports);
    // The first round saw no other module's names: a file that may use one is processed again.
    if (projectMatters(context) && mayUseProjectNames(originals[i]!.toString("latin1"), context)) again.push(i);
    // A finding that reads the tests' patches (a site they patch, whose fix's safety changes) was made without them.
    else if (Object.keys(context.patched ?? {}).length > 0 && firstResults[k].findings.some((f) => READS_TEST_PATCHES.has(f.code))) again.push(i);
    // A child's read of a project module is proved only with the project's modules read (src/python/project-state.ts).
    else if (context.volatile && firstResults[k].findings.some((f) => f.applicability === "unsafe" && f.message.includes(PROJECT_STATE_READ))) again.push(i);
    else settle(batch, i, plan.exports, firstResults[k]);
  });
  for (const i of rest) queueOrSettle(batch, i, again);
  return again;
}

/**
 * With the model: a file that does not name the API is processed (in the last round, in
 * `again`) if its top level may call one of the project's starting functions, else settled
 * here at once, unparsed.
 */
function queueOrSettle(batch: Batch, i: number, again: number[]): void {
  const { plan, originals, infos, setups, request } = batch;
  const context = contextFor(batch, i, plan.exports);
  if (projectMatters(context) && mayHaveFindings(originals[i]!.toString("latin1"), context)) again.push(i);
  else {
    settle(batch, i, plan.exports, processIsolated(infos[i], originals[i]!, setups[i].options, request.fix, context));
    batch.tick();
  }
}

/** Only the trees of the files processed again are read again (and, for fix, the rewrites', by the judge too). */
function retainTreesForLastRound(batch: Batch, again: number[], first: number[], firstResults: FileResult[]): void {
  batch.trees.retain([
    ...again.flatMap((i) => {
      const k = first.indexOf(i);
      return [textOf(batch.originals[i]!), k >= 0 ? firstResults[k].after : ""];
    }),
    ...(batch.request.fix ? firstResults.flatMap((r) => (r.output ? [r.after] : [])) : []),
  ]);
}

/** The last round: `again` with the model; `uncounted` of them were not counted in an earlier round. */
async function lastRound(batch: Batch, again: number[], uncounted: number): Promise<Processed | null> {
  const { results, originals, request } = batch;
  const computed = await cachedRound(batch, again, batch.plan.exports, () => {
    if (uncounted-- > 0) batch.tick();
  });
  if (!computed) return null;
  again.forEach((i, k) => (results[i] = computed[k]));
  settleUnitsAcrossModules(batch);
  carryVerdicts(results);
  // The judge reads the trees of the rewrites.
  batch.trees.retain(request.fix ? results.flatMap((r) => (r?.output ? [r.after] : [])) : []);
  batch.cache?.save();
  return { results, originals };
}

/**
 * Units that span modules (src/project/programs.ts): a program-wide fix waits while other
 * modules make processes, a library's switch on its programs' bootstrap, then a program's
 * guard on some switch it serves. A file held back is processed again.
 */
function settleUnitsAcrossModules(batch: Batch): void {
  const { files, plan, infos, setups, results, originals, request } = batch;
  const inRun = new Set(files);
  const outside = new Map<string, Array<{ path: string; text: string }>>();
  // The project's files the run leaves out, read once per project.
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
    results[i] = processIsolated(infos[i], originals[i]!, setups[i].options, request.fix, { ...contextFor(batch, i, plan.exports), discharged }, batch.trees);
  }
  const outsideRun = (r: typeof results) => heldBackOutsideRun(r, (i) => infos[i].project?.module ?? null, outsideOf);
  // A file run as a program: a script or `__main__`, a module with a main guard or a console script, a test.
  const isProgram = (i: number) => {
    const info = infos[i];
    if (results[i]?.decision?.role === "app" || info.isMainModule || (info.project?.entryPoints.length ?? 0) > 0 || TEST_FILE.test(info.path)) return true;
    const text = textAt(i);
    return text !== null && MAIN_GUARD.test(text);
  };
  const unreached = (r: typeof results) => {
    const blocks = unreachedLibraries(r, isProgram);
    // A project that publishes no package is imported by its own programs only: those are the ones judged.
    for (const i of [...blocks.keys()]) if (!infos[i].project?.published) blocks.delete(i);
    return blocks;
  };
  for (const holds of [programWideHeldBack, heldBackByPrograms, outsideRun, unreached, startMethodHeldBack, guardsHeldBack]) {
    for (const [i, unitBlock] of holds(results)) {
      originals[i] ??= fs.readFileSync(files[i]);
      results[i] = processIsolated(infos[i], originals[i]!, { ...setups[i].options, unitBlock }, request.fix, contextFor(batch, i, plan.exports), batch.trees);
    }
  }
}

/** A test module, run by a test runner (whose own main is guarded). */
const TEST_FILE = /(^|[\\/])(tests?[\\/].*|test_[^\\/]*\.py|[^\\/]*_test\.py|conftest\.py)$/;
const MAIN_GUARD = /^if\s+\(?\s*__name__\s*==\s*["']__main__["']/m;

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
    key = hash("sha1", JSON.stringify([context.startingFunctions, context.aliases, context.packages, context.patched ?? {}, context.volatile ?? null]), "base64");
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
