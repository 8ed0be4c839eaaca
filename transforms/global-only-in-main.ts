// SPS203: a worker reads a module global that only the parent sets: under the main guard, or
// through a `global` statement in a function it calls before starting processes. A spawned
// child imports the module afresh and sees the import-time value, or no value at all.
import { defineTransform } from "../src/transform";
import { isNeverImported } from "./not-reimportable";
import type { SyntaxNode } from "../src/parse";
import type { ModuleFacts } from "../src/python/module";
import {
  classOfBase, definitionOf, hasStarImport, parameterNames, scopeBindings, unwrapPartial, workerUses, type NameBinding,
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
    const moduleBindings = scopeBindings(module.root);
    const rebinders = runtimeRebinders(module, workers);
    const starImport = hasStarImport(module);
    for (const worker of workers.values()) {
      const name = workerName(worker);
      const locals = localNames(worker);
      const seen = new Set<string>();
      for (const read of reads(worker)) {
        const global = read.text;
        if (locals.has(global) || seen.has(global)) continue;
        const reason = staleReason(module, global, moduleBindings, rebinders, starImport);
        if (!reason) continue;
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
  moduleBindings: NameBinding[],
  rebinders: Rebinders,
  starImport: boolean,
): string | null {
  const line = (node: SyntaxNode) => module.lines.position(node.startIndex).line;
  const bindings = moduleBindings.filter((b) => b.name === global);
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
    const definition = definitionOf(expr);
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
  const result = new Map<string, Rebinder[]>();
  const setInWorkers = new Set<string>();
  const calls = module.root.descendantsOfType("call");
  for (const fn of module.root.descendantsOfType("function_definition")) {
    const body = fn.childForFieldName("body");
    if (!body) continue;
    const bindings = scopeBindings(body);
    const declared = bindings.filter((b) => b.kind === "global" && b.node.type === "global_statement");
    for (const declaration of declared) {
      if (!bindings.some((b) => b.name === declaration.name && b.kind !== "global")) continue;
      if (workers.has(fn.id)) {
        setInWorkers.add(declaration.name);
        continue;
      }
      const name = fn.childForFieldName("name")!.text;
      const calledByParent = calls.some((call) => {
        const callee = call.childForFieldName("function");
        return callee?.type === "identifier" && callee.text === name && !within(call, fn) && ![...workers.values()].some((w) => within(call, w));
      });
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

/** Identifiers the worker's body reads, in source order. */
function reads(worker: SyntaxNode): SyntaxNode[] {
  const body = worker.childForFieldName("body");
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
