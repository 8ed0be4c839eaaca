// Which code of a module starts processes: the same-file functions (and Process subclasses)
// that do, directly or through each other; calls to other project modules' functions that do;
// and the top-level statements that start processes when the module is imported (class
// bodies, decorators and default values included: they run at import too).
import { type SyntaxNode, nodeId, nodeStart } from "../parse";
import { callsNamed } from "./source-index";
import type { SemanticModel } from "./model";
import type { CreationSite } from "./sites";

export interface ExternalStart {
  node: SyntaxNode;
  /** The qualified name called, then the chain that shows it starts processes. */
  chain: string[];
}

export interface Starts {
  /** Top-level statements that start processes when the module is imported (never the `if` branch of a main guard). */
  statements: Set<SyntaxNode>;
  /** Names of same-file functions, methods and Process subclasses that start processes. */
  functions: Set<string>;
  /** Calls of other project modules' functions that start processes, by call node id. */
  external: Map<number, ExternalStart>;
  /** The calls of same-file starting functions, by call node id. */
  calls: Map<number, SyntaxNode>;
  /** Classes of this file based on another module's class whose constructor starts processes: the `__init__` each runs. */
  inherited: Map<string, string>;
}

/**
 * @param startingFunctions qualified names of the project's functions that start processes,
 * each with its chain (src/project/project-exports.ts).
 */
export function findStarts(model: SemanticModel, sites: CreationSite[], startingFunctions: Record<string, string[]>): Starts {
  const starts: Starts = { statements: new Set(), functions: new Set(), external: new Map(), calls: new Map(), inherited: new Map() };
  findExternalStarts(model, startingFunctions, starts.external);
  const { index } = model;
  // A Process subclass starts processes where it is made and started, not where it is defined.
  const origins: SyntaxNode[] = sites.filter((s) => s.startsProcesses && s.kind !== "ProcessSubclass").map((s) => s.node);
  for (const { node } of starts.external.values()) origins.push(node);
  // Classes of this file based on another module's class whose constructor starts processes (`class Mine(Fit)`).
  const constructors = Object.keys(startingFunctions).filter((q) => q.endsWith(".__init__"));
  const derived = (constructors.length ? classesBasedOn(model, new Set(constructors.map(calledAs))) : []).filter(({ base }) => {
    const value = model.valueOf(base);
    return value?.kind === "qualified" && !!startingFunctions[`${value.qname}.__init__`];
  });
  if (origins.length === 0 && derived.length === 0 && !sites.some((s) => s.kind === "ProcessSubclass")) return starts;

  const queue: string[] = [];
  const add = (name: string | null) => {
    if (name && !starts.functions.has(name)) {
      starts.functions.add(name);
      queue.push(name);
    }
  };
  for (const site of sites) {
    if (site.kind !== "ProcessSubclass") continue;
    const cls = index.parent(index.parent(site.node)!);
    add(cls ? index.field(cls, "name")?.text ?? null : null);
  }
  // Making an instance runs `__init__`: a class whose `__init__` starts processes starts them where
  // it is called, and so does a subclass of it (its constructor, inherited or through super(),
  // runs the base's: counted for every subclass, which only adds starts).
  const addAround = (node: SyntaxNode) => {
    const name = enclosingFunctionName(model, node);
    add(name);
    if (name === "__init__" || name === "__new__") add(constructedClass(model, node));
  };
  for (const node of origins) addAround(node);
  for (const { cls, base } of derived) {
    const name = index.field(cls, "name")?.text ?? null;
    const value = model.valueOf(base);
    if (name && value?.kind === "qualified") starts.inherited.set(name, `${value.qname}.__init__`);
    add(name);
  }
  while (queue.length > 0) {
    const batch = queue.splice(0);
    for (const { cls } of classesBasedOn(model, batch)) add(model.index.field(cls, "name")?.text ?? null);
    for (const call of callsNamed(index, batch)) {
      if (starts.calls.has(nodeId(call))) continue;
      starts.calls.set(nodeId(call), call);
      addAround(call);
    }
  }

  // In source order, as the module's statements stand (not all of them asked for: a node object each costs more than its parse).
  const statements = new Map<number, SyntaxNode>();
  for (const node of [...origins, ...starts.calls.values()]) {
    if (model.runsAt(node) !== "import") continue;
    const statement = index.topLevelStatementOf(node);
    if (statement) statements.set(nodeId(statement), statement);
  }
  for (const statement of [...statements.values()].sort((a, b) => nodeStart(a) - nodeStart(b))) starts.statements.add(statement);
  return starts;
}

/** The class whose constructor the innermost `def` around the node is (its `__init__` or `__new__`). */
function constructedClass(model: SemanticModel, node: SyntaxNode): string | null {
  for (let scope = model.scopeOf(node); scope.parent; scope = scope.parent) {
    if (scope.kind !== "function") continue;
    const owner = scope.parent;
    return owner.kind === "class" ? model.index.field(owner.node, "name")?.text ?? null : null;
  }
  return null;
}

