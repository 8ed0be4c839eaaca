// Unified diffs, `--- a/PATH` / `+++ b/PATH`, as git and patch read them.
import type { structuredPatch as StructuredPatch } from "diff";
import { quotedPath } from "./text";

export function unifiedDiff(displayPath: string, before: string, after: string): string {
  // Loaded for the first diff, not with the command line: most runs print none.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { structuredPatch } = require("diff") as { structuredPatch: typeof StructuredPatch };
  const patch = structuredPatch(`a/${displayPath}`, `b/${displayPath}`, before, after, "", "", { context: 3 });
  // git's way with a path that holds a control character: the whole name quoted, `--- "a/x\ny.py"`.
  const out = [`--- ${quotedPath(`a/${displayPath}`)}`, `+++ ${quotedPath(`b/${displayPath}`)}`];
  for (const hunk of patch.hunks) {
    out.push(`@@ -${range(hunk.oldStart, hunk.oldLines)} +${range(hunk.newStart, hunk.newLines)} @@`);
    out.push(...hunk.lines);
  }
  return out.join("\n") + "\n";
}

function range(start: number, lines: number): string {
  return lines === 1 ? `${start}` : `${lines === 0 ? start : start},${lines}`;
}
