// Command-line wiring only: commands, options, output and exit codes. The arguments are
// parsed and checked whole (src/args.ts) before any command starts, so a usage error never
// comes after a file was read or written.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseCommandLine, UsageError, type CommandSpec, type OptionSpec, type Values } from "./args";
import type { RunRequest, RunResult } from "./run";
import type { Mode, StartMethod } from "./transform";
import { NO_PROGRESS, progressBar } from "./report/progress";
import { counts, footer, statistics, statisticsText, summaryLine, type Counts } from "./report/summary";
import type { RefusedReport } from "./report/json";

export const EXIT = { ok: 0, found: 1, error: 2 } as const;

/** 128 + the signal's number, as shells report a process a signal stopped. */
const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGQUIT: 131, SIGTERM: 143 };

export const FORMATS = ["text", "json", "json-lines", "sarif", "github"] as const;
export type Format = (typeof FORMATS)[number];

const ABOUT = "Migrate Python code off multiprocessing's fork start method and find what breaks under spawn.";

const MARKERS =
  "Findings are marked by their fix: [*] a safe fix, applied by `spawnsafe fix`; [-] an unsafe fix,\n" +
  "applied only with --unsafe-fixes (spawnsafe cannot show it keeps the program working); no mark: no fix.";

const EXIT_STATUS = {
  check: "Exit status: 0 no findings, 1 findings (0 with --exit-zero), 2 a usage error or a file that could not be processed.",
  fix:
    "Exit status: 0 done (with or without changes), 1 with --dry-run/--diff when a change would be made or with\n" +
    "--exit-non-zero-on-fix when one was (0 with --exit-zero), 2 a usage error, a file that could not be processed\n" +
    "or written, or a refused dirty tree; 129, 130, 131, 143 when stopped by SIGHUP, SIGINT, SIGQUIT, SIGTERM.",
};

const RUN_OPTIONS: OptionSpec[] = [
  { name: "mode", type: "string", choices: ["auto", "app", "lib"], value: "MODE", defaultText: "auto", describe: "app: set the start method in the main guard; lib: explicit contexts at creation sites; auto: decide per file" },
  { name: "method", type: "string", choices: ["spawn", "forkserver"], value: "METHOD", defaultText: "spawn", describe: "the start method to migrate to" },
  { name: "config", type: "string", value: "PATH", describe: "read settings from this TOML file instead of [tool.spawnsafe] in the project's pyproject.toml" },
  { name: "isolated", type: "boolean", describe: "read no configuration file" },
  { name: "output-format", type: "string", choices: FORMATS, value: "FORMAT", aliases: ["format"], defaultText: "$SPAWNSAFE_OUTPUT_FORMAT, else text", describe: "text, json (schema/report.schema.json), json-lines (one JSON object a line), sarif, github (workflow annotations)" },
  { name: "quiet", short: "q", type: "boolean", describe: "print only findings, diffs and errors: no per-file account, footer, summary line or progress bar" },
  { name: "statistics", type: "boolean", describe: "print how many findings of each code are left (count, code, fix mark, name) instead of each finding" },
  { name: "show-fixes", type: "boolean", describe: "show each fix as a unified diff: check, the fixes fix would make; fix, those it made" },
  { name: "exit-zero", type: "boolean", describe: "exit 0 even when findings are left or changes would be made (2 still means errors)" },
  { name: "unsafe-fixes", type: "boolean", describe: "apply unsafe fixes too (marked [-]: spawnsafe cannot show they keep the program working)" },
  { name: "summary-file", type: "string", value: "PATH", describe: "also write a Markdown summary there (files changed, findings left with links to their docs, the fix safety of each), for a pull request's body" },
  { name: "exclude", type: "string", multiple: true, value: "GLOB", describe: "skip paths matching the glob (repeat the flag for more); replaces the exclude list of the configuration" },
  { name: "extend-exclude", type: "string", multiple: true, value: "GLOB", describe: "skip paths matching the glob, added to the configured exclude list (repeatable)" },
  { name: "force-exclude", type: "boolean", describe: "apply the exclusions to paths named on the command line too (for pre-commit)" },
  { name: "stdin-filename", type: "string", value: "PATH", describe: "with the path -: where the file read from stdin lives (decides its package and role)" },
  { name: "no-cache", type: "boolean", describe: "neither read nor write the cache of results (--cache, the default, uses it)" },
  { name: "cache", type: "boolean", describe: "use the cache of results (the default)" },
  { name: "cache-dir", type: "string", value: "PATH", defaultText: "$SPAWNSAFE_CACHE_DIR, else $XDG_CACHE_HOME/spawnsafe, else ~/.cache/spawnsafe", describe: "where the cache is kept" },
  { name: "jobs", short: "j", type: "string", value: "N", defaultText: "the number of cores", describe: "worker threads, at most the number of cores (1: everything on the main thread)" },
];

