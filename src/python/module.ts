// Facts about one Python module: creation sites, start-method choices, main guards,
// top-level statements and the same-file functions that start processes.
import { parsePython, type SyntaxNode, type Tree, nodeId, nodeStart } from "../parse";
import { LineIndex, indentUnitOf, lineBreakOf } from "./text";
import { NameResolver, STAR_EXPORTS, argument, canonical, methodArgument, methodOfLiteral, type Method } from "./names";
import { SourceIndex, calleeCall, calleeExpression, callsOf, isWordChar } from "./index";
import { importedNames, roleOf, sameNode } from "./bindings";

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
  /** Finds nodes from the text, without walking the tree. */
  index: SourceIndex;
  lines: LineIndex;
  names: NameResolver;
  lineBreak: string;
  indentUnit: string;
  /** Top-level statements, comments left out. */
  statements: SyntaxNode[];
  /** The top-level statement a position falls in (from the statements' starts). */
  statementAt(position: number): SyntaxNode | null;
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

/** The names a call must end in to create processes, their objects or a context, or to set the method. */
const API_NAMES = [...CONTEXT_FACTORIES, "ProcessPoolExecutor", "SyncManager", "BaseManager", "set_start_method", "get_context"];

/**
 * The facts of a module. The costly ones are computed when first read, so that a module
 * with nothing to report costs little more than its parse.
 */
class Module implements ModuleFacts {
  readonly root: SyntaxNode;
  readonly index: SourceIndex;
  readonly names: NameResolver;
  readonly lineBreak: string;
  sites: CreationSite[] = [];
  startMethodCalls: StartMethodCall[] = [];
  contextCalls: ContextCall[] = [];
  startingStatements = new Set<SyntaxNode>();
  startingFunctions = new Set<string>();
  externalStarts = new Map<number, { node: SyntaxNode; chain: string[] }>();
  private cachedLines: LineIndex | null = null;
  private cachedStatements: SyntaxNode[] | null = null;
  private cachedGuards: SyntaxNode[] | null = null;
  private cachedIndent: string | null = null;
  private cachedStarts: number[] | null = null;

  constructor(readonly text: string, readonly tree: Tree, packageName: string | null) {
    this.root = tree.rootNode;
    this.index = new SourceIndex(text, this.root);
    this.names = new NameResolver(this.index, packageName);
    this.lineBreak = lineBreakOf(text);
  }

  get lines(): LineIndex {
    return (this.cachedLines ??= new LineIndex(this.text));
  }

  get statements(): SyntaxNode[] {
    return (this.cachedStatements ??= this.root.namedChildren.filter((n) => n.type !== "comment"));
  }

  get mainGuards(): SyntaxNode[] {
    if (!this.cachedGuards) {
      const guards = new Map<number, SyntaxNode>();
      // Only a `__name__` in a top-level `if` can open a guard: the others are not looked up.
      const inTopLevelIf = (position: number) => this.statementAt(position)?.type === "if_statement";
      for (const name of this.index.identifiersOf(["__name__"], inTopLevelIf)) {
        const statement = this.statementAt(nodeStart(name));
        if (statement && !guards.has(nodeId(statement)) && isMainGuard(statement)) guards.set(nodeId(statement), statement);
      }
      this.cachedGuards = [...guards.values()];
    }
    return this.cachedGuards;
  }

  get indentUnit(): string {
    return (this.cachedIndent ??= indentUnitOfTree(this.root, this.lines));
  }

  /**
   * The top-level statement a position falls in, told from the statements' starts alone (a
   * position after the last line of a statement, in a comment or blank, gets that statement).
   */
  statementAt(position: number): SyntaxNode | null {
    const starts = (this.cachedStarts ??= this.statements.map(nodeStart));
    let lo = 0;
    let hi = starts.length - 1;
    if (hi < 0 || position < starts[0]) return null;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= position) lo = mid;
      else hi = mid - 1;
    }
    return this.statements[lo];
  }

  /** The top-level statements with these ids, as the very objects of `statements`. */
  statementsWithIds(ids: Set<number>): SyntaxNode[] {
    return ids.size === 0 ? [] : this.statements.filter((s) => ids.has(nodeId(s)));
  }
}

/**
 * @param words names the transforms will look up (Transform.words): searched for with the
 * analysis's own, in one pass over the text.
 */
