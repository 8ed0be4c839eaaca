// SPS106: a Queue, Lock or other synchronisation object made at module level of an application.
import { defineTransform } from "../src/transform";
import { explicitContextFix } from "../src/fix/context";
import { inheritedSyncObjects, moduleLevelSyncObjects } from "../src/python/sync-objects";

export const moduleLevelSyncObject = defineTransform({
  code: "SPS106",
  name: "module-level-sync-object",
  summary: "A default-context Queue, Lock or similar object is created at module level",
  fix: "sometimes",
  check(context) {
    const { module, decision, options } = context;
    if (decision.role !== "app") return;
    const inherited = new Set(inheritedSyncObjects(module).map((s) => s.node.id));
    for (const site of moduleLevelSyncObjects(module)) {
      if (inherited.has(site.node.id)) {
        context.report({
          node: site.node,
          message: `\`${site.kind}()\` at module level reaches workers as a global inherited through fork; under spawn each child makes its own. Pass it to the process as an argument`,
          fix: null,
        });
        continue;
      }
      context.report({
        node: site.node,
        message: `\`${site.kind}()\` at module level is made in the default (fork) context before the main guard sets the start method; a spawned child refuses it. Take it from get_context("${options.method}")`,
        fix: explicitContextFix(module, site, options.method),
      });
    }
  },
});
