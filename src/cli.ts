// Command-line wiring only: commands, options, output and exit codes.
import * as fs from "node:fs";
import * as path from "node:path";
import yargs from "yargs";
import { defaultJobs, run, type RunRequest, type RunResult } from "./run";
import { transforms, transformByCode } from "../transforms";
import { unifiedDiff } from "./report/diff";
import { errorLine, findingLine, fixSummary, unchangedLine, type Style } from "./report/text";
import { jsonReport } from "./report/json";
import { sarifReport } from "./report/sarif";
import { githubAnnotation } from "./report/github";
import type { FileResult } from "./engine";
import { ConfigError } from "./project/config";
import type { Mode, StartMethod } from "./transform";

export const EXIT = { ok: 0, found: 1, error: 2, interrupted: 130 } as const;

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
  jobs: number;
}

function out(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : text + "\n");
}
function err(text: string): void {
  process.stderr.write(text.endsWith("\n") ? text : text + "\n");
}

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  let usageError: string | null = null;
  const parser = yargs(argv)
    .scriptName("spawnsafe")
    .usage("$0 <command> [paths..]\n\nMigrate Python code off multiprocessing's fork start method and find what breaks under spawn.")
    // No yargs default for mode and method: a flag given explicitly wins over the configuration, an absent one does not.
    .option("mode", { choices: ["auto", "app", "lib"] as const, defaultDescription: '"auto"', describe: "app: set the start method in the main guard; lib: explicit contexts at creation sites; auto: decide per file" })
    .option("method", { choices: ["spawn", "forkserver"] as const, defaultDescription: '"spawn"', describe: "start method to migrate to" })
    .option("config", { type: "string", describe: "read settings from this TOML file instead of [tool.spawnsafe] in the project's pyproject.toml" })
    .option("isolated", { type: "boolean", default: false, describe: "read no configuration file" })
    .option("format", { choices: ["text", "json", "sarif", "github"] as const, default: "text" as Format, describe: "output format" })
    .option("quiet", { alias: "q", type: "boolean", default: false, describe: "print only findings, diffs and errors" })
    .option("exclude", { type: "string", array: true, default: [] as string[], describe: "glob of paths to skip (repeatable)" })
    .option("jobs", { alias: "j", type: "number", default: defaultJobs(), describe: "worker threads (1: everything on the main thread)" })
    .command(
      "fix [paths..]",
      "rewrite files in place (or print a diff with --dry-run)",
      (y) =>
        y
          .positional("paths", { type: "string", array: true, default: ["."] })
          .option("dry-run", { type: "boolean", default: false, describe: "print a unified diff and write nothing" }),
      async (args) => {
        const problem = usageProblem(args);
        if (problem) usageError = problem;
        else code = await configured(() => fixCommand(args as unknown as CommonArgs & { dryRun: boolean }));
      },
    )
    .command(
      "check [paths..]",
      "report findings, write nothing",
      (y) => y.positional("paths", { type: "string", array: true, default: ["."] }),
      async (args) => {
        const problem = usageProblem(args);
        if (problem) usageError = problem;
        else code = await configured(() => checkCommand(args as unknown as CommonArgs));
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
      usageError = msg ?? e?.message ?? "usage error";
    });
  try {
    await parser.parseAsync();
  } catch (e) {
    usageError ??= (e as Error).message;
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

function style(): Style {
  return { color: !!process.stdout.isTTY && !process.env.NO_COLOR };
}

function execute(args: CommonArgs, fix: boolean, write: boolean, extra: Partial<RunRequest> = {}): Promise<RunResult> {
  const flags = { ...(args.mode ? { mode: args.mode } : {}), ...(args.method ? { method: args.method } : {}) };
  return run({ paths: args.paths, exclude: args.exclude, options: flags, config: args.config ?? null, isolated: args.isolated, fix, write, jobs: args.jobs, ...extra });
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

/**
 * While `fix` may write, SIGINT stops the run between two files: no new write starts, the
 * one under way finishes (a write is a rename: the file is old or new, never half), and
 * no temporary file stays behind.
 */
async function executeInterruptibly(args: CommonArgs, write: boolean): Promise<RunResult> {
  if (!write) return execute(args, true, false);
  let stop = false;
  const onSigint = () => {
    stop = true;
  };
  process.on("SIGINT", onSigint);
  try {
    return await execute(args, true, true, { interrupted: () => stop });
  } finally {
    process.off("SIGINT", onSigint);
  }
}

function reportMissing(result: RunResult): void {
  for (const p of result.missing) err(`spawnsafe: ${p}: no such file or directory`);
}

function summaryLine(result: RunResult): string {
  const changed = result.results.filter((r) => r.output && !r.error).length;
  const findings = result.results.reduce((n, r) => n + r.findings.filter((f) => !f.fixed).length, 0);
  const errors = result.results.filter((r) => r.error).length + result.missing.length;
  return `${result.results.length} files scanned, ${changed} changed, ${findings} findings, ${errors} errors in ${result.seconds.toFixed(2)} s`;
}

async function fixCommand(args: CommonArgs & { dryRun: boolean }): Promise<number> {
  const result = await executeInterruptibly(args, !args.dryRun);
  if (result.interrupted) {
    err(`spawnsafe: interrupted: ${result.written} file${result.written === 1 ? "" : "s"} written, every other file left as it was`);
    return EXIT.interrupted;
  }
  printResult("fix", args, result, args.dryRun);
  const errors = result.missing.length > 0 || result.results.some((r) => r.error);
  if (errors) return EXIT.error;
  if (args.dryRun && result.results.some((r) => r.output)) return EXIT.found;
  return EXIT.ok;
}

async function checkCommand(args: CommonArgs): Promise<number> {
  const result = await execute(args, false, false);
  printResult("check", args, result, false);
  if (result.missing.length > 0 || result.results.some((r) => r.error)) return EXIT.error;
  return result.results.some((r) => r.findings.length > 0) ? EXIT.found : EXIT.ok;
}

/**
 * stdout carries the result (findings, diffs, or the machine-readable report); stderr the
 * errors and the summary. With --dry-run, stdout is a patch and nothing else.
 */
function printResult(command: "check" | "fix", args: CommonArgs, result: RunResult, dryRun: boolean): void {
  reportMissing(result);
  const unfixed = (r: FileResult) => r.findings.filter((f) => !f.fixed);
  switch (args.format) {
    case "json":
      out(JSON.stringify(jsonReport(command, dryRun, result.results), null, 2));
      return;
    case "sarif":
      out(JSON.stringify(sarifReport(result.results, transforms, (t) => fs.readFileSync(docPath(t.name), "utf8"), packageVersion()), null, 2));
      return;
    case "github":
      for (const r of result.results) {
        if (r.error) out(githubAnnotation("error", r.path, r.error, "spawnsafe", r.error.message));
        for (const f of unfixed(r)) out(githubAnnotation("warning", r.path, f, `${f.code} ${f.name}`, f.message));
      }
      if (!args.quiet) err(summaryLine(result));
      return;
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
      if (!args.quiet) err(summaryLine(result));
    }
  }
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
