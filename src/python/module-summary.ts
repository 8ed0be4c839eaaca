// What the project model needs to know of a module, read from its tree through the semantic
// model: the names it binds to other modules' names (what re-exports follow), the functions
// and classes that start processes themselves, and which of its functions call a given set
// of names (the project's functions found to start processes so far).
import type { SyntaxNode } from "../parse";
import type { SemanticModel } from "./model";
import type { CreationSite } from "./sites";
import { callsNamed } from "./source-index";
import { aliasClosure } from "./bindings";
import { calledName, classesBasedOn, type Starts } from "./process-starts";

/**
 * A function (or Process subclass) of a module that starts processes: where it creates them
 * itself ("pool.py:8 multiprocessing.Pool"), and the functions of the same module it calls
 * that do.
 */
export interface DirectStart {
  qname: string;
  direct: string | null;
  calls: string[];
}

/**
 * The dotted path by which the code at `node` is reached from its module: `f` inside a
 * function `f` (at any depth of `if`, `try` or `with` at module level, and inside functions
 * nested in it), `C.m` inside a method, `C` for a class body; null at module level or
 * under a function that is not reachable by name.
 */
export function definitionPath(model: SemanticModel, node: SyntaxNode): string | null {
  const chain: SyntaxNode[] = [];
  for (let scope = model.scopeOf(node); scope.parent; scope = scope.parent) {
    if (scope.kind === "function" || scope.kind === "class") chain.unshift(scope.node);
  }
  const path: string[] = [];
  for (const def of chain) {
    const name = model.index.field(def, "name")?.text;
    if (!name) return null;
    path.push(name);
    if (def.type === "function_definition") return path.join(".");
  }
  return path.length ? path.join(".") : null;
}

/** The module's functions, methods and Process subclasses that start processes, with where and through whom. */
export function directStarts(model: SemanticModel, sites: CreationSite[], starts: Starts, moduleName: string, shownPath: string, lineOf: (index: number) => number): DirectStart[] {
  const found = new Map<string, DirectStart>();
  const entry = (path: string) => {
    const qname = `${moduleName}.${path}`;
    let e = found.get(qname);
    if (!e) found.set(qname, (e = { qname, direct: null, calls: [] }));
    return e;
  };
  const where = (node: SyntaxNode) => `${shownPath}:${lineOf(node.startIndex)}`;
  for (const site of sites) {
    if (!site.startsProcesses) continue;
    if (site.kind === "ProcessSubclass") {
      const cls = model.index.parent(model.index.parent(site.node)!);
      const path = cls ? classPath(model, cls) : null;
      if (path) entry(path).direct ??= `${where(site.node)} class ${path.slice(path.lastIndexOf(".") + 1)}(${site.node.text})${chosen(site)}`;
      continue;
    }
    const path = definitionPath(model, site.node);
    if (path && model.runsAt(site.node) === "call") entry(path).direct ??= `${where(site.node)} ${calleeText(site.node)}${chosen(site)}`;
  }
  // Same-file hops: `def run_all(): return crunch()` where crunch creates the pool.
  for (const call of starts.calls.values()) {
    const caller = definitionPath(model, call);
    if (!caller || model.runsAt(call) !== "call") continue;
    const target = model.qualifiedName(model.index.field(call, "function"));
    const name = calledName(call);
    const targets = target?.startsWith(`${moduleName}.`) ? [target.slice(moduleName.length + 1)] : name ? definitionsNamed(model, name) : [];
    for (const path of targets) if (path !== caller) entry(caller).calls.push(`${moduleName}.${path}`);
  }
  // A class based on another module's class whose constructor starts processes (`class Mine(fit.Fit)`).
  for (const binding of [...starts.inherited.keys()].flatMap((name) => model.bindingsOf(name))) {
    const path = binding.kind === "class" ? classPath(model, binding.node) : null;
    const base = path ? starts.inherited.get(path.slice(path.lastIndexOf(".") + 1)) : undefined;
    if (path && base) entry(`${path}.__init__`).calls.push(base);
  }
  // A same-file subclass of a class whose constructor starts processes: its own constructor runs
  // that one (and a subclass of the subclass in turn).
  for (let grew = true; grew; ) {
    grew = false;
    const constructors = [...found.keys()].filter((q) => q.endsWith(".__init__")).map((q) => q.split(".").slice(-2)[0]);
    for (const { cls, base } of classesBasedOn(model, new Set(constructors))) {
      const path = classPath(model, cls);
      const basePath = base.type === "identifier" ? definitionsNamed(model, base.text).find((p) => found.has(`${moduleName}.${p}.__init__`)) : undefined;
      if (!path || !basePath || found.has(`${moduleName}.${path}.__init__`)) continue;
      entry(`${path}.__init__`).calls.push(`${moduleName}.${basePath}.__init__`);
      grew = true;
    }
  }
  return [...found.values()];
}

