// Which module-level names the module's functions read as globals.
import type { SyntaxNode } from "../parse";
import type { ModuleFacts } from "./module";
import { roleOf } from "./bindings";

/**
 * True when some function (or lambda) of the module reads `name` and the read refers to the
 * module's binding of it (not a parameter, a local, or an enclosing function's name): a
 * global its workers may depend on.
 */
export function readsAsGlobal(module: ModuleFacts, name: string): boolean {
  return module.index.memo(`readsAsGlobal:${name}`, () => module.index.identifiers(name).some((id) => isGlobalRead(module, id)));
}

/** A read, inside a function or lambda, of the module's binding of the name (or of a name bound nowhere it can see). */
export function isGlobalRead(module: ModuleFacts, identifier: SyntaxNode): boolean {
  const { model, index } = module;
  if (!model.scopes.deferringFunction(identifier)) return false;
  if (roleOf(index, identifier).role !== "read" || !isNameRead(index, identifier)) return false;
  const reaching = model.bindingsReaching(identifier);
  return reaching.length > 0 && reaching[0].scope.kind === "module";
}

/** An identifier that reads a name: not an attribute (`x.name`) or keyword (`f(name=...)`) written with it. */
export function isNameRead(index: ModuleFacts["index"], identifier: SyntaxNode): boolean {
  const parent = index.parent(identifier);
  if (!parent) return false;
  if (parent.type === "attribute") return index.field(parent, "attribute")?.id !== identifier.id;
  if (parent.type === "keyword_argument") return index.field(parent, "name")?.id !== identifier.id;
  return true;
}
