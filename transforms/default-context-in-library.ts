// SPS103: library code creates processes or their objects from the default context.
import { defineTransform } from "../src/transform";
import { explicitContextFix } from "../src/fix/context";
import { replace } from "../src/fix/edits";
import { heldBack } from "../src/hazards";
import { contextDependence } from "../src/python/choices";
import { moveApplicability } from "../src/python/crossing";
import { entryFunctionFix } from "../src/fix/entry";
import type { ModuleFacts } from "../src/python/module";
import type { CreationSite } from "../src/python/sites";

export const defaultContextInLibrary = defineTransform({
  code: "SPS103",
  name: "default-context-in-library",
  summary: "Library code uses the global default context instead of an explicit one",
  fix: "sometimes",
  unit: "switch",
  readsTestPatches: true,
  check(context) {
    const { module, decision, options } = context;
    if (decision.role !== "library") return;
    // A module that sets the start method itself has chosen (SPS107 reports it in a library).
    if (module.startMethodCalls.length > 0) return;
    // Under spawn the module's workers would fail (SPS202, SPS203, SPS206): no site is switched.
    const { hazards } = context;
    // Code that reads the start method or tests for multiprocessing.Process would disagree
    // with per-site contexts: the program's entry is where the method is set then.
    const dependent = contextDependence(module)[0];
    const answers = dependent ? `\`${dependent.text.replace(/\s+/g, " ")}\` (line ${module.lines.position(dependent.startIndex).line}) answers for the default context, which per-site contexts leave behind` : "";
    // When this module holds the function a console script calls, the start method goes first in it (once, on the first site).
    let entry = dependent && hazards.length === 0 ? entryFunctionFix(module, context.file, options.method) : null;
    const disagreement = dependent
      ? `; not fixed: ${answers}. Set the start method once at the program's entry (its main guard, or the first statement of its console-script function) instead`
      : null;
    for (const site of module.sites) {
      if (site.method !== "default" || site.via.form === "context") continue;
      if (entry) {
        context.report({
          node: site.node,
          message: `\`${site.kind === "ProcessSubclass" ? "Process" : site.kind}\` uses the default context, and ${answers}: set "${options.method}" once, first in \`${entry.function}\`, which the console script \`${entry.script}\` calls; unsafe fix (applied with --unsafe-fixes): the whole program then runs under ${options.method}, and what its other modules hand to their children is not proved here`,
          fix: entry.edits,
          applicability: "unsafe",
        });
        entry = null;
        continue;
      }
      const patch = patchOf(module, site);
      const safety = patch
        ? { applicability: "unsafe" as const, why: `; unsafe fix (applied with --unsafe-fixes): ${patch.where} patches \`${patch.target}\`, which the call looks up now and would not after the rewrite: the patch would no longer apply` }
        : site.startsProcesses
          ? moveApplicability(module, [site])
          : { applicability: "safe" as const, why: "" };
      const fix = hazards.length || disagreement ? null : explicitContextFix(module, site, options.method);
      context.report({
        node: site.node,
        message: `\`${site.kind === "ProcessSubclass" ? "Process" : site.kind}\` uses the default context, which follows whatever start method the importing program set; take it from get_context("${options.method}")${hazards.length ? heldBack(hazards) : disagreement ?? (fix ? safety.why : "")}`,
        fix,
        applicability: safety.applicability,
      });
    }
    // `get_context()` with no method is the default context too.
    for (const call of module.contextCalls) {
      if (call.method !== "default") continue;
      const args = call.node.childForFieldName("arguments");
      context.report({
        node: call.node,
        message: `\`get_context()\` without a method returns the default context; name "${options.method}"`,
        fix: args && args.namedChildCount === 0 ? [replace(args.startIndex, args.endIndex, `("${options.method}")`)] : null,
      });
    }
  },
});


/**
 * The project's patch (its tests' `mock.patch("pkg.mod.multiprocessing.Queue")`) of the name
 * this site's call looks up, or null: after `get_context("spawn").Queue(...)` the call looks
 * the name up no more, and the test that patched it no longer patches anything.
 */
function patchOf(module: ModuleFacts, site: CreationSite): { target: string; where: string } | null {
  const patched = module.model.project.patched ?? {};
  if (site.via.form !== "factory" || Object.keys(patched).length === 0) return null;
  const written = site.via.callee.text.replace(/\s+/g, "");
  const own = module.model.project.moduleName;
  const qname = module.model.qualifiedName(site.via.callee);
  // Patched where the module looks it up (`pkg.mod.multiprocessing.Queue`), or on multiprocessing itself.
  for (const target of [own ? `${own}.${written}` : null, qname, written]) {
    if (target && patched[target]) return { target, where: patched[target] };
  }
  return null;
}