const DIFF: OptionSpec = { name: "diff", type: "boolean", describe: "print a unified diff of the fixes and write nothing; exit 1 when a fix would apply (ruff's name for fix --dry-run)" };

const PATHS = { name: "paths", min: 0, max: Infinity, describe: "files and directories (default: .); - reads stdin; after --, anything is a path" };

const VERIFY_FORMATS = ["text", "json", "sarif", "github", "junit"] as const;

const COMMANDS: CommandSpec[] = [
  {
    name: "fix",
    usage: "fix [paths..]",
    describe: "rewrite files in place (or print a diff with --dry-run)",
    positionals: PATHS,
    options: [
      ...RUN_OPTIONS,
      { name: "dry-run", type: "boolean", describe: "print a unified diff and write nothing; exit 1 when a change would be made" },
      DIFF,
      { name: "allow-dirty", type: "boolean", describe: "write files that have uncommitted changes in git" },
      { name: "exit-non-zero-on-fix", type: "boolean", describe: "exit 1 when files were changed (or would be, with --dry-run)" },
      {
        name: "verify",
        type: "boolean",
        describe:
          "prove unsafe fixes with a command given after -- (fix --verify -- python3 -m pytest): each unit is kept when the command, run with it, " +
          "does what it does on the project as it is and reaches the unit's creation sites; otherwise reverted",
      },
      { name: "timeout", type: "string", value: "SECONDS", describe: "with --verify: seconds before a run of the command counts as a hang (default: no limit)" },
    ],
    epilog: `${MARKERS}\n\n${EXIT_STATUS.fix}`,
  },
  {
    name: "check",
    usage: "check [paths..]",
    describe: "report findings, write nothing",
    positionals: PATHS,
    options: [...RUN_OPTIONS, { ...DIFF, describe: "print the unified diff `fix` would make and write nothing; exit 1 when a fix would apply (as fix --diff)" }],
    epilog: `${MARKERS}\n\n${EXIT_STATUS.check}`,
  },
  {
    name: "verify",
    usage: "verify [options] -- CMD [ARGS...]",
    describe: "run a command (after --) with every Python process it starts on spawn, and report what breaks",
    positionals: { name: "command", min: 0, max: Infinity, describe: "the command to run and its arguments, after --" },
    options: [
      { name: "method", type: "string", choices: ["spawn", "forkserver"], value: "METHOD", defaultText: "spawn", describe: "the start method every Python process of the run gets as its default" },
      { name: "timeout", type: "string", value: "SECONDS", describe: "seconds before a run counts as a hang: every Python process's stacks, then the command's process group is terminated (default: no limit)" },
      { name: "output-format", type: "string", choices: VERIFY_FORMATS, value: "FORMAT", aliases: ["format"], defaultText: "$SPAWNSAFE_OUTPUT_FORMAT, else text", describe: "text, json, sarif, github or junit (JUnit XML: a test case per finding, for CI test reports)" },
      { name: "output", type: "string", value: "PATH", describe: "write the report to this file instead of stdout (stdout then carries the command's output only)" },
      { name: "select", type: "string", multiple: true, value: "CODES", describe: "report only these codes or code prefixes, comma-separated (SPS2,SPS301; ALL); repeatable" },
      { name: "ignore", type: "string", multiple: true, value: "CODES", describe: "do not report these codes or code prefixes, comma-separated; repeatable" },
      { name: "baseline", type: "boolean", describe: "run the command a second time under its own start method and drop the findings that happen there too (they are not spawn problems)" },
      { name: "exit-zero", type: "boolean", describe: "findings do not make verify fail: its exit status is the command's" },
      { name: "quiet", short: "q", type: "boolean", describe: "print only the findings" },
    ],
    epilog:
      "Exit status: the command's own when there is no finding; 1 when there are findings (the command's with --exit-zero);\n" +
      "2 a usage error or nothing verified; 126/127 a command that cannot be run.",
  },
  { name: "rules", usage: "rules", describe: "list every finding code", positionals: { name: "", min: 0, max: 0, describe: "" }, options: [] },
  {
    name: "explain",
    usage: "explain <code>",
    describe: "print the documentation of a finding",
    positionals: { name: "code", min: 1, max: 1, describe: "a finding code (SPS101) or name (missing-main-guard)" },
    options: [],
  },
];

/** What a `fix` or `check` run was asked to do, every value checked. */
export interface RunArgs {
  command: "check" | "fix";
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
  statistics: boolean;
  showFixes: boolean;
  exitZero: boolean;
  summaryFile: string | null;
  /** fix --dry-run, fix --diff, check --diff: what fix would do, written nowhere. */
  dryRun: boolean;
  allowDirty: boolean;
  exitNonZeroOnFix: boolean;
}

/** How stdin is named among the paths, and in reports without --stdin-filename. */
const STDIN = "-";

