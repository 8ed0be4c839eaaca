// Command-line wiring only: commands, options, output and exit codes.
import * as fs from "node:fs";
import * as path from "node:path";
import yargs from "yargs";
import { defaultJobs, run, type RunRequest, type RunResult } from "./run";
import { processStdin, readStdin, stdinExcluded, STDIN_NAME } from "./stdin";
import { NO_PROGRESS, progressBar } from "./report/progress";
import { excludeGlobs } from "./project/discover";
import { transforms, transformByCode } from "../transforms";
import { unifiedDiff } from "./report/diff";
import { errorLine, findingLine, fixSummary, unchangedLine, type Style } from "./report/text";
import { jsonReport } from "./report/json";
import { sarifReport } from "./report/sarif";
import { githubAnnotation } from "./report/github";
import type { FileResult } from "./engine";
import { ConfigError } from "./project/config";
import { defaultCacheDir } from "./project/cache";
import type { Mode, StartMethod } from "./transform";

export const EXIT = { ok: 0, found: 1, error: 2, interrupted: 130, terminated: 143 } as const;

type Format = "text" | "json" | "sarif" | "github";

interface CommonArgs {
  paths: string[];
  /** Absent unless given: the configuration may set it (src/project/plan.ts applies the defaults). */
  mode?: Mode;
  method?: StartMethod;
  config?: string;
  isolated: boolean;
  format: Format;
  quiet: boolean;
  exclude: string[];
  extendExclude: string[];
  forceExclude: boolean;
  stdinFilename: string | null;
  jobs: number;
  cache: boolean;
  cacheDir?: string;
  unsafeFixes: boolean;
}

/** yargs drops a bare "-" among positionals; it stands for stdin, so it is renamed first. */
const STDIN_ARG = "\0stdin";
const TAKES_VALUE = new Set(["--mode", "--method", "--format", "--exclude", "--extend-exclude", "--stdin-filename", "--jobs", "-j", "--cache-dir"]);

function out(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : text + "\n");
}
function err(text: string): void {
  process.stderr.write(text.endsWith("\n") ? text : text + "\n");
}

/**
 * A reader that stops early (`spawnsafe check . | head`) closes the pipe: stop writing,
 * quietly, as other command-line tools do, instead of dying on EPIPE.
 */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e;
      process.exit(process.exitCode ?? EXIT.ok);
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  quietOnClosedPipe();
  let code: number = EXIT.ok;
  let usageError: string | null = null;
  const dashAt = argv.indexOf("--");
  const args = argv.map((a, i) => (a === "-" && (dashAt < 0 || i < dashAt) && !TAKES_VALUE.has(argv[i - 1]) ? STDIN_ARG : a));
  let internalError: Error | null = null;
  const parser = yargs(args)
    .scriptName("spawnsafe")
    .usage("$0 <command> [paths..]\n\nMigrate Python code off multiprocessing's fork start method and find what breaks under spawn.")
    // No yargs default for mode and method: a flag given explicitly wins over the configuration, an absent one does not.
    .option("mode", { choices: ["auto", "app", "lib"] as const, defaultDescription: '"auto"', describe: "app: set the start method in the main guard; lib: explicit contexts at creation sites; auto: decide per file" })
    .option("method", { choices: ["spawn", "forkserver"] as const, defaultDescription: '"spawn"', describe: "start method to migrate to" })
    .option("config", { type: "string", describe: "read settings from this TOML file instead of [tool.spawnsafe] in the project's pyproject.toml" })
    .option("isolated", { type: "boolean", default: false, describe: "read no configuration file" })
    .option("format", { choices: ["text", "json", "sarif", "github"] as const, default: "text" as Format, describe: "output format" })
    .option("quiet", { alias: "q", type: "boolean", default: false, describe: "print only findings, diffs and errors: no per-file account, summary line or progress bar" })
    // One value per flag (repeat the flag for more): an array option would swallow the paths after it.
    .option("exclude", { type: "string", default: [] as string[], coerce: repeatable, describe: "glob of paths to skip (repeatable); replaces the exclude list of the configuration" })
    .option("extend-exclude", { type: "string", default: [] as string[], coerce: repeatable, describe: "glob of paths to skip, added to the configured exclude list (repeatable)" })
    .option("force-exclude", { type: "boolean", default: false, describe: "apply the exclusions to files named on the command line too (for pre-commit)" })
    .option("stdin-filename", { type: "string", describe: "with the path -: the path of the file read from stdin (decides its package and role)" })
    .option("cache", { type: "boolean", default: true, describe: "reuse the results of files unchanged since the last run (--no-cache: read and write no cache)" })
    .option("cache-dir", { type: "string", describe: "where the cache is kept (default: $SPAWNSAFE_CACHE_DIR, else $XDG_CACHE_HOME/spawnsafe, else ~/.cache/spawnsafe)" })
    .option("unsafe-fixes", { type: "boolean", default: false, describe: "apply fixes spawnsafe cannot prove keep the program working too (each finding says why it is unsafe)" })
    .option("jobs", { alias: "j", type: "number", default: defaultJobs(), describe: "worker threads (1: everything on the main thread)" })
    .command(
      "fix [paths..]",
      "rewrite files in place (or print a diff with --dry-run)",
      (y) =>
        y
          .positional("paths", { type: "string", array: true, default: [] as string[], defaultDescription: ".", describe: "files and directories; - reads stdin" })
          .option("dry-run", { type: "boolean", default: false, describe: "print a unified diff and write nothing" })
          .option("allow-dirty", { type: "boolean", default: false, describe: "write files that have uncommitted changes in git" }),
      async (args) => {
        const problem = usageProblem(args);
        if (problem) usageError = problem;
        else code = await configured(() => fixCommand(commonArgs(args) as FixArgs));
      },
    )
    .command(
      "check [paths..]",
      "report findings, write nothing",
      (y) => y.positional("paths", { type: "string", array: true, default: [] as string[], defaultDescription: ".", describe: "files and directories; - reads stdin" }),
      async (args) => {
        const problem = usageProblem(args);
        if (problem) usageError = problem;
        else code = await configured(() => checkCommand(commonArgs(args)));
      },
    )
    .command("rules", "list every finding code", () => {}, () => {
      code = rulesCommand();
    })
    .command(
      "explain <code>",
      "print the documentation of a finding",
      (y) => y.positional("code", { type: "string", demandOption: true }),
      (args) => {
        code = explainCommand(String(args.code));
      },
    )
    .demandCommand(1, "give a command: fix, check, rules or explain")
    .strict()
    .help()
    .version()
    .exitProcess(false)
    .fail((msg, e) => {
      // Without a message, the error was thrown by a command: a bug, not a usage error.
      if (!msg && e && !(e instanceof UsageError)) internalError = e;
      else usageError = msg ?? e?.message ?? "usage error";
    });
  try {
    await parser.parseAsync();
  } catch (e) {
    if (e instanceof UsageError) usageError = e.message;
    else if (!usageError) internalError ??= e as Error;
  }
  if (internalError) {
    err(`spawnsafe: internal error: ${(internalError as Error).stack ?? internalError}`);
    return EXIT.error;
  }
  if (usageError) {
    err(`spawnsafe: ${usageError}\nRun 'spawnsafe --help' for usage.`);
    return EXIT.error;
  }
  return code;
}