export function analyzeModule(text: string, tree: Tree = parsePython(text), context: ModuleContext = NO_CONTEXT, words: string[] = []): ModuleFacts {
  const facts = new Module(text, tree, context.packageName);
  facts.index.prefetch([...API_NAMES, "__name__", "global", "import", ...words]);
  collectCalls(facts);
  collectExternalStarts(facts, context);
  markStartingCode(facts);
  return facts;
}

/**
 * `names` and every name bound to one of them: `from multiprocessing import Pool as P`
 * adds P, `make = ctx.Process` adds make. A call can name one of `names` only through these.
 */
function aliasClosure(index: SourceIndex, names: string[], keep?: (position: number) => boolean): Set<string> {
  const all = new Set(names);
  for (let batch = [...all]; batch.length > 0; ) {
    const next: string[] = [];
    for (const identifier of index.identifiersOf(batch, keep)) {
      const alias = aliasBoundTo(index, identifier);
      if (alias && !all.has(alias)) {
        all.add(alias);
        next.push(alias);
      }
    }
    batch = next;
  }
  return all;
}

/** The name an identifier's value is bound to under another name: `import X as alias`, `alias = a.X`. */
function aliasBoundTo(index: SourceIndex, identifier: SyntaxNode): string | null {
  const parent = index.parent(identifier);
  if (parent?.type === "dotted_name" && parent.endIndex === identifier.endIndex) {
    const item = index.parent(parent);
    if (item?.type === "aliased_import") return index.field(item, "alias")?.text ?? null;
    return null;
  }
  const expr = calleeExpression(index, identifier);
  const holder = expr ? index.parent(expr) : null;
  if (!expr || !holder) return null;
  if (holder.type === "assignment" && sameNode(index.field(holder, "right"), expr)) {
    const left = index.field(holder, "left");
    return left?.type === "identifier" ? left.text : null;
  }
  if (holder.type === "named_expression" && sameNode(index.field(holder, "value"), expr)) {
    return index.field(holder, "name")?.text ?? null;
  }
  return null;
}

/**
 * Calls whose callee ends in one of `names` or an alias of one, each once, in source order;
 * with `keep`, only where it accepts the position of the name (aliases too).
 */
export function callsNamed(index: SourceIndex, names: string[], keep?: (position: number) => boolean): SyntaxNode[] {
  const calls = new Map<number, SyntaxNode>();
  for (const identifier of index.identifiersOf(aliasClosure(index, names, keep), keep)) {
    const call = calleeCall(index, identifier);
    if (call && !calls.has(nodeId(call))) calls.set(nodeId(call), call);
  }
  return [...calls.values()].sort(inSourceOrder);
}

/** Source order as a walk of the tree meets nodes: by start, an outer node before the nodes it holds. */
function inSourceOrder(a: SyntaxNode, b: SyntaxNode): number {
  return nodeStart(a) - nodeStart(b) || b.endIndex - a.endIndex;
}

function collectExternalStarts(facts: ModuleFacts, context: ModuleContext): void {
  const qnames = Object.keys(context.startingFunctions);
  if (qnames.length === 0) return;
  const lastParts = [...new Set(qnames.map((q) => q.slice(q.lastIndexOf(".") + 1)))];
  for (const call of callsNamed(facts.index, lastParts)) {
    const value = facts.names.resolve(facts.index.field(call, "function"));
    if (value?.kind !== "qualified") continue;
    const chain = context.startingFunctions[value.qname];
    if (chain) facts.externalStarts.set(nodeId(call), { node: call, chain: [value.qname, ...chain] });
  }
}

/** Creation sites, start-method and context calls: from the calls and class bases that can name the API. */
function collectCalls(facts: ModuleFacts): void {
  const { index, text } = facts;
  const { roots, imported } = apiRoots(index);
  // A callee written `a.b.Pool` can only be the API when `a` is one of the roots.
  const mayBeApi = (position: number) => {
    const root = writtenRoot(text, position);
    return root === null || roots.has(root);
  };
  // `from multiprocessing import Pool as P`: P( is a call to the API too.
  const names = aliasClosure(index, [...API_NAMES, ...imported], mayBeApi);
  const visits = new Map<number, { node: SyntaxNode; classify: () => void }>();
  for (const identifier of index.identifiersOf(names, mayBeApi)) {
    const call = calleeCall(index, identifier);
    if (call) {
      if (!visits.has(nodeId(call))) visits.set(nodeId(call), { node: call, classify: () => classifyCall(facts, call) });
      continue;
    }
    const cls = classOfBaseExpression(index, identifier);
    if (cls && !visits.has(nodeId(cls))) visits.set(nodeId(cls), { node: cls, classify: () => classifyClass(facts, cls) });
  }
  for (const visit of [...visits.values()].sort((a, b) => inSourceOrder(a.node, b.node))) visit.classify();
}

