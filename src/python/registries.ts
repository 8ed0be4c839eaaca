// A registry of functions the children call through (`HANDLERS[name](x)`): a module-level dict
// filled only at import, by its literal and by decorators applied to module-level definitions
// (`@register("double") def double(v): ...`). A spawned child imports the module and fills it
// the same way, so the code it calls is the registered functions. Any other write (a call that
// hands the dict on, `update`, an item set to what is not a known function, a decorator applied
// inside a function or under the guard) leaves the code not known.
import type { SyntaxNode } from "../parse";
import type { ModuleFacts } from "./module";
import type { Binding } from "./binding-table";
import { isNameRead } from "./globals";

/** Methods of a dict that read it. */
const READS = new Set(["get", "keys", "values", "items", "copy", "__getitem__", "__contains__"]);

/**
 * The functions a call through a registry may run (`NAME[k](...)`, `NAME.get(k)(...)`, or the
 * callee `NAME[k]` handed as a task), or null when `callee` is no registry or its code is not known.
 */
export function registryTargets(module: ModuleFacts, callee: SyntaxNode | null): SyntaxNode[] | null {
  const { index } = module;
  if (!callee) return null;
  let dict: SyntaxNode | null = null;
  if (callee.type === "subscript") dict = index.field(callee, "value");
  else if (callee.type === "call") {
    const fn = index.field(callee, "function");
    if (fn?.type === "attribute" && index.field(fn, "attribute")?.text === "get") dict = index.field(fn, "object");
  }
  if (dict?.type !== "identifier") return null;
  const binding = module.model.bindingsReaching(dict);
  if (binding.length !== 1 || binding[0].scope.kind !== "module") return null;
  return index.memo(`registry:${binding[0].node.id}`, () => registeredFunctions(module, binding[0]));
}

function registeredFunctions(module: ModuleFacts, binding: Binding): SyntaxNode[] | null {
  const { index, model } = module;
  if (binding.kind !== "assignment" || binding.value?.type !== "dictionary") return null;
  if (model.bindingsIn(binding.scope, binding.name).length !== 1) return null;
  const found: SyntaxNode[] = [];
  for (const pair of binding.value.namedChildren) {
    if (pair.type === "comment") continue;
    const value = pair.type === "pair" ? index.field(pair, "value") : null;
    const fn = value ? topLevelFunction(module, value) : null;
    if (!fn) return null;
    found.push(fn);
  }
  for (const id of index.identifiers(binding.name)) {
    if (id.id === binding.node.id || !isNameRead(index, id)) continue;
    const reaching = model.bindingsReaching(id);
    if (reaching.length !== 1 || reaching[0] !== binding) continue;
    const holder = index.parent(id);
    if (!holder) return null;
    // `NAME[k] = value`: the value must be a known function; `NAME[k]` read, `NAME.get(k)`, `k in NAME`: reads.
    if (holder.type === "subscript" && index.field(holder, "value")?.id === id.id) {
      const up = index.parent(holder);
      if (up?.type === "assignment" && index.field(up, "left")?.id === holder.id) {
        const stored = storedFunctions(module, index.field(up, "right"));
        if (!stored) return null;
        found.push(...stored);
      } else if (up && /^(augmented_assignment|delete_statement)$/.test(up.type)) return null;
      continue;
    }
    if (holder.type === "attribute" && index.field(holder, "object")?.id === id.id) {
      if (READS.has(index.field(holder, "attribute")?.text ?? "") && index.parent(holder)?.type === "call") continue;
      return null;
    }
    if (holder.type === "comparison_operator" || holder.type === "for_in_clause" || holder.type === "for_statement") continue;
    if (binding.node.id === holder.id) continue;
    return null;
  }
  return found;
}

/** A module-level `def` an expression names, or null. */
function topLevelFunction(module: ModuleFacts, expr: SyntaxNode): SyntaxNode | null {
  if (expr.type !== "identifier") return null;
  const value = module.model.valueOf(expr);
  if (value?.kind !== "definition" || value.node.type !== "function_definition") return null;
  return atTopLevel(module, value.node) ? value.node : null;
}

/** A definition written at the module's top level (not in a function, a class or an `if`). */
function atTopLevel(module: ModuleFacts, def: SyntaxNode): boolean {
  const up = module.index.parent(def);
  const holder = up?.type === "decorated_definition" ? module.index.parent(up) : up;
  return holder?.type === "module";
}

/**
 * The functions a value stored in a registry may be: a module-level function, or the parameter
 * of a decorator (`def deco(func): NAME[k] = func`, itself returned by a module-level factory or
 * module-level) whose every use decorates a module-level definition: those definitions.
 */
function storedFunctions(module: ModuleFacts, value: SyntaxNode | null): SyntaxNode[] | null {
  if (!value) return null;
  const direct = topLevelFunction(module, value);
  if (direct) return [direct];
  if (value.type !== "identifier") return null;
  const { index, model } = module;
  const bound = model.bindingsReaching(value);
  if (bound.length !== 1 || bound[0].kind !== "parameter") return null;
  const deco = bound[0].scope.node;
  if (deco.type !== "function_definition") return null;
  const params = index.field(deco, "parameters")?.namedChildren.filter((p) => p.type !== "comment") ?? [];
  if (params.length !== 1 || params[0].text !== value.text) return null;
  // The decorator itself at module level (`@register`), or returned by a module-level factory (`@register("k")`).
  const decoName = index.field(deco, "name")?.text;
  if (!decoName) return null;
  let applied: string;
  let called: boolean;
  if (atTopLevel(module, deco)) {
    applied = decoName;
    called = false;
  } else {
    const factory = index.parent(index.parent(deco) ?? deco);
    const body = factory?.type === "function_definition" ? index.field(factory, "body") : null;
    const returns = body?.namedChildren.filter((s) => s.type === "return_statement") ?? [];
    if (!factory || !atTopLevel(module, factory) || returns.length !== 1 || returns[0].namedChildren[0]?.text !== decoName) return null;
    applied = index.field(factory, "name")?.text ?? "";
    called = true;
  }
  const decorated: SyntaxNode[] = [];
  for (const id of index.identifiers(applied)) {
    const holder = index.parent(id);
    if (holder?.type === "function_definition" && index.field(holder, "name")?.id === id.id) continue;
    // Every use: a decorator (`@register` or `@register(...)`) of a module-level def.
    const expr = called ? holder : id;
    if (called && (holder?.type !== "call" || index.field(holder, "function")?.id !== id.id)) return null;
    const decorator = expr ? index.parent(expr) : null;
    if (decorator?.type !== "decorator") return null;
    const definition = index.field(index.parent(decorator)!, "definition");
    if (definition?.type !== "function_definition" || !atTopLevel(module, definition)) return null;
    decorated.push(definition);
  }
  return decorated;
}
