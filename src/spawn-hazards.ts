// Findings that make a program fail once it runs under spawn. A fix that moves a file's
// processes to spawn (SPS102, SPS103) is not made while the file has one that its line does
// not silence: the program works under fork, and the fix would break it.
import { reportsOf, type CheckContext } from "./transform";
import { unpicklableTarget } from "../transforms/unpicklable-target";
import { globalOnlyInMain } from "../transforms/global-only-in-main";
import { notReimportable } from "../transforms/not-reimportable";
import { silences, suppressionsOf } from "./suppressions";
import { isNotebook } from "./project/notebook";

export interface Hazard {
  code: string;
  line: number;
}

/** SPS202, SPS203 and SPS206 findings of the file, by line, leaving out suppressed ones. */
export function spawnHazards(context: CheckContext): Hazard[] {
  const { module } = context;
  // Notebooks are never fixed, and their lines are the joined cells' (src/engine.ts).
  if (isNotebook(context.file.path)) return [];
  const suppressions = suppressionsOf(module);
  const hazards: Hazard[] = [];
  for (const transform of [unpicklableTarget, globalOnlyInMain, notReimportable]) {
    // A code the configuration switches off is not a hazard the user wants heeded.
    if (context.options.ignore?.includes(transform.code)) continue;
    for (const { node } of reportsOf(transform, context)) {
      const line = module.lines.position(node.startIndex).line;
      if (!silences(suppressions, line, transform.code)) hazards.push({ code: transform.code, line });
    }
  }
  return hazards.sort((a, b) => a.line - b.line);
}

/** The end of the message of a finding whose fix the hazards hold back. */
export function heldBack(hazards: Hazard[]): string {
  const first = hazards[0];
  const more = hazards.length > 1 ? ` and ${hazards.length - 1} more` : "";
  return `; not fixed, since under spawn the program would fail (${first.code} on line ${first.line}${more})`;
}