/** The reachable paths of the functions, methods and classes named `name` in the module. */
function definitionsNamed(model: SemanticModel, name: string): string[] {
  const paths: string[] = [];
  for (const binding of model.bindingsOf(name)) {
    if (binding.kind !== "def" && binding.kind !== "class") continue;
    const path = binding.kind === "class" ? classPath(model, binding.node) : definitionPath(model, model.index.field(binding.node, "body") ?? binding.node);
    if (path && path.endsWith(name)) paths.push(path);
  }
  return paths;
}

/** `C`, or `Outer.C`, for a class reachable by name from its module; else null. */
export function classPath(model: SemanticModel, cls: SyntaxNode): string | null {
  const path: string[] = [];
  for (let scope = model.scopes.scopeFor(cls); scope.parent; scope = scope.parent) {
    if (scope.kind !== "class") return null;
    const name = model.index.field(scope.node, "name")?.text;
    if (!name) return null;
    path.unshift(name);
  }
  return path.join(".");
}

/**
 * Module-level names bound to other modules' names: `import x.y as z`, `from . import run_all`,
 * `mp = multiprocessing`. By name, the qualified name each binds (as the model resolves it).
 * A `from M import *` is listed as `*0`, `*1`, ... (no name can be spelled so): M's names are
 * this module's too.
 */
export function moduleAliases(model: SemanticModel): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const [name, qname] of model.moduleImports()) aliases[name] = qname;
  model.bindings.starImportsIn(model.scopes.module).forEach((module, i) => (aliases[`${STAR}${i}`] = module));
  return aliases;
}

/** The key prefix of a star import among a module's aliases. */
export const STAR = "*";

/**
 * The calls of `names` inside the module's functions that resolve to another name, as
 * (caller path, qualified target): `run_all()` in `main` after `from .jobs import run_all`,
 * `self.start()` in `Runner.go`, `jobs.Runner(2).start()`.
 */
export function callsTo(model: SemanticModel, names: Iterable<string>, moduleName: string): Array<{ caller: string; target: string }> {
  const out: Array<{ caller: string; target: string }> = [];
  for (const call of callsNamed(model.index, aliasClosure(model.index, [...names]))) {
    const caller = definitionPath(model, call);
    if (!caller || model.runsAt(call) !== "call") continue;
    const callee = model.index.field(call, "function");
    let target = model.qualifiedName(callee);
    if (!target && callee?.type === "attribute") {
      // `self.m()` / `cls.m()` in a method: the method of its own class.
      const object = model.index.field(callee, "object");
      const method = model.index.field(callee, "attribute")?.text;
      const owner = caller.includes(".") ? caller.slice(0, caller.lastIndexOf(".")) : null;
      if (object?.type === "identifier" && (object.text === "self" || object.text === "cls") && owner && method) target = `${moduleName}.${owner}.${method}`;
    }
    if (target) out.push({ caller: `${moduleName}.${caller}`, target });
  }
  // A subclass's constructor runs its base's (inherited, or through super()): `class LMFit(fit.Fit)`.
  for (const { cls, base } of classesBasedOn(model, names)) {
    const path = classPath(model, cls);
    const target = model.qualifiedName(base);
    if (path && target) out.push({ caller: `${moduleName}.${path}.__init__`, target: `${target}.__init__` });
  }
  return out;
}


/** The end of a creation site's description when its context is chosen there: ` (spawn context)`. */
function chosen(site: CreationSite): string {
  return site.method === "default" ? "" : ` (${site.method ?? "computed"} context)`;
}

/** Whether a chain ends at a creation site that chooses its own context (see directStarts): the default start method does not reach it. */
export function endsInChosenContext(chain: string[]): boolean {
  return / \((fork|spawn|forkserver|computed) context\)$/.test(chain[chain.length - 1] ?? "");
}

function calleeText(site: SyntaxNode): string {
  return site.type === "call" ? site.childForFieldName("function")!.text : site.text;
}
