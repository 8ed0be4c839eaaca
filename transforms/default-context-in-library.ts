// SPS103: library code creates processes or their objects from the default context.
import { defineTransform } from "../src/transform";
import { explicitContextFix } from "../src/fix/context";
import { replace } from "../src/fix/edits";
import { heldBack } from "../src/transform";

export const defaultContextInLibrary = defineTransform({
  code: "SPS103",
  name: "default-context-in-library",
  summary: "Library code uses the global default context instead of an explicit one",
  fix: "sometimes",
  check(context) {
    const { module, decision, options } = context;
    if (decision.role !== "library") return;
    // A module that sets the start method itself has chosen (SPS107 reports it in a library).
    if (module.startMethodCalls.length > 0) return;
    // Under spawn the module's workers would fail (SPS202, SPS203, SPS206): no site is switched.
    const { hazards } = context;
    for (const site of module.sites) {
      if (site.method !== "default" || site.via.form === "context") continue;
      context.report({
        node: site.node,
        message: `\`${site.kind === "ProcessSubclass" ? "Process" : site.kind}\` uses the default context, which follows whatever start method the importing program set; take it from get_context("${options.method}")${hazards.length ? heldBack(hazards) : ""}`,
        fix: hazards.length ? null : explicitContextFix(module, site, options.method),
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

