// A fix's diff leaves out the lines both texts start with (src/report/diff.ts): the diff is
// the one jsdiff gives of the whole texts, hunk for hunk.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { structuredPatch } from "diff";
import { unifiedDiff } from "../src/report/diff";

/** The diff of the whole texts, as unifiedDiff printed it before it left out the shared head. */
function whole(before: string, after: string): string {
  const patch = structuredPatch("a/m.py", "b/m.py", before, after, "", "", { context: 3 });
  const range = (start: number, lines: number) => (lines === 1 ? `${start}` : `${lines === 0 ? start : start},${lines}`);
  const out = ["--- a/m.py", "+++ b/m.py"];
  for (const hunk of patch.hunks) out.push(`@@ -${range(hunk.oldStart, hunk.oldLines)} +${range(hunk.newStart, hunk.newLines)} @@`, ...hunk.lines);
  return out.join("\n") + "\n";
}

test("the diff without the shared head is the whole texts' diff", () => {
  let seed = 7;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
  const pieces = ["x = 1\n", "\n", "\n", "    pass\n", "def f():\n", "if __name__ == '__main__':\n", "main()", "\r\n", "y\n"];
  const text = (n: number) => Array.from({ length: n }, () => pieces[random(pieces.length)]).join("");
  for (let i = 0; i < 600; i++) {
    const before = text(random(40));
    const lines = before.split(/(?<=\n)/);
    const at = random(lines.length + 1);
    const after = [...lines.slice(0, at), ...(random(3) ? [text(1 + random(3))] : []), ...lines.slice(at + random(3))].join("") + (random(5) ? "" : text(1));
    if (before === after) continue;
    assert.equal(unifiedDiff("m.py", before, after), whole(before, after), JSON.stringify({ before, after }));
  }
});

test("a line added at the end of a large module: the hunk's lines are the whole file's", () => {
  const before = Array.from({ length: 50000 }, (_, i) => `def f${i}(x):\n    return x + ${i}\n\n`).join("") + "if __name__ == '__main__':\n    main()\n";
  const after = before.replace("    main()\n", "    multiprocessing.set_start_method('spawn', force=True)\n    main()\n");
  assert.equal(unifiedDiff("m.py", before, after), whole(before, after));
  assert.match(unifiedDiff("m.py", before, after), /^@@ -149999,4 \+149999,5 @@$/m);
});