/** Where a run reads and prints: the process's own streams, or a test's. */
export interface Io {
  stdin: NodeJS.ReadableStream;
  stdout: Pick<NodeJS.WriteStream, "write" | "isTTY">;
  stderr: Pick<NodeJS.WriteStream, "write" | "isTTY" | "columns">;
}

let io: Io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

function out(text: string): void {
  io.stdout.write(text.endsWith("\n") ? text : text + "\n");
}
function err(text: string): void {
  io.stderr.write(text.endsWith("\n") ? text : text + "\n");
}

let guarded = false;

/**
 * A reader that stops early (`spawnsafe check . | head`) closes the pipe: stop writing,
 * quietly, as other command-line tools do, instead of dying on EPIPE.
 */
function quietOnClosedPipe(): void {
  if (guarded) return;
  guarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e;
      process.exit(process.exitCode ?? EXIT.ok);
    });
  }
}

/** Runs `spawnsafe ARGV`; returns the exit status. `streams`: where to print (the process's by default). */
export async function main(argv: string[], streams?: Io): Promise<number> {
  const before = io;
  if (streams) io = streams;
  else quietOnClosedPipe();
  try {
    return await command(argv);
  } finally {
    io = before;
  }
}

async function command(argv: string[]): Promise<number> {
  let command: () => Promise<number> | number;
  try {
    // After `verify`, the first `--` starts the command to run: spawnsafe reads none of it.
    const { own, command: verifyCommandLine } = splitVerifyCommand(argv);
    // fix --verify: everything after the first `--` is the command that proves the fixes, not paths.
    const fixVerify = verifyCommandLine ? null : splitFixVerifyCommand(argv);
    const parsed = parseCommandLine(verifyCommandLine ? [...own, "--", ...verifyCommandLine] : fixVerify ? fixVerify.own : own, COMMANDS, ABOUT);
    if (parsed.kind === "help") {
      out(parsed.text);
      return EXIT.ok;
    }
    if (parsed.kind === "version") {
      out(packageVersion());
      return EXIT.ok;
    }
    const { values, positionals } = parsed;
    switch (parsed.command.name) {
      case "rules":
        command = rulesCommand;
        break;
      case "explain":
        command = () => explainCommand(positionals[0].value);
        break;
      case "verify": {
        const args = verifyArgs(values, positionals);
        command = () => runVerify(args);
        break;
      }
      default: {
        const args = runArgs(parsed.command.name as "check" | "fix", values, positionals);
        if (values.verify === true || fixVerify) {
          const cmd = fixVerifyArgs(args, values, fixVerify?.command ?? null);
          command = () => runFixVerify(args, cmd);
        } else {
          if (values.timeout !== undefined) throw new UsageError("--timeout goes with verify, or with fix --verify");
          command = () => runCommand(args);
        }
      }
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`spawnsafe: ${e.message}\nRun 'spawnsafe --help' for usage.`);
    return EXIT.error;
  }
  try {
    return await command();
  } catch (e) {
    // A configuration error stops the run before any file is read or written.
    const { ConfigError } = require("./project/config") as typeof import("./project/config");
    if (e instanceof ConfigError) {
      err(`spawnsafe: ${e.message}`);
      return EXIT.error;
    }
    err(`spawnsafe: internal error: ${(e as Error)?.stack ?? e}`);
    return EXIT.error;
  }
}

