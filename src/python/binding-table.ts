// The bindings of a module's names, by scope: collected from the places where a name is
// written, the first time the name is looked up in a scope (see src/python/model.ts).
import { type SyntaxNode, nodeId, nodeStart } from "../parse";
import type { SourceIndex } from "./source-index";
import type { Scope, Scopes } from "./scopes";
import { roleOf } from "./bindings";
import { PREFILTERS } from "./prefilter";
import { inBodies, outlineOf } from "./outline";

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

export class BindingTable {
  /** Bindings by scope node id, then by name, in source order. */
  private readonly table = new Map<number, Map<string, Binding[]>>();
  /** Names whose bindings in every scope have been collected. */
  private readonly collected = new Set<string>();
  /** `scope id:name` pairs whose bindings in that scope have been collected. */
  private readonly collectedIn = new Set<string>();
  private readonly importsRead = new Set<number>();
  /** By import statement: the bindings it makes. */
  private readonly importBindings = new Map<number, Binding[]>();
  private readonly starImportsOf = new Map<number, string[]>();
  private declarationTable: Map<number, Map<string, "global" | "nonlocal">> | null = null;
  private readonly declarationScopes = new Map<number, SyntaxNode>();

  /**
   * @param packageName the package relative imports resolve against.
   */
  constructor(
    private readonly index: SourceIndex,
    private readonly scopes: Scopes,
    private readonly packageName: string | null,
  ) {
    // `from M import *` binds no name that can be searched for: read those statements now.
    for (const statement of index.starImports()) this.readImport(statement);
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

  /** Module-level names bound by imports, with the qualified names they bind. */
  moduleImports(): Map<string, string> {
    // An import in a function or class body binds no module name (a prefilter: those bodies are skipped unasked).
    const bodies = outlineOf(this.index);
    for (const keyword of this.index.keywords("import", PREFILTERS ? (at) => !inBodies(bodies, at) : undefined)) {
      const statement = this.index.parent(keyword);
      if (statement && /^import_(from_)?statement$/.test(statement.type)) this.readImport(statement);
    }
    const imports = new Map<string, string>();
    for (const [name, bindings] of this.table.get(nodeId(this.index.root)) ?? []) {
      const last = bindings[bindings.length - 1];
      if (last.kind === "import" && last.qname) imports.set(name, last.qname);
    }
    return imports;
  }

  /** The bindings an import statement makes. */
  importsOf(statement: SyntaxNode): Binding[] {
    this.readImport(statement);
    return this.importBindings.get(nodeId(statement)) ?? [];
  }

  /** The modules `from M import *` statements of a scope import from. */
  starImportsIn(scope: Scope): string[] {
    return this.starImportsOf.get(nodeId(scope.node)) ?? [];
  }

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
    // The bodies of the module's top-level functions and classes: no module-level binding is written there (but through `global`).
    const bodies = outlineOf(this.index);
    const declaring = this.declaringScopes(name);
    for (const at of this.index.words.positions(name)) {
      if (inBodies(bodies, at) && !declaring.some((d) => at >= nodeStart(d) && at < d.endIndex)) continue;
      for (const identifier of this.index.identifiersWithin(name, at, at + 1)) this.collectIdentifier(name, identifier);
    }
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
        add(role.definition.type === "class_definition" ? "class" : "def", role.definition, this.scopes.scopeOf(role.definition), nodeStart(role.definition));
        break;
      case "parameter":
        add("parameter", role.owner, this.scopes.scopeFor(role.owner), nodeStart(role.owner));
        break;
      case "walrus": {
        // PEP 572: in a comprehension, `:=` binds in the scope around it.
        let scope = this.scopes.scopeOf(identifier);
        while (scope.kind === "comprehension" && scope.parent) scope = scope.parent;
        add("walrus", role.construct, scope, role.construct.endIndex, index.field(role.construct, "value"));
        break;
      }
      case "target":
        this.bindTarget(identifier, role.construct, role.direct, add);
        break;
      case "capture":
        add("capture", role.construct, this.scopes.scopeOf(identifier), role.construct.endIndex);
        break;
      case "delete":
        add("delete", role.statement, this.scopes.scopeOf(identifier), role.statement.endIndex);
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
    const scope = this.scopes.scopeOf(identifier);
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
        let holder = this.index.parent(construct)?.type;
        let value: SyntaxNode | null = construct.namedChildren[0] ?? null;
        // `with A() if c else B() as p`: tree-sitter reads `B() as p` as the else branch; Python
        // binds p to the whole conditional, which is the with item's value.
        if (holder === "conditional_expression") {
          let up = this.index.parent(construct);
          while (up && (up.type === "conditional_expression" || up.type === "parenthesized_expression")) up = this.index.parent(up);
          if (up?.type === "with_item") {
            holder = "with_item";
            value = this.index.field(up, "value");
          }
        }
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
    const scope = this.scopes.scopeOf(node);
    const made: Binding[] = [];
    this.importBindings.set(nodeId(node), made);
    const add = (name: string, nameNode: SyntaxNode, qname: string | null) => {
      const { scope: into, declaredIn } = this.target(scope, name);
      const binding: Binding = { name, kind: "import", node, position: nodeStart(nameNode), at: node.endIndex, scope: into, value: null, qname, declaredIn };
      made.push(binding);
      this.bind(binding);
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
    const module = moduleNode ? absoluteModule(moduleNode.text.replace(/\s+/g, ""), this.packageName) : null;
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

  private declarations(): Map<number, Map<string, "global" | "nonlocal">> {
    if (this.declarationTable) return this.declarationTable;
    const table = new Map<number, Map<string, "global" | "nonlocal">>();
    for (const word of ["global", "nonlocal"] as const) {
      for (const keyword of this.index.keywords(word)) {
        const statement = this.index.parent(keyword);
        if (statement?.type !== `${word}_statement`) continue;
        const scope = this.scopes.scopeOf(statement);
        let names = table.get(nodeId(scope.node));
        if (!names) table.set(nodeId(scope.node), (names = new Map()));
        this.declarationScopes.set(nodeId(scope.node), scope.node);
        for (const name of statement.namedChildren) if (name.type === "identifier") names.set(name.text, word);
      }
    }
    return (this.declarationTable = table);
  }
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
