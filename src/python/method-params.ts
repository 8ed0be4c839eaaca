// A parameter of a method, followed to what the calls of that method pass. In a program that
// imports no other project module, every call of a method of its classes is a call this
// module's text makes (another program that imports it runs without its guard, so without the
// switch): `self.start_child(self.pump)`,
// `Supervisor().run(DATA)`. When every place that names the method is such a call (not a value
// handed on, not `getattr` by a string), what its parameter holds is one of the expressions
// passed there (or its default): each is proved in its own place. Anything else: not followed.
import { type SyntaxNode, nodeId } from "../parse";
import type { ModuleFacts } from "./module";
import type { Binding } from "./model";

/** What the calls of the method pass for one of its parameters. */
export interface Passed {
  /** The expressions passed for it, or its default where a call leaves it out. */
  values: SyntaxNode[];
  /** For `*args`: the parameter is a tuple of the values (else it is each of them). */
  packed: boolean;
}

/** For a parameter of a method of a program's class, the expressions its calls pass; null when not every call is known. */
export function passedToMethodParameter(module: ModuleFacts, binding: Binding): Passed | null {
  if (binding.kind !== "parameter" || binding.node.type !== "function_definition") return null;
  return module.index.memo(`passedToMethod:${nodeId(binding.node)}:${binding.name}`, () => follow(module, binding));
}

