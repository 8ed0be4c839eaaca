// Which functions a module sends to worker processes (Process targets, pool and executor
// initializers, the function of `pool.map(...)` / `executor.submit(...)`), and where the
// function or class a name refers to is defined: at module level, under the main guard, or
// inside a function. Every question about names goes to the semantic model.
import { type SyntaxNode, nodeId } from "../parse";
import type { ModuleFacts } from "./module";
import type { CreationSite } from "./sites";
import type { Binding, SemanticModel } from "./model";
import { argument } from "./literals";
import { EXECUTOR_METHODS, POOL_METHODS, WORKER_ARGUMENT, canonical } from "./vocabulary";
import { callsNamed } from "./source-index";
import { isNameRead } from "./globals";
import { roleOf } from "./bindings";

export type WorkerRole = "target" | "initializer" | "task";

export interface WorkerUse {
  /** The expression handed over: `target=...`, `initializer=...`, the first argument of `pool.map(...)`. */
  expr: SyntaxNode;
  role: WorkerRole;
  /** How the code hands it over, for messages: "mp.Process(target=...)", "pool.map(...)". */
  via: string;
  site: CreationSite;
  /** The call that hands it over: the creation call, `Worker(target=...)`, or `pool.map(...)`. */
  call: SyntaxNode;
}

/**
 * Every function handed to worker processes, from creation sites that do not use fork
 * (an explicit fork is the user's decision). Receivers of `.map` and the like count only
 * when shown to be a pool or executor: the creation call itself, or a name every binding of
 * which in its scope is one.
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
    const spec = WORKER_ARGUMENT[site.kind];
    if (spec && site.node.type === "call") {
      const expr = argument(site.node, spec.keyword, spec.position);
      if (expr) uses.push({ expr, role: spec.role, via: `${calleeText(site.node)}(${spec.keyword}=...)`, site, call: site.node });
    }
  }
  if (sitesByNode.size === 0) return uses;
  const { index, model } = module;
  // Instances of Process subclasses: `Worker(target=...)`.
  for (const site of module.sites) {
    if (site.kind !== "ProcessSubclass" || site.method === "fork") continue;
    const name = classOfBase(site.node)?.childForFieldName("name")?.text;
    if (!name) continue;
    for (const call of callsNamed(index, [name])) {
      if (index.field(call, "function")?.type !== "identifier") continue;
      const expr = argument(call, "target", -1);
      if (expr) uses.push({ expr, role: "target", via: `${name}(target=...)`, site, call });
    }
  }
  for (const call of callsNamed(index, [...POOL_METHODS, ...EXECUTOR_METHODS])) {
    const callee = index.field(call, "function");
    if (callee?.type !== "attribute") continue;
    const method = index.field(callee, "attribute")?.text ?? "";
    const receiver = index.field(callee, "object");
    if (!receiver) continue;
    for (const site of receiverSites(model, receiver, sitesByNode)) {
      const isExecutor = site.kind === "ProcessPoolExecutor";
      if (isExecutor ? !EXECUTOR_METHODS.has(method) : site.kind !== "Pool" || !POOL_METHODS.has(method)) continue;
      const expr = argument(call, isExecutor ? "fn" : "func", 0);
      if (expr) uses.push({ expr, role: "task", via: `${receiver.text}.${method}(...)`, site, call });
    }
  }
  return uses;
}

/**
 * The creation sites a receiver may be: the creation call, or every site among the bindings of
 * its name in its scope. A binding that is no site here (a parameter, `None`, what a call
 * returns) is an object this module's edits do not change: its tasks are counted as every
 * site's, which only adds code to prove.
 */
function receiverSites(model: SemanticModel, receiver: SyntaxNode, sites: Map<number, CreationSite>): CreationSite[] {
  if (receiver.type !== "identifier") {
    const site = siteOfValue(receiver, sites);
    return site ? [site] : [];
  }
  const reaching = model.bindingsReaching(receiver);
  if (reaching.length === 0) return [];
  const found = new Set<CreationSite>();
  for (const binding of model.bindingsIn(reaching[0].scope, receiver.text)) {
    const site = binding.value ? siteOfValue(binding.value, sites) : null;
    if (site) found.add(site);
  }
  return [...found];
}

/**
 * The creation site an expression evaluates to: the creation call, in parentheses, or a branch
 * of a conditional (`ThreadPool() if win else Pool()`: the tasks are the same in both).
 */