/** Every value of a check or fix command line, checked; throws UsageError. */
function runArgs(command: "check" | "fix", v: Values, positionals: Array<{ value: string; literal: boolean }>): RunArgs {
  const flag = (name: string) => v[name] === true;
  const text = (name: string) => v[name] as string | undefined;
  const list = (name: string) => (v[name] as string[] | undefined) ?? [];
  for (const name of ["exclude", "extend-exclude"]) {
    if (list(name).some((g) => g === "")) throw new UsageError(`--${name} needs a glob, not an empty string`);
  }
  for (const name of ["config", "summary-file", "cache-dir", "stdin-filename"]) {
    if (text(name) === "") throw new UsageError(`--${name} needs a path, not an empty string`);
  }
  if (positionals.some((p) => p.value === "")) throw new UsageError("an empty path names no file (give . for the working directory)");
  if (text("config") !== undefined && flag("isolated")) throw new UsageError("--config and --isolated cannot be used together");
  if (flag("cache") && flag("no-cache")) throw new UsageError("--cache and --no-cache cannot be used together");
  if (flag("exit-zero") && flag("exit-non-zero-on-fix")) throw new UsageError("--exit-zero and --exit-non-zero-on-fix cannot be used together");

  const envFormat = process.env.SPAWNSAFE_OUTPUT_FORMAT;
  if (text("output-format") === undefined && envFormat && !(FORMATS as readonly string[]).includes(envFormat)) {
    throw new UsageError(`SPAWNSAFE_OUTPUT_FORMAT must be one of ${FORMATS.join(", ")}, not '${envFormat}'`);
  }
  const format = (text("output-format") ?? (envFormat || "text")) as Format;
  if (flag("statistics") && (format === "sarif" || format === "github")) throw new UsageError(`--statistics prints text, json or json-lines, not ${format}`);

  const jobsText = text("jobs");
  const cores = (require("./run") as typeof import("./run")).defaultJobs();
  let jobs = cores;
  if (jobsText !== undefined) {
    jobs = Number(jobsText);
    if (!/^\d+$/.test(jobsText) || jobs < 1) throw new UsageError(`--jobs must be a positive whole number, not ${jobsText}`);
    if (jobs > cores) {
      // More threads than cores only costs memory: each loads the engine and the parser.
      if (!flag("quiet")) err(`spawnsafe: --jobs ${jobsText} is more than the ${cores} cores here; using ${cores}`);
      jobs = cores;
    }
  }

  // After --, `-` is a file of that name, not stdin.
  const paths = positionals.map((p) => (p.literal && p.value === STDIN ? `.${path.sep}-` : p.value));
  const stdinFilename = text("stdin-filename") ?? null;
  const stdinAt = positionals.findIndex((p) => !p.literal && p.value === STDIN);
  if (stdinAt >= 0 && paths.length > 1) throw new UsageError("the path - (stdin) cannot be combined with other paths");
  if (stdinFilename !== null && paths.length > 0 && stdinAt < 0) throw new UsageError("--stdin-filename goes with the path - (stdin)");
  const dryRun = flag("dry-run") || flag("diff");
  const stdin = stdinAt >= 0 || (paths.length === 0 && stdinFilename !== null);
  // `fix -` prints the fixed file: nothing else fits on stdout.
  if (stdin && command === "fix" && !dryRun) {
    if (format !== "text") throw new UsageError(`fix - prints the fixed file on stdout; --output-format ${format} goes with check - or fix --dry-run -`);
    if (flag("show-fixes") || flag("statistics")) throw new UsageError(`fix - prints the fixed file on stdout; --${flag("show-fixes") ? "show-fixes" : "statistics"} goes with check - or fix --dry-run -`);
  }
  return {
    // check --diff is fix --diff, as ruff's check --diff shows the fixes.
    command: command === "check" && flag("diff") ? "fix" : command,
    // As ruff: --stdin-filename alone means stdin.
    paths: paths.length > 0 ? paths : stdinFilename !== null ? [STDIN] : ["."],
    ...(text("mode") ? { mode: text("mode") as Mode } : {}),
    ...(text("method") ? { method: text("method") as StartMethod } : {}),
    ...(text("config") !== undefined ? { config: text("config") } : {}),
    isolated: flag("isolated"),
    format,
    quiet: flag("quiet"),
    exclude: list("exclude"),
    extendExclude: list("extend-exclude"),
    forceExclude: flag("force-exclude"),
    stdinFilename,
    jobs,
    cache: !flag("no-cache"),
    ...(text("cache-dir") !== undefined ? { cacheDir: text("cache-dir") } : {}),
    unsafeFixes: flag("unsafe-fixes"),
    statistics: flag("statistics"),
    showFixes: flag("show-fixes"),
    exitZero: flag("exit-zero"),
    summaryFile: text("summary-file") ?? null,
    dryRun,
    allowDirty: flag("allow-dirty"),
    exitNonZeroOnFix: flag("exit-non-zero-on-fix"),
  };
}

