// SPS203: a worker reads a module global that only the parent sets: under the main guard, or
// through a `global` statement in a function it calls before starting processes. A spawned
// child imports the module afresh and sees the import-time value, or no value at all.
import { defineTransform } from "../src/transform";
import { isNeverImported } from "../src/file-info";
import type { SyntaxNode } from "../src/parse";
import type { ModuleFacts } from "../src/python/module";
import { roleOf, sameNode } from "../src/python/bindings";
import { callsNamed } from "../src/python/source-index";
import { isNameRead } from "../src/python/globals";
import { within } from "../src/python/scopes";
import { classOfBase, definitionOf, placeOf, unwrapPartial, workerUses } from "../src/python/worker-functions";

export const globalOnlyInMain = defineTransform({
  code: "SPS203",
  name: "global-only-in-main",
  summary: "A worker reads a global that only the parent process assigns",
  fix: "never",
  hazard: true,
  check(context) {
    const { module } = context;
    // Workers defined in a notebook or a __main__.py are not found at all in children: not-reimportable (SPS206).
    if (isNeverImported(context.file)) return;
    const workers = workerFunctions(module);
    if (workers.size === 0) return;
    const parent = new ParentChanges(module, workers);
    const reasons = new Map<string, string | null>();
    const reasonFor = (global: string): string | null => {
      if (!reasons.has(global)) reasons.set(global, staleReason(module, global, parent) ?? mutationReason(module, global, parent));
      return reasons.get(global)!;
    };
    for (const worker of workers.values()) {
      const name = workerName(worker);
      const seen = new Set<string>();
      for (const read of globalReads(module, worker)) {
        const global = read.text;
        if (seen.has(global)) continue;
        const reason = reasonFor(global);
        if (!reason) continue;
        seen.add(global);
        context.report({ node: read, message: `Worker \`${name}\` reads \`${global}\`, which ${reason}`, fix: null });
      }
    }
  },
});

/** Why a global read in a worker is missing or stale in a spawned child, or null. */
function staleReason(module: ModuleFacts, global: string, parent: ParentChanges): string | null {
  const { model } = module;
  const line = (node: SyntaxNode) => module.lines.position(node.startIndex).line;
  const bindings = model.bindingsIn(model.scopes.module, global);
  const direct = bindings.filter((b) => b.declaredIn === null);
  const inGuard = direct.filter((b) => placeOf(model, b) === "mainGuard");
  const outside = direct.filter((b) => placeOf(model, b) === "module");
  const rebinders = bindings.filter((b) => b.declaredIn !== null);
  // A worker that declares the global and sets it (an initializer, a lazy cache): the spawn-safe pattern.
  if (rebinders.some((b) => parent.isWorker(b.declaredIn!.node))) return null;
  // The parent rebinds it when it calls that function, or when the function itself goes on to start processes.
  const rebinder = rebinders.find((b) => parent.calledByParent(b.declaredIn!.node) || parent.startsProcesses(b.declaredIn!.node));
  if (rebinder) {
    const fn = model.index.field(rebinder.declaredIn!.node, "name")?.text ?? "<lambda>";
    const declaration = declarationOf(module, rebinder.declaredIn!.node, global);
    const initial = outside.length ? "its import-time value" : "no value (NameError)";
    return `\`${fn}()\` rebinds at run time (line ${line(declaration ?? rebinder.node)}, \`global ${global}\`); a spawned child imports this module afresh and sees ${initial}. Pass it as an argument or set it in an initializer`;
  }
  if (inGuard.length === 0) return null;
  // Bound in the `else:` (or `elif`) of the main guard, the path spawned children take: the program provides for them.
  if (outside.some((b) => inGuardAlternative(module, b.node))) return null;
  if (outside.length === 0) {
    // A star import may bind it at import time too.
    if (model.hasStarImport()) return null;
    const verb = inGuard[0].kind === "import" ? "imported" : inGuard[0].kind === "def" || inGuard[0].kind === "class" ? "defined" : "assigned";
    return `is ${verb} only under the main guard (line ${line(inGuard[0].node)}); a spawned child imports this module without running the guard: NameError. Pass it as an argument or set it in an initializer`;
  }
  // The same import, or the same literal text assigned again, gives the same value.
  const initial = new Set(outside.map((b) => b.value?.text));
  const rebound = inGuard.filter((b) => b.kind !== "import" && !(b.value && initial.has(b.value.text)));
  if (rebound.length === 0) return null;
  return `is rebound under the main guard (line ${line(rebound[0].node)}); a spawned child sees the value assigned at import time (line ${line(outside[0].node)}). Pass it as an argument or set it in an initializer`;
}

