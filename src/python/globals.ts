// Which module-level names the module's functions read as globals.
import type { ModuleFacts } from "./module";
import { parameterNames, scopeBindings } from "./workers";

/**
 * Names that some function of the module reads without binding them itself (parameters,
 * assignments, loop targets, imports in the function): the globals its workers may depend on.
 */
export function namesReadAsGlobals(module: ModuleFacts): Set<string> {
  const read = new Set<string>();
  for (const fn of module.root.descendantsOfType("function_definition")) {
    const body = fn.childForFieldName("body");
    if (!body) continue;
    const local = parameterNames(fn);
    for (const b of scopeBindings(body)) if (b.kind !== "global") local.add(b.name);
    for (const id of body.descendantsOfType("identifier")) if (!local.has(id.text)) read.add(id.text);
  }
  return read;
}
