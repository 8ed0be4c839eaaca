// Facts about one Python module: creation sites, start-method choices, main guards,
// top-level statements and the same-file functions that start processes.
import { parsePython, type SyntaxNode, type Tree } from "../parse";
import { LineIndex, indentUnitOf, lineBreakOf } from "./text";
import { NameResolver, argument, canonical, methodArgument, methodOfLiteral, type Method } from "./names";

/** Factories of the default context (`multiprocessing.X`) and of every context object (`ctx.X`). */
export const CONTEXT_FACTORIES = new Set([
  "Pool", "Process", "Manager", "Queue", "JoinableQueue", "SimpleQueue", "Lock", "RLock",
  "Semaphore", "BoundedSemaphore", "Condition", "Event", "Barrier", "Value", "Array",
]);

/** Classes that take their context as an argument: the keyword and its position. */
export const CONTEXT_PARAMETERS: Record<string, { keyword: string; position: number }> = {
  "multiprocessing.pool.Pool": { keyword: "context", position: 4 },
  "multiprocessing.managers.SyncManager": { keyword: "ctx", position: 3 },
  "multiprocessing.managers.BaseManager": { keyword: "ctx", position: 3 },
  "concurrent.futures.ProcessPoolExecutor": { keyword: "mp_context", position: 1 },
  "concurrent.futures.process.ProcessPoolExecutor": { keyword: "mp_context", position: 1 },
};

/** Kinds whose creation starts (or is about to start) worker processes. */
const PROCESS_STARTING = new Set(["Pool", "Process", "Manager", "ProcessSubclass", "ProcessPoolExecutor", "SyncManager", "BaseManager"]);

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

export interface ModuleFacts {
  text: string;
  tree: Tree;
  root: SyntaxNode;
  lines: LineIndex;
  names: NameResolver;
  lineBreak: string;
  indentUnit: string;
  /** Top-level statements, comments left out. */
  statements: SyntaxNode[];
  /** Top-level `if __name__ == "__main__":` statements. */
  mainGuards: SyntaxNode[];
  sites: CreationSite[];
  startMethodCalls: StartMethodCall[];
  /** `get_context(...)` calls. */
  contextCalls: ContextCall[];
  /** Top-level statements that start processes, directly or through same-file functions. */
  startingStatements: Set<SyntaxNode>;
  /** Names of same-file functions (and methods) that start processes. */
  startingFunctions: Set<string>;
  /** Calls to functions of other project modules that start processes, with the chain that shows it. */
  externalStarts: Map<number, { node: SyntaxNode; chain: string[] }>;
}

/** What the rest of the project tells about a module (src/project/project.ts). */
export interface ModuleContext {
  /** The package relative imports resolve against. */
  packageName: string | null;
  /** Qualified names of project functions that start processes, each with its chain. */
  startingFunctions: Record<string, string[]>;
}

export const NO_CONTEXT: ModuleContext = { packageName: null, startingFunctions: {} };

export function analyzeModule(text: string, tree: Tree = parsePython(text), context: ModuleContext = NO_CONTEXT): ModuleFacts {
  const root = tree.rootNode;
  const names = new NameResolver(root, context.packageName);
  const statements = root.namedChildren.filter((n) => n.type !== "comment");
  const lines = new LineIndex(text);
  const facts: ModuleFacts = {
    text,
    tree,
    root,
    lines,
    names,
    lineBreak: lineBreakOf(text),
    indentUnit: indentUnitOfTree(root, lines),
    statements,
    mainGuards: statements.filter(isMainGuard),
    sites: [],
    startMethodCalls: [],
    contextCalls: [],
    startingStatements: new Set(),
    startingFunctions: new Set(),
    externalStarts: new Map(),
  };
  collectCalls(facts);
  collectExternalStarts(facts, context);
  markStartingCode(facts);
  return facts;
}

function collectExternalStarts(facts: ModuleFacts, context: ModuleContext): void {
  if (Object.keys(context.startingFunctions).length === 0) return;
  for (const call of facts.root.descendantsOfType("call")) {
    const value = facts.names.resolve(call.childForFieldName("function"));
    if (value?.kind !== "qualified") continue;
    const chain = context.startingFunctions[value.qname];
    if (chain) facts.externalStarts.set(call.id, { node: call, chain: [value.qname, ...chain] });
  }
}

function collectCalls(facts: ModuleFacts): void {
  const processClasses = new Set<string>();
  const visit = (node: SyntaxNode): void => {
    if (node.type === "call") classifyCall(facts, node);
    else if (node.type === "class_definition") classifyClass(facts, node, processClasses);
    for (const child of node.namedChildren) visit(child);
  };
  visit(facts.root);
}

