// Unified diffs, `--- a/PATH` / `+++ b/PATH`, as git and patch read them.
import { structuredPatch } from "diff";

export function unifiedDiff(displayPath: string, before: string, after: string): string {
  const patch = structuredPatch(`a/${displayPath}`, `b/${displayPath}`, before, after, "", "", { context: 3 });
  const out = [`--- a/${displayPath}`, `+++ b/${displayPath}`];
  for (const hunk of patch.hunks) {
    out.push(`@@ -${range(hunk.oldStart, hunk.oldLines)} +${range(hunk.newStart, hunk.newLines)} @@`);
    out.push(...hunk.lines);
  }
  return out.join("\n") + "\n";
}

function range(start: number, lines: number): string {
  return lines === 1 ? `${start}` : `${lines === 0 ? start : start},${lines}`;
}
