// A library's switch to spawn holds only for the programs that run it: under spawn each of
// their children imports the program again as `__mp_main__`. When a program of the project
// reaches a library's creation sites and what its children would re-run is not proved
// harmless (a top-level start its guard fix does not move, `input()`, `os.mkdir(...)`), the
// library's switch unit is held back with that reason, in `check` and `fix` alike.
import type { FileResult } from "../engine";
import type { UnitBlock } from "../fix/units";
import { transforms } from "../../transforms";

const SWITCH = new Set(transforms.filter((t) => t.unit === "switch").map((t) => t.code));

/** The results (by index) whose switch unit a program of the project holds back, with why. */
export function heldBackByPrograms(results: Array<FileResult | undefined>): Map<number, UnitBlock> {
  const byPath = new Map<string, number>();
  results.forEach((r, i) => r && byPath.set(r.path, i));
  const blocks = new Map<number, UnitBlock>();
  for (const program of results) {
    const why = program?.program?.unproved[0];
    if (!program?.program || why === undefined) continue;
    for (const path of program.program.reaches) {
      const i = byPath.get(path);
      if (i === undefined || blocks.has(i) || results[i] === program) continue;
      if (!results[i]!.findings.some((f) => SWITCH.has(f.code) && f.applicability === "safe")) continue;
      blocks.set(i, { obligation: "bootstrap", reason: `\`${program.path}\` runs it, and there ${why}` });
    }
  }
  return blocks;
}
