// Stdin mode for editors and pipes: `spawnsafe fix - --stdin-filename path.py` processes the
// text on stdin as if it were the file at that path (the path decides the package, and so
// the application-or-library role) and the command prints the result on stdout.
import * as path from "node:path";
import { excludeMatcher, isExcludedPath } from "./project/discover";
import { processIsolated } from "./isolate";
import { displayPath, fileInfo } from "./run-files";
import type { FileResult } from "./engine";
import { judgeResults } from "./judge";
import type { FileInfo } from "./file-info";
import type { Options } from "./options";

/** How stdin is named in reports when no --stdin-filename is given. */
export const STDIN_NAME = "-";

export function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer | string) => chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}

export function stdinFileInfo(stdinFilename: string | null): FileInfo {
  if (!stdinFilename) return { path: STDIN_NAME, packageDir: null, isMainModule: false };
  const abs = path.resolve(stdinFilename);
  return fileInfo(abs, displayPath(abs));
}

/** With --force-exclude, whether the exclusions cover the name given with --stdin-filename. */
export function stdinExcluded(stdinFilename: string | null, exclude: string[]): boolean {
  return stdinFilename !== null && isExcludedPath(path.resolve(stdinFilename), excludeMatcher(exclude));
}

/** The file read from stdin, processed and judged by CPython as a file of a run is; `notice` as RunResult's. */
export async function processStdin(bytes: Buffer, stdinFilename: string | null, options: Options, applyFixes: boolean): Promise<{ result: FileResult; notice: string | null }> {
  const result = processIsolated(stdinFileInfo(stdinFilename), bytes, options, applyFixes);
  const notice = await judgeResults([{ result, original: bytes }]);
  return { result, notice };
}
