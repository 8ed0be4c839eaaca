// Which functions a module sends to worker processes (Process targets, pool and executor
// initializers, the function of `pool.map(...)` / `executor.submit(...)`), and where a name
// is defined: at module level, under the main guard, or inside a function.
import { type SyntaxNode, nodeId, nodeStart } from "../parse";
import { isMainGuard, type CreationSite, type ModuleFacts } from "./module";
import { argument, canonical } from "./names";
import { SCOPE_TYPES, callsOf, type SourceIndex } from "./index";
import { importedNames, roleOf, sameNode } from "./bindings";

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
  return module.index.memo("workerUses", () => findWorkerUses(module));
}

function findWorkerUses(module: ModuleFacts): WorkerUse[] {
  const uses: WorkerUse[] = [];
  const sitesByNode = new Map<number, CreationSite>();
  for (const site of module.sites) {
    if (site.method === "fork") continue;
    sitesByNode.set(nodeId(site.node), site);
    const spec = ARGUMENT_OF[site.kind];
    if (spec && site.node.type === "call") {
      const expr = argument(site.node, spec.keyword, spec.position);
      if (expr) uses.push({ expr, role: spec.role, via: `${calleeText(site.node)}(${spec.keyword}=...)`, site });
    }
  }
  if (sitesByNode.size === 0) return uses;
  const { index } = module;
  // Instances of Process subclasses: `Worker(target=...)`.
  for (const site of module.sites) {
    if (site.kind !== "ProcessSubclass" || site.method === "fork") continue;
    const name = classOfBase(site.node)?.childForFieldName("name")?.text;
    if (!name) continue;
    for (const call of callsOf(index, name, "name")) {
      const expr = argument(call, "target", -1);
      if (expr) uses.push({ expr, role: "target", via: `${name}(target=...)`, site });
    }
  }
  for (const call of methodCalls(module, sitesByNode)) {
    const callee = index.field(call, "function");
    if (callee?.type !== "attribute") continue;
    const method = index.field(callee, "attribute")?.text ?? "";
    const receiver = index.field(callee, "object");
    if (!receiver) continue;
    const site = receiverSite(module, receiver, sitesByNode);
    if (!site) continue;
    const isExecutor = site.kind === "ProcessPoolExecutor";
    if (isExecutor ? !EXECUTOR_METHODS.has(method) : site.kind !== "Pool" || !POOL_METHODS.has(method)) continue;
    const expr = argument(call, isExecutor ? "fn" : "func", 0);
    if (expr) uses.push({ expr, role: "task", via: `${receiver.text}.${method}(...)`, site });
  }
  return uses;
}

/**
 * `receiver.method(...)` calls whose receiver can be a pool or executor: a creation call
 * itself, or a name that some assignment, walrus or `with ... as` binds to one. In source order.
 */
