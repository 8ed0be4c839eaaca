// Where a module uses the API: creation sites (calls that make processes or their objects,
// and classes based on Process), set_start_method and get_context calls. Text search finds
// the calls whose callee is written with one of the API's names or a name bound to one;
// the semantic model decides what each callee is.
import { type SyntaxNode, nodeId, nodeStart } from "../parse";
import type { SourceIndex } from "./source-index";
import { calleeCall, calleeExpression } from "./source-index";
import type { SemanticModel, Value } from "./model";
import { type Method, argument, methodArgument, methodOfLiteral } from "./literals";
import { aliasClosure, roleOf, sameNode } from "./bindings";
import { isWordChar } from "./words";
import { API_CALL_NAMES, CONTEXT_FACTORIES, CONTEXT_PARAMETERS, PROCESS_STARTING, STAR_EXPORTS, API_MODULE_NAMES, canonical, inProcessModules, mpModuleOf } from "./vocabulary";

export interface CreationSite {
  /** "Pool", "Queue", ..., "ProcessPoolExecutor", "SyncManager", "ProcessSubclass". */
  kind: string;
  /** The call, or for a Process subclass the base-class expression. */
  node: SyntaxNode;
  /** How its context is chosen. */
  via:
    | { form: "factory"; callee: SyntaxNode; module: string } // multiprocessing.Pool(...) / Pool(...)
    | { form: "context"; callee: SyntaxNode } // ctx.Pool(...)
    | { form: "parameter"; keyword: string; position: number; module: string } // ProcessPoolExecutor(mp_context=...)
    | { form: "subclass"; callee: SyntaxNode; cls: SyntaxNode }; // Bounded(...), class Bounded(ProcessPoolExecutor): no per-site context fix
  method: Method;
  startsProcesses: boolean;
}

export interface StartMethodCall {
  node: SyntaxNode;
  method: Method;
  /** The statement it forms at module top level, when it is one by itself. */
  topLevelStatement: SyntaxNode | null;
}

export interface ContextCall {
  node: SyntaxNode;
  method: Method;
}

export interface ApiUses {
  sites: CreationSite[];
  startMethodCalls: StartMethodCall[];
  contextCalls: ContextCall[];
}

/**
 * The module's uses of the API. `extraNames` are names the project binds to the API
 * (`mp` for `from pkg.compat import mp`): the last part of each alias whose target is the API.
 */
export function apiUses(model: SemanticModel, extraNames: string[] = []): ApiUses {
  const { index } = model;
  const uses: ApiUses = { sites: [], startMethodCalls: [], contextCalls: [] };
  // A callee written `a.b.Pool` can only be the API when `a` can lead to it (a prefilter:
  // names the project binds to the API could hide behind any root, so then none is skipped).
  const roots = extraNames.length ? null : apiRoots(model);
  const keep = roots ? (position: number) => mayLeadToApi(index.text, position, roots) : undefined;
  const names = aliasClosure(index, [...API_CALL_NAMES, ...extraNames], keep);
  const visits = new Map<number, { node: SyntaxNode; classify: () => void }>();
  for (const identifier of index.identifiersOf(names, keep)) {
    const call = calleeCall(index, identifier);
    if (call) {
      if (!visits.has(nodeId(call))) visits.set(nodeId(call), { node: call, classify: () => classifyCall(model, uses, call) });
      continue;
    }
    const cls = classOfBaseExpression(index, identifier);
    if (cls && !visits.has(nodeId(cls))) visits.set(nodeId(cls), { node: cls, classify: () => classifyClass(model, uses, cls) });
  }
  for (const visit of [...visits.values()].sort((a, b) => inSourceOrder(a.node, b.node))) visit.classify();
  return uses;
}

/**
 * The names a use of the API can start with: the API's own names, those bound by an import
 * that names one of the API's modules, what a star import may bring in, and the names bound to an expression that
 * starts with one of these (`ctx = mp.get_context("spawn")`, `P = mp.Pool`, `with mp.Pool() as p`).
 */
function apiRoots(model: SemanticModel): Set<string> {
  const { index } = model;
  const roots = new Set<string>();
  for (const identifier of index.identifiersOf(API_MODULE_WORDS)) {
    const role = roleOf(index, identifier);
    if (role.role !== "import") continue;
    // A module or one of the API's callables (`P` for `from multiprocessing import Pool as P`,
    // get_context) can start a chain that ends in the API; `wait` or `Future` cannot.
    for (const binding of model.bindings.importsOf(role.statement)) {
      const qname = binding.qname ? canonical(binding.qname) : null;
      if (qname && (API_MODULE_NAMES.includes(qname) || API_CALL_NAMES.includes(qname.slice(qname.lastIndexOf(".") + 1)))) roots.add(binding.name);
    }
  }
  if (index.starImports().length > 0) for (const names of Object.values(STAR_EXPORTS)) names.forEach((n) => roots.add(n));
  // Only where the text before the name on its line allows a binding (a prefilter).
  const keep = (position: number) => mayBeBound(index.text, position);
  for (let batch = [...roots]; batch.length > 0; ) {
    const next: string[] = [];
    for (const identifier of index.identifiersOf(batch, keep)) {
      const bound = nameBoundFrom(index, identifier);
      const name = bound && !roots.has(bound.name) && leadsToApi(model.valueOf(bound.value)) ? bound.name : null;
      if (name) {
        roots.add(name);
        next.push(name);
      }
    }
    batch = next;
  }
  // A bare name of the API may be one (`from multiprocessing import Pool`): written alone, it is its own root.
  for (const name of API_CALL_NAMES) roots.add(name);
  return roots;
}

