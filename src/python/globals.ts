// Which module-level names the module's functions read as globals.
import type { SyntaxNode } from "../parse";
import type { ModuleFacts } from "./module";
import { roleOf } from "./bindings";
import { PREFILTERS } from "./prefilter";

/**
 * True when some function (or lambda) of the module reads `name` and the read refers to the
 * module's binding of it (not a parameter, a local, or an enclosing function's name): a
 * global its workers may depend on.
 */
export function readsAsGlobal(module: ModuleFacts, name: string): boolean {
  const keep = PREFILTERS ? (position: number) => mayBeInFunction(module, position) : undefined;
  return module.index.memo(`readsAsGlobal:${name}`, () => module.index.identifiersOf([name], keep).some((id) => isGlobalRead(module, id)));
}

/** Statements that may hold a function or lambda only through a compound statement around it. */
const COMPOUND = new Set(["if_statement", "for_statement", "while_statement", "try_statement", "with_statement", "match_statement", "function_definition", "class_definition", "decorated_definition"]);

/**
 * Whether a position may be inside a function or lambda, told from the top-level statement
 * that holds it (a prefilter): a definition or compound statement may hold one, a simple
 * statement only when it writes `lambda`.
 */
function mayBeInFunction(module: ModuleFacts, position: number): boolean {
  const statement = module.statementAt(position);
  if (!statement) return false;
  return COMPOUND.has(statement.type) || module.text.slice(statement.startIndex, statement.endIndex).includes("lambda");
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