/** Module names whose import brings the API in: multiprocessing, concurrent.futures, torch.multiprocessing. */
const API_MODULE_WORDS = ["multiprocessing", "concurrent", "torch"];

/**
 * The names a use of the API can start with: those bound by an import that names one of the
 * API's modules, what a star import may bring in, and the names assigned from an expression
 * that starts with one of these (`ctx = mp.get_context("spawn")`, `P = mp.Pool`). Only the
 * resolver decides what a name is; these only tell which places can be skipped unasked.
 */
function apiRoots(index: SourceIndex): { roots: Set<string>; imported: Set<string> } {
  const roots = new Set<string>();
  /** Names that `from M import name [as alias]` binds to a member of an API module. */
  const imported = new Set<string>();
  for (const identifier of index.identifiersOf(API_MODULE_WORDS)) {
    const role = roleOf(index, identifier);
    if (role.role !== "import") continue;
    for (const name of importedNames(role.statement)) {
      if (!name) continue;
      roots.add(name);
      if (role.statement.type === "import_from_statement") imported.add(name);
    }
  }
  if (index.starImports().length > 0) for (const names of Object.values(STAR_EXPORTS)) names.forEach((n) => roots.add(n));
  const text = index.text;
  // An assignment's value starts on the line of its `=`, or on a line of its own in brackets.
  const mayBeAssigned = (position: number) => {
    const prefix = text.slice(text.lastIndexOf("\n", position - 1) + 1, position);
    return prefix.includes("=") || /^[\s([{\\]*$/.test(prefix);
  };
  for (let batch = [...roots]; batch.length > 0; ) {
    const next: string[] = [];
    for (const identifier of index.identifiersOf(batch, mayBeAssigned)) {
      const name = nameAssignedFrom(index, identifier);
      if (name && !roots.has(name)) {
        roots.add(name);
        next.push(name);
      }
    }
    batch = next;
  }
  return { roots, imported };
}

/** The name bound to an expression that starts with this identifier (`x = id.a(...).b`), or null. */
function nameAssignedFrom(index: SourceIndex, identifier: SyntaxNode): string | null {
  let node = identifier;
  let parent = index.parent(node);
  while (parent && /^(attribute|call|parenthesized_expression)$/.test(parent.type) && nodeStart(parent) === nodeStart(node)) {
    node = parent;
    parent = index.parent(node);
  }
  if (parent?.type === "assignment" && sameNode(index.field(parent, "right"), node)) {
    const left = index.field(parent, "left");
    return left?.type === "identifier" ? left.text : null;
  }
  if (parent?.type === "named_expression" && sameNode(index.field(parent, "value"), node)) return index.field(parent, "name")?.text ?? null;
  return null;
}

/**
 * The first name of the dotted chain that ends with the word at `position`, read from the
 * text: `mp` for `mp.Pool`, `Pool` for a bare `Pool`. Null when the text does not show it
 * plainly on one line (`f().Pool`, `x[0].Pool`, a chain broken across lines).
 */
function writtenRoot(text: string, position: number): string | null {
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
      if (dot === wordEnd) return null;
      start = dot;
      end = wordEnd;
      continue;
    }
    if (c === "" || !/[)\]}\\\r\n]/.test(c)) return text.slice(start, end);
    return null;
  }
}


/** The class whose base list holds an expression ending in this identifier. */
function classOfBaseExpression(index: SourceIndex, identifier: SyntaxNode): SyntaxNode | null {
  const expr = calleeExpression(index, identifier);
  const list = expr ? index.parent(expr) : null;
  if (list?.type !== "argument_list") return null;
  const cls = index.parent(list);
  return cls?.type === "class_definition" && sameNode(index.field(cls, "superclasses"), list) ? cls : null;
}

