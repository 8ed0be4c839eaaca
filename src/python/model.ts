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
import type { SourceIndex } from "./index";
import { Scopes, type Scope } from "./scopes";
import { roleOf } from "./bindings";
import { STAR_EXPORTS, canonical } from "./vocabulary";

/** A start method as written: a name, "default" for the global default context, null when not static. */
export type Method = "fork" | "spawn" | "forkserver" | "default" | null;

export type BindingKind =
  | "import" | "def" | "class" | "assignment" | "augmented" | "annotation" | "loop" | "with" | "except"
  | "walrus" | "comprehension" | "parameter" | "capture" | "delete";

export interface Binding {
  name: string;
  kind: BindingKind;
  /** The construct: the def or class, the assignment, the import statement, the loop, ... */
  node: SyntaxNode;
  /** Where the bound name is written. */
  position: number;
  /** Where, in source order, the binding has taken effect (uses after this see it). */
  at: number;
  /** The scope it binds in: the module for a name its own scope declares `global`. */
  scope: Scope;
  /** `name = value`, `name := value`, `with value as name`: the value, when the target is the name itself. */
  value: SyntaxNode | null;
  /** For an import: the absolute qualified name bound (null for a relative import outside a known package). */
  qname: string | null;
  /** The function whose `global` or `nonlocal` declaration sent the binding to `scope`, else null. */
  declaredIn: Scope | null;
}

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
}

export const NO_PROJECT: ProjectView = { moduleName: null, packageName: null, aliases: {} };

/** When code runs: at import (module level, class bodies, decorators, defaults), under the main guard, or when a function is called. */
export type Time = "import" | "main" | "call";

export class SemanticModel {
  readonly scopes: Scopes;
  /** Bindings by scope node id, then by name, in source order. */
  private readonly table = new Map<number, Map<string, Binding[]>>();
  private readonly collected = new Set<string>();
  /** `scope id:name` pairs whose bindings in that scope have been collected. */
  private readonly collectedIn = new Set<string>();
  private bodies: Array<[number, number]> | null = null;
  private readonly importsRead = new Set<number>();
  private readonly starImportsOf = new Map<number, string[]>();
  private declarationTable: Map<number, Map<string, "global" | "nonlocal">> | null = null;
  private readonly declarationScopes = new Map<number, SyntaxNode>();
  private readonly resolving = new Set<number>();
  private guards: SyntaxNode[] | null = null;
  private statementList: SyntaxNode[] | null = null;
  private statementStarts: number[] | null = null;