/** Whether a node stands in the `elif` or `else` branch of a main guard. */
function inGuardAlternative(module: ModuleFacts, node: SyntaxNode): boolean {
  const statement = module.index.topLevelStatementOf(node);
  if (!statement || !module.mainGuards.some((g) => g.id === statement.id)) return false;
  return module.model.guardOf(node) === null;
}

/** The `global name` statement of a function. */
function declarationOf(module: ModuleFacts, fn: SyntaxNode, name: string): SyntaxNode | null {
  for (const keyword of module.index.keywords("global")) {
    const statement = module.index.parent(keyword);
    if (statement && within(statement, fn) && module.model.scopeOf(statement).node.id === fn.id && statement.namedChildren.some((n) => n.text === name)) return statement;
  }
  return null;
}

/** Why a global the parent changes in place before processes start is stale in a child, or null. */
function mutationReason(module: ModuleFacts, global: string, parent: ParentChanges): string | null {
  const { byParent, inWorkers } = parent.mutations(global);
  const change = byParent[0];
  if (inWorkers || !change) return null;
  // Only an object the module makes at import time: the other cases are staleReason's, and
  // a module (`sys.path.append(...)`, `os.environ[...] = ...`) reaches spawned children
  // through spawn's own preparation or the environment.
  const bindings = module.model.bindingsIn(module.model.scopes.module, global).filter((b) => b.declaredIn === null && placeOf(module.model, b) === "module");
  if (bindings.length === 0 || bindings.some((b) => b.kind === "import")) return null;
  const where = change.fn ? `\`${change.fn.childForFieldName("name")!.text}()\` changes` : "the main guard changes";
  // The statement on one line, comments left out: `(CONFIG .update(k=5))`.
  const text = change.node.text.replace(/#[^\r\n]*/g, " ").replace(/\s+/g, " ").trim();
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
 * What the parent does to module globals before processes start: changes in place under
 * the main guard before its last process start, or in a function the parent calls (one
 * called from outside itself and outside every worker). Fork children inherit the changed
 * object; spawned children import the module again and see it as it was at import time.
 */
class ParentChanges {
  private readonly found = new Map<string, { byParent: Mutation[]; inWorkers: boolean }>();
  private readonly called = new Map<number, boolean>();
  private lastStart: number | null = null;

  constructor(
    private readonly module: ModuleFacts,
    private readonly workers: Map<number, SyntaxNode>,
  ) {}

  /** A function that starts processes itself (a creation site in its body). */
  startsProcesses(fn: SyntaxNode): boolean {
    return this.module.sites.some((s) => s.startsProcesses && s.node.startIndex >= fn.startIndex && s.node.endIndex <= fn.endIndex);
  }

  isWorker(fn: SyntaxNode): boolean {
    return this.workers.has(fn.id);
  }

  /** A function the parent calls: by name, from outside itself and outside every worker. */
  calledByParent(fn: SyntaxNode): boolean {
    let known = this.called.get(fn.id);
    if (known === undefined) {
      const name = this.module.index.field(fn, "name")?.text;
      known = !!name && callsNamed(this.module.index, [name]).some(
        (call) => this.module.index.field(call, "function")?.type === "identifier" && !within(call, fn) && ![...this.workers.values()].some((w) => within(call, w)),
      );
      this.called.set(fn.id, known);
    }
    return known;
  }

  mutations(name: string): { byParent: Mutation[]; inWorkers: boolean } {
    let found = this.found.get(name);
    if (!found) this.found.set(name, (found = this.find(name)));
    return found;
  }

  private find(name: string): { byParent: Mutation[]; inWorkers: boolean } {
    const { module } = this;
    const byParent: Mutation[] = [];
    let inWorkers = false;
    for (const { node, identifier } of changesInPlace(module, name)) {
      // A name the function binds itself (a parameter, a local) is not the global.
      const reaching = module.model.bindingsReaching(identifier);
      if (reaching.length === 0 || reaching[0].scope.kind !== "module") continue;
      const fn = module.model.scopes.deferringFunction(node);
      if (fn && this.workers.has(fn.id)) {
        inWorkers = true;
        continue;
      }
      if (fn) {
        if (fn.type !== "function_definition" || !this.calledByParent(fn)) continue;
      } else if (!module.model.guardOf(node) || node.startIndex > this.lastProcessStart()) {
        continue;
      }
      byParent.push({ node, fn });
    }
    return { byParent, inWorkers };
  }

  /** Where the last process start of the module stands (a creation site, or a call of a function that starts processes). */
  private lastProcessStart(): number {
    if (this.lastStart === null) {
      const { module } = this;
      let last = -1;
      for (const site of module.sites) if (site.startsProcesses && site.method !== "fork") last = Math.max(last, site.node.startIndex);
      for (const call of module.starts.calls.values()) last = Math.max(last, call.startIndex);
      this.lastStart = last;
    }
    return this.lastStart;
  }
}

/**
 * Where `name` is changed in place: `N[...] = v`, `N.a = v`, `N[...] += v`, `del N[...]`,
 * `N.append(...)` (the statement or call that changes it), however the code is laid out
 * over lines and comments: the tree decides.
 */
function changesInPlace(module: ModuleFacts, name: string): Array<{ node: SyntaxNode; identifier: SyntaxNode }> {
  const { index } = module;
  const found: Array<{ node: SyntaxNode; identifier: SyntaxNode }> = [];
  for (const identifier of index.identifiers(name)) {
    // Up through `N[...]`, `N.a`, `N.a[...]`: the target or callee rooted at N.
    let node = identifier;
    let parent = index.parent(node);
    while (parent && (parent.type === "subscript" || parent.type === "attribute") && sameNode(index.field(parent, parent.type === "subscript" ? "value" : "object"), node)) {
      node = parent;
      parent = index.parent(node);
    }
    if (node === identifier || !parent) continue;
    if ((parent.type === "assignment" || parent.type === "augmented_assignment") && sameNode(index.field(parent, "left"), node)) {
      found.push({ node: parent, identifier });
    } else if (parent.type === "delete_statement" || (parent.type === "expression_list" && index.parent(parent)?.type === "delete_statement")) {
      found.push({ node: parent.type === "delete_statement" ? parent : index.parent(parent)!, identifier });
    } else if (parent.type === "call" && node.type === "attribute" && sameNode(index.field(parent, "function"), node)) {
      if (MUTATING_METHODS.has(index.field(node, "attribute")?.text ?? "")) found.push({ node: parent, identifier });
    }
  }
  return found;
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
    if (!cls || module.model.scopeOf(cls).kind !== "module") continue;
    for (const method of cls.childForFieldName("body")?.namedChildren ?? []) {
      const fn = method.type === "decorated_definition" ? method.childForFieldName("definition") : method;
      if (fn?.type === "function_definition" && fn.childForFieldName("name")?.text === "run") workers.set(fn.id, fn);
    }
  }
  return workers;
}

/**
 * The reads in a worker (nested functions included) of names that resolve to the module's
 * bindings: its globals. Parameters, locals and names of enclosing functions are not.
 */
function globalReads(module: ModuleFacts, worker: SyntaxNode): SyntaxNode[] {
  const { index, model } = module;
  const body = index.field(worker, "body");
  if (!body) return [];
  return body.descendantsOfType("identifier").filter((id) => {
    if (!isNameRead(index, id)) return false;
    const reaching = model.bindingsReaching(id);
    if (reaching.length === 0) return false;
    // A use that binds (an assignment target, a loop variable) is not a read.
    if (reaching.some((b) => b.position === id.startIndex)) return false;
    return reaching[0].scope.kind === "module" && roleOf(index, id).role === "read";
  });
}

/** `work`, or `Worker.run` for a method. */
function workerName(worker: SyntaxNode): string {
  const name = worker.childForFieldName("name")!.text;
  const cls = worker.parent?.parent?.type === "class_definition" ? worker.parent.parent : worker.parent?.parent?.parent;
  return cls?.type === "class_definition" ? `${cls.childForFieldName("name")!.text}.${name}` : name;
}
