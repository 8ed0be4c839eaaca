// SPS203: a worker reads a module global that only the parent sets: under the main guard, or
// through a `global` statement in a function it calls before starting processes. A spawned
// child imports the module afresh and sees the import-time value, or no value at all.
import { defineTransform } from "../src/transform";
import { isNeverImported } from "./not-reimportable";
import type { SyntaxNode } from "../src/parse";
import { isMainGuard, topLevelStatementOf, type ModuleFacts } from "../src/python/module";
import { sameNode } from "../src/python/bindings";
import { callsOf } from "../src/python/index";
import {
  bindingsOfName, classOfBase, definitionOf, hasStarImport, parameterNames, scopeBindings, unwrapPartial, workerUses, type NameBinding,
} from "../src/python/workers";

export const globalOnlyInMain = defineTransform({
  code: "SPS203",
  name: "global-only-in-main",
  summary: "A worker reads a global that only the parent process assigns",
  fix: "never",
  check(context) {
    const { module } = context;
    // Workers defined in a notebook or a __main__.py are not found at all in children: not-reimportable (SPS206).
    if (isNeverImported(context.file)) return;
    const workers = workerFunctions(module);
    if (workers.size === 0) return;
    const moduleBindings = (name: string) => bindingsOfName(module, module.root, name);
    const rebinders = runtimeRebinders(module, workers);
    // Only a name the guard binds or a function rebinds can be stale by rebinding: staleReason looks at no other.
    const guards = module.mainGuards.map((g) => [g.startIndex, g.endIndex]);
    const rebound = (global: string) =>
      rebinders.byName.has(global) ||
      (module.index.wordPositions(global).some((at) => guards.some(([start, end]) => at >= start && at < end)) &&
        moduleBindings(global).some((b) => b.inGuard));
    const starImport = hasStarImport(module);
    const mutations = new RuntimeMutations(module, workers);
    const reasons = new Map<string, string | null>();
    const reasonFor = (global: string): string | null => {
      if (!reasons.has(global)) {
        const reason =
          (rebound(global) ? staleReason(module, global, moduleBindings, rebinders, starImport) : null) ??
          mutationReason(module, global, moduleBindings, mutations);
        reasons.set(global, reason);
      }
      return reasons.get(global)!;
    };
    for (const worker of workers.values()) {
      const name = workerName(worker);
      const parameters = parameterNames(worker);
      let locals: Set<string> | null = null;
      const seen = new Set<string>();
      for (const read of reads(module, worker)) {
        const global = read.text;
        if (seen.has(global) || parameters.has(global)) continue;
        const reason = reasonFor(global);
        if (!reason) continue;
        // A name the worker binds itself is not the global (looked at only when it matters).
        locals ??= localNames(worker);
        if (locals.has(global)) continue;
        seen.add(global);
        context.report({ node: read, message: `Worker \`${name}\` reads \`${global}\`, which ${reason}`, fix: null });
      }
    }
  },
});

/** Why a global read in a worker is missing or stale in a spawned child, or null. */
function staleReason(
  module: ModuleFacts,
  global: string,
  moduleBindings: (name: string) => NameBinding[],
  rebinders: Rebinders,
  starImport: boolean,
): string | null {
  const line = (node: SyntaxNode) => module.lines.position(node.startIndex).line;
  const bindings = moduleBindings(global);
  const inGuard = bindings.filter((b) => b.inGuard);
  const outside = bindings.filter((b) => !b.inGuard);
  if (rebinders.setInWorkers.has(global)) return null;
  const rebinder = rebinders.byName.get(global)?.[0];
  if (rebinder) {
    const fn = rebinder.fn.childForFieldName("name")!.text;
    const initial = outside.length ? `its import-time value` : `no value (NameError)`;
    return `\`${fn}()\` rebinds at run time (line ${line(rebinder.declaration)}, \`global ${global}\`); a spawned child imports this module afresh and sees ${initial}. Pass it as an argument or set it in an initializer`;
  }
  if (inGuard.length === 0) return null;
  if (outside.length === 0) {
    if (starImport) return null;
    const verb = inGuard[0].kind === "import" ? "imported" : inGuard[0].kind === "definition" ? "defined" : "assigned";
    return `is ${verb} only under the main guard (line ${line(inGuard[0].node)}); a spawned child imports this module without running the guard: NameError. Pass it as an argument or set it in an initializer`;
  }
  // The same import, or the same literal text assigned again, gives the same value.
  const initial = new Set(outside.map((b) => b.value?.text));
  const rebound = inGuard.filter((b) => b.kind !== "import" && !(b.value && initial.has(b.value.text)));
  if (rebound.length === 0) return null;
  return `is rebound under the main guard (line ${line(rebound[0].node)}); a spawned child sees the value assigned at import time (line ${line(outside[0].node)}). Pass it as an argument or set it in an initializer`;
}

