// SPS106: a Queue, Lock or other synchronisation object made at module level of an application.
import { defineTransform } from "../src/transform";
import { explicitContextFix } from "./default-context-in-library";
import { isMainGuard, topLevelStatementOf } from "../src/python/module";
import type { SyntaxNode } from "../src/parse";

export const moduleLevelSyncObject = defineTransform({
  code: "SPS106",
  name: "module-level-sync-object",
  summary: "A default-context Queue, Lock or similar object is created at module level",
  fix: "sometimes",
  check(context) {
    const { module, decision, options } = context;
    if (decision.role !== "app") return;
    for (const site of module.sites) {
      if (site.method !== "default" || site.startsProcesses || site.via.form === "context") continue;
      const statement = topLevelStatementOf(module, site.node);
      if (!statement || isMainGuard(statement) || insideDefinition(site.node)) continue;
      context.report({
        node: site.node,
        message: `\`${site.kind}()\` at module level is made in the default (fork) context before the main guard sets the start method; a spawned child refuses it. Take it from get_context("${options.method}")`,
        fix: explicitContextFix(module, site, options.method),
      });
    }
  },
});

function insideDefinition(node: SyntaxNode): boolean {
  for (let n = node.parent; n; n = n.parent) {
    if (n.type === "function_definition" || n.type === "lambda" || n.type === "class_definition") return true;
  }
  return false;
}
