// SPS206: worker functions defined in code that spawned children never import: a notebook's
// __main__, or a __main__.py (children skip a `__main__` module).
import { defineTransform } from "../src/transform";
import { isNeverImported, type FileInfo } from "../src/file-info";
import type { SyntaxNode } from "../src/parse";
import type { ModuleFacts } from "../src/python/module";
import { isNotebook } from "../src/notebook";
import { classOfBase, definitionOf, unwrapPartial, workerUses } from "../src/python/worker-functions";

export const notReimportable = defineTransform({
  code: "SPS206",
  name: "not-reimportable",
  summary: "A worker function or Process subclass is defined in a notebook or a `__main__.py`, which spawned children cannot import",
  fix: "never",
  hazard: true,
  check(context) {
    for (const { node, message } of unimportableWorkers(context.module, context.file)) context.report({ node, message, fix: null });
  },
});

/**
 * The worker functions and Process subclasses a never-imported module defines itself
 * (at module level or under its main guard), each with the message that reports it.
 * Nested functions fail for another reason: unpicklable-target (SPS202).
 */
export function unimportableWorkers(module: ModuleFacts, file: FileInfo): Array<{ node: SyntaxNode; message: string }> {
  if (!isNeverImported(file)) return [];
  const notebook = isNotebook(file.path);
  const where = notebook ? "the notebook, whose `__main__` a spawned child cannot import" : "`__main__.py`, which spawned children never import (they skip a `__main__` module)";
  const advice = notebook
    ? "move it to a .py module next to the notebook and import it from there"
    : "move it to another module and import it from there";
  const found: Array<{ node: SyntaxNode; message: string }> = [];
  for (const use of workerUses(module)) {
    const expr = unwrapPartial(module, use.expr);
    if (expr.type !== "identifier") continue;
    const definition = definitionOf(module, expr);
    if (!definition || definition.place === "function") continue;
    found.push({
      node: expr,
      message: `\`${expr.text}\`, handed to ${use.via}, is defined in ${where}: it fails with "Can't get attribute '${expr.text}' on <module '__main__' (built-in)>"; ${advice}`,
    });
  }
  for (const site of module.sites) {
    if (site.kind !== "ProcessSubclass" || site.method === "fork") continue;
    const cls = classOfBase(site.node);
    const name = cls?.childForFieldName("name");
    if (!cls || !name || insideFunction(module, cls)) continue;
    found.push({
      node: name,
      message: `Process subclass \`${name.text}\` is defined in ${where}: it fails with "Can't get attribute '${name.text}' on <module '__main__' (built-in)>"; ${advice}`,
    });
  }
  return found;
}

function insideFunction(module: ModuleFacts, cls: SyntaxNode): boolean {
  return module.model.scopes.deferringFunction(cls) !== null;
}
