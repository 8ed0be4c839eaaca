// Where a module uses the API: creation sites (calls that make processes or their objects,
// and classes based on Process), set_start_method and get_context calls. Text search finds
// the calls whose callee is written with one of the API's names or a name bound to one;
// the semantic model decides what each callee is.
import { type SyntaxNode, nodeId, nodeStart } from "../parse";
import type { SourceIndex } from "./index";
import { calleeCall, calleeExpression } from "./index";
import type { SemanticModel } from "./model";
import { type Method, argument, methodArgument, methodOfLiteral } from "./literals";
import { aliasClosure, sameNode } from "./bindings";
import { API_CALL_NAMES, CONTEXT_FACTORIES, CONTEXT_PARAMETERS, PROCESS_STARTING, canonical, mpModuleOf } from "./vocabulary";

export interface CreationSite {
  /** "Pool", "Queue", ..., "ProcessPoolExecutor", "SyncManager", "ProcessSubclass". */
  kind: string;
  /** The call, or for a Process subclass the base-class expression. */
  node: SyntaxNode;
  /** How its context is chosen. */
  via:
    | { form: "factory"; callee: SyntaxNode; module: string } // multiprocessing.Pool(...) / Pool(...)
    | { form: "context"; callee: SyntaxNode } // ctx.Pool(...)
    | { form: "parameter"; keyword: string; position: number; module: string }; // ProcessPoolExecutor(mp_context=...)
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
  const names = aliasClosure(index, [...API_CALL_NAMES, ...extraNames]);
  const visits = new Map<number, { node: SyntaxNode; classify: () => void }>();
  for (const identifier of index.identifiersOf(names)) {
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

function classifyCall(model: SemanticModel, uses: ApiUses, call: SyntaxNode): void {
  const callee = model.index.field(call, "function");
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

function classifyClass(model: SemanticModel, uses: ApiUses, node: SyntaxNode): void {
  const bases = model.index.field(node, "superclasses");
  if (!bases) return;
  for (const base of bases.namedChildren) {
    if (base.type === "keyword_argument") continue;
    const value = model.valueOf(base);
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