function classifyCall(facts: ModuleFacts, call: SyntaxNode): void {
  const callee = call.childForFieldName("function");
  const value = facts.names.resolve(callee);
  if (!value || !callee) return;
  if (value.kind === "qualified") {
    const qname = canonical(value.qname);
    const member = qname.slice(qname.lastIndexOf(".") + 1);
    const module = value.qname.slice(0, value.qname.lastIndexOf("."));
    if (qname === `multiprocessing.${member}` && CONTEXT_FACTORIES.has(member)) {
      facts.sites.push({
        kind: member,
        node: call,
        via: { form: "factory", callee, module },
        method: "default",
        startsProcesses: PROCESS_STARTING.has(member),
      });
    } else if (CONTEXT_PARAMETERS[qname]) {
      const { keyword, position } = CONTEXT_PARAMETERS[qname];
      const arg = argument(call, keyword, position);
      facts.sites.push({
        kind: member === "Pool" ? "Pool" : member,
        node: call,
        via: { form: "parameter", keyword, position, module: mpModuleOf(value.qname) },
        method: arg ? contextMethod(facts, arg) : "default",
        startsProcesses: true,
      });
    } else if (qname === "multiprocessing.set_start_method") {
      facts.startMethodCalls.push({ node: call, method: methodArgument(call, "method"), topLevelStatement: topLevelStatementOf(facts, call) });
    } else if (qname === "multiprocessing.get_context") {
      facts.contextCalls.push({ node: call, method: methodArgument(call, "method") });
    }
  } else if (value.kind === "contextMember") {
    if (CONTEXT_FACTORIES.has(value.member)) {
      facts.sites.push({
        kind: value.member,
        node: call,
        via: { form: "context", callee },
        method: value.method,
        startsProcesses: PROCESS_STARTING.has(value.member),
      });
    } else if (value.member === "get_context") {
      facts.contextCalls.push({ node: call, method: methodArgument(call, "method") });
    } else if (value.member === "set_start_method") {
      facts.startMethodCalls.push({ node: call, method: methodArgument(call, "method"), topLevelStatement: topLevelStatementOf(facts, call) });
    }
  }
}

/** The multiprocessing module a context for this API is taken from. */
function mpModuleOf(qname: string): string {
  return qname.startsWith("torch.multiprocessing") ? "torch.multiprocessing" : "multiprocessing";
}

/** The method of an expression given as a context (`get_context("spawn")`, `ctx`, `None`). */
function contextMethod(facts: ModuleFacts, expr: SyntaxNode): Method {
  if (expr.type === "none") return "default";
  const value = facts.names.resolve(expr);
  if (value?.kind === "context") return value.method;
  // The default context object itself, `multiprocessing` passed as a context.
  if (value?.kind === "qualified" && canonical(value.qname) === "multiprocessing") return "default";
  return methodOfLiteral(expr) === "default" ? "default" : null;
}

function classifyClass(facts: ModuleFacts, node: SyntaxNode, processClasses: Set<string>): void {
  const bases = node.childForFieldName("superclasses");
  if (!bases) return;
  for (const base of bases.namedChildren) {
    if (base.type === "keyword_argument") continue;
    const value = facts.names.resolve(base);
    const isProcess =
      (value?.kind === "qualified" && canonical(value.qname) === "multiprocessing.Process") ||
      (value?.kind === "contextMember" && value.member === "Process");
    if (isProcess && value) {
      processClasses.add(node.childForFieldName("name")!.text);
      facts.sites.push({
        kind: "ProcessSubclass",
        node: base,
        via:
          value.kind === "qualified"
            ? { form: "factory", callee: base, module: value.qname.slice(0, value.qname.lastIndexOf(".")) }
            : { form: "context", callee: base },
        method: value.kind === "contextMember" ? value.method : "default",
        startsProcesses: true,
      });
    } else if (base.type === "identifier" && processClasses.has(base.text)) {
      processClasses.add(node.childForFieldName("name")!.text);
    }
  }
}

export function topLevelStatementOf(facts: ModuleFacts, node: SyntaxNode): SyntaxNode | null {
  let n: SyntaxNode = node;
  while (n.parent && n.parent.id !== facts.root.id) n = n.parent;
  return n.parent ? n : null;
}

/** `if __name__ == "__main__":`, either way round, either quotes, in parentheses or not. */
export function isMainGuard(node: SyntaxNode): boolean {
  if (node.type !== "if_statement") return false;
  let condition = node.childForFieldName("condition");
  while (condition?.type === "parenthesized_expression" && condition.namedChildCount === 1) condition = condition.namedChildren[0];
  if (!condition || condition.type !== "comparison_operator") return false;
  const operands = condition.namedChildren;
  if (operands.length !== 2 || !condition.children.some((c) => c.type === "==")) return false;
  const texts = operands.map((o) => o.text);
  const isName = (t: string) => t === "__name__";
  const isMain = (t: string) => t === '"__main__"' || t === "'__main__'";
  return (isName(texts[0]) && isMain(texts[1])) || (isMain(texts[0]) && isName(texts[1]));
}

