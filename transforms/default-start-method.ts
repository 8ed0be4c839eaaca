// SPS102: an application creates processes with the default start method.
import { defineTransform } from "../src/transform";
import type { ModuleFacts } from "../src/python/module";
import { insertFirstInGuard, moduleReference } from "../src/fix/python";
import { insert, type Edit } from "../src/fix/edits";
import { inheritedSyncObjects } from "../src/python/sync-objects";
import { missingGuardFix } from "../src/fix/guard";
import { heldBack } from "../src/transform";

export const defaultStartMethod = defineTransform({
  code: "SPS102",
  name: "default-start-method",
  summary: "An application creates processes without choosing a start method",
  fix: "sometimes",
  check(context) {
    const { module, decision, options } = context;
    if (decision.role !== "app") return;
    // Any set_start_method call is a choice already made: spawn or forkserver needs
    // nothing, fork is the user's decision, a computed method cannot be judged.
    if (module.startMethodCalls.length > 0) return;
    const defaults = module.sites.filter((s) => s.method === "default");
    if (defaults.length === 0) return;
    const site = defaults.find((s) => s.startsProcesses) ?? defaults[0];
    const guard = module.mainGuards[0];
    // Workers that share a module-level Queue or Lock through fork inheritance would each
    // get their own under spawn: switching the method would break the program (SPS106).
    const shared = inheritedSyncObjects(module);
    const breaksSharing = shared.length > 0;
    const firstStart = module.statements.find((s) => module.startingStatements.has(s));
    // Targets spawn cannot pickle, globals only the parent sets, workers defined where
    // children cannot import them (SPS202, SPS203, SPS206): under spawn the program fails.
    const hazards = [
      ...shared.map((s) => ({ code: "SPS106", line: module.lines.position(s.node.startIndex).line })),
      ...context.hazards,
    ];
    let fix: Edit[] | null = null;
    if (breaksSharing || hazards.length > 0) {
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
      fix = missingGuardFix(module, context.file) ? [] : null;
    } else if (guard) {
      const { text: ref, edits } = startMethodReference(module);
      const call = insertFirstInGuard(module, guard, `${ref}("${options.method}", force=True)`);
      fix = call ? [...edits, call] : null;
    }
    context.report({
      node: site.node,
      message: `${site.startsProcesses ? "Processes are" : `\`${site.kind}()\` is`} created with the default start method (fork on Linux before Python 3.14); set "${options.method}" first in the main guard${hazards.length ? heldBack(hazards) : ""}`,
      fix,
    });
  },
});

/** `mp.set_start_method` through the module's own alias, the star-imported name, or a new import. */
function startMethodReference(module: ModuleFacts): { text: string; edits: Edit[] } {
  for (const name of ["multiprocessing", "torch.multiprocessing"]) {
    const existing = module.model.moduleReference(name);
    if (existing) return { text: `${existing}.set_start_method`, edits: [] };
  }
  if (module.model.hasStarImport("multiprocessing")) return { text: "set_start_method", edits: [] };
  const { text, edits } = moduleReference(module, "multiprocessing");
  return { text: `${text}.set_start_method`, edits };
}