function follow(module: ModuleFacts, binding: Binding): Passed | null {
  const { model, index } = module;
  const fn = binding.node;
  // A plain method of a class at module level: no decorator (a staticmethod, a classmethod, a wrapper change what is passed).
  const cls = fn.parent?.type === "block" ? fn.parent.parent : null;
  if (cls?.type !== "class_definition" || model.scopeOf(cls).kind !== "module" || model.guardOf(cls)) return null;
  // A base class may call the method itself (`Thread.run`, a library's hook) with what this text does not show.
  const bases = (index.field(cls, "superclasses")?.namedChildren ?? []).filter((b) => b.type !== "comment");
  if (bases.some((b) => b.text !== "object")) return null;
  const name = index.field(fn, "name")?.text;
  if (!name || name.startsWith("__")) return null;
  const program = module.mainGuards.length > 0 || module.startingStatements.size > 0;
  if (!program) return null;
  if (importsProjectModule(module)) return null;
  // The parameter: its place after `self`, never rebound in the method.
  const params = (index.field(fn, "parameters")?.namedChildren ?? []).filter((p) => p.type !== "comment");
  const at = params.findIndex((p) => paramName(p) === binding.name);
  if (at < 1 || params.some((p) => /keyword_separator|positional_separator|dictionary_splat_pattern/.test(p.type))) return null;
  const param = params[at];
  const packed = param.type === "list_splat_pattern";
  if (packed && at !== params.length - 1) return null;
  if (!packed && !/^(identifier|default_parameter|typed_parameter|typed_default_parameter)$/.test(param.type)) return null;
  if (params.slice(0, at).some((p) => !/^(identifier|default_parameter|typed_parameter|typed_default_parameter)$/.test(p.type))) return null;
  const scope = model.scopes.scopeFor(fn);
  if (model.bindingsIn(scope, binding.name).length !== 1 || model.declaration(scope, binding.name)) return null;
  // `getattr(obj, "name")` and the like: a call this text does not show as one.
  if (index.memo(`namedInString:${name}`, () => module.root.descendantsOfType("string").some((s) => s.text.slice(1, -1).replace(/^["']+|["']+$/g, "") === name))) return null;
  const values: SyntaxNode[] = [];
  const fallback = param.type === "default_parameter" || param.type === "typed_default_parameter" ? index.field(param, "value") : null;
  for (const id of index.identifiers(name)) {
    const holder = index.parent(id);
    if (holder?.type === "function_definition" && index.field(holder, "name")?.id === id.id) continue;
    // Only `obj.name(...)`: the attribute of a call's function.
    if (holder?.type !== "attribute" || index.field(holder, "attribute")?.id !== id.id) return null;
    const call = index.parent(holder);
    if (call?.type !== "call" || index.field(call, "function")?.id !== holder.id) return null;
    const args = (index.field(call, "arguments")?.namedChildren ?? []).filter((a) => a.type !== "comment");
    if (index.field(call, "arguments")?.type !== "argument_list" || args.some((a) => /splat/.test(a.type))) return null;
    // `Cls.name(obj, ...)` passes self itself; `obj.name(...)` binds it.
    const object = index.field(holder, "object");
    const onClass = model.valueOf(object)?.kind === "definition";
    const positional = args.filter((a) => a.type !== "keyword_argument");
    const skip = onClass ? 0 : 1;
    if (packed) {
      values.push(...positional.slice(at - skip));
      if (args.some((a) => a.type === "keyword_argument" && index.field(a, "name")?.text === binding.name)) return null;
      continue;
    }
    const keyword = args.find((a) => a.type === "keyword_argument" && index.field(a, "name")?.text === binding.name);
    const given = keyword ? index.field(keyword, "value") : positional[at - skip] ?? null;
    if (given) values.push(given);
    else if (fallback) values.push(fallback);
    else return null;
  }
  return values.length > 0 || packed ? { values, packed } : null;
}

/**
 * For `self.attr` in a method of a program's class whose `__init__` stores a parameter there
 * (`self.func = func`, the module's only store of any attribute so named), the expressions the
 * calls making its instances pass for that parameter (or its default); null when the class is
 * used other than by calling it (a base, a value handed on), or a call is not plain.
 */
export function passedToStoredAttribute(module: ModuleFacts, expr: SyntaxNode): SyntaxNode[] | null {
  if (expr.type !== "attribute") return null;
  return module.index.memo(`passedToAttribute:${nodeId(expr)}`, () => followAttribute(module, expr));
}

function followAttribute(module: ModuleFacts, expr: SyntaxNode): SyntaxNode[] | null {
  const { model, index } = module;
  const object = index.field(expr, "object");
  const attr = index.field(expr, "attribute")?.text;
  if (object?.type !== "identifier" || object.text !== "self" || !attr) return null;
  // `self`: the first parameter of a method of a module-level class without bases.
  const binding = model.bindingsReaching(object);
  const method = binding.length === 1 && binding[0].kind === "parameter" ? binding[0].node : null;
  const cls = method?.parent?.type === "block" ? method.parent.parent : null;
  if (!method || cls?.type !== "class_definition" || model.scopeOf(cls).kind !== "module" || model.guardOf(cls)) return null;
  const bases = (index.field(cls, "superclasses")?.namedChildren ?? []).filter((b) => b.type !== "comment");
  if (bases.some((b) => b.text !== "object")) return null;
  const className = index.field(cls, "name")?.text;
  if (!className || module.mainGuards.length + module.startingStatements.size === 0 || importsProjectModule(module)) return null;
  // The module's only store of an attribute so named: `self.attr = param` at the top of `__init__`'s body.
  const stores = index.identifiers(attr).filter((id) => {
    const holder = index.parent(id);
    if (holder?.type !== "attribute" || index.field(holder, "attribute")?.id !== id.id) return false;
    for (let at: SyntaxNode = holder, up = index.parent(at); up; at = up, up = index.parent(up)) {
      if (up.type === "assignment" || up.type === "augmented_assignment") return index.field(up, "left")?.id === at.id || isInside(index.field(up, "left"), at);
      if (/^(block|module|.*_statement|.*_definition)$/.test(up.type)) return false;
    }
    return false;
  });
  if (stores.length !== 1) return null;
  const store = index.parent(index.parent(stores[0])!);
  const init = store?.parent?.parent?.parent;
  const value = store?.type === "assignment" ? index.field(store, "right") : null;
  const target = store ? index.field(store, "left") : null;
  if (target?.type !== "attribute" || index.field(target, "object")?.text !== "self") return null;
  if (init?.type !== "function_definition" || index.field(init, "name")?.text !== "__init__" || init.parent?.parent?.id !== cls.id) return null;
  if (store?.parent?.type !== "expression_statement" || store.parent.parent?.id !== index.field(init, "body")?.id || value?.type !== "identifier") return null;
  // Set by name elsewhere (`setattr(obj, "attr", v)`, `getattr` by a string): not followed.
  if (index.memo(`namedInString:${attr}`, () => module.root.descendantsOfType("string").some((s) => s.text.slice(1, -1).replace(/^["']+|["']+$/g, "") === attr))) return null;
  const param = model.bindingsReaching(value);
  if (param.length !== 1 || param[0].kind !== "parameter" || param[0].node.id !== init.id) return null;
  const scope = model.scopes.scopeFor(init);
  if (model.bindingsIn(scope, value.text).length !== 1) return null;
  const params = (index.field(init, "parameters")?.namedChildren ?? []).filter((p) => p.type !== "comment");
  const at = params.findIndex((p) => paramName(p) === value.text);
  if (at < 1 || params.slice(0, at + 1).some((p) => !/^(identifier|default_parameter|typed_parameter|typed_default_parameter)$/.test(p.type))) return null;
  const fallback = /default_parameter$/.test(params[at].type) ? index.field(params[at], "value") : null;
  const values: SyntaxNode[] = [];
  for (const id of index.identifiers(className)) {
    const holder = index.parent(id);
    if (holder?.id === cls.id) continue;
    // Only `ClassName(...)`, the class itself.
    if (holder?.type !== "call" || index.field(holder, "function")?.id !== id.id) return null;
    const made = model.valueOf(id);
    if (made?.kind !== "definition" || made.node.id !== cls.id) return null;
    const args = (index.field(holder, "arguments")?.namedChildren ?? []).filter((a) => a.type !== "comment");
    if (index.field(holder, "arguments")?.type !== "argument_list" || args.some((a) => /splat/.test(a.type))) return null;
    const keyword = args.find((a) => a.type === "keyword_argument" && index.field(a, "name")?.text === value.text);
    const given = keyword ? index.field(keyword, "value") : args.filter((a) => a.type !== "keyword_argument")[at - 1] ?? null;
    if (given) values.push(given);
    else if (fallback) values.push(fallback);
    else return null;
  }
  return values.length > 0 ? values : null;
}

function isInside(outer: SyntaxNode | null, inner: SyntaxNode): boolean {
  return !!outer && inner.startIndex >= outer.startIndex && inner.endIndex <= outer.endIndex;
}

function paramName(p: SyntaxNode): string | undefined {
  if (p.type === "identifier") return p.text;
  if (p.type === "list_splat_pattern" || p.type === "dictionary_splat_pattern") return p.namedChildren.find((c) => c.type === "identifier")?.text;
  return (p.childForFieldName("name") ?? p.namedChildren.find((c) => c.type === "identifier"))?.text;
}

/** Whether the module imports a module of the project other than itself (or one whose name is not known: a relative import). */
function importsProjectModule(module: ModuleFacts): boolean {
  return module.index.memo("importsProjectModule", () => {
    const { packages, moduleName } = module.model.project;
    const own = moduleName ?? "";
    for (const keyword of [...module.index.keywords("import"), ...module.index.keywords("from")]) {
      const statement = module.index.parent(keyword);
      if (statement?.type !== "import_statement" && statement?.type !== "import_from_statement") continue;
      const names = statement.type === "import_statement"
        ? statement.childrenForFieldName("name").map((n) => (n.type === "aliased_import" ? n.childForFieldName("name") : n))
        : [statement.childForFieldName("module_name")];
      for (const name of names) {
        const text = name?.text.replace(/\s+/g, "") ?? "";
        if (!text || text.startsWith(".")) return true;
        if (text !== own && packages.includes(text.split(".")[0])) return true;
      }
    }
    return false;
  });
}