  constructor(readonly index: SourceIndex, readonly project: ProjectView = NO_PROJECT) {
    this.scopes = new Scopes(index);
    // `from M import *` binds no name that can be searched for: read those statements now.
    for (const statement of index.starImports()) this.readImport(statement);
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

  /** The bindings of `name` in one scope, in source order (empty when it binds none). */
  bindingsIn(scope: Scope, name: string): Binding[] {
    this.collectIn(scope, name);
    return this.table.get(nodeId(scope.node))?.get(name) ?? [];
  }

  /** Every binding of `name` in every scope, in source order. */
  bindingsOf(name: string): Binding[] {
    this.collect(name);
    const all: Binding[] = [];
    for (const names of this.table.values()) all.push(...(names.get(name) ?? []));
    return all.sort((a, b) => a.position - b.position);
  }

  /** `global` (or `nonlocal`) declarations of a scope: how it declares `name`, or null. */
  declaration(scope: Scope, name: string): "global" | "nonlocal" | null {
    return this.declarations().get(nodeId(scope.node))?.get(name) ?? null;
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
    const modules = this.starImportNamesOf(this.scopes.module);
    return qname === undefined ? modules.length > 0 : modules.some((m) => canonical(m) === canonical(qname));
  }

  /** Module-level names bound by imports, with the qualified names they bind. */
  moduleImports(): Map<string, string> {
    for (const keyword of this.index.keywords("import")) {
      const statement = this.index.parent(keyword);
      if (statement && /^import_(from_)?statement$/.test(statement.type)) this.readImport(statement);
    }
    const imports = new Map<string, string>();
    for (const [name, bindings] of this.table.get(nodeId(this.root)) ?? []) {
      const last = bindings[bindings.length - 1];
      if (last.kind === "import" && last.qname) imports.set(name, last.qname);
    }
    return imports;
  }

  /**
   * The dotted path by which module `qname` can be reached at module level through the
   * module's own `import M` forms (`mp` after `import multiprocessing as mp`), or null.
   */
  moduleReference(qname: string): string | null {
    for (const part of qname.split(".")) this.collect(part);
    const candidates = [...(this.table.get(nodeId(this.root)) ?? new Map<string, Binding[]>()).entries()]
      .filter(([, bindings]) => bindings.some((b) => b.kind === "import"))
      .sort((a, b) => a[1][0].position - b[1][0].position);
    for (const [name, bindings] of candidates) {
      const last = bindings[bindings.length - 1];
      if (last.kind !== "import" || last.node.type !== "import_statement") continue;
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
    return this.starImportNamesOf(this.scopes.module).length > 0 ? null : { kind: "qualified", qname: `builtins.${name}` };
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

  // ---- Collecting bindings ------------------------------------------------------------------

  private bind(binding: Binding): void {
    const key = nodeId(binding.scope.node);
    let names = this.table.get(key);
    if (!names) this.table.set(key, (names = new Map()));
    const list = names.get(binding.name);
    if (!list) {
      names.set(binding.name, [binding]);
      return;
    }
    if (list.some((b) => b.position === binding.position && b.kind === binding.kind)) return;
    let i = list.length;
    while (i > 0 && list[i - 1].position > binding.position) i--;
    list.splice(i, 0, binding);
  }

  /** Sends a binding of a scope that declares the name `global` or `nonlocal` to the scope it names. */
  private target(scope: Scope, name: string): { scope: Scope; declaredIn: Scope | null } {
    const declared = this.declaration(scope, name);
    if (declared === "global") return { scope: this.scopes.module, declaredIn: scope };
    if (declared === "nonlocal") {
      for (let s = scope.parent; s; s = s.parent) {
        if ((s.kind === "function" || s.kind === "lambda") && this.bindingsIn(s, name).some((b) => b.declaredIn === null)) return { scope: s, declaredIn: scope };
      }
    }
    return { scope, declaredIn: null };
  }

  /** Every binding of `name`, in every scope, from the places where the name is written. */
  private collect(name: string): void {
    if (this.collected.has(name)) return;
    this.collected.add(name);
    for (const identifier of this.index.identifiers(name)) this.collectIdentifier(name, identifier);
  }

  /**
   * The bindings of `name` in one scope: from the places where the name is written within
   * the scope's node (for the module: outside the bodies of its top-level functions and
   * classes, and inside the functions that declare the name `global`). A name such as `self`,
   * written in every method, is then never looked up module-wide.
   */
  private collectIn(scope: Scope, name: string): void {
    if (this.collected.has(name)) return;
    const key = `${nodeId(scope.node)}:${name}`;
    if (this.collectedIn.has(key)) return;
    this.collectedIn.add(key);
    if (scope.kind !== "module") {
      for (const identifier of this.index.identifiersWithin(name, nodeStart(scope.node), scope.node.endIndex)) this.collectIdentifier(name, identifier);
      return;
    }
    const bodies = this.topLevelBodies();
    const declaring = this.declaringScopes(name);
    for (const at of this.index.words.positions(name)) {
      if (inRanges(bodies, at) && !declaring.some((d) => at >= nodeStart(d) && at < d.endIndex)) continue;
      for (const identifier of this.index.identifiersWithin(name, at, at + 1)) this.collectIdentifier(name, identifier);
    }
  }

  /** The bodies of the module's top-level functions and classes: no module-level binding is written there (but through `global`). */
  private topLevelBodies(): Array<[number, number]> {
    if (!this.bodies) {
      const bodies: Array<[number, number]> = [];
      for (const statement of this.statements) {
        const definition = statement.type === "decorated_definition" ? this.index.field(statement, "definition") : statement;
        if (definition?.type !== "function_definition" && definition?.type !== "class_definition") continue;
        const body = this.index.field(definition, "body");
        if (body) bodies.push([nodeStart(body), body.endIndex]);
      }
      this.bodies = bodies;
    }
    return this.bodies;
  }

  /** The scopes that declare `name` global or nonlocal (their bindings of it go elsewhere). */
  private declaringScopes(name: string): SyntaxNode[] {
    const scopes: SyntaxNode[] = [];
    for (const [id, names] of this.declarations()) {
      if (names.has(name)) scopes.push(this.declarationScopes.get(id)!);
    }
    return scopes;
  }

  private collectIdentifier(name: string, identifier: SyntaxNode): void {
    const index = this.index;
    const role = roleOf(index, identifier);
    const position = nodeStart(identifier);
    const add = (kind: BindingKind, node: SyntaxNode, scope: Scope, at: number, value: SyntaxNode | null = null) => {
      const { scope: into, declaredIn } = kind === "parameter" ? { scope, declaredIn: null } : this.target(scope, name);
      this.bind({ name, kind, node, position, at, scope: into, value, qname: null, declaredIn });
    };
    switch (role.role) {
      case "definition":
        add(role.definition.type === "class_definition" ? "class" : "def", role.definition, this.scopeOf(role.definition), nodeStart(role.definition));
        break;
      case "parameter":
        add("parameter", role.owner, this.scopes.scopeFor(role.owner), nodeStart(role.owner));
        break;
      case "walrus": {
        // PEP 572: in a comprehension, `:=` binds in the scope around it.
        let scope = this.scopeOf(identifier);
        while (scope.kind === "comprehension" && scope.parent) scope = scope.parent;
        add("walrus", role.construct, scope, role.construct.endIndex, index.field(role.construct, "value"));
        break;
      }
      case "target":
        this.bindTarget(identifier, role.construct, role.direct, add);
        break;
      case "capture":
        add("capture", role.construct, this.scopeOf(identifier), role.construct.endIndex);
        break;
      case "delete":
        add("delete", role.statement, this.scopeOf(identifier), role.statement.endIndex);
        break;
      case "import":
        this.readImport(role.statement);
        break;
    }
  }

  private bindTarget(
    identifier: SyntaxNode,
    construct: SyntaxNode,
    direct: boolean,
    add: (kind: BindingKind, node: SyntaxNode, scope: Scope, at: number, value?: SyntaxNode | null) => void,
  ): void {
    const scope = this.scopeOf(identifier);
    switch (construct.type) {
      case "assignment": {
        const right = this.index.field(construct, "right");
        if (!right) add("annotation", construct, scope, construct.endIndex);
        else add("assignment", construct, scope, construct.endIndex, direct ? right : null);
        return;
      }
      case "augmented_assignment":
        add("augmented", construct, scope, construct.endIndex);
        return;
      case "for_statement":
        add("loop", construct, scope, nodeStart(construct));
        return;
      case "for_in_clause":
        add("comprehension", construct, scope, nodeStart(construct));
        return;
      case "as_pattern": {
        const holder = this.index.parent(construct)?.type;
        const value = construct.namedChildren[0] ?? null;
        // `with x as name`: the alias is `as_pattern_target(name)`; `as (a, b)` binds parts.
        const alias = this.index.field(construct, "alias");
        const whole = direct || (alias?.type === "as_pattern_target" && alias.namedChildCount === 1 && alias.namedChildren[0].id === identifier.id);
        if (holder === "with_item") add("with", construct, scope, construct.endIndex, whole ? value : null);
        else if (holder === "except_clause" || holder === "except_group_clause") add("except", construct, scope, construct.endIndex);
        else add("capture", construct, scope, construct.endIndex);
        return;
      }
    }
  }

  private readImport(node: SyntaxNode): void {
    if (this.importsRead.has(nodeId(node))) return;
    this.importsRead.add(nodeId(node));
    const scope = this.scopeOf(node);
    const add = (name: string, nameNode: SyntaxNode, qname: string | null) => {
      const { scope: into, declaredIn } = this.target(scope, name);
      this.bind({ name, kind: "import", node, position: nodeStart(nameNode), at: node.endIndex, scope: into, value: null, qname, declaredIn });
    };
    if (node.type === "import_statement") {
      for (const item of node.childrenForFieldName("name")) {
        if (item.type === "aliased_import") {
          const module = item.childForFieldName("name")!.text.replace(/\s+/g, "");
          add(item.childForFieldName("alias")!.text, item.childForFieldName("alias")!, module);
        } else {
          // `import a.b.c` binds `a`; `a.b.c` then resolves attribute by attribute.
          const top = item.text.replace(/\s+/g, "").split(".")[0];
          add(top, item, top);
        }
      }
      return;
    }
    if (node.type !== "import_from_statement") return;
    const moduleNode = node.childForFieldName("module_name");
    const module = moduleNode ? absoluteModule(moduleNode.text.replace(/\s+/g, ""), this.project.packageName) : null;
    if (node.namedChildren.some((c) => c.type === "wildcard_import")) {
      if (module) {
        const list = this.starImportsOf.get(nodeId(scope.node)) ?? [];
        list.push(module);
        this.starImportsOf.set(nodeId(scope.node), list);
      }
      return;
    }
    for (const item of node.childrenForFieldName("name")) {
      const nameNode = item.type === "aliased_import" ? item.childForFieldName("name")! : item;
      const aliasNode = item.type === "aliased_import" ? item.childForFieldName("alias")! : nameNode;
      // A relative import outside a known package still shadows what it binds.
      add(aliasNode.text.split(".")[0].trim(), aliasNode, module ? `${module}.${nameNode.text.replace(/\s+/g, "")}` : null);
    }
  }

  private starImportNamesOf(scope: Scope): string[] {
    return this.starImportsOf.get(nodeId(scope.node)) ?? [];
  }

  /** `from M import *` in a scope the use can see that brings `name` in: its qualified name. */
  private starImportFor(name: string, from: Scope): string | null {
    for (let scope: Scope | null = from; scope; scope = scope.parent) {
      for (const module of this.starImportNamesOf(scope)) {
        if (STAR_EXPORTS[canonical(module)]?.includes(name)) return `${module}.${name}`;
        // A project module's names: the project tells which are its re-exports.
        const qname = this.canonicalName(`${module}.${name}`);
        if (qname !== `${module}.${name}`) return qname;
      }
    }
    return null;
  }

  private declarations(): Map<number, Map<string, "global" | "nonlocal">> {
    if (this.declarationTable) return this.declarationTable;
    const table = new Map<number, Map<string, "global" | "nonlocal">>();
    for (const word of ["global", "nonlocal"] as const) {
      for (const keyword of this.index.keywords(word)) {
        const statement = this.index.parent(keyword);
        if (statement?.type !== `${word}_statement`) continue;
        const scope = this.scopeOf(statement);
        let names = table.get(nodeId(scope.node));
        if (!names) table.set(nodeId(scope.node), (names = new Map()));
        this.declarationScopes.set(nodeId(scope.node), scope.node);
        for (const name of statement.namedChildren) if (name.type === "identifier") names.set(name.text, word);
      }
    }
    return (this.declarationTable = table);
  }
}

/** Whether a position falls in one of the sorted, disjoint ranges. */
function inRanges(ranges: Array<[number, number]>, at: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (at < ranges[mid][0]) hi = mid - 1;
    else if (at >= ranges[mid][1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/** `.jobs` in package pkg.sub gives pkg.sub.jobs; `..` gives pkg; absolute names stay; null when it leaves the package. */
export function absoluteModule(name: string, packageName: string | null): string | null {
  const dots = /^\.*/.exec(name)![0].length;
  if (dots === 0) return name;
  if (packageName === null) return null;
  const parts = packageName.split(".");
  if (dots - 1 >= parts.length) return null;
  const base = parts.slice(0, parts.length - (dots - 1));
  const rest = name.slice(dots);
  return [...base, ...(rest ? [rest] : [])].join(".");
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

/**
 * The start method named by a call's first positional argument or keyword `keyword`:
 * the literal string, "default" when absent or None, null when not a plain literal.
 */
export function methodArgument(call: SyntaxNode, keyword: string, position = 0): Method {
  const arg = argument(call, keyword, position);
  if (!arg) return "default";
  return methodOfLiteral(arg);
}

export function methodOfLiteral(node: SyntaxNode): Method {
  if (node.type === "none") return "default";
  const value = stringLiteral(node);
  if (value === "fork" || value === "spawn" || value === "forkserver") return value;
  return null;
}

/** The argument passed as keyword `keyword` or at `position` among the positional ones. */
export function argument(call: SyntaxNode, keyword: string, position: number): SyntaxNode | null {
  const args = call.childForFieldName("arguments");
  if (!args || args.type !== "argument_list") return null;
  let index = 0;
  for (const arg of args.namedChildren) {
    if (arg.type === "keyword_argument") {
      if (arg.childForFieldName("name")?.text === keyword) return arg.childForFieldName("value");
    } else if (arg.type === "list_splat" || arg.type === "dictionary_splat") {
      index = Number.POSITIVE_INFINITY;
    } else if (arg.type !== "comment") {
      if (index === position) return arg;
      index++;
    }
  }
  return null;
}

/** The value of a plain string literal (no f-string, no escapes, no concatenation), else null. */
export function stringLiteral(node: SyntaxNode): string | null {
  if (node.type !== "string") return null;
  const match = /^([rRuU]?)('''|"""|'|")([\s\S]*)\2$/.exec(node.text);
  if (!match || match[3].includes("\\")) return null;
  return match[3];
}