/** Why a global the parent changes in place before processes start is stale in a child, or null. */
function mutationReason(module: ModuleFacts, global: string, moduleBindings: (name: string) => NameBinding[], mutations: RuntimeMutations): string | null {
  const { byParent, inWorkers } = mutations.of(global);
  if (inWorkers) return null;
  const change = byParent[0];
  // Only an object the module makes at import time: the other cases are staleReason's, and
  // a module (`sys.path.append(...)`, `os.environ[...] = ...`) reaches spawned children
  // through spawn's own preparation or the environment.
  if (!change) return null;
  const bindings = moduleBindings(global).filter((b) => !b.inGuard);
  if (!change || bindings.length === 0 || bindings.some((b) => b.kind === "import")) return null;
  const where = change.fn ? `\`${change.fn.childForFieldName("name")!.text}()\` changes` : "the main guard changes";
  const text = change.node.text.split(/\r?\n/)[0];
  return `${where} in place at run time (line ${module.lines.position(change.node.startIndex).line}, \`${text.length > 40 ? text.slice(0, 37) + "..." : text}\`); a spawned child imports this module afresh and sees its import-time value. Pass it as an argument or set it in an initializer`;
}

/** Methods that change a list, dict or set in place. */
const MUTATING_METHODS = new Set([
  "append", "extend", "insert", "update", "setdefault", "pop", "popitem", "clear", "remove", "discard", "add", "sort", "reverse",
]);

interface Mutation {
  /** The statement or call that changes the global. */
  node: SyntaxNode;
  /** The function the parent calls that makes the change, or null under the main guard. */
  fn: SyntaxNode | null;
}

/**
 * Changes in place to a module global that the parent makes before processes start: under
 * the main guard before its last process start, or in a function the parent calls (as for
 * `global` rebinding). Fork children inherit the changed object; spawned children import
 * the module again and see it as it was at import time. Found per name, when asked.
 */
class RuntimeMutations {
  private readonly cache = new Map<string, { byParent: Mutation[]; inWorkers: boolean }>();
  private lastStart: number | null = null;

  constructor(
    private readonly module: ModuleFacts,
    private readonly workers: Map<number, SyntaxNode>,
  ) {}

  of(name: string): { byParent: Mutation[]; inWorkers: boolean } {
    let found = this.cache.get(name);
    if (!found) {
      found = this.find(name);
      this.cache.set(name, found);
    }
    return found;
  }

  private find(name: string): { byParent: Mutation[]; inWorkers: boolean } {
    const { module, workers } = this;
    const byParent: Mutation[] = [];
    let inWorkers = false;
    for (const node of changesInPlace(module, name)) {
      const fn = enclosingFunction(module, node);
      if (fn && workers.has(fn.id)) {
        inWorkers = true;
        continue;
      }
      if (fn) {
        // A name the function binds itself (a parameter, a local) is not the global.
        const body = fn.childForFieldName("body");
        const local = parameterNames(fn).has(name) || (!!body && bindingsOfName(module, body, name).some((b) => b.kind !== "global"));
        if (local || !this.calledByParent(fn)) continue;
      } else {
        const statement = topLevelStatementOf(module, node);
        if (!statement || !isMainGuard(statement) || node.startIndex > this.lastProcessStart()) continue;
      }
      byParent.push({ node, fn });
    }
    return { byParent, inWorkers };
  }

