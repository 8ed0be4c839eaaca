// Command-line wiring only: dispatch, output and exit codes. The commands and their options
// are in src/command-line.ts; the arguments are parsed (src/args.ts) and checked whole there
// before any command starts, so a usage error never comes after a file was read or written.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseCommandLine, UsageError } from "./args";
import {
  ABOUT,
  COMMANDS,
  completionShell,
  fixVerifyArgs,
  runArgs,
  splitFixVerifyCommand,
  splitVerifyCommand,
  STDIN,
  verifyArgs,
  type RunArgs,
  type Shell,
} from "./command-line";
import type { RunRequest, RunResult } from "./run-files";
import { NO_PROGRESS, progressBar } from "./report/progress";
import { counts, footer, statistics, statisticsText, summaryLine, type Counts } from "./report/counts";
import type { RefusedReport } from "./report/json";

export const EXIT = { ok: 0, found: 1, error: 2 } as const;

/** 128 + the signal's number, as shells report a process a signal stopped. */
const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGQUIT: 131, SIGTERM: 143 };

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
      case "completion": {
        const shell = completionShell(positionals);
        command = () => completionCommand(shell);
        break;
      }
      case "verify": {
        const args = verifyArgs(values, positionals);
        command = () => runVerify(args);
        break;
      }
      default: {
        const args = runArgs(parsed.command.name as "check" | "fix", values, positionals, err);
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
    // A usage error found once the run knows its files (src/run-files.ts `planned`), before any is read.
    if (e instanceof UsageError) {
      err(`spawnsafe: ${e.message}`);
      return EXIT.error;
    }
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
  const { run } = require("./run-files") as typeof import("./run-files");
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
      planned: (plan) => summaryAmongInputs(args, plan),
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
    const { errorLine, findingLine, fixSummary } = require("./report/text-report") as typeof import("./report/text-report");
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
  const { quotedPath } = textReport();
  for (const p of result.missing) err(`spawnsafe: ${quotedPath(p)}: no such file or directory`);
  for (const u of result.unreadable) err(`spawnsafe: ${quotedPath(u.path)}: cannot read: ${u.reason}`);
  const counted = counts(result.results, result.missing.length + result.unreadable.length);
  // Written first: a summary file that could not be written is an error the report counts (the run exits 2).
  const written = writeSummaryFile(args, result);
  const c = written ? counted : { ...counted, errors: counted.errors + 1 };
  if (args.format === "text" && !args.statistics) textOutput(args, result, fixes);
  else machineReport(args, result, fixes, c);
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
      out(JSON.stringify(jsonReport(command, dryRun, result.results, { diffs: dryRun || args.showFixes, fixes: fixes?.results ?? null, refused, runErrors: c.errors - result.results.filter((r) => r.error).length }), null, 2));
      break;
    }
    case "json-lines": {
      const { jsonLines } = require("./report/jsonlines") as typeof import("./report/jsonlines");
      for (const line of jsonLines(command, dryRun, result.results, { diffs: dryRun || args.showFixes, fixes: fixes?.results ?? null, refused, counts: c })) out(line);
      break;
    }
    case "sarif": {
      const { sarifReport } = require("./report/sarif") as typeof import("./report/sarif");
      const { allRules } = require("../transforms/registry") as typeof import("../transforms/registry");
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
  const { transforms } = require("../transforms/registry") as typeof import("../transforms/registry");
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

function textReport(): typeof import("./report/text-report") {
  return require("./report/text-report") as typeof import("./report/text-report");
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

function completionCommand(shell: Shell): number {
  const { completionScript } = require("./completion") as typeof import("./completion");
  const { allRules } = require("../transforms/registry") as typeof import("../transforms/registry");
  out(completionScript(shell, COMMANDS, allRules));
  return EXIT.ok;
}

function rulesCommand(): number {
  const { allRules } = require("../transforms/registry") as typeof import("../transforms/registry");
  for (const t of allRules) out(`${t.code}  ${t.name.padEnd(30)} fix: ${t.fix.padEnd(9)} ${t.summary}`);
  return EXIT.ok;
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

function runVerify(args: import("./verify/command").VerifyArgs): Promise<number> {
  const { verifyCommand } = require("./verify/command") as typeof import("./verify/command");
  return verifyCommand(args, { out, err, style: style(), docs: (name) => fs.readFileSync(docPath(name), "utf8"), version: packageVersion() });
}

export function docPath(name: string): string {
  return path.resolve(__dirname, "..", "..", "transforms", `${name}.md`);
}

function explainCommand(code: string): number {
  const { ruleByCode } = require("../transforms/registry") as typeof import("../transforms/registry");
  const transform = ruleByCode(code);
  if (!transform) {
    err(`spawnsafe: unknown code ${code}; 'spawnsafe rules' lists them`);
    return EXIT.error;
  }
  out(fs.readFileSync(docPath(transform.name), "utf8"));
  return EXIT.ok;
}

/**
 * --summary-file naming a file the run reads (a source, a module of a project it models, a
 * configuration or ignore file), by any name (a link): the summary would overwrite it.
 */
function summaryAmongInputs(args: RunArgs, plan: import("./project/plan").RunPlan): void {
  if (!args.summaryFile) return;
  let summary: fs.Stats;
  try {
    summary = fs.statSync(args.summaryFile);
  } catch {
    return; // not there yet: the run reads no such file
  }
  const roots = [...plan.projects.keys()];
  const inputs = new Set([
    ...plan.files,
    ...[...plan.projectFiles.values()].flat(),
    ...roots.flatMap((root) => ["pyproject.toml", "setup.cfg", "setup.py", ".gitignore"].map((name) => path.join(root, name))),
    ...(args.config !== undefined ? [path.resolve(args.config)] : []),
  ]);
  for (const input of inputs) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(input);
    } catch {
      continue;
    }
    if (stat.dev === summary.dev && stat.ino === summary.ino) {
      throw new UsageError(`--summary-file ${args.summaryFile} is a file this run reads; the summary would overwrite it`);
    }
  }
}
