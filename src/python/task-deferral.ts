// The code a site's children run that is not known here, when it is what the caller of the
// module-level function around the site passes: `pool.map(func, items)` with `func` its
// parameter, or `Process(target=apply, args=(q, func, x))` where `apply` calls its own
// parameter that the site fills with `func`. Such code is the callers' to prove
// (src/python/deferred.ts); anything else stays unknown.
import type { SyntaxNode } from "../parse";
import type { ModuleFacts } from "./module";
import type { CreationSite } from "./sites";
import { argument } from "./literals";
import { callsNamed } from "./source-index";
import { classOfBase } from "./worker-functions";
import { deferredTo, type Deferred } from "./pickling";

/** The deferrals that stand for every code `unresolved` names, or null when one of them is not such a parameter. */
export function taskDeferral(module: ModuleFacts, site: CreationSite, unresolved: SyntaxNode[]): Deferred[] | null {
  const all: Deferred[] = [];
  for (const u of unresolved) {
    const callee = u.type === "call" ? u.childForFieldName("function") : null;
    const passed = !callee ? [u] : callee.type === "attribute" ? storedFrom(module, site, callee) : [passedAs(module, site, callee)];
    if (!passed || passed.length === 0) return null;
    for (const expr of passed) {
      const bindings = expr?.type === "identifier" ? module.model.bindingsReaching(expr) : [];
      const deferred = bindings.length === 1 ? deferredTo(module, bindings[0], "value").deferred : undefined;
      if (!deferred) return null;
      all.push(...deferred);
    }
  }
  return all.length > 0 ? all : null;
}

/**
 * For a call of a parameter of the Process's target (`func(x)` in `def apply(q, func, x)`), the
 * expression the site passes for it in a literal `args` tuple or `kwargs` dictionary, or null.
 */
function passedAs(module: ModuleFacts, site: CreationSite, callee: SyntaxNode | null): SyntaxNode | null {
  if (site.kind !== "Process" || site.node.type !== "call" || callee?.type !== "identifier") return null;
  const bindings = module.model.bindingsReaching(callee);
  const target = argument(site.node, "target", 1);
  const value = target ? module.model.valueOf(target) : null;
  if (bindings.length !== 1 || bindings[0].kind !== "parameter" || value?.kind !== "definition" || value.node.id !== bindings[0].node.id) return null;
  const fn = value.node;
  // Its place among the target's parameters (a plain one, before any `*`).
  let place = -1;
  let at = 0;
  for (const p of fn.childForFieldName("parameters")?.namedChildren ?? []) {
    if (p.type === "comment") continue;
    if (p.type !== "identifier") break;
    if (p.text === callee.text) place = at;
    at++;
  }
  if (place < 0) return null;
  const args = argument(site.node, "args", 3);
  if (args && /^(tuple|list)$/.test(args.type)) {
    const items = args.namedChildren.filter((c) => c.type !== "comment");
    if (items.some((i) => /splat/.test(i.type))) return null;
    return items[place] ?? null;
  }
  const kwargs = argument(site.node, "kwargs", 4);
  if (kwargs?.type === "dictionary" && !args) {
    const pair = kwargs.namedChildren.find((p) => p.type === "pair" && /^["'](\w+)["']$/.exec(p.childForFieldName("key")?.text ?? "")?.[1] === callee.text);
    return pair?.childForFieldName("value") ?? null;
  }
  return null;
}

/**
 * For a call of `self.func` in a Process subclass whose `__init__` stores its parameter there
 * (`self.func = func`, the only store of that attribute in the class), what each call making an
 * instance passes for it; null when that is not what the class does.
 */
function storedFrom(module: ModuleFacts, site: CreationSite, callee: SyntaxNode): SyntaxNode[] | null {
  const { index, model } = module;
  const cls = site.kind === "ProcessSubclass" ? classOfBase(site.node) : null;
  const attr = index.field(callee, "attribute")?.text;
  const name = cls?.childForFieldName("name")?.text;
  if (!cls || !attr || !name || index.field(callee, "object")?.text !== "self") return null;
  const stores = cls.descendantsOfType("assignment").filter((a) => {
    const left = index.field(a, "left");
    return left?.type === "attribute" && index.field(left, "attribute")?.text === attr;
  });
  if (stores.length !== 1) return null;
  const init = stores[0].parent?.parent?.parent;
  const value = index.field(stores[0], "right");
  if (init?.type !== "function_definition" || init.childForFieldName("name")?.text !== "__init__" || init.parent?.parent?.id !== cls.id) return null;
  if (stores[0].parent?.parent?.id !== init.childForFieldName("body")?.id || value?.type !== "identifier") return null;
  const params = (init.childForFieldName("parameters")?.namedChildren ?? []).filter((p) => p.type !== "comment");
  if (params.some((p) => p.type !== "identifier")) return null;
  const place = params.findIndex((p) => p.text === value.text) - 1;
  const bound = model.bindingsReaching(value);
  if (place < 0 || bound.length !== 1 || bound[0].kind !== "parameter") return null;
  const creations = callsNamed(index, [name]).filter((call) => {
    const made = model.valueOf(index.field(call, "function"));
    return made?.kind === "definition" && made.node.id === cls.id;
  });
  if (creations.length === 0) return null;
  const passed: SyntaxNode[] = [];
  for (const call of creations) {
    const args = (index.field(call, "arguments")?.namedChildren ?? []).filter((a) => a.type !== "comment");
    if (args.some((a) => /splat/.test(a.type))) return null;
    const keyword = args.find((a) => a.type === "keyword_argument" && index.field(a, "name")?.text === value.text);
    const given = keyword ? index.field(keyword, "value") : args.filter((a) => a.type !== "keyword_argument")[place];
    if (!given) return null;
    passed.push(given);
  }
  return passed;
}