/**
 * Checked in the command handlers, before anything runs: yargs calls a command's handler
 * before a global .check() fails, so a check there would come after the files were written.
 */
function usageProblem(a: Record<string, unknown>): string | null {
  if (a.config !== undefined && a.isolated) return "--config and --isolated cannot be used together";
  for (const key of ["mode", "method", "config"]) {
    if (Array.isArray(a[key])) return `--${key} given more than once`;
  }
  if (!Number.isInteger(a.jobs) || (a.jobs as number) < 1) return `--jobs must be a positive integer, not ${a.jobs}`;
  return null;
}

/** A configuration error stops the run before any file is read or written: exit 2. */
async function configured(runIt: () => Promise<number>): Promise<number> {
  try {
    return await runIt();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    err(`spawnsafe: ${e.message}`);
    return EXIT.error;
  }
}

function style(): Style {
  return { color: !!process.stdout.isTTY && !process.env.NO_COLOR };
}

class UsageError extends Error {}

function repeatable(value: string | string[]): string[] {
  return ([] as string[]).concat(value);
}

type FixArgs = CommonArgs & { dryRun: boolean; allowDirty: boolean };

/** The parsed arguments, with "-" restored and the default path filled in; stdin mode checked. */
function commonArgs(parsed: Record<string, unknown>): CommonArgs {
  const args = parsed as unknown as CommonArgs;
  const paths = args.paths.map((p) => (p === STDIN_ARG ? STDIN_NAME : p));
  const stdinFilename = args.stdinFilename ?? null;
  if (paths.includes(STDIN_NAME) && paths.length > 1) throw new UsageError("the path - (stdin) cannot be combined with other paths");
  if (stdinFilename !== null && paths.length > 0 && paths[0] !== STDIN_NAME) throw new UsageError("--stdin-filename goes with the path - (stdin)");
  // As ruff: --stdin-filename alone means stdin.
  const effective = paths.length > 0 ? paths : stdinFilename !== null ? [STDIN_NAME] : ["."];
  return { ...args, paths: effective, stdinFilename };
}

/** The command line's globs; the configuration's `exclude` is added per project (src/project/plan.ts). */
function excludeList(args: CommonArgs): string[] {
  return excludeGlobs({ exclude: [], extendExclude: [] }, args);
}

