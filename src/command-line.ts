import * as fs from "node:fs";
// The command line: its commands, their options (the tables the help, the reference page
// docs/cli.md and the shell completions are made from), and each command's arguments checked
// whole before it starts. The grammar and the parser are in src/args.ts; src/cli.ts dispatches.
import * as path from "node:path";
import { writable } from "./project/write";
import { UsageError, type CommandSpec, type OptionSpec, type Values } from "./args";
import type { Mode, StartMethod } from "./options";
import type { VerifyArgs } from "./verify/command";

export const FORMATS = ["text", "json", "json-lines", "sarif", "github"] as const;
export type Format = (typeof FORMATS)[number];

export const ABOUT = "Migrate Python code off multiprocessing's fork start method and find what breaks under spawn.";

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

const PATHS = { name: "paths", min: 0, max: Infinity, describe: "files and directories (default: .); - reads stdin; after --, anything is a path", completes: "files" } as const;

export const VERIFY_FORMATS = ["text", "json", "sarif", "github", "junit"] as const;

export const COMMANDS: CommandSpec[] = [
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
    positionals: { name: "command", min: 0, max: Infinity, describe: "the command to run and its arguments, after --", completes: "command" },
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
    positionals: { name: "code", min: 1, max: 1, describe: "a finding code (SPS101) or name (missing-main-guard)", completes: "codes" },
    options: [],
  },
  {
    name: "completion",
    usage: "completion <shell>",
    describe: "print a completion script for bash, zsh or fish",
    positionals: { name: "shell", min: 1, max: 1, describe: "bash, zsh or fish", completes: "shells" },
    options: [],
    epilog:
      "Install it where the shell looks, for example:\n" +
      "  spawnsafe completion bash > ~/.local/share/bash-completion/completions/spawnsafe\n" +
      '  spawnsafe completion zsh > "${fpath[1]}/_spawnsafe"\n' +
      "  spawnsafe completion fish > ~/.config/fish/completions/spawnsafe.fish",
  },
];

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

/** completion's argument, checked: one of the shells. */
export function completionShell(positionals: Array<{ value: string }>): Shell {
  const shell = positionals[0].value;
  if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`completion knows ${SHELLS.join(", ")}, not '${shell}'`);
  return shell as Shell;
}

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
export const STDIN = "-";

/** Every value of a check or fix command line, checked; throws UsageError. */
export function runArgs(command: "check" | "fix", v: Values, positionals: Array<{ value: string; literal: boolean }>, warn: (text: string) => void): RunArgs {
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
  const cores = (require("./run-files") as typeof import("./run-files")).defaultJobs();
  let jobs = cores;
  if (jobsText !== undefined) {
    jobs = Number(jobsText);
    if (!/^\d+$/.test(jobsText) || jobs < 1) throw new UsageError(`--jobs must be a positive whole number, not ${jobsText}`);
    if (jobs > cores) {
      // More threads than cores only costs memory: each loads the engine and the parser.
      if (!flag("quiet")) warn(`spawnsafe: --jobs ${jobsText} is more than the ${cores} cores here; using ${cores}`);
      jobs = cores;
    }
  }

  // After --, `-` is a file of that name, not stdin.
  const paths = positionals.map((p) => (p.literal && p.value === STDIN ? `.${path.sep}-` : p.value));
  const stdinFilename = text("stdin-filename") ?? null;
  const stdinAt = positionals.findIndex((p) => !p.literal && p.value === STDIN);
  if (stdinAt >= 0 && paths.length > 1) throw new UsageError("the path - (stdin) cannot be combined with other paths");
  if (stdinFilename !== null && paths.length > 0 && stdinAt < 0) throw new UsageError("--stdin-filename goes with the path - (stdin)");
  const summaryFile = text("summary-file") ?? null;
  if (summaryFile !== null) {
    const problem = unwritableFile(summaryFile);
    if (problem) throw new UsageError(`--summary-file ${summaryFile}: ${problem}`);
  }
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
    summaryFile,
    dryRun,
    allowDirty: flag("allow-dirty"),
    exitNonZeroOnFix: flag("exit-non-zero-on-fix"),
  };
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