/** The classes of the module with a base written with one of `names` (`Fit`, `fit.Fit`), each with that base. */
export function classesBasedOn(model: SemanticModel, names: Iterable<string>): Array<{ cls: SyntaxNode; base: SyntaxNode }> {
  const found: Array<{ cls: SyntaxNode; base: SyntaxNode }> = [];
  const { index } = model;
  for (const name of names) {
    for (const id of index.identifiers(name)) {
      let base = id;
      const up = index.parent(id);
      if (up?.type === "attribute" && index.field(up, "attribute")?.id === id.id) base = up;
      const bases = index.parent(base);
      const cls = bases?.type === "argument_list" ? index.parent(bases) : null;
      if (cls?.type === "class_definition" && index.field(cls, "superclasses")?.id === bases!.id) found.push({ cls, base });
    }
  }
  return found;
}

/** The file a chain ends in (its last element, `pool.py:8 multiprocessing.Pool`, as the project model writes it), or null. */
export function chainFile(chain: string[]): string | null {
  return /^(.+?):\d+ /.exec(chain[chain.length - 1] ?? "")?.[1] ?? null;
}

/** The name of the innermost `def` whose body holds the node (lambdas, classes and comprehensions in between do not matter). */
export function enclosingFunctionName(model: SemanticModel, node: SyntaxNode): string | null {
  for (let scope = model.scopeOf(node); scope.parent; scope = scope.parent) {
    if (scope.kind === "function") return model.index.field(scope.node, "name")?.text ?? null;
  }
  return null;
}

/** The name a call of a qualified name is written with: its last part, and for `C.__init__` the class. */
export function calledAs(qname: string): string {
  const parts = qname.split(".");
  return parts[parts.length - 1] === "__init__" && parts.length > 1 ? parts[parts.length - 2] : parts[parts.length - 1];
}

function findExternalStarts(model: SemanticModel, startingFunctions: Record<string, string[]>, into: Map<number, ExternalStart>): void {
  const qnames = Object.keys(startingFunctions);
  if (qnames.length === 0) return;
  for (const call of callsNamed(model.index, new Set(qnames.map(calledAs)))) {
    const value = model.valueOf(model.index.field(call, "function"));
    // Only what another module defines: a same-file function's starts are found above.
    if (value?.kind !== "qualified") continue;
    for (const qname of [value.qname, `${value.qname}.__init__`]) {
      const chain = startingFunctions[qname];
      if (chain) {
        into.set(nodeId(call), { node: call, chain: [qname, ...chain] });
        break;
      }
    }
  }
}

/**
 * The chain from a top-level statement to the creation site it reaches through a project
 * function of another module (`main.py:12 → jobs.run_all → pool.py:8 multiprocessing.Pool`),
 * or null when it starts processes in this file only (or not at all).
 */
export function crossFileChain(model: SemanticModel, sites: CreationSite[], starts: Starts, statement: SyntaxNode, shownPath: string, lines: { position(i: number): { line: number } }): string | null {
  const siteIds = new Set(sites.filter((s) => s.startsProcesses).map((s) => nodeId(s.node)));
  const hops = hopsFrom(model, siteIds, starts, statement, new Set());
  if (!hops || !hops.external) return null;
  return [`${shownPath}:${lines.position(hops.at.startIndex).line}`, ...hops.names].join(" → ");
}

interface Hops {
  /** The call in the searched code where the chain starts. */
  at: SyntaxNode;
  names: string[];
  /** It goes through another module. */
  external: boolean;
}

/** The first process start under `node` that runs with it: a creation site, a project call, or a same-file function. */
function hopsFrom(model: SemanticModel, siteIds: Set<number>, starts: Starts, node: SyntaxNode, visiting: Set<string>): Hops | null {
  const laterBody = node.type === "function_definition" ? model.index.field(node, "body") : null;
  for (const child of node.namedChildren) {
    // Code that runs later (a function's body, a lambda) is not where the statement starts processes.
    if (child.type === "lambda" || (laterBody && nodeId(laterBody) === nodeId(child))) continue;
    const external = starts.external.get(nodeId(child));
    if (external) return { at: child, names: external.chain, external: true };
    if (siteIds.has(nodeId(child))) return { at: child, names: [], external: false };
    const name = starts.calls.has(nodeId(child)) ? calledName(child) : null;
    if (name && starts.functions.has(name) && !visiting.has(name)) {
      visiting.add(name);
      for (const binding of model.bindingsOf(name)) {
        if (binding.kind !== "def") continue;
        const body = model.index.field(binding.node, "body");
        const inner = body ? hopsFrom(model, siteIds, starts, body, visiting) : null;
        if (inner) return { at: child, names: [name, ...inner.names], external: inner.external };
      }
    }
    const deeper = hopsFrom(model, siteIds, starts, child, visiting);
    if (deeper) return deeper;
  }
  return null;
}

/** The name a call is written with: `f` for `f(...)` and `a.b.f(...)`. */
export function calledName(call: SyntaxNode): string | null {
  const callee = call.childForFieldName("function");
  if (callee?.type === "identifier") return callee.text;
  if (callee?.type === "attribute") return callee.childForFieldName("attribute")?.text ?? null;
  return null;
}
