// SPS106: a Queue, Lock or other synchronisation object made at module level of an application.
import { defineTransform } from "../src/transform";
import { explicitContextFix } from "./default-context-in-library";
import { isMainGuard, topLevelStatementOf, type CreationSite, type ModuleFacts } from "../src/python/module";
import type { SyntaxNode } from "../src/parse";
import { readsAsGlobal } from "../src/python/globals";

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

/** Default-context Queue, Lock, Event... created at module level, outside the main guard. */
function moduleLevelSyncObjects(module: ModuleFacts): CreationSite[] {
  return module.sites.filter((site) => {
    if (site.method !== "default" || site.startsProcesses || site.via.form === "context") return false;
    const statement = topLevelStatementOf(module, site.node);
    return !!statement && !isMainGuard(statement) && !insideDefinition(module, site.node);
  });
}

/**
 * Module-level objects bound to a name that a function of the module reads: under fork
 * workers share the parent's object through inheritance; under spawn each child re-creates
 * its own, so a queue never delivers and a lock excludes nothing.
 */
export function inheritedSyncObjects(module: ModuleFacts): CreationSite[] {
  const objects = moduleLevelSyncObjects(module);
  if (objects.length === 0) return [];
  return objects.filter((site) => {
    const assignment = site.node.parent;
    const target = assignment?.type === "assignment" ? assignment.childForFieldName("left") : null;
    return target?.type === "identifier" && readsAsGlobal(module, target.text);
  });
}

function insideDefinition(module: ModuleFacts, node: SyntaxNode): boolean {
  for (const n of module.index.ancestors(node)) {
    if (n.type === "function_definition" || n.type === "lambda" || n.type === "class_definition") return true;
  }
  return false;
}