/**
 * The bar waits a second before its first draw; SPAWNSAFE_PROGRESS_DELAY_MS changes that
 * (0 draws at every file: what the tests use, so that they do not depend on the machine's speed).
 */
function progressTiming(): { delayMs?: number; intervalMs?: number } {
  const delay = Number(process.env.SPAWNSAFE_PROGRESS_DELAY_MS);
  if (process.env.SPAWNSAFE_PROGRESS_DELAY_MS === undefined || !Number.isFinite(delay) || delay < 0) return {};
  return { delayMs: delay, intervalMs: Math.min(100, delay) };
}

function isStdin(args: CommonArgs): boolean {
  return args.paths.length === 1 && args.paths[0] === STDIN_NAME;
}

function execute(args: CommonArgs, fix: boolean, write: boolean, extra: Partial<RunRequest> = {}): Promise<RunResult> {
  const bar = args.quiet ? NO_PROGRESS : progressBar(process.stderr, progressTiming());
  return run({
    paths: args.paths,
    exclude: excludeList(args),
    // --exclude replaces the configuration's list (as ruff's does); --extend-exclude adds to it.
    replaceConfiguredExclude: args.exclude.length > 0,
    forceExclude: args.forceExclude,
    options: { ...(args.mode ? { mode: args.mode } : {}), ...(args.method ? { method: args.method } : {}), ...(args.unsafeFixes ? { unsafeFixes: true } : {}) },
    config: args.config ?? null,
    isolated: args.isolated,
    fix,
    write,
    jobs: args.jobs,
    cache: !args.cache ? null : args.cacheDir !== undefined ? path.resolve(args.cacheDir) : defaultCacheDir(),
    progress: bar.update,
    ...extra,
  }).finally(bar.finish);
}

/**
 * While `fix` may write, SIGINT (and SIGTERM) stop the run between two files: no new write
 * starts, the one under way finishes (a write is a rename: the file is old or new, never
 * half), and no temporary file stays behind.
 */