/** The words whose import can bind a name to a process API: the first parts of its modules (os.fork is not a creation site). */
const API_MODULE_WORDS = ["multiprocessing", "concurrent", "torch"];

/**
 * Whether the expression at `position` may be the value a name is bound to, from the text
 * of its line before it: an `=` (`x = mp.ctx`, `x := ...`), a `with` (`with mp.Pool() as p`),
 * or nothing but blanks and brackets (a value continued from the line above).
 */
function mayBeBound(text: string, position: number): boolean {
  let start = position;
  while (start > 0 && text[start - 1] !== "\n" && text[start - 1] !== "\r") start--;
  const prefix = text.slice(start, position);
  return prefix.includes("=") || /^[ \t\f]*(async[ \t]+)?with\b/.test(prefix) || /^[\s([{\\]*$/.test(prefix);
}

/** A value a name of the API can be reached from: a process module or member of one, a context or a context's member. */
function leadsToApi(value: Value | null): boolean {
  if (!value) return false;
  return value.kind === "context" || value.kind === "contextMember" || (value.kind === "qualified" && inProcessModules(value.qname));
}

/** The name bound to an expression that starts with this identifier (`x = id.a(...).b`, `with id.f() as x`), with that expression; or null. */
function nameBoundFrom(index: SourceIndex, identifier: SyntaxNode): { name: string; value: SyntaxNode } | null {
  let node = identifier;
  let parent = index.parent(node);
  while (parent && /^(attribute|call|parenthesized_expression|subscript)$/.test(parent.type) && nodeStart(parent) <= nodeStart(node) && sameNode(parent.namedChildren[0] ?? null, node)) {
    node = parent;
    parent = index.parent(node);
  }
  let target: SyntaxNode | null = null;
  if (parent?.type === "assignment" && sameNode(index.field(parent, "right"), node)) target = index.field(parent, "left");
  else if (parent?.type === "named_expression" && sameNode(index.field(parent, "value"), node)) target = index.field(parent, "name");
  else if (parent?.type === "as_pattern" && sameNode(parent.namedChildren[0] ?? null, node)) {
    target = index.field(parent, "alias");
    if (target?.type === "as_pattern_target" && target.namedChildCount === 1) target = target.namedChildren[0];
  }
  return target?.type === "identifier" ? { name: target.text, value: node } : null;
}

/**
 * Whether the dotted chain that ends with the word at `position` may start with one of
 * `roots`, read from the text: `mp` for `mp.Pool`, `Pool` for a bare `Pool`. When the text
 * does not show the chain's start plainly on one line (`f().Pool`, `x[0].Pool`, a chain
 * broken across lines or with a comment in it), it may.
 */
function mayLeadToApi(text: string, position: number, roots: Set<string>): boolean {
  let start = position;
  let end = position;
  while (end < text.length && isWordChar(text.charCodeAt(end))) end++;
  for (;;) {
    let before = start;
    while (before > 0 && (text[before - 1] === " " || text[before - 1] === "\t")) before--;
    const c = before > 0 ? text[before - 1] : "";
    if (c === ".") {
      let dot = before - 1;
      while (dot > 0 && (text[dot - 1] === " " || text[dot - 1] === "\t")) dot--;
      const wordEnd = dot;
      while (dot > 0 && isWordChar(text.charCodeAt(dot - 1))) dot--;
      if (dot === wordEnd) return true;
      start = dot;
      end = wordEnd;
      continue;
    }
    if (c !== "" && /[)\]}\\\r\n]/.test(c)) return true;
    return roots.has(text.slice(start, end));
  }
}

/** Source order as a walk of the tree meets nodes: by start, an outer node before the nodes it holds. */
export function inSourceOrder(a: SyntaxNode, b: SyntaxNode): number {
  return nodeStart(a) - nodeStart(b) || b.endIndex - a.endIndex;
}

/** The class whose base list holds an expression ending in this identifier. */
function classOfBaseExpression(index: SourceIndex, identifier: SyntaxNode): SyntaxNode | null {
  const expr = calleeExpression(index, identifier);
  const list = expr ? index.parent(expr) : null;
  if (list?.type !== "argument_list") return null;
  const cls = index.parent(list);
  return cls?.type === "class_definition" && sameNode(index.field(cls, "superclasses"), list) ? cls : null;
}

/** Attributes read off a Process made only to read them (`Process().name`): nothing is started. */
const READ_ONLY_ATTRIBUTES = new Set(["name", "pid", "ident", "exitcode", "authkey", "daemon", "_identity", "_config"]);

