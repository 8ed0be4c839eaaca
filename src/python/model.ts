// The semantic model of one module, as ruff's SemanticModel or eslint-scope give their rules:
// scopes, the bindings of every name (with their kind), what a name or expression refers to
// (qualified names through every import form, aliases, contexts, the project's re-exports),
// and when a piece of code runs (at import, under the main guard, or when a function is
// called). Every rule and the project model ask it, and nothing else, about names.
//
// Built from the tree, lazily: the bindings of a name are collected the first time the name
// is looked up, from the places where it is written (src/python/words.ts); the rest of the
// module is never visited.
import { type SyntaxNode, nodeId, nodeStart } from "../parse";
import type { SourceIndex } from "./source-index";
import { Scopes, type Scope } from "./scopes";
import { BindingTable, type Binding } from "./binding-table";
import { methodArgument, type Method } from "./literals";
import { STAR_EXPORTS, canonical } from "./vocabulary";

export type { Binding, BindingKind } from "./binding-table";
export type { Method } from "./literals";


/** What an expression evaluates to, as far as spawnsafe can tell statically. */
export type Value =
  /** A module or a module member, by absolute qualified name ("multiprocessing.pool.Pool"). */
  | { kind: "qualified"; qname: string }
  /** A multiprocessing context object (`get_context(...)`). */
  | { kind: "context"; method: Method }
  /** An attribute of a context object (`ctx.Pool`). */
  | { kind: "contextMember"; method: Method; member: string }
  /** A function or class this module defines (`qname` when the module's name is known and the definition is reachable by name). */
  | { kind: "definition"; node: SyntaxNode; qname: string | null }
  /** What calling a class (or anything named) gives: an instance of `of`. */
  | { kind: "instance"; of: Value }
  /** An expression that names nothing further: a lambda, a literal, a call of something unknown. */
  | { kind: "expression"; node: SyntaxNode };

/** What the rest of the project tells the model (src/project/project.ts). */
export interface ProjectView {
  /** The module's own dotted name, or null when it cannot be imported by name. */
  moduleName: string | null;
  /** The package relative imports resolve against. */
  packageName: string | null;
  /** Names the project binds to other names: `pkg.compat.mp` → `multiprocessing`, `pkg.run_all` → `pkg.jobs.run_all`. */
  aliases: Record<string, string>;
  /** The top-level names of the project's modules and packages: what code of the project itself is imported as. */
  packages: string[];
  /** Default-context factories the project's code patches by name (its tests): target → `file:line`. */
  patched?: Record<string, string>;
  /**
   * Functions of this module (qualified names) whose every call in the project proves what
   * its sites defer to its parameters (src/python/deferred.ts, src/project/programs.ts).
   */
  discharged?: string[];
  /** The project's modules whose import may compute a value that differs between processes; absent when not known (src/project/volatile.ts). */
  volatile?: string[];
}

export const NO_PROJECT: ProjectView = { moduleName: null, packageName: null, aliases: {}, packages: [] };

/** When code runs: at import (module level, class bodies, decorators, defaults), under the main guard, or when a function is called. */
export type Time = "import" | "main" | "call";

export class SemanticModel {
  readonly scopes: Scopes;
  readonly bindings: BindingTable;
  private readonly resolving = new Set<number>();
  private guards: SyntaxNode[] | null = null;
  private statementList: SyntaxNode[] | null = null;
  private statementStarts: number[] | null = null;

  constructor(readonly index: SourceIndex, readonly project: ProjectView = NO_PROJECT) {
    this.scopes = new Scopes(index);
    this.bindings = new BindingTable(index, this.scopes, project.packageName);
  }

  /** The bindings of `name` in one scope, in source order (empty when it binds none). */
  bindingsIn(scope: Scope, name: string): Binding[] {
    return this.bindings.bindingsIn(scope, name);
  }

  /** Every binding of `name` in every scope, in source order. */
  bindingsOf(name: string): Binding[] {
    return this.bindings.bindingsOf(name);
  }