  private calledByParent(fn: SyntaxNode): boolean {
    const name = fn.childForFieldName("name")!.text;
    return callsOf(this.module.index, name, "name").some((call) => !within(call, fn) && ![...this.workers.values()].some((w) => within(call, w)));
  }

  /** Where the last process start of the module stands (a creation site, or a call of a function that starts processes). */
  private lastProcessStart(): number {
    if (this.lastStart === null) {
      const { module } = this;
      let last = -1;
      for (const site of module.sites) if (site.startsProcesses && site.method !== "fork") last = Math.max(last, site.node.startIndex);
      for (const fn of module.startingFunctions) {
        for (const call of callsOf(module.index, fn, "any")) last = Math.max(last, call.startIndex);
      }
      this.lastStart = last;
    }
    return this.lastStart;
  }
}

/**
 * Where `name` is changed in place: `N[...] = v`, `N.a = v`, `N[...] += v`, `del N[...]`,
 * `N.append(...)` (the statement or call that changes it), from the places `name` is written.
 */
function changesInPlace(module: ModuleFacts, name: string): SyntaxNode[] {
  const { index } = module;
  const found: SyntaxNode[] = [];
  for (const identifier of index.identifiersFollowedBy(name, "[.")) {
    // Up through `N[...]`, `N.a`, `N.a[...]`: the target or callee rooted at N.
    let node = identifier;
    let parent = index.parent(node);
    while (parent && (parent.type === "subscript" || parent.type === "attribute") && parent.startIndex === node.startIndex) {
      node = parent;
      parent = index.parent(node);
    }
    if (node === identifier || !parent) continue;
    if ((parent.type === "assignment" || parent.type === "augmented_assignment") && sameNode(index.field(parent, "left"), node)) {
      found.push(parent);
    } else if (parent.type === "delete_statement" || (parent.type === "expression_list" && index.parent(parent)?.type === "delete_statement")) {
      found.push(parent.type === "delete_statement" ? parent : index.parent(parent)!);
    } else if (parent.type === "call" && node.type === "attribute" && sameNode(index.field(parent, "function"), node)) {
      if (MUTATING_METHODS.has(index.field(node, "attribute")?.text ?? "")) found.push(parent);
    }
  }
  return found;
}

function enclosingFunction(module: ModuleFacts, node: SyntaxNode): SyntaxNode | null {
  for (const n of module.index.ancestors(node)) if (n.type === "function_definition") return n;
  return null;
}

interface Rebinder {
  fn: SyntaxNode;
  declaration: SyntaxNode;
}

interface Rebinders {
  /** Globals the parent rebinds at run time, by name. */
  byName: Map<string, Rebinder[]>;
  /** Globals some worker declares `global` and sets itself. */
  setInWorkers: Set<string>;
}

/**
 * Module-level functions handed to worker processes by non-fork creation sites, and the
 * `run` methods of module-level Process subclasses: the code that runs in the child.
 */
function workerFunctions(module: ModuleFacts): Map<number, SyntaxNode> {
  const workers = new Map<number, SyntaxNode>();
  for (const use of workerUses(module)) {
    const expr = unwrapPartial(module, use.expr);
    if (expr.type !== "identifier") continue;
    const definition = definitionOf(module, expr);
    if (definition?.place !== "module" || definition.node.type !== "function_definition") continue;
    workers.set(definition.node.id, definition.node);
  }
  for (const site of module.sites) {
    if (site.kind !== "ProcessSubclass" || site.method === "fork") continue;
    const cls = classOfBase(site.node);
    if (cls?.parent?.type !== "module") continue;
    for (const method of cls.childForFieldName("body")?.namedChildren ?? []) {
      const fn = method.type === "decorated_definition" ? method.childForFieldName("definition") : method;
      if (fn?.type === "function_definition" && fn.childForFieldName("name")?.text === "run") workers.set(fn.id, fn);
    }
  }
  return workers;
}

