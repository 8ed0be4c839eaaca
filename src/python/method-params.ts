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