function siteOfValue(expr: SyntaxNode, sites: Map<number, CreationSite>): CreationSite | null {
  if (expr.type === "call") return sites.get(nodeId(expr)) ?? null;
  if (expr.type === "parenthesized_expression" && expr.namedChildCount === 1) return siteOfValue(expr.namedChildren[0], sites);
  if (expr.type === "as_pattern") return expr.namedChildren[0] ? siteOfValue(expr.namedChildren[0], sites) : null;
  if (expr.type !== "conditional_expression") return null;
  const [whenTrue, , whenFalse] = expr.namedChildren;
  const found = [whenTrue, whenFalse].map((branch) => (branch ? siteOfValue(branch, sites) : null)).filter((s): s is CreationSite => !!s);
  return found.length === 1 || (found.length === 2 && found[0].kind === found[1].kind) ? found[0] : null;
}

/** Methods of a pool or executor that hand over no code: their use leaves the tasks known. */
const PLAIN_METHODS = new Set(["close", "join", "terminate", "shutdown", "__enter__", "__exit__"]);

/** A read that only tests the object (`if p:`, `not p`, `p is None`): the object goes nowhere. */
export function onlyTested(use: SyntaxNode, holder: SyntaxNode | null): boolean {
  if (!holder) return false;
  if (holder.type === "not_operator") return true;
  if (holder.type === "comparison_operator") return holder.children.every((c) => c.isNamed || c.type === "is" || c.type === "is not");
  return /^(if_statement|elif_clause|while_statement)$/.test(holder.type) && holder.childForFieldName("condition")?.id === use.id;
}

/**
 * Where a pool's or executor's object goes that its tasks cannot be followed from, or null
 * when every use of it is seen: a method call on the creation itself, or a name every read of
 * which calls a pool method, enters `with` or only tests the object. Anything
 * else (handed to a function, returned, stored, rebound) leaves what its children run unknown.
 */
export function poolEscape(module: ModuleFacts, site: CreationSite): SyntaxNode | null {
  return module.index.memo(`poolEscape:${nodeId(site.node)}`, () => findPoolEscape(module, site));
}

function findPoolEscape(module: ModuleFacts, site: CreationSite): SyntaxNode | null {
  if ((site.kind !== "Pool" && site.kind !== "ProcessPoolExecutor") || site.node.type !== "call") return null;
  const { index, model } = module;
  let expr: SyntaxNode = site.node;
  let parent = index.parent(expr);
  while (parent && (parent.type === "parenthesized_expression" || (parent.type === "conditional_expression" && parent.namedChildren[1]?.id !== expr.id))) {
    expr = parent;
    parent = index.parent(parent);
  }
  // Made and dropped (`mp.Pool(2)` as a statement): it runs no task.
  if (!parent || parent.type === "expression_statement") return null;
  const known = (use: SyntaxNode, holder: SyntaxNode | null) => {
    if (holder?.type === "attribute" && index.field(holder, "object")?.id === use.id) {
      const method = index.field(holder, "attribute")?.text ?? "";
      return (POOL_METHODS.has(method) || EXECUTOR_METHODS.has(method) || PLAIN_METHODS.has(method)) && index.parent(holder)?.type === "call";
    }
    return holder?.type === "with_item" || onlyTested(use, holder);
  };
  let name: SyntaxNode | null = null;
  if (parent.type === "as_pattern") {
    const alias = index.field(parent, "alias");
    name = alias?.namedChildCount === 1 ? alias.namedChildren[0] : null;
  } else if (parent.type === "assignment" && index.field(parent, "right")?.id === expr.id) {
    name = index.field(parent, "left");
  } else return known(expr, parent) || parent.type === "with_item" ? null : parent;
  if (name?.type !== "identifier") return parent;
  // The name's other bindings (a caller's executor, `None`) do not matter: `receiverSites` takes
  // the tasks of every method call on the name as this site's too.
  const scope = model.bindingsReaching(name)[0]?.scope;
  if (!scope) return name;
  for (const id of index.identifiers(name.text)) {
    if (id.id === name.id || !isNameRead(index, id) || roleOf(index, id).role !== "read" || model.bindingsReaching(id)[0]?.scope !== scope) continue;
    if (known(id, index.parent(id))) continue;
    const holder = index.parent(id);
    // The name as it is bound (`with ... as p`, `p = ...`), not read.
    if (holder?.type === "as_pattern_target" || (holder?.type === "assignment" && index.field(holder, "left")?.id === id.id)) continue;
    return id;
  }
  return null;
}