function classifyCall(model: SemanticModel, uses: ApiUses, call: SyntaxNode): void {
  const callee = model.index.field(call, "function");
  const holder = model.index.parent(call);
  if (holder?.type === "attribute" && READ_ONLY_ATTRIBUTES.has(model.index.field(holder, "attribute")?.text ?? "")) return;
  const value = model.valueOf(callee);
  if (!value || !callee) return;
  if (value.kind === "qualified") {
    const qname = canonical(value.qname);
    const member = qname.slice(qname.lastIndexOf(".") + 1);
    const module = value.qname.slice(0, value.qname.lastIndexOf("."));
    if (qname === `multiprocessing.${member}` && CONTEXT_FACTORIES.has(member)) {
      uses.sites.push({ kind: member, node: call, via: { form: "factory", callee, module }, method: "default", startsProcesses: PROCESS_STARTING.has(member) });
    } else if (CONTEXT_PARAMETERS[qname]) {
      const { keyword, position } = CONTEXT_PARAMETERS[qname];
      const arg = argument(call, keyword, position);
      uses.sites.push({
        kind: member,
        node: call,
        via: { form: "parameter", keyword, position, module: mpModuleOf(value.qname) },
        method: arg ? contextMethod(model, arg) : "default",
        startsProcesses: true,
      });
    } else if (qname === "multiprocessing.set_start_method") {
      uses.startMethodCalls.push({ node: call, method: methodArgument(call, "method"), topLevelStatement: model.index.topLevelStatementOf(call) });
    } else if (qname === "multiprocessing.get_context") {
      uses.contextCalls.push({ node: call, method: methodArgument(call, "method") });
    }
  } else if (value.kind === "contextMember") {
    if (CONTEXT_FACTORIES.has(value.member)) {
      uses.sites.push({ kind: value.member, node: call, via: { form: "context", callee }, method: value.method, startsProcesses: PROCESS_STARTING.has(value.member) });
    } else if (value.member === "get_context") {
      uses.contextCalls.push({ node: call, method: methodArgument(call, "method") });
    } else if (value.member === "set_start_method") {
      uses.startMethodCalls.push({ node: call, method: methodArgument(call, "method"), topLevelStatement: model.index.topLevelStatementOf(call) });
    }
  }
}

/** The method of an expression given as a context (`get_context("spawn")`, `ctx`, `None`). */
function contextMethod(model: SemanticModel, expr: SyntaxNode): Method {
  if (expr.type === "none") return "default";
  const value = model.valueOf(expr);
  if (value?.kind === "context") return value.method;
  // The default context object itself, `multiprocessing` passed as a context.
  if (value?.kind === "qualified" && canonical(value.qname) === "multiprocessing") return "default";
  return methodOfLiteral(expr) === "default" ? "default" : null;
}

/** Pool classes a project may subclass: calling the subclass makes the pool. */
const POOL_CLASSES: Record<string, string> = {
  "concurrent.futures.ProcessPoolExecutor": "ProcessPoolExecutor",
  "concurrent.futures.process.ProcessPoolExecutor": "ProcessPoolExecutor",
  "multiprocessing.pool.Pool": "Pool",
};

/**
 * The calls that make instances of a project's subclass of a pool class (`class
 * Bounded(ProcessPoolExecutor)`, then `Bounded(4)`): creation sites of the pool's kind on the
 * default method. A subclass whose body names a context may choose its own: not followed.
 */
function poolSubclassSites(model: SemanticModel, uses: ApiUses, cls: SyntaxNode, kind: string): void {
  const name = model.index.field(cls, "name")?.text;
  if (!name || /\b(mp_context|context|get_context|set_start_method)\b/.test(model.index.field(cls, "body")?.text ?? "")) return;
  for (const id of model.index.identifiers(name)) {
    const call = calleeCall(model.index, id);
    if (!call || model.index.field(call, "function")?.id !== id.id) continue;
    const made = model.valueOf(id);
    if (made?.kind !== "definition" || nodeId(made.node) !== nodeId(cls)) continue;
    uses.sites.push({ kind, node: call, via: { form: "subclass", callee: id, cls }, method: "default", startsProcesses: true });
  }
}

function classifyClass(model: SemanticModel, uses: ApiUses, node: SyntaxNode): void {
  const bases = model.index.field(node, "superclasses");
  if (!bases) return;
  for (const base of bases.namedChildren) {
    if (base.type === "keyword_argument") continue;
    const value = model.valueOf(base);
    const pool = value?.kind === "qualified" ? POOL_CLASSES[canonical(value.qname)] : undefined;
    if (pool) poolSubclassSites(model, uses, node, pool);
    const isProcess =
      (value?.kind === "qualified" && canonical(value.qname) === "multiprocessing.Process") ||
      (value?.kind === "contextMember" && value.member === "Process");
    if (!isProcess || !value) continue;
    uses.sites.push({
      kind: "ProcessSubclass",
      node: base,
      via: value.kind === "qualified" ? { form: "factory", callee: base, module: value.qname.slice(0, value.qname.lastIndexOf(".")) } : { form: "context", callee: base },
      method: value.kind === "contextMember" ? value.method : "default",
      startsProcesses: true,
    });
  }
}
