// SPS103: library code creates processes or their objects from the default context.
import { defineTransform } from "../src/transform";
import { explicitContextFix } from "../src/fix/context";
import { replace } from "../src/fix/edits";
import { type CheckContext } from "../src/transform";
import { entryFunctionNames } from "../src/file-info";
import { heldBack } from "../src/hazards";
import { type Choice, ENTRY_POINTS, choosesForItsSites, contextDependence, defaultPaths, methodBranches, pathsWithout, uncoveredBy } from "../src/python/choices";
import { argument } from "../src/python/literals";
import { moveApplicability } from "../src/python/crossing";
import { contextFlow } from "../src/python/context-flow";
import { short } from "../src/python/pickling";
import type { SyntaxNode } from "../src/parse";
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
    // A module that sets the start method whenever it runs has chosen (SPS107 reports it in a
    // library). One that sets it on some paths only leaves the others on the default.
    const entryPoints = new Set([...ENTRY_POINTS, ...entryFunctionNames(context.file)]);
    const paths = defaultPaths(module, entryPoints);
    if (paths.kind === "every") return;
    if (paths.kind === "some") {
      // SPS107's fix gives every default site the context the library chose: its finding speaks for them.
      if (!choosesForItsSites(module, entryPoints)) reportOtherPaths(context, paths.choices);
      reportDefaultBranches(context);
      return;
    }
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
    // `get_context()` with no method is the default context too: naming one moves what is made from it.
    for (const call of module.contextCalls) {
      if (call.method !== "default") continue;
      const args = call.node.childForFieldName("arguments");
      const fix = hazards.length || disagreement || !args || args.namedChildCount > 0 ? null : [replace(args.startIndex, args.endIndex, `("${options.method}")`)];
      const safety = contextCallSafety(module, call.node);
      context.report({
        node: call.node,
        message: `\`get_context()\` without a method returns the default context; name "${options.method}"${hazards.length ? heldBack(hazards) : disagreement ?? (fix ? safety.why : "")}`,
        fix,
        applicability: safety.applicability,
      });
    }
    reportDefaultBranches(context);
  },
});

/** A context's fix is as safe as the sites made from it, and unknown when the context goes where it is not followed. */
function contextCallSafety(module: ModuleFacts, call: SyntaxNode): { applicability: "safe" | "unsafe"; why: string } {
  const flow = contextFlow(module, call);
  if (flow.escape) {
    const line = (n: SyntaxNode) => module.lines.position(n.startIndex).line;
    const use = module.index.parent(flow.escape) ?? flow.escape;
    return {
      applicability: "unsafe",
      why: `; unsafe fix (applied with --unsafe-fixes): the context made on line ${line(call)} is used as \`${short(use)}\` (line ${line(flow.escape)}), where what is made from it is not followed`,
    };
  }
  return moveApplicability(module, flow.sites.filter((s) => s.startsProcesses));
}

/**
 * `get_context("spawn" if c else None)`: the default context on the paths where that branch is
 * taken. Reported, not fixed: the other branch's choice is the module's (a fork one is explicit-fork's).
 */
function reportDefaultBranches(context: CheckContext): void {
  for (const call of context.module.contextCalls) {
    if (call.method !== null) continue;
    const branch = methodBranches(argument(call.node, "method", 0))?.find((b) => b.method === "default");
    if (!branch) continue;
    context.report({
      node: call.node,
      message: `\`get_context(...)\` returns the default context on paths where \`${branch.test}\` is ${branch.holds ? "true" : "false"}: there its processes follow whatever start method the importing program set; name the method on every branch. Not fixed: the module's choice on the other branch is kept`,
      fix: null,
    });
  }
}

/**
 * The default-context sites of a module that chooses its start method on some paths only: on
 * the others they follow the importing program's method, the default unless it sets one.
 * Reported, not fixed: an explicit context would override the module's own choice where it runs.
 */
function reportOtherPaths(context: CheckContext, choices: Choice[]): void {
  const { module } = context;
  const first = choices[0];
  const line = module.lines.position(first.call.node.startIndex).line;
  const chosen = `\`${first.call.node.text.replace(/\s+/g, " ")}\` (line ${line}) runs only ${first.condition}${choices.length > 1 ? `, and ${choices.length - 1} other choice${choices.length > 2 ? "s" : ""} on some paths only` : ""}`;
  for (const site of module.sites) {
    if (site.method !== "default" || site.via.form === "context" || !uncoveredBy(choices, site)) continue;
    context.report({
      node: site.node,
      message: `\`${site.kind === "ProcessSubclass" ? "Process" : site.kind}\` uses the default context ${pathsWithout(choices)}: there it follows whatever start method the importing program set, the default (fork on Linux before Python 3.14, forkserver from 3.14) unless it sets one; ${chosen}. Not fixed: an explicit context would override the module's own choice where it runs`,
      fix: null,
    });
  }
}

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