function methodCalls(module: ModuleFacts, sites: Map<number, CreationSite>): SyntaxNode[] {
  const { index } = module;
  const calls = new Map<number, SyntaxNode>();
  const addCall = (receiver: SyntaxNode) => {
    const callee = index.parent(receiver);
    if (callee?.type !== "attribute" || nodeStart(callee) !== nodeStart(receiver)) return;
    const method = index.field(callee, "attribute")?.text ?? "";
    if (!POOL_METHODS.has(method) && !EXECUTOR_METHODS.has(method)) return;
    const call = index.parent(callee);
    if (call?.type === "call" && nodeStart(call) === nodeStart(callee) && sameNode(index.field(call, "function"), callee)) calls.set(nodeId(call), call);
  };
  const receivers = new Set<string>();
  for (const site of sites.values()) {
    // Only pools and executors have the methods that take a function.
    if (site.node.type !== "call" || (site.kind !== "Pool" && site.kind !== "ProcessPoolExecutor")) continue;
    addCall(site.node);
    const holder = index.parent(site.node);
    if (!holder) continue;
    if (holder.type === "assignment" && sameNode(index.field(holder, "right"), site.node)) {
      const left = index.field(holder, "left");
      if (left?.type === "identifier") receivers.add(left.text);
    } else if (holder.type === "named_expression" && sameNode(index.field(holder, "value"), site.node)) {
      const name = index.field(holder, "name");
      if (name) receivers.add(name.text);
    } else if (holder.type === "as_pattern") {
      let alias = index.field(holder, "alias");
      if (alias?.type === "as_pattern_target" && alias.namedChildCount === 1) alias = alias.namedChildren[0];
      if (alias?.type === "identifier") receivers.add(alias.text);
    }
  }
  for (const receiver of index.identifiersOf(receivers)) addCall(receiver);
  return [...calls.values()].sort((a, b) => nodeStart(a) - nodeStart(b) || b.endIndex - a.endIndex);
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
  if (receiver.type === "call") return sites.get(nodeId(receiver)) ?? null;
  if (receiver.type !== "identifier") return null;
  const scope = enclosingScope(module, receiver);
  const bindings = bindingsOfName(module, scope.body, receiver.text);
  if (bindings.length === 0) return null;
  let found: CreationSite | null = null;
  for (const binding of bindings) {
    const site = binding.value ? sites.get(nodeId(binding.value)) : undefined;
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
export function definitionOf(module: ModuleFacts, identifier: SyntaxNode): Definition | null {
  const name = identifier.text;
  const own = enclosingScope(module, identifier);
  for (let scope: Scope | null = own; scope; scope = parentScope(module, scope)) {
    const bindings = bindingsOfName(module, scope.body, name);
    if (scope.node.type === "class_definition") {
      // Names in a class body are not seen from its methods; used in the body itself, doubt.
      if (scope === own && bindings.length > 0) return null;
      continue;
    }
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
    return { node: bindings[0].node, place: "function", outer: module.index.field(scope.node, "name")?.text ?? "<lambda>" };
  }
  return null;
}

/**
 * The lambda a name is bound to, when the nearest scope that binds the name binds it once,
 * by `name = lambda ...` (pickle finds such a function under the name `<lambda>`, not
 * `name`: spawn cannot hand it over), with where that assignment stands.
 */
export function lambdaOf(module: ModuleFacts, identifier: SyntaxNode): { lambda: SyntaxNode; assignment: SyntaxNode; place: Place } | null {
  const bound = assignedValueOf(module, identifier);
  return bound?.value.type === "lambda" ? { lambda: bound.value, assignment: bound.assignment, place: bound.place } : null;
}

/**
 * The value a name is bound to, when the nearest scope that binds the name binds it once,
 * by a plain `name = value`, with where that assignment stands.
 */
export function assignedValueOf(module: ModuleFacts, identifier: SyntaxNode): { value: SyntaxNode; assignment: SyntaxNode; place: Place } | null {
  const name = identifier.text;
  for (let scope: Scope | null = enclosingScope(module, identifier); scope; scope = parentScope(module, scope)) {
    if (scope.node.type === "class_definition") continue;
    if (scope.node.type !== "module" && parameterNames(scope.node).has(name)) return null;
    const bindings = bindingsOfName(module, scope.body, name);
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
export function returnedClosure(module: ModuleFacts, call: SyntaxNode): { factory: string; closure: string } | null {
  const callee = call.type === "call" ? call.childForFieldName("function") : null;
  if (callee?.type !== "identifier") return null;
  const definition = definitionOf(module, callee);
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

/** The innermost function, class or lambda whose body holds the node; else the module. */
export function enclosingScope(module: ModuleFacts, node: SyntaxNode): Scope {
  const owner = module.index.scopeNodeOf(node);
  if (!owner) return { node: module.root, body: module.root };
  return { node: owner, body: module.index.field(owner, "body")! };
}

function parentScope(module: ModuleFacts, scope: Scope): Scope | null {
  return scope.node.type === "module" ? null : enclosingScope(module, scope.node);
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

/** Nodes whose insides `scopeBindings` does not visit: they bind in scopes of their own. */
const OWN_SCOPES = new Set([...SCOPE_TYPES, "list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression"]);

/**
 * `scopeBindings(body)` for one name, found from the places where the name is written:
 * what `scopeBindings(body).filter((b) => b.name === name)` gives, without a walk of the body.
 */
export function bindingsOfName(module: ModuleFacts, body: SyntaxNode, name: string): NameBinding[] {
  const { index } = module;
  return index.memo(`bindings:${nodeId(body)}:${name}`, () => {
    const out: NameBinding[] = [];
    const start = nodeStart(body);
    const end = body.endIndex;
    const atModuleLevel = body.type === "module";
    const imports = new Set<number>();
    const add = (node: SyntaxNode, kind: NameBinding["kind"], value: SyntaxNode | null) => {
      const statement = atModuleLevel ? index.topLevelStatementOf(node) : null;
      out.push({ name, node, kind, value, inGuard: !!statement && isMainGuard(statement) });
    };
    for (const identifier of index.identifiers(name)) {
      if (nodeStart(identifier) < start || identifier.endIndex > end) continue;
      const role = roleOf(index, identifier);
      switch (role.role) {
        case "definition":
          if (visitedFrom(index, role.definition, body)) add(role.definition, "definition", null);
          break;
        case "walrus":
          if (visitedFrom(index, role.construct, body)) add(role.construct, "assignment", index.field(role.construct, "value"));
          break;
        case "global":
          if (visitedFrom(index, role.statement, body)) add(role.statement, "global", null);
          break;
        case "import":
          if (imports.has(nodeId(role.statement)) || !visitedFrom(index, role.statement, body)) break;
          imports.add(nodeId(role.statement));
          for (const bound of importedNames(role.statement)) if (bound === name) add(role.statement, "import", null);
          break;
        case "target": {
          const { construct, direct } = role;
          if (construct.type === "for_in_clause" || !visitedFrom(index, construct, body)) break;
          if (construct.type === "for_statement") add(construct, "other", null);
          else if (construct.type === "as_pattern") {
            const alias = index.field(construct, "alias");
            const single = alias?.type === "identifier" || (alias?.type === "as_pattern_target" && alias.namedChildCount === 1 && alias.namedChildren[0].type === "identifier");
            const withItem = index.parent(construct)?.type === "with_item";
            add(construct, withItem ? "assignment" : "other", single ? construct.namedChildren[0] ?? null : null);
          } else add(construct, "assignment", direct ? index.field(construct, "right") : null);
          break;
        }
      }
    }
    return out;
  });
}

/** True when a walk of `body` that stops at nested scopes reaches `node`. */
function visitedFrom(index: SourceIndex, node: SyntaxNode, body: SyntaxNode): boolean {
  if (node.id === nodeId(body)) return true;
  for (const n of index.ancestors(node)) {
    if (n.id === nodeId(body)) return true;
    if (OWN_SCOPES.has(n.type)) return false;
  }
  return false;
}

/** A top-level `from M import *`: any name may come from it. */
export function hasStarImport(module: ModuleFacts): boolean {
  return module.index.starImports().some((statement) => module.index.parent(statement)?.type === "module");
}
