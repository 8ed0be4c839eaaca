// Processes made from a context handed in as a parameter (`def run(ctx): ctx.Pool(2)`): the
// caller chooses the method (`multiprocessing` itself is the default context). Not creation
// sites of the module (their method is not known), but a switch of the program's start method
// reaches them when the caller hands in the default: computed-context (SPS108) names them, and
// default-start-method's fix is not proved while there are any.
import type { SyntaxNode } from "../parse";
import type { ModuleFacts } from "./module";
import { PROCESS_STARTING } from "./vocabulary";

/**
 * Calls `p.Pool(...)`, `p.Process(...)`, `p.Manager(...)` where `p` is a parameter of the function around
 * them (`def run(ctx): ctx.Pool(2)`): processes made from whatever the caller passes.
 */
export function parameterContexts(module: ModuleFacts): Array<{ call: SyntaxNode; param: string; owner: string }> {
  const { index, model } = module;
  const found: Array<{ call: SyntaxNode; param: string; owner: string }> = [];
  for (const name of ["Pool", "Process", "Manager"].filter((n) => PROCESS_STARTING.has(n))) {
    for (const id of index.identifiers(name)) {
      const attribute = index.parent(id);
      if (attribute?.type !== "attribute" || index.field(attribute, "attribute")?.id !== id.id) continue;
      const call = index.parent(attribute);
      if (call?.type !== "call" || index.field(call, "function")?.id !== attribute.id) continue;
      const object = index.field(attribute, "object");
      if (object?.type !== "identifier") continue;
      const bindings = model.bindingsReaching(object);
      if (bindings.length !== 1 || bindings[0].kind !== "parameter") continue;
      const owner = index.field(bindings[0].node, "name")?.text ?? "<lambda>";
      if (object.text === "self" || object.text === "cls") continue;
      found.push({ call, param: object.text, owner });
    }
  }
  return found;
}