const DEFINITION_TYPES = new Set(["function_definition", "class_definition", "decorated_definition"]);

/** Nodes whose bodies do not run where they stand: definitions and lambdas. */
function isDeferred(node: SyntaxNode): boolean {
  return DEFINITION_TYPES.has(node.type) || node.type === "lambda";
}

/**
 * Marks same-file functions that start processes (directly, or by calling one that does)
 * and the top-level statements that start processes when the module runs.
 */
function markStartingCode(facts: ModuleFacts): void {
  const startingSites = new Set(facts.sites.filter((s) => s.startsProcesses).map((s) => s.node.id));
  for (const id of facts.externalStarts.keys()) startingSites.add(id);
  const processClasses = new Set<string>();
  for (const site of facts.sites) {
    if (site.kind !== "ProcessSubclass") continue;
    const cls = site.node.parent?.parent;
    const name = cls?.childForFieldName("name")?.text;
    if (name) processClasses.add(name);
  }

  // Every function, by name: its own creation sites and the names it calls.
  interface FunctionInfo { starts: boolean; calls: Set<string> }
  const functions = new Map<string, FunctionInfo[]>();
  const scan = (node: SyntaxNode, info: FunctionInfo, deferred: boolean): void => {
    for (const child of node.namedChildren) {
      if (child.type === "function_definition") {
        const own: FunctionInfo = { starts: false, calls: new Set() };
        const name = child.childForFieldName("name")!.text;
        const list = functions.get(name);
        if (list) list.push(own);
        else functions.set(name, [own]);
        scan(child, own, true);
        continue;
      }
      if (child.type === "lambda" || child.type === "class_definition") {
        scan(child, deferred ? info : { starts: false, calls: new Set() }, true);
        continue;
      }
      if (startingSites.has(child.id)) info.starts = true;
      if (child.type === "call") {
        const name = calledName(child);
        if (name) info.calls.add(name);
      }
      scan(child, info, deferred);
    }
  };
  const topLevel: FunctionInfo = { starts: false, calls: new Set() };
  scan(facts.root, topLevel, false);

  const starting = facts.startingFunctions;
  for (const name of processClasses) starting.add(name);
  for (const [name, infos] of functions) if (infos.some((i) => i.starts)) starting.add(name);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, infos] of functions) {
      if (starting.has(name)) continue;
      if (infos.some((i) => [...i.calls].some((c) => starting.has(c)))) {
        starting.add(name);
        changed = true;
      }
    }
  }

  for (const statement of facts.statements) {
    if (DEFINITION_TYPES.has(statement.type) || isMainGuard(statement)) continue;
    if (runsStart(statement, startingSites, starting)) facts.startingStatements.add(statement);
  }
}

/** The name a call invokes: `f(...)` gives f, `obj.method(...)` gives method. */
function calledName(call: SyntaxNode): string | null {
  const callee = call.childForFieldName("function");
  if (callee?.type === "identifier") return callee.text;
  if (callee?.type === "attribute") return callee.childForFieldName("attribute")?.text ?? null;
  return null;
}

function runsStart(node: SyntaxNode, sites: Set<number>, functions: Set<string>): boolean {
  if (sites.has(node.id)) return true;
  if (node.type === "call") {
    const name = calledName(node);
    if (name && functions.has(name)) return true;
  }
  for (const child of node.namedChildren) {
    if (isDeferred(child)) continue;
    if (runsStart(child, sites, functions)) return true;
  }
  return false;
}

/** The indent unit the module uses: from its first indented block, else from its text. */
function indentUnitOfTree(root: SyntaxNode, lines: LineIndex): string {
  let unit: string | null = null;
  const visit = (node: SyntaxNode, depth: number): void => {
    if (unit !== null || depth > 50) return;
    if (node.type === "block" && node.parent) {
      const start = node.startIndex;
      if (lines.startsLine(start) && lines.startsLine(node.parent.startIndex)) {
        const inner = lines.indentAt(start);
        const outer = lines.indentAt(node.parent.startIndex);
        if (inner.startsWith(outer) && inner.length > outer.length) unit = inner.slice(outer.length);
        return;
      }
    }
    for (const child of node.namedChildren) visit(child, depth + 1);
  };
  visit(root, 0);
  return unit ?? indentUnitOf(lines.text);
}
