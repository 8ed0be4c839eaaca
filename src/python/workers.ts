// Which functions a module sends to worker processes (Process targets, pool and executor
// initializers, the function of `pool.map(...)` / `executor.submit(...)`), and where a name
// is defined: at module level, under the main guard, or inside a function.
import type { SyntaxNode } from "../parse";
import { isMainGuard, type CreationSite, type ModuleFacts } from "./module";
import { argument, canonical } from "./names";

export type WorkerRole = "target" | "initializer" | "task";

export interface WorkerUse {
  /** The expression handed over: `target=...`, `initializer=...`, the first argument of `pool.map(...)`. */
  expr: SyntaxNode;
  role: WorkerRole;
  /** How the code hands it over, for messages: "mp.Process(target=...)", "pool.map(...)". */
  via: string;
  site: CreationSite;
}

/** Where the keyword argument sits among the positional ones, by creation kind. */
const ARGUMENT_OF: Record<string, { keyword: string; position: number; role: WorkerRole }> = {
  Process: { keyword: "target", position: 1, role: "target" },
  Pool: { keyword: "initializer", position: 1, role: "initializer" },
  ProcessPoolExecutor: { keyword: "initializer", position: 2, role: "initializer" },
};

const POOL_METHODS = new Set(["map", "imap", "imap_unordered", "starmap", "map_async", "starmap_async", "apply", "apply_async"]);
const EXECUTOR_METHODS = new Set(["submit", "map"]);

/**
 * Every function handed to worker processes, from creation sites that do not use fork
 * (an explicit fork is the user's decision). Receivers of `.map` and the like count only
 * when shown to be a pool or executor: the creation call itself, or a name bound to one by
 * assignment or `with ... as` in the same scope, and by nothing else.
 */
export function workerUses(module: ModuleFacts): WorkerUse[] {
  const uses: WorkerUse[] = [];
  const sitesByNode = new Map<number, CreationSite>();
  for (const site of module.sites) {
    if (site.method === "fork") continue;
    sitesByNode.set(site.node.id, site);
    const spec = ARGUMENT_OF[site.kind];
    if (spec && site.node.type === "call") {
      const expr = argument(site.node, spec.keyword, spec.position);
      if (expr) uses.push({ expr, role: spec.role, via: `${calleeText(site.node)}(${spec.keyword}=...)`, site });
    }
  }
  // Instances of Process subclasses: `Worker(target=...)`.
  for (const site of module.sites) {
    if (site.kind !== "ProcessSubclass" || site.method === "fork") continue;
    const name = classOfBase(site.node)?.childForFieldName("name")?.text;
    if (!name) continue;
    for (const call of descendants(module.root, "call")) {
      const callee = call.childForFieldName("function");
      if (callee?.type !== "identifier" || callee.text !== name) continue;
      const expr = argument(call, "target", -1);
      if (expr) uses.push({ expr, role: "target", via: `${name}(target=...)`, site });
    }
  }
  for (const call of descendants(module.root, "call")) {
    const callee = call.childForFieldName("function");
    if (callee?.type !== "attribute") continue;
    const method = callee.childForFieldName("attribute")?.text ?? "";
    const receiver = callee.childForFieldName("object");
    if (!receiver || !(POOL_METHODS.has(method) || EXECUTOR_METHODS.has(method))) continue;
    const site = receiverSite(module, receiver, sitesByNode);
    if (!site) continue;
    const isExecutor = site.kind === "ProcessPoolExecutor";
    if (isExecutor ? !EXECUTOR_METHODS.has(method) : site.kind !== "Pool" || !POOL_METHODS.has(method)) continue;
    const expr = argument(call, isExecutor ? "fn" : "func", 0);
    if (expr) uses.push({ expr, role: "task", via: `${receiver.text}.${method}(...)`, site });
  }
  return uses;
}

/** `functools.partial(f, ...)` is pickled with its function: the function is what matters. */
export function unwrapPartial(module: ModuleFacts, expr: SyntaxNode): SyntaxNode {
  for (let depth = 0; expr.type === "call" && depth < 5; depth++) {
    const value = module.names.resolve(expr.childForFieldName("function"));
    if (value?.kind !== "qualified" || canonical(value.qname) !== "functools.partial") break;
    const inner = argument(expr, "func", 0);
    if (!inner) break;
    expr = inner;
  }
  return expr;
}

function calleeText(call: SyntaxNode): string {
  return call.childForFieldName("function")?.text ?? "";
}

/** The class a Process-subclass base expression belongs to. */
export function classOfBase(base: SyntaxNode): SyntaxNode | null {
  const cls = base.parent?.parent;
  return cls?.type === "class_definition" ? cls : null;
}

/** The creation site a receiver evaluates to, when every binding of its name is one. */
function receiverSite(module: ModuleFacts, receiver: SyntaxNode, sites: Map<number, CreationSite>): CreationSite | null {
  if (receiver.type === "call") return sites.get(receiver.id) ?? null;
  if (receiver.type !== "identifier") return null;
  const scope = enclosingScope(receiver);
  const bindings = scopeBindings(scope.body).filter((b) => b.name === receiver.text);
  if (bindings.length === 0) return null;
  let found: CreationSite | null = null;
  for (const binding of bindings) {
    const site = binding.value ? sites.get(binding.value.id) : undefined;
    if (!site || (found && found.kind !== site.kind)) return null;
    found = site;
  }
  return found;
}

