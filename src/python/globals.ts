// Which module-level names the module's functions read as globals.
import { type SyntaxNode, nodeId, nodeStart } from "../parse";
import type { ModuleFacts } from "./module";
import { bindingsOfName, parameterNames } from "./workers";

/**
 * True when some function of the module mentions `name` in its body (nested functions
 * included) without binding it itself (parameters, assignments, loop targets, imports in
 * the function): a global its workers may depend on. Found from the places where the name
 * is written, so asking costs little however large the module.
 */
export function readsAsGlobal(module: ModuleFacts, name: string): boolean {
  const { index } = module;
  return index.memo(`readsAsGlobal:${name}`, () => {
    for (const identifier of index.identifiers(name)) {
      for (const fn of index.ancestors(identifier)) {
        if (fn.type !== "function_definition") continue;
        const body = index.field(fn, "body");
        if (!body || nodeStart(identifier) < nodeStart(body) || identifier.endIndex > body.endIndex) continue;
        if (!bindsLocally(module, fn, body, name)) return true;
      }
    }
    return false;
  });
}

function bindsLocally(module: ModuleFacts, fn: SyntaxNode, body: SyntaxNode, name: string): boolean {
  return module.index.memo(`bindsLocally:${nodeId(fn)}:${name}`, () =>
    parameterNames(fn).has(name) || bindingsOfName(module, body, name).some((b) => b.kind !== "global"),
  );
}
