// SPS102: an application creates processes with the default start method.
import { defineTransform, type CheckContext } from "../src/transform";
import type { ModuleFacts } from "../src/python/module";
import { insertFirstInGuard, moduleReference } from "../src/fix/python";
import { insert, type Edit } from "../src/fix/edits";
import { missingGuardFix } from "../src/fix/guard";
import { heldBack } from "../src/hazards";
import { startMethodChoices } from "../src/python/choices";
import { moveApplicability } from "../src/python/crossing";
import { endsInChosenContext } from "../src/python/summary";

/** The reason of a start method set for processes other modules make, until the project's run names their verdict. */
export const THROUGH_PROJECT = "the processes are made in another module, and are proved or not there";

export const defaultStartMethod = defineTransform({
  code: "SPS102",
  name: "default-start-method",
  summary: "An application creates processes without choosing a start method",
  fix: "sometimes",
  unit: "switch",
  check(context) {
    const { module, decision, options } = context;
    if (decision.role !== "app") return;
    // A set_start_method call that runs whenever the program does is a choice already made:
    // spawn or forkserver needs nothing, fork is the user's decision, a computed method cannot
    // be judged. One that runs only on some paths leaves the others on the default.
    const choices = startMethodChoices(module);
    if (choices.some((c) => c.condition === null)) return;
    const defaults = module.sites.filter((s) => s.method === "default");
    if (defaults.length === 0) {
      reportThroughProject(context, choices.length > 0);
      return;
    }
    const site = defaults.find((s) => s.startsProcesses) ?? defaults[0];
    if (choices.length > 0) {
      const first = choices[0];
      const line = module.lines.position(first.call.node.startIndex).line;
      context.report({
        node: site.node,
        message: `Processes are created with the default start method except where \`${first.call.node.text.replace(/\s+/g, " ")}\` runs (line ${line}, only ${first.condition}): every other path keeps the default (fork on Linux before Python 3.14, forkserver from 3.14). Choose the method for every path in the main guard; not fixed, since the choice made there is the program's`,
        fix: null,
      });
      return;
    }
    const guard = module.mainGuards[0];
    const firstStart = module.statements.find((s) => module.startingStatements.has(s));
    // Targets spawn cannot pickle, globals only the parent sets, objects workers share through
    // fork inheritance (SPS202, SPS203, SPS106...): under spawn the program fails.
    const hazards = context.hazards;
    let fix: Edit[] | null = null;
    // The fix waits for SPS101's guard: it is no safer than that fix (`[*]` means fix applies it).
    let waitsFor: "safe" | "unsafe" = "safe";
    if (hazards.length > 0) {
      fix = null;
    } else if (context.file.isMainModule && firstStart && !(guard && guard.startIndex < firstStart.startIndex)) {
      // Spawned children never run a __main__.py: the call can stand at module level, just
      // before the first start.
      if (module.lines.startsLine(firstStart.startIndex)) {
        const { text: ref, edits } = startMethodReference(module);
        fix = [...edits, insert(module.lines.lineStart(firstStart.startIndex), `${ref}("${options.method}", force=True)${module.lineBreak}`)];
      }
    } else if (module.startingStatements.size > 0) {
      // Spawn set while processes still start at top level would make every child re-run
      // those starts and fail. missing-main-guard (SPS101) guards them first; this finding
      // is fixed on the next pass (an empty fix is fixable but not applied now), and not at
      // all when they cannot be guarded.
      const guardFix = missingGuardFix(module, context.file);
      fix = guardFix ? [] : null;
      if (guardFix) waitsFor = guardFix.applicability;
    } else if (guard) {
      const { text: ref, edits } = startMethodReference(module);
      const call = insertFirstInGuard(module, guard, `${ref}("${options.method}", force=True)`);
      fix = call ? [...edits, call] : null;
    }
    // The fix moves every process of the file to spawn: safe when each site is proved.
    let safety: { applicability: "safe" | "unsafe"; why: string } = fix ? moveApplicability(module, defaults.filter((s) => s.startsProcesses)) : { applicability: "safe", why: "" };
    if (fix && waitsFor === "unsafe" && safety.applicability === "safe") {
      safety = { applicability: "unsafe", why: "; unsafe fix (applied with --unsafe-fixes): it follows the main guard SPS101 adds, itself an unsafe fix" };
    }
    context.report({
      node: site.node,
      message: `${site.startsProcesses ? "Processes are" : `\`${site.kind}()\` is`} created with the default start method (fork on Linux before Python 3.14); set "${options.method}" first in the main guard${hazards.length ? heldBack(hazards) : safety.why}`,
      fix,
      applicability: safety.applicability,
    });
  },
});

/**
 * A program whose processes are all made by other modules of the project (`jobs.run_all()`
 * under its main guard): the start method is set in its guard too, as projects do by hand
 * when per-site contexts would disagree with what a library reads. The processes are another
 * module's: their proofs are that module's (its own switch, SPS103), carried to this finding
 * across the project (src/project/programs.ts). An unsafe fix.
 */
function reportThroughProject(context: CheckContext, conditional: boolean): void {
  const { module, options } = context;
  const guard = module.mainGuards[0];
  // Processes made from a context the other module chose are not on the default start method.
  const external = [...module.externalStarts.values()].filter((e) => !endsInChosenContext(e.chain)).sort((a, b) => a.node.startIndex - b.node.startIndex)[0];
  if (!guard || !external || conditional || module.startingStatements.size > 0) return;
  const { text: ref, edits } = startMethodReference(module);
  const call = insertFirstInGuard(module, guard, `${ref}("${options.method}", force=True)`);
  const fix = call && context.hazards.length === 0 ? [...edits, call] : null;
  const chain = external.chain.join(" → ");
  context.report({
    node: external.node,
    message: `Processes are created (${chain}) with the default start method (fork on Linux before Python 3.14); set "${options.method}" first in the main guard${context.hazards.length ? heldBack(context.hazards) : `; unsafe fix (applied with --unsafe-fixes): ${THROUGH_PROJECT}`}`,
    fix,
    applicability: "unsafe",
  });
}

/** `mp.set_start_method` through the module's own alias, the star-imported name, or a new import. */
function startMethodReference(module: ModuleFacts): { text: string; edits: Edit[] } {
  // The call goes first in the main guard: only an import above the guard is there by then.
  const before = module.mainGuards[0]?.startIndex ?? Number.POSITIVE_INFINITY;
  for (const name of ["multiprocessing", "torch.multiprocessing"]) {
    const existing = module.model.moduleReference(name, before);
    if (existing) return { text: `${existing}.set_start_method`, edits: [] };
  }
  if (module.model.hasStarImport("multiprocessing")) return { text: "set_start_method", edits: [] };
  const { text, edits } = moduleReference(module, "multiprocessing", before);
  return { text: `${text}.set_start_method`, edits };
}