function classifyCall(facts: ModuleFacts, call: SyntaxNode): void {
  const callee = facts.index.field(call, "function");
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

function classifyClass(facts: ModuleFacts, node: SyntaxNode): void {
  const bases = facts.index.field(node, "superclasses");
  if (!bases) return;
  for (const base of bases.namedChildren) {
    if (base.type === "keyword_argument") continue;
    const value = facts.names.resolve(base);
    const isProcess =
      (value?.kind === "qualified" && canonical(value.qname) === "multiprocessing.Process") ||
      (value?.kind === "contextMember" && value.member === "Process");
    if (!isProcess || !value) continue;
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
  }
}

export function topLevelStatementOf(facts: ModuleFacts, node: SyntaxNode): SyntaxNode | null {
  return facts.index.topLevelStatementOf(node);
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
 * and the top-level statements that start processes when the module runs. A start counts
 * for the innermost function around it (lambdas and classes in between do not matter); a
 * function starts processes when it calls, by name (`f(...)`, `obj.f(...)`), a function
 * or Process subclass that does; a top-level statement when a start or such a call in it
 * runs as the module runs (not inside a definition or a lambda).
 */
function markStartingCode(facts: ModuleFacts): void {
  const { index } = facts;
  const starts: SyntaxNode[] = facts.sites.filter((s) => s.startsProcesses).map((s) => s.node);
  for (const { node } of facts.externalStarts.values()) starts.push(node);
  if (starts.length === 0) return;

  const starting = facts.startingFunctions;
  const queue: string[] = [];
  const add = (name: string | null) => {
    if (name && !starting.has(name)) {
      starting.add(name);
      queue.push(name);
    }
  };
  for (const site of facts.sites) {
    if (site.kind !== "ProcessSubclass") continue;
    const cls = index.parent(index.parent(site.node)!);
    add(cls ? index.field(cls, "name")?.text ?? null : null);
  }
  const startingCalls: SyntaxNode[] = [];
  for (const node of starts) add(placeOf(index, node).function);
  while (queue.length > 0) {
    for (const call of callsOf(index, queue.pop()!, "any")) {
      startingCalls.push(call);
      add(placeOf(index, call).function);
    }
  }

  const statementIds = new Set<number>();
  for (const node of [...starts, ...startingCalls]) {
    const place = placeOf(index, node);
    if (place.deferred || !place.statement) continue;
    if (DEFINITION_TYPES.has(place.statement.type) || isMainGuard(place.statement)) continue;
    statementIds.add(nodeId(place.statement));
  }
  for (const statement of (facts as Module).statementsWithIds(statementIds)) facts.startingStatements.add(statement);
}

interface Place {
  /** The name of the innermost function around the node, or null. */
  function: string | null;
  /** A definition or lambda stands between the node and the module: it does not run at import. */
  deferred: boolean;
  /** The top-level statement holding the node. */
  statement: SyntaxNode | null;
}

function placeOf(index: SourceIndex, node: SyntaxNode): Place {
  const place: Place = { function: null, deferred: false, statement: null };
  let child = node;
  for (const n of index.ancestors(node)) {
    if (n.type === "module") {
      place.statement = child;
      break;
    }
    if (isDeferred(n)) {
      place.deferred = true;
      if (n.type === "function_definition" && place.function === null) place.function = index.field(n, "name")?.text ?? null;
    }
    child = n;
  }
  return place;
}

/** The indent unit the module uses: from its first indented block, else from its text. */
function indentUnitOfTree(root: SyntaxNode, lines: LineIndex): string {
  let unit: string | null = null;
  const visit = (node: SyntaxNode, depth: number): void => {
    if (unit !== null || depth > 50) return;
    if (node.type === "block" && node.parent) {
      const start = nodeStart(node);
      if (lines.startsLine(start) && lines.startsLine(nodeStart(node.parent))) {
        const inner = lines.indentAt(start);
        const outer = lines.indentAt(nodeStart(node.parent));
        if (inner.startsWith(outer) && inner.length > outer.length) unit = inner.slice(outer.length);
        return;
      }
    }
    for (const child of node.namedChildren) visit(child, depth + 1);
  };
  visit(root, 0);
  return unit ?? indentUnitOf(lines.text);
}