/** `functools.partial(f, ...)` is pickled with its function: the function is what matters. */
export function unwrapPartial(module: ModuleFacts, expr: SyntaxNode): SyntaxNode {
  for (let depth = 0; expr.type === "call" && depth < 5; depth++) {
    const value = module.model.valueOf(expr.childForFieldName("function"));
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

export type Place = "module" | "mainGuard" | "function";

export interface Definition {
  /** The `function_definition` or `class_definition`. */
  node: SyntaxNode;
  place: Place;
  /** For a definition inside a function: that function's name. */
  outer: string | null;
}

/** Where a binding stands: in a function (or lambda), under the main guard, or at module level. */
export function placeOf(model: SemanticModel, binding: Binding): Place {
  if (binding.scope.kind !== "module" && binding.scope.kind !== "class") return "function";
  return model.guardOf(binding.node) ? "mainGuard" : "module";
}

/**
 * Where the function or class that an identifier names is defined, or null when the name is
 * bound by anything else (a parameter, an assignment, an import) or more than once in a way
 * that leaves doubt.
 */
export function definitionOf(module: ModuleFacts, identifier: SyntaxNode): Definition | null {
  const { model } = module;
  const reaching = model.bindingsReaching(identifier);
  if (reaching.length === 0) return null;
  const scope = reaching[0].scope;
  // Names of a class body used in the body itself: doubt.
  if (scope.kind === "class") return null;
  const all = model.bindingsIn(scope, identifier.text);
  if (all.some((b) => b.kind !== "def" && b.kind !== "class")) return null;
  if (scope.kind === "module") {
    const places = all.map((b) => placeOf(model, b));
    if (places.every((p) => p === "module")) return { node: all[0].node, place: "module", outer: null };
    if (all.length === 1) return { node: all[0].node, place: "mainGuard", outer: null };
    return null;
  }
  if (all.length !== 1) return null;
  const owner = scope.node.type === "lambda" ? "<lambda>" : model.index.field(scope.node, "name")?.text ?? "<lambda>";
  return { node: all[0].node, place: "function", outer: owner };
}

/**
 * The value a name is bound to, when the nearest scope that binds the name binds it once,
 * by a plain `name = value`, with where that assignment stands.
 */
export function assignedValueOf(module: ModuleFacts, identifier: SyntaxNode): { value: SyntaxNode; assignment: SyntaxNode; place: Place } | null {
  const { model } = module;
  const reaching = model.bindingsReaching(identifier);
  if (reaching.length === 0) return null;
  const all = model.bindingsIn(reaching[0].scope, identifier.text);
  const [only] = all;
  if (all.length !== 1 || only.kind !== "assignment" || !only.value || only.declaredIn) return null;
  return { value: only.value, assignment: only.node, place: placeOf(model, only) };
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
 * The local function a function of this file returns, when every `return` of it returns
 * one: a function defined in its body, or a lambda (`def make(n): def work(x): ...; return
 * work`). Such a closure is a local object: spawn cannot pickle it.
 */
export function returnedClosure(module: ModuleFacts, call: SyntaxNode): { factory: string; closure: string } | null {
  const callee = call.type === "call" ? call.childForFieldName("function") : null;
  if (callee?.type !== "identifier") return null;
  const definition = definitionOf(module, callee);
  if (definition?.node.type !== "function_definition") return null;
  const { model } = module;
  const own = model.scopes.scopeFor(definition.node);
  const returns = returnStatements(definition.node);
  let closure: string | null = null;
  for (const ret of returns) {
    const value = ret.namedChildren[0];
    if (value?.type === "lambda") closure ??= "<lambda>";
    else if (value?.type === "identifier" && model.bindingsIn(own, value.text).some((b) => b.kind === "def")) closure ??= value.text;
    else return null;
  }
  return closure ? { factory: callee.text, closure } : null;
}

/** The `return` statements of a function's own body (not of functions, classes or lambdas inside it). */
function returnStatements(fn: SyntaxNode): SyntaxNode[] {
  const returns: SyntaxNode[] = [];
  const visit = (node: SyntaxNode): void => {
    for (const child of node.namedChildren) {
      if (child.type === "function_definition" || child.type === "class_definition" || child.type === "lambda") continue;
      if (child.type === "return_statement") returns.push(child);
      else visit(child);
    }
  };
  const body = fn.childForFieldName("body");
  if (body) visit(body);
  return returns;
}