/** fix --verify's own checks: a command after --, no stdin, no machine format (the account is text). */
export function fixVerifyArgs(args: RunArgs, v: Values, command: string[] | null): { command: string[]; timeout: number | null } {
  if (args.command !== "fix") throw new UsageError("--verify goes with fix: spawnsafe fix --verify -- python3 -m pytest");
  if (!command || command.length === 0) throw new UsageError("fix --verify needs a command after --: spawnsafe fix --verify -- python3 -m pytest");
  if (args.paths.length === 1 && args.paths[0] === STDIN) throw new UsageError("fix --verify works on files, not on stdin");
  if (args.format !== "text" || args.statistics) throw new UsageError("fix --verify prints its account as text: --output-format and --statistics go with fix without --verify");
  const { injectionProblem } = require("./verify/command") as typeof import("./verify/command");
  const problem = injectionProblem(command);
  if (problem) throw new UsageError(problem);
  const text = v.timeout as string | undefined;
  const timeout = text === undefined ? null : Number(text);
  if (timeout !== null && !(Number.isFinite(timeout) && timeout > 0 && timeout * 1000 <= MAX_TIMER_MS)) {
    throw new UsageError(`--timeout must be a positive number of seconds, at most ${Math.floor(MAX_TIMER_MS / 1000)}, not ${text}`);
  }
  return { command, timeout };
}

/** verify's arguments, checked: a command after --, a positive timeout. */
export function verifyArgs(v: Values, positionals: Array<{ value: string; literal: boolean }>): VerifyArgs {
  const before = positionals.filter((p) => !p.literal).map((p) => p.value);
  const command = positionals.filter((p) => p.literal).map((p) => p.value);
  if (before.length > 0) throw new UsageError(`verify runs the command given after --: spawnsafe verify -- ${before.join(" ")}`);
  if (command.length === 0) throw new UsageError("verify needs a command after --: spawnsafe verify -- python3 app.py");
  const timeoutText = v.timeout as string | undefined;
  const timeout = timeoutText === undefined ? null : Number(timeoutText);
  if (timeout !== null && !(Number.isFinite(timeout) && timeout > 0)) throw new UsageError(`--timeout must be a positive number of seconds, not ${timeoutText}`);
  // Node's timers hold at most 2^31 - 1 ms (about 24.8 days): a longer one fires at once.
  if (timeout !== null && timeout * 1000 > MAX_TIMER_MS) throw new UsageError(`--timeout must be at most ${Math.floor(MAX_TIMER_MS / 1000)} seconds (about 24 days), not ${timeoutText}; leave it out for no limit`);
  const envFormat = process.env.SPAWNSAFE_OUTPUT_FORMAT;
  if (v["output-format"] === undefined && envFormat && !(VERIFY_FORMATS as readonly string[]).includes(envFormat)) {
    throw new UsageError(`SPAWNSAFE_OUTPUT_FORMAT must be one of ${VERIFY_FORMATS.join(", ")} for verify, not '${envFormat}'`);
  }
  if (v.output === "") throw new UsageError("--output needs a path, not an empty string");
  if (typeof v.output === "string") {
    const problem = unwritableFile(v.output);
    if (problem) throw new UsageError(`--output ${v.output}: ${problem}`);
  }
  const codes = (name: string) => ((v[name] as string[] | undefined) ?? []).flatMap((s) => s.split(",")).map((s) => s.trim().toUpperCase());
  const { allRules } = require("../transforms/registry") as typeof import("../transforms/registry");
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

/** The longest delay a Node timer holds. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Why a report could not be written to `file` (checked before a run, so that it fails before
 * any source is written), or null: its folder must exist, and it must not be a folder.
 */
function unwritableFile(file: string): string | null {
  let stat: fs.Stats | null = null;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR") return `${path.dirname(file)} is not a folder`;
    if (code !== "ENOENT") return `cannot be written (${code ?? e})`;
  }
  if (stat?.isDirectory()) return "is a directory";
  if (stat) return writable(file) ? null : "cannot be written (no permission)";
  const dir = path.dirname(path.resolve(file));
  let folder: fs.Stats;
  try {
    folder = fs.statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? `no such folder ${dir}` : code === "ENOTDIR" ? `${path.dirname(file)} is not a folder` : `cannot be written (${code ?? e})`;
  }
  if (!folder.isDirectory()) return `${path.dirname(file)} is not a folder`;
  return writable(dir) ? null : `cannot be written (no permission in ${dir})`;
}

