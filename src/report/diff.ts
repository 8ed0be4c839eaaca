// Unified diffs, `--- a/PATH` / `+++ b/PATH`, as git and patch read them.
import type { structuredPatch as StructuredPatch } from "diff";
import { quotedPath } from "./text-report";

export function unifiedDiff(displayPath: string, before: string, after: string): string {
  // Loaded for the first diff, not with the command line: most runs print none.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { structuredPatch } = require("diff") as { structuredPatch: typeof StructuredPatch };
  // The lines both texts start with, but the context before the first change, are left out (jsdiff
  // matches them first itself, one by one): a line added at the end of a 12 MB module is not diffed line by line.
  const { at, lines } = sharedHead(before, after, CONTEXT);
  const patch = structuredPatch(`a/${displayPath}`, `b/${displayPath}`, before.slice(at), after.slice(at), "", "", { context: CONTEXT });
  // git's way with a path that holds a control character: the whole name quoted, `--- "a/x\ny.py"`.
  const out = [`--- ${quotedPath(`a/${displayPath}`)}`, `+++ ${quotedPath(`b/${displayPath}`)}`];
  for (const hunk of patch.hunks) {
    out.push(`@@ -${range(hunk.oldStart + lines, hunk.oldLines)} +${range(hunk.newStart + lines, hunk.newLines)} @@`);
    out.push(...hunk.lines);
  }
  return out.join("\n") + "\n";
}

const CONTEXT = 3;

/** Where the whole lines both texts start with end, less `keep` of them, and how many lines that is. */
function sharedHead(before: string, after: string, keep: number): { at: number; lines: number } {
  const most = Math.min(before.length, after.length);
  let same = 0;
  while (same < most && before.charCodeAt(same) === after.charCodeAt(same)) same++;
  const lineStart = (i: number) => (i <= 0 ? 0 : before.lastIndexOf("\n", i - 1) + 1);
  // The start of the first line that differs, then `keep` lines before it.
  let at = lineStart(same);
  for (let k = 0; k < keep && at > 0; k++) at = lineStart(at - 1);
  let lines = 0;
  for (let i = before.indexOf("\n"); i >= 0 && i < at; i = before.indexOf("\n", i + 1)) lines++;
  return { at, lines };
}

function range(start: number, lines: number): string {
  return lines === 1 ? `${start}` : `${lines === 0 ? start : start},${lines}`;
}