export type Place = "module" | "mainGuard" | "function";

export interface Definition {
  /** The `function_definition` or `class_definition`. */
  node: SyntaxNode;
  place: Place;
  /** For a definition inside a function: that function's name. */
  outer: string | null;
}

/**
 * Where the function or class that an identifier names is defined, or null when the name is
 * bound by anything else (a parameter, an assignment, an import) or more than once in a way
 * that leaves doubt.
 */
export function definitionOf(identifier: SyntaxNode): Definition | null {
  const name = identifier.text;
  for (let scope: Scope | null = enclosingScope(identifier); scope; scope = parentScope(scope)) {
    if (scope.node.type === "class_definition") {
      // Names in a class body are not seen from its methods; used in the body itself, doubt.
      if (scope === enclosingScope(identifier) && scopeBindings(scope.body).some((b) => b.name === name)) return null;
      continue;
    }
    const bindings = scopeBindings(scope.body).filter((b) => b.name === name);
    if (scope.node.type === "module") {
      if (bindings.length === 0 || bindings.some((b) => b.kind !== "definition")) return null;
      if (bindings.every((b) => !b.inGuard)) return { node: bindings[0].node, place: "module", outer: null };
      if (bindings.length === 1) return { node: bindings[0].node, place: "mainGuard", outer: null };
      return null;
    }
    const isParameter = parameterNames(scope.node).has(name);
    if (isParameter) return null;
    if (bindings.length === 0) continue;
    if (bindings.length !== 1 || bindings[0].kind !== "definition") return null;
    return { node: bindings[0].node, place: "function", outer: scope.node.childForFieldName("name")?.text ?? "<lambda>" };
  }
  return null;
}

/**
 * The lambda a name is bound to, when the nearest scope that binds the name binds it once,
 * by `name = lambda ...` (pickle finds such a function under the name `<lambda>`, not
 * `name`: spawn cannot hand it over), with where that assignment stands.
 */
export function lambdaOf(identifier: SyntaxNode): { lambda: SyntaxNode; assignment: SyntaxNode; place: Place } | null {
  const bound = assignedValueOf(identifier);
  return bound?.value.type === "lambda" ? { lambda: bound.value, assignment: bound.assignment, place: bound.place } : null;
}

/**
 * The value a name is bound to, when the nearest scope that binds the name binds it once,
 * by a plain `name = value`, with where that assignment stands.
 */
export function assignedValueOf(identifier: SyntaxNode): { value: SyntaxNode; assignment: SyntaxNode; place: Place } | null {
  const name = identifier.text;
  for (let scope: Scope | null = enclosingScope(identifier); scope; scope = parentScope(scope)) {
    if (scope.node.type === "class_definition") continue;
    if (scope.node.type !== "module" && parameterNames(scope.node).has(name)) return null;
    const bindings = scopeBindings(scope.body).filter((b) => b.name === name);
    if (bindings.length === 0) continue;
    const [only] = bindings;
    if (bindings.length !== 1 || only.kind !== "assignment" || only.node.type !== "assignment" || !only.value) return null;
    const place: Place = scope.node.type !== "module" ? "function" : only.inGuard ? "mainGuard" : "module";
    return { value: only.value, assignment: only.node, place };
  }
  return null;
}

/**
 * The local function a function of this file returns, when every `return` of it returns
 * one: a function defined in its body, or a lambda (`def make(n): def work(x): ...; return
 * work`). Such a closure is a local object: spawn cannot pickle it.
 */
export function returnedClosure(call: SyntaxNode): { factory: string; closure: string } | null {
  const callee = call.type === "call" ? call.childForFieldName("function") : null;
  if (callee?.type !== "identifier") return null;
  const definition = definitionOf(callee);
  if (definition?.node.type !== "function_definition") return null;
  const body = definition.node.childForFieldName("body");
  if (!body) return null;
  const returns: SyntaxNode[] = [];
  const visit = (node: SyntaxNode): void => {
    for (const child of node.namedChildren) {
      if (SCOPE_TYPES.has(child.type)) continue;
      if (child.type === "return_statement") returns.push(child);
      else visit(child);
    }
  };
  visit(body);
  const local = new Set(scopeBindings(body).filter((b) => b.kind === "definition" && b.node.type === "function_definition").map((b) => b.name));
  let closure: string | null = null;
  for (const ret of returns) {
    const value = ret.namedChildren[0];
    if (value?.type === "lambda") closure ??= "<lambda>";
    else if (value?.type === "identifier" && local.has(value.text)) closure ??= value.text;
    else return null;
  }
  return closure ? { factory: callee.text, closure } : null;
}

export interface Scope {
  /** `module`, `function_definition`, `class_definition` or `lambda`. */
  node: SyntaxNode;
  /** Where its statements are: the module itself, a body block, a lambda's expression. */
  body: SyntaxNode;
}

