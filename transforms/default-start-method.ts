// SPS102: an application creates processes with the default start method.
import { defineTransform, type CheckContext } from "../src/transform";
import type { ModuleFacts } from "../src/python/module";
import { insertFirstInGuard, moduleReference } from "../src/fix/python";
import { insert, type Edit } from "../src/fix/edits";
import { missingGuardFix } from "../src/fix/guard";
import { heldBack } from "../src/hazards";
import { type Choice, defaultPaths, guardCalls, pathsWithout, uncoveredBy } from "../src/python/choices";
import { entryFunctionNames } from "../src/file-info";
import { moveApplicability } from "../src/python/crossing";
import { endsInChosenContext } from "../src/python/module-summary";
import { parameterContexts } from "../src/python/context-parameters";

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
    // be judged. One that runs only on some paths leaves the others on the default: the sites
    // those paths reach are reported with the condition named.
    const paths = defaultPaths(module, new Set([...guardCalls(module), ...entryFunctionNames(context.file)]));
    if (paths.kind === "every") return;
    const conditional = paths.kind === "some" ? paths.choices : [];
    const defaults = module.sites.filter((s) => s.method === "default" && uncoveredBy(conditional, s));
    if (defaults.length === 0) {
      reportThroughProject(context, conditional);
      return;
    }
    const site = defaults.find((s) => s.startsProcesses) ?? defaults[0];
    if (conditional.length > 0) {
      // Not fixed: the choice is the program's, and an unconditional one set over it would
      // make the later call raise "context has already been set" (or override a fork it pins).
      context.report({ node: site.node, message: `${onPaths(module, conditional)}. Choose the method for every path in the main guard; not fixed, since the choice made there is the program's`, fix: null });
      return;
    }
    const guard = module.mainGuards[0];
    const firstStart = module.startingStatements.size > 0 ? module.statements.find((s) => module.startingStatements.has(s)) : undefined;
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
    // A context whose method is not static (`get_context("fork" if c else None)`) is the
    // default one on some paths: the set method moves its sites there too.
    const moved = module.sites.filter((s) => s.startsProcesses && (s.method === "default" || s.method === null));
    let safety: { applicability: "safe" | "unsafe"; why: string } = fix ? moveApplicability(module, moved, options.method) : { applicability: "safe", why: "" };
    // Processes made from a context a caller hands in (SPS108): the set method moves them too when it is the default.
    const handedIn = fix && safety.applicability === "safe" ? parameterContexts(module)[0] : undefined;
    if (handedIn) {
      safety = { applicability: "unsafe", why: `; unsafe fix (applied with --unsafe-fixes): line ${module.lines.position(handedIn.call.startIndex).line} makes processes from \`${handedIn.param}\`, a parameter of \`${handedIn.owner}\`, which the set method moves too when it is the default context; what they are handed is not proved` };
    }
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
function reportThroughProject(context: CheckContext, conditional: Choice[]): void {
  const { module, options } = context;
  const guard = module.mainGuards[0];
  // Processes made from a context the other module chose are not on the default start method.
  const external = [...module.externalStarts.values()].filter((e) => !endsInChosenContext(e.chain)).sort((a, b) => a.node.startIndex - b.node.startIndex)[0];
  if (!guard || !external || module.startingStatements.size > 0) return;
  const chain = external.chain.join(" → ");
  // The program's own choice covers some paths only: the processes are another module's, whose
  // sites report the paths left on the default (SPS103). A finding here, with no fix, would count
  // this program as a maker of processes and hold back a library's own switch (programs.ts).
  if (conditional.length > 0) return;
  const { text: ref, edits } = startMethodReference(module);
  const call = insertFirstInGuard(module, guard, `${ref}("${options.method}", force=True)`);
  const fix = call && context.hazards.length === 0 ? [...edits, call] : null;
  context.report({
    node: external.node,
    message: `Processes are created (${chain}) with the default start method (fork on Linux before Python 3.14); set "${options.method}" first in the main guard${context.hazards.length ? heldBack(context.hazards) : `; unsafe fix (applied with --unsafe-fixes): ${THROUGH_PROJECT}`}`,
    fix,
    applicability: "unsafe",
  });
}

/** "On paths where `c` is false, processes are created with the default start method (...): `call` (line N) runs only if `c`". */
function onPaths(module: ModuleFacts, choices: Choice[]): string {
  const without = pathsWithout(choices);
  return `${without[0].toUpperCase()}${without.slice(1)}, processes are created with the default start method (fork on Linux before Python 3.14, forkserver from 3.14): ${chosenWhere(module, choices)}`;
}

/** "`set_start_method("spawn")` (line 14) runs only if `options.spawn`". */
function chosenWhere(module: ModuleFacts, choices: Choice[]): string {
  const first = choices[0];
  const line = module.lines.position(first.call.node.startIndex).line;
  return `\`${first.call.node.text.replace(/\s+/g, " ")}\` (line ${line}) runs only ${first.condition}${choices.length > 1 ? `, and ${choices.length - 1} other choice${choices.length > 2 ? "s" : ""} on some paths only` : ""}`;
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