function style(): { color: boolean } {
  return { color: !!io.stdout.isTTY && !process.env.NO_COLOR };
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

function isStdin(args: RunArgs): boolean {
  return args.paths.length === 1 && args.paths[0] === STDIN;
}

/** The command line's globs; the configuration's `exclude` is added per project (src/project/plan.ts). */
function excludeList(args: RunArgs): string[] {
  const { excludeGlobs } = require("./project/discover") as typeof import("./project/discover");
  return excludeGlobs({ exclude: [], extendExclude: [] }, args);
}

interface Outcome {
  result: RunResult;
  /** The signal that stopped the run, if one did. */
  signal: NodeJS.Signals | null;
}

/**
 * Runs check or fix over the paths. SIGINT, SIGTERM, SIGHUP and SIGQUIT stop the run
 * between two files: no new file is started (worker threads finish the one they parse), no
 * new write starts, the one under way finishes (a write is a rename: the file is old or new,
 * never half), and no temporary file stays behind.
 */
async function execute(args: RunArgs, extra: Partial<RunRequest> = {}): Promise<Outcome> {
  const { run } = require("./run") as typeof import("./run");
  const { defaultCacheDir } = require("./project/cache") as typeof import("./project/cache");
  const bar = args.quiet ? NO_PROGRESS : progressBar(io.stderr, progressTiming());
  let signal: NodeJS.Signals | null = null;
  const onSignal = (s: NodeJS.Signals) => {
    signal ??= s;
  };
  const signals = Object.keys(SIGNAL_EXIT) as NodeJS.Signals[];
  for (const s of signals) process.on(s, onSignal);
  try {
    const fix = args.command === "fix";
    const result = await run({
      paths: args.paths,
      exclude: excludeList(args),
      // --exclude replaces the configuration's list (as ruff's does); --extend-exclude adds to it.
      replaceConfiguredExclude: args.exclude.length > 0,
      forceExclude: args.forceExclude,
      options: { ...(args.mode ? { mode: args.mode } : {}), ...(args.method ? { method: args.method } : {}), ...(args.unsafeFixes ? { unsafeFixes: true } : {}) },
      config: args.config ?? null,
      isolated: args.isolated,
      fix,
      write: fix && !args.dryRun,
      allowDirty: args.allowDirty,
      jobs: args.jobs,
      cache: !args.cache ? null : args.cacheDir !== undefined ? path.resolve(args.cacheDir) : defaultCacheDir(),
      progress: bar.update,
      interrupted: () => signal !== null,
      ...extra,
    });
    return { result, signal };
  } finally {
    bar.finish();
    for (const s of signals) process.off(s, onSignal);
  }
}

async function runCommand(args: RunArgs): Promise<number> {
  if (isStdin(args)) return stdinCommand(args);
  const { result, signal } = await execute(args);
  if (result.interrupted) {
    const written = args.command === "fix" && !args.dryRun ? `${result.written} file${result.written === 1 ? "" : "s"} written, every other file left as it was` : "nothing was written";
    err(`spawnsafe: interrupted: ${written}`);
    return SIGNAL_EXIT[signal ?? "SIGINT"];
  }
  if (result.refused) return refusal(args, result);
  // check --show-fixes: the fixes fix would make, from a second run that writes nothing.
  const fixes = args.command === "check" && args.showFixes ? (await execute({ ...args, command: "fix", dryRun: true, summaryFile: null }, { progress: () => {} })).result : null;
  return report(args, result, fixes) ? exitStatus(args, result) : EXIT.error;
}

/**
 * fix refused a dirty tree and wrote nothing: stderr names the files; a machine format
 * still prints a whole report (nothing changed, nothing fixed, and why), as does the
 * summary file.
 */
function refusal(args: RunArgs, result: RunResult): number {
  const unwritten: RunResult = {
    ...result,
    results: result.results.map((r) => (r.output ? { ...r, output: null, after: r.before, findings: r.findings.map((f) => ({ ...f, fixed: false })) } : r)),
  };
  if (args.format !== "text") machineReport(args, unwritten, null, counts(unwritten.results));
  reportRefusal(result.refused!);
  writeSummaryFile(args, unwritten);
  return EXIT.error;
}

function hasErrors(result: RunResult): boolean {
  return result.missing.length > 0 || result.unreadable.length > 0 || result.results.some((r) => r.error) || !!result.refused;
}

function exitStatus(args: RunArgs, result: RunResult): number {
  if (hasErrors(result)) return EXIT.error;
  if (args.exitZero) return EXIT.ok;
  const changed = result.results.some((r) => r.output);
  if (args.command === "fix") return (args.dryRun || args.exitNonZeroOnFix) && changed ? EXIT.found : EXIT.ok;
  return result.results.some((r) => r.findings.length > 0) ? EXIT.found : EXIT.ok;
}

/**
 * `fix -` prints the whole file on stdout, fixed or, when it cannot be processed, as it came
 * (a pipe or an editor never loses the text); its report goes to stderr. `fix --dry-run -`
 * and `check -` report as for a file of the --stdin-filename name.
 */
async function stdinCommand(args: RunArgs): Promise<number> {
  const { processStdin, readStdin, stdinExcluded } = require("./stdin") as typeof import("./stdin");
  const started = process.hrtime.bigint();
  const bytes = await readStdin(io.stdin);
  const excluded = args.forceExclude && stdinExcluded(args.stdinFilename, excludeList(args));
  const fix = args.command === "fix";
  const options = { mode: args.mode ?? "auto", method: args.method ?? "spawn", ...(args.unsafeFixes ? { unsafeFixes: true } : {}) } as const;
  const processed = excluded ? null : await processStdin(bytes, args.stdinFilename, options, fix);
  const results = processed ? [processed.result] : [];
  const notices = processed?.notice ? { notices: [processed.notice] } : {};
  const result: RunResult = { results, missing: [], unreadable: [], seconds: Number(process.hrtime.bigint() - started) / 1e9, written: 0, interrupted: false, ...notices };
  if (fix && !args.dryRun) {
    const { errorLine, findingLine, fixSummary } = require("./report/text") as typeof import("./report/text");
    const r = results[0];
    io.stdout.write(r?.output && !r.error ? r.output : bytes);
    reportNotices(result);
    for (const r of results) {
      if (r.error) err(errorLine(r, { color: false }));
      if (r.output && !args.quiet) err(fixSummary(r, { color: false }, false).join("\n"));
      for (const f of r.findings.filter((f) => !f.fixed)) err(findingLine(r.path, f, { color: false }));
    }
    finish(args, result);
    if (hasErrors(result)) return EXIT.error;
    return args.exitNonZeroOnFix && results.some((r) => r.output) ? EXIT.found : EXIT.ok;
  }
  const fixes = args.command === "check" && args.showFixes && !excluded ? { ...result, results: [(await processStdin(bytes, args.stdinFilename, options, true)).result] } : null;
  return report(args, result, fixes) ? exitStatus(args, result) : EXIT.error;
}

/**
 * stdout carries the result (findings, diffs, or the machine-readable report); stderr the
 * errors, the footer and, last, in every format, the summary line (not with --quiet). With
 * --dry-run, stdout is a patch and nothing else. `fixes`: check --show-fixes' dry fix run.
 */
/** Prints the report; false when the summary file could not be written. */
function report(args: RunArgs, result: RunResult, fixes: RunResult | null): boolean {
  reportNotices(result);
  for (const p of result.missing) err(`spawnsafe: ${p}: no such file or directory`);
  for (const u of result.unreadable) err(`spawnsafe: ${u.path}: cannot read: ${u.reason}`);
  const c = counts(result.results, result.missing.length + result.unreadable.length);
  if (args.format === "text" && !args.statistics) textOutput(args, result, fixes);
  else machineReport(args, result, fixes, c);
  const written = writeSummaryFile(args, result);
  finish(args, result, c);
  return written;
}

/** --statistics in any format, or the json, json-lines, sarif and github reports. */
function machineReport(args: RunArgs, result: RunResult, fixes: RunResult | null, c: Counts): void {
  const { command, dryRun } = args;
  const refused = result.refused ? refusedReport(result.refused) : null;
  if (args.statistics) {
    const stats = statistics(result.results);
    if (args.format === "json") out(JSON.stringify(stats, null, 2));
    else if (args.format === "json-lines") for (const s of stats) out(JSON.stringify(s));
    else for (const line of statisticsText(stats)) out(line);
    for (const r of result.results) if (r.error) err(textReport().errorLine(r, { color: false }));
    return;
  }
  switch (args.format) {
    case "json": {
      const { jsonReport } = require("./report/json") as typeof import("./report/json");
      out(JSON.stringify(jsonReport(command, dryRun, result.results, { diffs: dryRun || args.showFixes, fixes: fixes?.results ?? null, refused }), null, 2));
      break;
    }
    case "json-lines": {
      const { jsonLines } = require("./report/jsonlines") as typeof import("./report/jsonlines");
      for (const line of jsonLines(command, dryRun, result.results, { diffs: dryRun || args.showFixes, fixes: fixes?.results ?? null, refused, counts: c })) out(line);
      break;
    }
    case "sarif": {
      const { sarifReport } = require("./report/sarif") as typeof import("./report/sarif");
      const { allRules } = require("../transforms") as typeof import("../transforms");
      out(JSON.stringify(sarifReport(result.results, allRules, (t) => fs.readFileSync(docPath(t.name), "utf8"), packageVersion(), refused), null, 2));
      break;
    }
    case "github": {
      const { githubReport } = require("./report/github") as typeof import("./report/github");
      for (const line of githubReport(result.results, refused)) out(line);
      break;
    }
  }
}

/** Said once per run: CPython could not check the rewrites (src/judge.ts). */
function reportNotices(result: RunResult): void {
  for (const notice of result.notices ?? []) err(notice);
}

/** The refusal as the reports give it: why, and the files with their state. */
function refusedReport(refused: NonNullable<RunResult["refused"]>): RefusedReport {
  if (refused.problem) return { reason: `${refused.problem}; nothing was written`, files: [] };
  return {
    reason: `fix would change files that have uncommitted changes in git: ${refused.dirty.map((d) => `${d.file} (${d.state})`).join(", ")}; nothing was written (commit or stash them, or use --allow-dirty)`,
    files: refused.dirty.map((d) => ({ path: d.file, state: d.state })),
  };
}

/** Writes --summary-file, if asked; false when it could not be written (the run then exits 2). */
function writeSummaryFile(args: RunArgs, result: RunResult): boolean {
  if (!args.summaryFile) return true;
  const { markdownSummary } = require("./report/markdown") as typeof import("./report/markdown");
  const { transforms } = require("../transforms") as typeof import("../transforms");
  const markdown = markdownSummary({
    command: args.command,
    dryRun: args.dryRun,
    results: result.results,
    counts: counts(result.results, result.missing.length + result.unreadable.length),
    refused: result.refused ? refusedReport(result.refused) : null,
    pathErrors: [...result.missing.map((p) => ({ path: p, reason: "no such file or directory" })), ...result.unreadable],
    version: packageVersion(),
    transforms,
    unsafeFixes: args.unsafeFixes,
  });
  try {
    fs.writeFileSync(args.summaryFile, markdown);
    return true;
  } catch (e) {
    err(`spawnsafe: cannot write the summary file ${args.summaryFile}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    return false;
  }
}

/** The footer (what fix would do) and the summary line, on stderr, unless --quiet. */
function finish(args: RunArgs, result: RunResult, c: Counts = counts(result.results, result.missing.length + result.unreadable.length)): void {
  if (args.quiet) return;
  const foot = footer(args.command, c, args.unsafeFixes);
  if (foot && !args.statistics) err(foot);
  err(summaryLine(args.command, args.dryRun, c, result.seconds));
}

function textReport(): typeof import("./report/text") {
  return require("./report/text") as typeof import("./report/text");
}

/**
 * The text report. `check`: the findings. `fix`: for each file it changed or has something
 * to say about (findings left, places left alone, an error), its account, then the findings
 * left; with --dry-run the diffs on stdout and everything else on stderr.
 */
function textOutput(args: RunArgs, result: RunResult, fixes: RunResult | null): void {
  const { errorLine, findingLine, fixSummary, skipLines, skipNotes, unchangedLine } = textReport();
  const { unifiedDiff } = require("./report/diff") as typeof import("./report/diff");
  const s = style();
  const plain = { color: false };
  const dry = args.command === "fix" && args.dryRun;
  const say = dry ? err : out;
  const shown = dry ? plain : s;
  const fixed = new Map((fixes?.results ?? []).map((r) => [r.path, r]));
  for (const r of result.results) {
    if (r.error) err(errorLine(r, plain));
    const left = r.findings.filter((f) => !f.fixed);
    if (args.command === "fix" && !args.quiet) {
      if (r.output) {
        if (dry) out(unifiedDiff(r.path, r.before, r.after));
        say(fixSummary(r, shown, dry).join("\n"));
        if (!dry && args.showFixes) out(unifiedDiff(r.path, r.before, r.after));
      } else if (!r.error && (left.length > 0 || r.skipped?.length)) {
        say(unchangedLine(r, shown));
      }
      for (const line of skipLines(r)) say(line);
    } else if (args.command === "fix" && r.output && dry) {
      out(unifiedDiff(r.path, r.before, r.after));
    }
    if (args.command === "check" && !args.quiet) for (const line of skipNotes(r)) out(line);
    for (const f of left) say(findingLine(r.path, f, shown));
    const wouldFix = fixed.get(r.path);
    if (wouldFix?.output) out(unifiedDiff(r.path, wouldFix.before, wouldFix.after));
  }
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

let version: string | null = null;
function packageVersion(): string {
  return (version ??= JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "..", "package.json"), "utf8")).version as string);
}

function rulesCommand(): number {
  const { allRules } = require("../transforms") as typeof import("../transforms");
  for (const t of allRules) out(`${t.code}  ${t.name.padEnd(30)} fix: ${t.fix.padEnd(9)} ${t.summary}`);
  return EXIT.ok;
}

/**
 * `verify ... -- CMD [ARGS...]`: everything after the first `--` is the command to run, never
 * read as spawnsafe's options (it has options of its own: python3 -m pytest -x). Returns
 * spawnsafe's own arguments and the command (null when there is no verify command).
 */
export function splitVerifyCommand(argv: string[]): { own: string[]; command: string[] | null } {
  const takesValue = new Set(COMMANDS.flatMap((c) => c.options).filter((o) => o.type === "string").flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : []), ...(o.aliases ?? []).map((a) => `--${a}`)]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") break;
    if (takesValue.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith("-")) continue;
    if (a !== "verify") break;
    const dash = argv.indexOf("--", i);
    return dash < 0 ? { own: argv, command: null } : { own: argv.slice(0, dash), command: argv.slice(dash + 1) };
  }
  return { own: argv, command: null };
}

/** `fix ... --verify ... -- CMD`: spawnsafe's own arguments and CMD; null when it is not that. */
export function splitFixVerifyCommand(argv: string[]): { own: string[]; command: string[] } | null {
  const dash = argv.indexOf("--");
  const own = dash < 0 ? argv : argv.slice(0, dash);
  if (!own.includes("fix") || !own.includes("--verify")) return null;
  return { own, command: dash < 0 ? [] : argv.slice(dash + 1) };
}

function positiveSeconds(text: string | undefined): number | null {
  const timeout = text === undefined ? null : Number(text);
  if (timeout !== null && !(Number.isFinite(timeout) && timeout > 0 && timeout <= 2_000_000)) throw new UsageError(`--timeout must be a positive number of seconds, not ${text}`);
  return timeout;
}

/** fix --verify's own checks: a command after --, no stdin, no machine format (the account is text). */
function fixVerifyArgs(args: RunArgs, v: Values, command: string[] | null): { command: string[]; timeout: number | null } {
  if (args.command !== "fix") throw new UsageError("--verify goes with fix: spawnsafe fix --verify -- python3 -m pytest");
  if (!command || command.length === 0) throw new UsageError("fix --verify needs a command after --: spawnsafe fix --verify -- python3 -m pytest");
  if (isStdin(args)) throw new UsageError("fix --verify works on files, not on stdin");
  if (args.format !== "text" || args.statistics) throw new UsageError("fix --verify prints its account as text: --output-format and --statistics go with fix without --verify");
  const { injectionProblem } = require("./verify/command") as typeof import("./verify/command");
  const problem = injectionProblem(command);
  if (problem) throw new UsageError(problem);
  return { command, timeout: positiveSeconds(v.timeout as string | undefined) };
}

async function runFixVerify(args: RunArgs, cmd: { command: string[]; timeout: number | null }): Promise<number> {
  const { fixVerify } = require("./verify/trial") as typeof import("./verify/trial");
  return fixVerify(
    {
      command: cmd.command,
      timeout: cmd.timeout,
      dryRun: args.dryRun,
      allowDirty: args.allowDirty,
      quiet: args.quiet,
      cwd: process.cwd(),
      engine: async (unsafeFixes) => (await execute({ ...args, dryRun: true, unsafeFixes, quiet: true })).result,
      finished: (results, account) => {
        if (!args.summaryFile) return true;
        const result: RunResult = { results, missing: [], unreadable: [], seconds: 0, written: 0, interrupted: false };
        if (!writeSummaryFile(args, result)) return false;
        fs.appendFileSync(args.summaryFile, `\n## Proved by \`${cmd.command.join(" ")}\`\n\n${account.map((l) => (l.startsWith("    ") ? `  - ${l.trim()}` : `- ${l}`)).join("\n")}\n`);
        return true;
      },
    },
    { out, err },
  );
}