const SCOPE_TYPES = new Set(["function_definition", "class_definition", "lambda"]);

/** The innermost function, class or lambda whose body holds the node; else the module. */
export function enclosingScope(node: SyntaxNode): Scope {
  for (let n = node.parent; n; n = n.parent) {
    if (!SCOPE_TYPES.has(n.type)) continue;
    const body = n.childForFieldName("body");
    if (body && node.startIndex >= body.startIndex && node.endIndex <= body.endIndex) return { node: n, body };
  }
  let root = node;
  while (root.parent) root = root.parent;
  return { node: root, body: root };
}

function parentScope(scope: Scope): Scope | null {
  return scope.node.parent ? enclosingScope(scope.node) : null;
}

/** Names of a function's or lambda's parameters. */
export function parameterNames(scope: SyntaxNode): Set<string> {
  const names = new Set<string>();
  const params = scope.childForFieldName("parameters");
  for (const param of params?.namedChildren ?? []) {
    const name =
      param.type === "identifier"
        ? param
        : param.childForFieldName("name") ?? param.namedChildren.find((c) => c.type === "identifier");
    if (name?.type === "identifier") names.add(name.text);
  }
  return names;
}

export interface NameBinding {
  name: string;
  /** The definition, or the statement that binds the name. */
  node: SyntaxNode;
  kind: "definition" | "assignment" | "import" | "global" | "other";
  /** For `x = <call>` and `with <call> as x`: the value. */
  value: SyntaxNode | null;
  /** At module level: the binding stands under an `if __name__ == "__main__":` guard. */
  inGuard: boolean;
}

/**
 * The names a scope's own statements bind, in source order: definitions, assignments,
 * loop and `with` targets, imports, `global`/`nonlocal` declarations (kind "global").
 * Nested functions, classes, lambdas and comprehensions are scopes of their own: only the
 * names of nested definitions count.
 */
export function scopeBindings(body: SyntaxNode): NameBinding[] {
  const out: NameBinding[] = [];
  const add = (name: string, node: SyntaxNode, kind: NameBinding["kind"], value: SyntaxNode | null, inGuard: boolean) =>
    out.push({ name, node, kind, value, inGuard });
  const targets = (target: SyntaxNode, node: SyntaxNode, kind: NameBinding["kind"], value: SyntaxNode | null, inGuard: boolean): void => {
    if (target.type === "identifier") add(target.text, node, kind, value, inGuard);
    else if (target.type !== "attribute" && target.type !== "subscript") {
      for (const child of target.namedChildren) targets(child, node, kind, null, inGuard);
    }
  };
  const visit = (node: SyntaxNode, inGuard: boolean): void => {
    switch (node.type) {
      case "function_definition":
      case "class_definition": {
        const name = node.childForFieldName("name");
        if (name) add(name.text, node, "definition", null, inGuard);
        // Decorators and default values run here, but they bind nothing worth following.
        return;
      }
      case "lambda":
      case "list_comprehension":
      case "set_comprehension":
      case "dictionary_comprehension":
      case "generator_expression":
        return;
      case "assignment":
      case "augmented_assignment": {
        const left = node.childForFieldName("left");
        const right = node.childForFieldName("right");
        if (left) targets(left, node, "assignment", right, inGuard);
        if (right) visit(right, inGuard);
        return;
      }
      case "named_expression": {
        const name = node.childForFieldName("name");
        if (name) add(name.text, node, "assignment", node.childForFieldName("value"), inGuard);
        break;
      }
      case "for_statement": {
        const left = node.childForFieldName("left");
        if (left) targets(left, node, "other", null, inGuard);
        break;
      }
      case "as_pattern": {
        let alias = node.childForFieldName("alias");
        if (alias?.type === "as_pattern_target" && alias.namedChildren.length === 1) alias = alias.namedChildren[0];
        const value = node.namedChildren[0] ?? null;
        if (alias) targets(alias, node, node.parent?.type === "with_item" ? "assignment" : "other", value, inGuard);
        if (value) visit(value, inGuard);
        return;
      }
      case "import_statement":
      case "import_from_statement":
        for (const item of node.childrenForFieldName("name")) {
          const bound = item.type === "aliased_import" ? item.childForFieldName("alias") : item;
          if (bound) add(bound.text.split(".")[0].trim(), node, "import", null, inGuard);
        }
        return;
      case "global_statement":
      case "nonlocal_statement":
        for (const name of node.namedChildren) if (name.type === "identifier") add(name.text, node, "global", null, inGuard);
        return;
      case "delete_statement":
        return;
    }
    const atModuleLevel = node === body && body.type === "module";
    for (const child of node.namedChildren) visit(child, inGuard || (atModuleLevel && isMainGuard(child)));
  };
  visit(body, false);
  return out;
}

/** Top-level `from M import *`: any name may come from it. */
export function hasStarImport(module: ModuleFacts): boolean {
  return module.statements.some((s) => s.type === "import_from_statement" && s.namedChildren.some((c) => c.type === "wildcard_import"));
}

export function descendants(node: SyntaxNode, type: string): SyntaxNode[] {
  return node.descendantsOfType(type);
}