async function executeInterruptibly(args: FixArgs): Promise<{ result: RunResult; signal: NodeJS.Signals | null }> {
  if (args.dryRun) return { result: await execute(args, true, false), signal: null };
  let signal: NodeJS.Signals | null = null;
  const onSignal = (s: NodeJS.Signals) => {
    signal ??= s;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const result = await execute(args, true, true, { interrupted: () => signal !== null, allowDirty: args.allowDirty });
    return { result, signal };
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function reportMissing(result: RunResult): void {
  for (const p of result.missing) err(`spawnsafe: ${p}: no such file or directory`);
  for (const u of result.unreadable) err(`spawnsafe: ${u.path}: cannot read: ${u.reason}`);
}

function hasErrors(result: RunResult): boolean {
  return result.missing.length > 0 || result.unreadable.length > 0 || result.results.some((r) => r.error);
}

function summaryLine(result: RunResult): string {
  const changed = result.results.filter((r) => r.output && !r.error).length;
  const findings = result.results.reduce((n, r) => n + r.findings.filter((f) => !f.fixed).length, 0);
  const errors = result.results.filter((r) => r.error).length + result.missing.length + result.unreadable.length;
  return `${result.results.length} files scanned, ${changed} changed, ${findings} findings, ${errors} errors in ${result.seconds.toFixed(2)} s`;
}

async function fixCommand(args: FixArgs): Promise<number> {
  if (isStdin(args)) return stdinCommand("fix", args, args.dryRun);
  const { result, signal } = await executeInterruptibly(args);
  if (result.interrupted) {
    err(`spawnsafe: interrupted: ${result.written} file${result.written === 1 ? "" : "s"} written, every other file left as it was`);
    return signal === "SIGTERM" ? EXIT.terminated : EXIT.interrupted;
  }
  if (result.refused) {
    reportRefusal(result.refused);
    return EXIT.error;
  }
  printResult("fix", args, result, args.dryRun);
  if (hasErrors(result)) return EXIT.error;
  if (args.dryRun && result.results.some((r) => r.output)) return EXIT.found;
  return EXIT.ok;
}

/** As `cargo fix`: name the files, write none of them. */
function reportRefusal(refused: NonNullable<RunResult["refused"]>): void {
  if (refused.problem) {
    err(`spawnsafe: ${refused.problem}\nNothing was written. Run again with --allow-dirty to fix anyway.`);
    return;
  }
  const lines = refused.dirty.map((d) => `  ${d.file} (${d.state})`);
  err(
    `spawnsafe: fix would change files that have uncommitted changes in git:\n${lines.join("\n")}\n` +
      "Nothing was written. Commit or stash them first, or run again with --allow-dirty.",
  );
}

async function checkCommand(args: CommonArgs): Promise<number> {
  if (isStdin(args)) return stdinCommand("check", args, false);
  const result = await execute(args, false, false);
  printResult("check", args, result, false);
  if (hasErrors(result)) return EXIT.error;
  return result.results.some((r) => r.findings.length > 0) ? EXIT.found : EXIT.ok;
}

/**
 * `fix -` prints the whole file on stdout, fixed or, when it cannot be processed, as it came
 * (a pipe or an editor never loses the text); its report goes to stderr. `fix --dry-run -`
 * and `check -` report as for a file of the --stdin-filename name.
 */
async function stdinCommand(command: "check" | "fix", args: CommonArgs, dryRun: boolean): Promise<number> {
  const rewrite = command === "fix" && !dryRun;
  if (rewrite && args.format !== "text") throw new UsageError(`fix - prints the fixed file on stdout; --format ${args.format} goes with check - or fix --dry-run -`);
  const started = process.hrtime.bigint();
  const bytes = await readStdin();
  const excluded = args.forceExclude && stdinExcluded(args.stdinFilename, excludeList(args));
  const results = excluded ? [] : [processStdin(bytes, args.stdinFilename, { mode: args.mode ?? "auto", method: args.method ?? "spawn", ...(args.unsafeFixes ? { unsafeFixes: true } : {}) }, command === "fix")];
  const result: RunResult = { results, missing: [], unreadable: [], seconds: Number(process.hrtime.bigint() - started) / 1e9, written: 0, interrupted: false };
  if (rewrite) {
    const r = results[0];
    process.stdout.write(r?.output && !r.error ? r.output : bytes);
    for (const r of results) {
      if (r.error) err(errorLine(r, { color: false }));
      if (r.output && !args.quiet) err(fixSummary(r, { color: false }, false).join("\n"));
      for (const f of r.findings.filter((f) => !f.fixed)) err(findingLine(r.path, f, { color: false }));
    }
    if (!args.quiet) err(summaryLine(result));
    return hasErrors(result) ? EXIT.error : EXIT.ok;
  }
  printResult(command, args, result, dryRun);
  if (hasErrors(result)) return EXIT.error;
  if (command === "fix") return results.some((r) => r.output) ? EXIT.found : EXIT.ok;
  return results.some((r) => r.findings.length > 0) ? EXIT.found : EXIT.ok;
}

/**
 * stdout carries the result (findings, diffs, or the machine-readable report); stderr the
 * errors and, in every format, the summary line (not with --quiet). With --dry-run, stdout
 * is a patch and nothing else.
 */
function printResult(command: "check" | "fix", args: CommonArgs, result: RunResult, dryRun: boolean): void {
  reportMissing(result);
  const unfixed = (r: FileResult) => r.findings.filter((f) => !f.fixed);
  switch (args.format) {
    case "json":
      out(JSON.stringify(jsonReport(command, dryRun, result.results), null, 2));
      break;
    case "sarif":
      out(JSON.stringify(sarifReport(result.results, transforms, (t) => fs.readFileSync(docPath(t.name), "utf8"), packageVersion()), null, 2));
      break;
    case "github":
      for (const r of result.results) {
        if (r.error) out(githubAnnotation("error", r.path, r.error, "spawnsafe", r.error.message));
        for (const f of unfixed(r)) out(githubAnnotation("warning", r.path, f, `${f.code} ${f.name}`, f.message));
      }
      break;
    case "text": {
      const s = style();
      const findingsTo = dryRun ? err : out;
      for (const r of result.results) {
        if (r.error) err(errorLine(r, { color: false }));
        if (r.output && command === "fix") {
          if (dryRun) out(unifiedDiff(r.path, r.before, r.after));
          if (!args.quiet) findingsTo(fixSummary(r, dryRun ? { color: false } : s, dryRun).join("\n"));
        } else if (command === "fix" && !args.quiet && !r.error && r.decision && r.decision.role !== "none") {
          findingsTo(unchangedLine(r, dryRun ? { color: false } : s));
        }
        for (const f of unfixed(r)) findingsTo(findingLine(r.path, f, dryRun ? { color: false } : s));
      }
    }
  }
  if (!args.quiet) err(summaryLine(result));
}

function packageVersion(): string {
  return JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "..", "package.json"), "utf8")).version;
}

function rulesCommand(): number {
  for (const t of transforms) out(`${t.code}  ${t.name.padEnd(30)} fix: ${t.fix.padEnd(9)} ${t.summary}`);
  return EXIT.ok;
}

export function docPath(name: string): string {
  return path.resolve(__dirname, "..", "..", "transforms", `${name}.md`);
}

function explainCommand(code: string): number {
  const transform = transformByCode(code);
  if (!transform) {
    err(`spawnsafe: unknown code ${code}; 'spawnsafe rules' lists them`);
    return EXIT.error;
  }
  out(fs.readFileSync(docPath(transform.name), "utf8"));
  return EXIT.ok;
}