  /** `global` (or `nonlocal`) declarations of a scope: how it declares `name`, or null. */
  declaration(scope: Scope, name: string): "global" | "nonlocal" | null {
    return this.bindings.declaration(scope, name);
  }

  /** Module-level names bound by imports, with the qualified names they bind. */
  moduleImports(): Map<string, string> {
    return this.bindings.moduleImports();
  }

  get root(): SyntaxNode {
    return this.index.root;
  }

  // ---- Statements and main guards -------------------------------------------------------

  /** Top-level statements, comments left out. */
  get statements(): SyntaxNode[] {
    return (this.statementList ??= this.root.namedChildren.filter((n) => n.type !== "comment"));
  }

  /** The top-level statement a position falls in (a position after a statement's last line, in a comment or blank, gets that statement). */
  statementAt(position: number): SyntaxNode | null {
    const starts = (this.statementStarts ??= this.statements.map(nodeStart));
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

  /** Top-level `if __name__ == "__main__":` statements. */
  get mainGuards(): SyntaxNode[] {
    if (!this.guards) {
      const guards = new Map<number, SyntaxNode>();
      for (const name of this.index.identifiers("__name__")) {
        const statement = this.index.topLevelStatementOf(name);
        if (statement && !guards.has(nodeId(statement)) && isMainGuard(statement)) guards.set(nodeId(statement), statement);
      }
      this.guards = [...guards.values()].sort((a, b) => nodeStart(a) - nodeStart(b));
    }
    return this.guards;
  }

  /** The main guard whose `if` branch holds the node (not its `elif`/`else`, which run on import), or null. */
  guardOf(node: SyntaxNode): SyntaxNode | null {
    const statement = this.index.topLevelStatementOf(node);
    if (!statement || !isMainGuard(statement)) return null;
    const body = this.index.field(statement, "consequence");
    return body && nodeStart(node) >= nodeStart(body) && node.endIndex <= body.endIndex ? statement : null;
  }

  /**
   * When the code at a node runs: "call" inside a function or lambda body; else "main" in the
   * `if` branch of a main guard; else "import" (module level, class bodies, decorators,
   * default values and base lists, a guard's `else`).
   */
  runsAt(node: SyntaxNode): Time {
    if (this.scopes.deferringFunction(node)) return "call";
    return this.guardOf(node) ? "main" : "import";
  }

  // ---- Bindings ---------------------------------------------------------------------------

  /** The scope a node is evaluated in. */
  scopeOf(node: SyntaxNode): Scope {
    return this.scopes.scopeOf(node);
  }

  /**
   * The bindings a use of `name` at `at`, evaluated in `from`, may see, by Python's rules: its
   * own scope's (a function's names are local wherever they are bound in it; a use in its
   * own scope sees the last binding before it), else the enclosing functions' and the
   * module's (class bodies are skipped; a use from an inner scope, which runs later, may see
   * any of their bindings: the last one is listed last). Empty: a builtin or undefined.
   */
  lookup(name: string, from: Scope, at: number): Binding[] {
    const declared = this.declaration(from, name);
    if (declared === "global") return this.bindingsIn(this.scopes.module, name);
    for (let scope: Scope | null = from; scope; scope = scope.parent) {
      const own = scope === from;
      // Class bodies are not seen from the scopes inside them; `nonlocal` skips its own scope and the module.
      if (!own && scope.kind === "class") continue;
      if (declared === "nonlocal" && (own || scope.kind === "module")) continue;
      const bindings = this.bindingsIn(scope, name);
      if (bindings.length === 0) continue;
      if (!own) return bindings;
      const before = bindings.filter((b) => b.at <= at);
      return before.length > 0 ? before.slice(-1) : bindings;
    }
    return [];
  }

  /** The bindings an identifier that is read may refer to (see lookup). */
  bindingsReaching(identifier: SyntaxNode): Binding[] {
    return this.lookup(identifier.text, this.scopeOf(identifier), nodeStart(identifier));
  }

  /** The one binding an identifier refers to: the last of those that may reach it. */
  bindingOf(identifier: SyntaxNode): Binding | null {
    const reaching = this.bindingsReaching(identifier);
    return reaching.length ? reaching[reaching.length - 1] : null;
  }

  /** True when a name is bound at module level (by anything). */
  isModuleName(name: string): boolean {
    return this.bindingsIn(this.scopes.module, name).length > 0;
  }

  /** True when the module has a top-level `from M import *` of this module (any import of it, torch's included). */
  hasStarImport(qname?: string): boolean {
    const modules = this.bindings.starImportsIn(this.scopes.module);
    return qname === undefined ? modules.length > 0 : modules.some((m) => canonical(m) === canonical(qname));
  }

  /**
   * The dotted path by which module `qname` can be reached at module level through the
   * module's own `import M` forms (`mp` after `import multiprocessing as mp`), or null.
   */
  moduleReference(qname: string, before = Number.POSITIVE_INFINITY): string | null {
    const candidates = [...new Set(qname.split(".").concat([...this.moduleImports().keys()]))]
      .map((name) => [name, this.bindingsIn(this.scopes.module, name)] as const)
      .filter(([, bindings]) => bindings.some((b) => b.kind === "import"))
      .sort((a, b) => a[1][0].position - b[1][0].position);
    for (const [name, bindings] of candidates) {
      const last = bindings[bindings.length - 1];
      // Only an import the code reaches first: a statement of the module itself, above `before`
      // (one inside the main guard, or below it, has not run when the guard's first line does).
      if (last.kind !== "import" || last.node.type !== "import_statement" || this.index.parent(last.node)?.type !== "module" || last.node.endIndex > before) continue;
      if (last.qname === qname) return name;
      // `import torch` reaches torch.multiprocessing only if that submodule is imported too.
      if (qname.startsWith(name + ".") && last.qname === name && this.importsModule(qname)) return qname;
    }
    return null;
  }

  /** Whether some `import qname` (or `import qname.x`) statement of the module makes the submodule loaded. */
  private importsModule(qname: string): boolean {
    for (const keyword of this.index.keywords("import")) {
      const statement = this.index.parent(keyword);
      if (statement?.type !== "import_statement") continue;
      for (const item of statement.childrenForFieldName("name")) {
        const name = (item.type === "aliased_import" ? item.childForFieldName("name")! : item).text.replace(/\s+/g, "");
        if (name === qname || name.startsWith(qname + ".")) return true;
      }
    }
    return false;
  }

  // ---- Values -------------------------------------------------------------------------------

  /** What an expression evaluates to, or null when spawnsafe cannot tell. */
  valueOf(expr: SyntaxNode | null): Value | null {
    if (!expr) return null;
    switch (expr.type) {
      case "identifier":
        return this.valueOfName(expr);
      case "attribute": {
        const attr = this.index.field(expr, "attribute")?.text;
        const object = this.valueOf(this.index.field(expr, "object"));
        if (!object || !attr) return null;
        if (object.kind === "qualified") return { kind: "qualified", qname: this.canonicalName(`${object.qname}.${attr}`) };
        if (object.kind === "context") return { kind: "contextMember", method: object.method, member: attr };
        // A member of a class, or of an instance of one (`Runner(2).start`): the class's member.
        const owner = object.kind === "instance" ? object.of : object;
        if (owner.kind === "qualified") return { kind: "qualified", qname: this.canonicalName(`${owner.qname}.${attr}`) };
        if (owner.kind === "definition" && owner.qname && owner.node.type === "class_definition") return { kind: "qualified", qname: `${owner.qname}.${attr}` };
        return null;
      }
      case "call": {
        const callee = this.valueOf(this.index.field(expr, "function"));
        const isGetContext =
          (callee?.kind === "qualified" && canonical(callee.qname) === "multiprocessing.get_context") ||
          (callee?.kind === "contextMember" && callee.member === "get_context");
        if (isGetContext) return { kind: "context", method: methodArgument(expr, "method") };
        if (callee?.kind === "qualified" || (callee?.kind === "definition" && callee.node.type === "class_definition")) return { kind: "instance", of: callee };
        return { kind: "expression", node: expr };
      }
      case "parenthesized_expression":
        return expr.namedChildCount === 1 ? this.valueOf(expr.namedChildren[0]) : null;
      default:
        return { kind: "expression", node: expr };
    }
  }

  /** The qualified name an expression names (`multiprocessing.pool.Pool`), or null. */
  qualifiedName(expr: SyntaxNode | null): string | null {
    const value = this.valueOf(expr);
    if (value?.kind === "qualified") return value.qname;
    if (value?.kind === "definition") return value.qname;
    return null;
  }

  private valueOfName(identifier: SyntaxNode): Value | null {
    const name = identifier.text;
    const scope = this.scopeOf(identifier);
    const binding = this.bindingOf(identifier);
    if (binding) return this.valueOfBinding(binding);
    const star = this.starImportFor(name, scope);
    if (star) return { kind: "qualified", qname: star };
    // Bound in no scope it can see: a builtin, unless a star import of a module spawnsafe does not know may bind it.
    return this.bindings.starImportsIn(this.scopes.module).length > 0 ? null : { kind: "qualified", qname: `builtins.${name}` };
  }

  /** What a binding binds its name to, or null when that is not known (a parameter, a loop target). */
  valueOfBinding(binding: Binding): Value | null {
    switch (binding.kind) {
      case "import":
        return binding.qname ? { kind: "qualified", qname: this.canonicalName(binding.qname) } : null;
      case "def":
      case "class":
        return { kind: "definition", node: binding.node, qname: this.definitionName(binding) };
      case "assignment":
      case "walrus":
      case "with": {
        if (!binding.value) return null;
        const id = nodeId(binding.value);
        if (this.resolving.has(id)) return null;
        this.resolving.add(id);
        try {
          const value = this.valueOf(binding.value);
          // `with Pool() as p` binds what `__enter__` returns: the pool itself for pools, executors, managers.
          return value;
        } finally {
          this.resolving.delete(id);
        }
      }
      default:
        return null;
    }
  }

  /** The dotted name a module-level (or class-nested) definition is reached by, when the module's name is known. */
  private definitionName(binding: Binding): string | null {
    const path: string[] = [binding.name];
    for (let scope: Scope | null = binding.scope; scope; scope = scope.parent) {
      if (scope.kind === "module") return this.project.moduleName ? [this.project.moduleName, ...path].join(".") : null;
      if (scope.kind !== "class") return null;
      const name = this.index.field(scope.node, "name")?.text;
      if (!name) return null;
      path.unshift(name);
    }
    return null;
  }

  /** A qualified name with the project's re-exports followed: `pkg.compat.mp.Pool` → `multiprocessing.Pool`. */
  canonicalName(qname: string): string {
    const aliases = this.project.aliases;
    let name = qname;
    for (let hop = 0; hop < 16; hop++) {
      let next: string | null = null;
      for (let end = name.length; end > 0; end = name.lastIndexOf(".", end - 1)) {
        const target = aliases[name.slice(0, end)];
        if (target !== undefined && target !== name.slice(0, end)) {
          next = target + name.slice(end);
          break;
        }
        if (end === 0) break;
      }
      if (next === null) return name;
      name = next;
    }
    return name;
  }

  /** `from M import *` in a scope the use can see that brings `name` in: its qualified name. */
  private starImportFor(name: string, from: Scope): string | null {
    for (let scope: Scope | null = from; scope; scope = scope.parent) {
      for (const module of this.bindings.starImportsIn(scope)) {
        if (STAR_EXPORTS[canonical(module)]?.includes(name)) return `${module}.${name}`;
        // A project module's names: the project tells which are its re-exports.
        const qname = this.canonicalName(`${module}.${name}`);
        if (qname !== `${module}.${name}`) return qname;
      }
    }
    return null;
  }

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