/** verify's arguments, checked: a command after --, a positive timeout. */
function verifyArgs(v: Values, positionals: Array<{ value: string; literal: boolean }>): import("./verify/command").VerifyArgs {
  const before = positionals.filter((p) => !p.literal).map((p) => p.value);
  const command = positionals.filter((p) => p.literal).map((p) => p.value);
  if (before.length > 0) throw new UsageError(`verify runs the command given after --: spawnsafe verify -- ${before.join(" ")}`);
  if (command.length === 0) throw new UsageError("verify needs a command after --: spawnsafe verify -- python3 app.py");
  const timeoutText = v.timeout as string | undefined;
  const timeout = timeoutText === undefined ? null : Number(timeoutText);
  if (timeout !== null && !(Number.isFinite(timeout) && timeout > 0)) throw new UsageError(`--timeout must be a positive number of seconds, not ${timeoutText}`);
  const envFormat = process.env.SPAWNSAFE_OUTPUT_FORMAT;
  if (v["output-format"] === undefined && envFormat && !(VERIFY_FORMATS as readonly string[]).includes(envFormat)) {
    throw new UsageError(`SPAWNSAFE_OUTPUT_FORMAT must be one of ${VERIFY_FORMATS.join(", ")} for verify, not '${envFormat}'`);
  }
  if (v.output === "") throw new UsageError("--output needs a path, not an empty string");
  const codes = (name: string) => ((v[name] as string[] | undefined) ?? []).flatMap((s) => s.split(",")).map((s) => s.trim().toUpperCase());
  const { allRules } = require("../transforms") as typeof import("../transforms");
  for (const name of ["select", "ignore"]) {
    for (const code of codes(name)) {
      if (code !== "ALL" && !allRules.some((r) => r.code.startsWith(code))) throw new UsageError(`--${name}: '${code}' is no code nor the start of one ('spawnsafe rules' lists them)`);
    }
  }
  return {
    command,
    method: ((v.method as string | undefined) ?? "spawn") as StartMethod,
    timeout,
    format: ((v["output-format"] as string | undefined) ?? (envFormat || "text")) as (typeof VERIFY_FORMATS)[number],
    quiet: v.quiet === true,
    output: (v.output as string | undefined) ?? null,
    select: v.select === undefined ? null : codes("select"),
    ignore: codes("ignore"),
    exitZero: v["exit-zero"] === true,
    baseline: v.baseline === true,
  };
}

function runVerify(args: import("./verify/command").VerifyArgs): Promise<number> {
  const { verifyCommand } = require("./verify/command") as typeof import("./verify/command");
  return verifyCommand(args, { out, err, style: style(), docs: (name) => fs.readFileSync(docPath(name), "utf8"), version: packageVersion() });
}

export function docPath(name: string): string {
  return path.resolve(__dirname, "..", "..", "transforms", `${name}.md`);
}

function explainCommand(code: string): number {
  const { ruleByCode } = require("../transforms") as typeof import("../transforms");
  const transform = ruleByCode(code);
  if (!transform) {
    err(`spawnsafe: unknown code ${code}; 'spawnsafe rules' lists them`);
    return EXIT.error;
  }
  out(fs.readFileSync(docPath(transform.name), "utf8"));
  return EXIT.ok;
}