/**
 * Globals that functions rebind through a `global` statement and that the parent calls
 * (the call stands outside every worker): by name, the functions and their declarations.
 * A global that any worker itself declares `global` (an initializer that sets it in the
 * child, a lazy cache) is the spawn-safe pattern: it is left out altogether.
 */
function runtimeRebinders(module: ModuleFacts, workers: Map<number, SyntaxNode>): Rebinders {
  const { index } = module;
  const result = new Map<string, Rebinder[]>();
  const setInWorkers = new Set<string>();
  // Only functions that hold a `global` statement of their own can rebind a global.
  const functions = new Map<number, SyntaxNode>();
  for (const keyword of index.keywords("global")) {
    const statement = index.parent(keyword);
    const fn = statement?.type === "global_statement" ? index.scopeNodeOf(statement) : null;
    if (fn?.type === "function_definition") functions.set(fn.id, fn);
  }
  for (const fn of [...functions.values()].sort((a, b) => a.startIndex - b.startIndex)) {
    const body = index.field(fn, "body");
    if (!body) continue;
    const bindings = scopeBindings(body);
    const declared = bindings.filter((b) => b.kind === "global" && b.node.type === "global_statement");
    for (const declaration of declared) {
      if (!bindings.some((b) => b.name === declaration.name && b.kind !== "global")) continue;
      if (workers.has(fn.id)) {
        setInWorkers.add(declaration.name);
        continue;
      }
      const name = index.field(fn, "name")!.text;
      const calledByParent = callsOf(index, name, "name").some(
        (call) => !within(call, fn) && ![...workers.values()].some((w) => within(call, w)),
      );
      if (!calledByParent) continue;
      const list = result.get(declaration.name) ?? [];
      list.push({ fn, declaration: declaration.node });
      result.set(declaration.name, list);
    }
  }
  return { byName: result, setInWorkers };
}

function within(node: SyntaxNode, ancestor: SyntaxNode): boolean {
  return node.startIndex >= ancestor.startIndex && node.endIndex <= ancestor.endIndex;
}

/**
 * Every name the worker binds anywhere, nested scopes included (parameters, assignments,
 * loop and comprehension targets, imports, `global` declarations): reads of those are left
 * alone, which can only miss a finding, never invent one.
 */
function localNames(worker: SyntaxNode): Set<string> {
  const names = new Set<string>();
  const scopes = [worker, ...worker.descendantsOfType(["function_definition", "lambda"])];
  for (const scope of scopes) {
    for (const name of parameterNames(scope)) names.add(name);
    const body = scope.childForFieldName("body");
    if (body) for (const binding of scopeBindings(body)) names.add(binding.name);
  }
  for (const clause of worker.descendantsOfType("for_in_clause")) {
    const left = clause.childForFieldName("left");
    if (!left) continue;
    if (left.type === "identifier") names.add(left.text);
    for (const id of left.descendantsOfType("identifier")) names.add(id.text);
  }
  for (const expr of worker.descendantsOfType("named_expression")) {
    const name = expr.childForFieldName("name");
    if (name) names.add(name.text);
  }
  return names;
}

function reads(module: ModuleFacts, worker: SyntaxNode): SyntaxNode[] {
  const body = module.index.field(worker, "body");
  if (!body) return [];
  return body.descendantsOfType("identifier").filter((id) => {
    const parent = id.parent;
    if (!parent) return false;
    if (parent.type === "attribute") return parent.childForFieldName("attribute")?.id !== id.id;
    if (parent.type === "keyword_argument") return parent.childForFieldName("name")?.id !== id.id;
    return !/^(dotted_name|aliased_import|global_statement|nonlocal_statement|parameters|default_parameter|typed_parameter|typed_default_parameter|function_definition|class_definition)$/.test(parent.type);
  });
}

/** `work`, or `Worker.run` for a method. */
function workerName(worker: SyntaxNode): string {
  const name = worker.childForFieldName("name")!.text;
  const cls = worker.parent?.parent?.type === "class_definition" ? worker.parent.parent : worker.parent?.parent?.parent;
  return cls?.type === "class_definition" ? `${cls.childForFieldName("name")!.text}.${name}` : name;
}
