// A run over many files: discover, process each, write what changed safely.
import * as fs from "node:fs";
import * as path from "node:path";
import { discover, packageDirOf } from "./project/discover";
import { processFile, type FileResult } from "./engine";
import type { FileInfo, Options } from "./transform";

export interface RunRequest {
  paths: string[];
  exclude: string[];
  options: Options;
  /** Apply fixes (fix and fix --dry-run) or only report (check). */
  fix: boolean;
  /** Write the changed files. */
  write: boolean;
}

export interface RunResult {
  results: FileResult[];
  /** Paths given on the command line that do not exist. */
  missing: string[];
  seconds: number;
}

export function run(request: RunRequest): RunResult {
  const started = process.hrtime.bigint();
  const { files, missing } = discover(request.paths, request.exclude);
  const results = files.map((file) => processOne(file, request));
  return { results, missing, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return (rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file).split(path.sep).join("/");
}

export function fileInfo(file: string, shownAs: string): FileInfo {
  return { path: shownAs, packageDir: packageDirOf(file) && displayPath(path.dirname(file)), isMainModule: path.basename(file) === "__main__.py" };
}

function processOne(file: string, request: RunRequest): FileResult {
  const shownAs = displayPath(file);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    return failed(shownAs, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const result = processFile(fileInfo(file, shownAs), bytes, request.options, request.fix);
  if (request.write && result.output && !result.error) {
    const problem = writeSafely(file, bytes, result.output);
    if (problem) {
      result.error = { message: problem, line: 1, column: 1 };
    }
  }
  return result;
}

function failed(shownAs: string, message: string): FileResult {
  return { path: shownAs, decision: null, findings: [], error: { message, line: 1, column: 1 }, before: "", after: "", output: null, passes: 0 };
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
    return `not written: the file disappeared during the run (${(err as NodeJS.ErrnoException).code})`;
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
    return `not written: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
  }
}
