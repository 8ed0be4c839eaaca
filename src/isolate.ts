// One file's failure stays that file's: an exception while processing it (a stack overflow
// on absurdly deep code, or a spawnsafe bug) becomes an error on that file, which is left
// untouched, and the run goes on with the others.
import { processFile, type FileResult } from "./engine";
import { NO_CONTEXT, type ModuleContext } from "./python/module";
import type { FileInfo } from "./file-info";
import type { Options } from "./options";
import type { TreeSource } from "./trees";

export function processIsolated(file: FileInfo, bytes: Buffer, options: Options, applyFixes: boolean, context: ModuleContext = NO_CONTEXT, trees?: TreeSource): FileResult {
  try {
    return processFile(file, bytes, options, applyFixes, context, trees);
  } catch (err) {
    return { path: file.path, decision: null, findings: [], error: { message: describe(err), line: 1, column: 1 }, before: "", after: "", output: null, passes: 0 };
  }
}

function describe(err: unknown): string {
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    return "too deeply nested to analyse (the stack ran out); file left untouched";
  }
  const message = err instanceof Error ? err.message : String(err);
  return `internal error (a spawnsafe bug, please report it): ${message}; file left untouched`;
}
