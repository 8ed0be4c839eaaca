// SPS106: a Queue, Lock or other synchronisation object made at module level of an application.
import { defineTransform } from "../src/transform";
import { explicitContextFix } from "../src/fix/context";
import { inheritedSyncObjects, moduleLevelSyncObjects } from "../src/python/sync-objects";

export const moduleLevelSyncObject = defineTransform({
  code: "SPS106",
  name: "module-level-sync-object",
  summary: "A default-context Queue, Lock or similar object is created at module level",
  fix: "sometimes",
  unit: "switch",
  // Workers that share such an object through fork inheritance would each get their own under spawn.
  hazard: true,
  check(context) {
    const { module, decision, options } = context;
    if (decision.role === "none") return;
    const inherited = new Set(inheritedSyncObjects(module).map((s) => s.node.id));
    for (const site of moduleLevelSyncObjects(module)) {
      if (inherited.has(site.node.id)) {
        const where = module.model.scopeOf(site.node).kind === "class" ? "as a class attribute" : "at module level";
        context.report({
          node: site.node,
          message: `\`${site.kind}()\` made ${where} reaches workers as a global inherited through fork; under spawn each child imports the module and makes its own, so what the parent does to it never reaches them. Pass it to the process as an argument`,
          fix: null,
        });
        continue;
      }
      // A library's objects are default-context-in-library's (SPS103).
      if (decision.role !== "app") continue;
      context.report({
        node: site.node,
        message: `\`${site.kind}()\` at module level is made in the default (fork) context before the main guard sets the start method; a spawned child refuses it. Take it from get_context("${options.method}")`,
        fix: explicitContextFix(module, site, options.method),
      });
    }
  },
});
