// Which multiprocessing API an expression names: scopes, imports, aliases and contexts.
import { type SyntaxNode, nodeId, nodeStart } from "../parse";
import type { SourceIndex } from "./index";
import { roleOf } from "./bindings";

/** A start method as written: a name, "default" for the global default context, null when not static. */
export type Method = "fork" | "spawn" | "forkserver" | "default" | null;

/** What an expression evaluates to, as far as spawnsafe can tell statically. */
export type Value =
  /** A module or a module member, by qualified name ("multiprocessing.pool.Pool"). */
  | { kind: "qualified"; qname: string }
  /** A multiprocessing context object (`get_context(...)`). */
  | { kind: "context"; method: Method }
  /** An attribute of a context object (`ctx.Pool`). */
  | { kind: "contextMember"; method: Method; member: string };

type Binding =
  | { kind: "import"; at: number; qname: string }
  | { kind: "assign"; at: number; value: SyntaxNode }
  | { kind: "other"; at: number };

/** A binding and where its name is written: bindings of one scope are kept in that order. */
type Placed = Binding & { position: number };

interface Scope {
  /** The function, class or lambda; null for the module. */
  node: SyntaxNode | null;
  isClass: boolean;
  bindings: Map<string, Placed[]>;
  starImports: string[];
}

/** Names that `from M import *` brings in for the modules spawnsafe follows. */
const CONTEXT_API = [
  "Pool", "Process", "Manager", "Queue", "JoinableQueue", "SimpleQueue", "Lock", "RLock",
  "Semaphore", "BoundedSemaphore", "Condition", "Event", "Barrier", "Value", "Array",
  "set_start_method", "get_start_method", "get_context", "get_all_start_methods",
];
export const STAR_EXPORTS: Record<string, string[]> = {
  multiprocessing: CONTEXT_API,
  "multiprocessing.pool": ["Pool", "ThreadPool"],
  "multiprocessing.managers": ["BaseManager", "SyncManager"],
  "concurrent.futures": ["ProcessPoolExecutor", "ThreadPoolExecutor"],
};

/** torch.multiprocessing mirrors multiprocessing's API: read it as multiprocessing. */
export function canonical(qname: string): string {
  return qname.replace(/^torch\.multiprocessing(?=\.|$)/, "multiprocessing");
}

/**
 * Resolves names to the modules, module members and contexts they are bound to, the way
 * Python's scoping rules bind them: per function, class and lambda; a use in its own scope
 * sees the last binding before it, a use from an inner scope the last of all.
 *
 * Lazy: the bindings of a name are found when the name is first looked up, from the places
 * where it is written (src/python/index.ts); the rest of the module is never visited.
 */
export class NameResolver {
  private readonly scopes = new Map<number, Scope>();
  private readonly module: Scope = { node: null, isClass: false, bindings: new Map(), starImports: [] };
  private readonly resolving = new Set<number>();
  /** Names whose bindings have been collected. */
  private readonly collected = new Set<string>();
  /** Import statements already read, by id. */
  private readonly importsRead = new Set<number>();
  private readonly importedModules = new Set<string>();

  /**
   * @param packageName the package the module belongs to ("pkg.sub" for pkg/sub/mod.py and
   * for pkg/sub/__init__.py), which relative imports resolve against; null when unknown.
   */
  constructor(private readonly index: SourceIndex, private readonly packageName: string | null = null) {
    // `from M import *` binds no name that can be searched for: read those statements now.
    for (const statement of index.starImports()) this.readImport(statement);
  }

  /** The scope that a node's names are looked up in. */
  private scopeOf(node: SyntaxNode): Scope {
    return this.scopeFor(this.index.scopeNodeOf(node));
  }

  private scopeFor(node: SyntaxNode | null): Scope {
    if (!node) return this.module;
    let scope = this.scopes.get(nodeId(node));
    if (!scope) {
      scope = { node, isClass: node.type === "class_definition", bindings: new Map(), starImports: [] };
      this.scopes.set(nodeId(node), scope);
    }
    return scope;
  }

  private parentScope(scope: Scope): Scope | null {
    return scope.node ? this.scopeOf(scope.node) : null;
  }

  /** The bindings of `name` in a scope, in source order. */
  private bindingsIn(scope: Scope, name: string): Placed[] | undefined {
    this.collect(name);
    return scope.bindings.get(name);
  }

  /** Module-level `import M` forms: the dotted path by which module `qname` can be reached. */
  moduleReference(qname: string): string | null {
    for (const part of qname.split(".")) this.collect(part);
    const candidates = [...this.module.bindings.entries()]
      .filter(([, bindings]) => bindings.some((b) => b.kind === "import"))
      .sort((a, b) => a[1][0].position - b[1][0].position);
    for (const [name] of candidates) {
      const bindings = this.bindingsIn(this.module, name)!;
      const last = bindings[bindings.length - 1];
      if (last.kind !== "import") continue;
      if (last.qname === qname) return name;
      if (qname.startsWith(last.qname + ".") && last.qname === name) {
        // `import torch` reaches torch.multiprocessing only if that submodule is imported too.
        if (this.importedModules.has(qname)) return qname;
      }
    }
    return null;
  }

  hasStarImport(qname: string): boolean {
    return this.module.starImports.some((m) => canonical(m) === canonical(qname));
  }

  /** True when a name is bound at module level (by anything). */
  isModuleName(name: string): boolean {
    return this.bindingsIn(this.module, name) !== undefined;
  }

  /** Module-level names bound by imports, with what they name. */
  moduleImports(): Map<string, string> {
    for (const keyword of this.index.keywords("import")) {
      const statement = this.index.parent(keyword);
      if (statement && /^import_(from_)?statement$/.test(statement.type)) this.readImport(statement);
    }
    const imports = new Map<string, string>();
    for (const name of [...this.module.bindings.keys()]) {
      const bindings = this.bindingsIn(this.module, name)!;
      const last = bindings[bindings.length - 1];
      if (last.kind === "import") imports.set(name, last.qname);
    }
    return imports;
  }

  resolve(expr: SyntaxNode | null): Value | null {
    if (!expr) return null;
    switch (expr.type) {
      case "identifier":
        return this.resolveName(expr.text, this.scopeOf(expr), nodeStart(expr));
      case "attribute": {
        const object = this.resolve(this.index.field(expr, "object"));
        if (!object) return null;
        const attr = this.index.field(expr, "attribute")?.text;
        if (!attr) return null;
        if (object.kind === "qualified") return { kind: "qualified", qname: `${object.qname}.${attr}` };
        if (object.kind === "context") return { kind: "contextMember", method: object.method, member: attr };
        return null;
      }
      case "call": {
        const callee = this.resolve(this.index.field(expr, "function"));
        const isGetContext =
          (callee?.kind === "qualified" && canonical(callee.qname) === "multiprocessing.get_context") ||
          (callee?.kind === "contextMember" && callee.member === "get_context");
        if (isGetContext) return { kind: "context", method: methodArgument(expr, "method") };
        return null;
      }
      case "parenthesized_expression":
        return this.resolve(expr.namedChildren[0] ?? null);
      default:
        return null;
    }
  }

  private resolveName(name: string, from: Scope, at: number): Value | null {
    let skipClasses = false;
    for (let scope: Scope | null = from; scope; scope = this.parentScope(scope)) {
      if (scope.isClass && skipClasses) continue;
      skipClasses = true;
      const bindings = this.bindingsIn(scope, name);
      if (bindings) {
        // In its own scope a use sees the last binding before it; from an inner scope,
        // which runs later, the last binding of all.
        const before = scope === from ? bindings.filter((b) => b.at <= at) : bindings;
        const binding = before.length ? before[before.length - 1] : bindings[bindings.length - 1];
        return this.valueOf(binding);
      }
      for (const module of scope.starImports) {
        if (STAR_EXPORTS[canonical(module)]?.includes(name)) return { kind: "qualified", qname: `${module}.${name}` };
      }
    }
    return null;
  }

  private valueOf(binding: Binding): Value | null {
    if (binding.kind === "import") return { kind: "qualified", qname: binding.qname };
    if (binding.kind === "other") return null;
    const id = nodeId(binding.value);
    if (this.resolving.has(id)) return null;
    this.resolving.add(id);
    try {
      return this.resolve(binding.value);
    } finally {
      this.resolving.delete(id);
    }
  }

  private bind(scope: Scope, name: string, binding: Binding, position: number): void {
    const placed: Placed = { ...binding, position };
    const list = scope.bindings.get(name);
    if (!list) {
      scope.bindings.set(name, [placed]);
      return;
    }
    let i = list.length;
    while (i > 0 && list[i - 1].position > position) i--;
    list.splice(i, 0, placed);
  }

  /** Every binding of `name`, in every scope, from the places where the name is written. */
  private collect(name: string): void {
    if (this.collected.has(name)) return;
    this.collected.add(name);
    const index = this.index;
    for (const identifier of index.identifiers(name)) {
      const role = roleOf(index, identifier);
      const at = nodeStart(identifier);
      switch (role.role) {
        case "definition":
          this.bind(this.scopeOf(role.definition), name, { kind: "other", at: nodeStart(role.definition) }, at);
          break;
        case "parameter":
          this.bind(this.scopeFor(role.owner), name, { kind: "other", at: nodeStart(role.owner) }, at);
          break;
        case "walrus": {
          const value = index.field(role.construct, "value");
          if (value) this.bind(this.scopeOf(identifier), name, { kind: "assign", at: role.construct.endIndex, value }, at);
          break;
        }
        case "target":
          this.bindTarget(identifier, role.construct, role.direct, at);
          break;
        case "import":
          this.readImport(role.statement);
          break;
      }
    }
  }

  private bindTarget(identifier: SyntaxNode, construct: SyntaxNode, direct: boolean, at: number): void {
    const scope = this.scopeOf(identifier);
    const name = identifier.text;
    switch (construct.type) {
      case "assignment": {
        const right = this.index.field(construct, "right");
        const binding: Binding = direct && right ? { kind: "assign", at: construct.endIndex, value: right } : { kind: "other", at: construct.endIndex };
        this.bind(scope, name, binding, at);
        return;
      }
      case "for_statement":
      case "for_in_clause":
        this.bind(scope, name, { kind: "other", at: nodeStart(construct) }, at);
        return;
      case "as_pattern":
        this.bind(scope, name, { kind: "other", at: construct.endIndex }, at);
        return;
      // `x += 1` reads x first: it binds nothing new.
    }
  }

  private readImport(node: SyntaxNode): void {
    if (this.importsRead.has(nodeId(node))) return;
    this.importsRead.add(nodeId(node));
    const scope = this.scopeOf(node);
    if (node.type === "import_statement") this.collectImport(node, scope);
    else if (node.type === "import_from_statement") this.collectFromImport(node, scope);
  }

  private collectImport(node: SyntaxNode, scope: Scope): void {
    for (const item of node.childrenForFieldName("name")) {
      if (item.type === "aliased_import") {
        const module = item.childForFieldName("name")!.text;
        const alias = item.childForFieldName("alias")!;
        this.importedModules.add(module);
        this.bind(scope, alias.text, { kind: "import", at: node.endIndex, qname: module }, nodeStart(alias));
      } else {
        // `import a.b.c` binds `a`; `a.b.c` then resolves attribute by attribute.
        const module = item.text.replace(/\s+/g, "");
        this.importedModules.add(module);
        const top = module.split(".")[0];
        this.bind(scope, top, { kind: "import", at: node.endIndex, qname: top }, nodeStart(item));
      }
    }
  }

  /** `.jobs` in package pkg.sub gives pkg.sub.jobs; `..` gives pkg; absolute names stay. */
  private absoluteModule(name: string): string | null {
    const dots = /^\.*/.exec(name)![0].length;
    if (dots === 0) return name;
    if (this.packageName === null) return null;
    const parts = this.packageName.split(".");
    if (dots - 1 >= parts.length) return null;
    const base = parts.slice(0, parts.length - (dots - 1));
    if (base.length === 0) return null;
    const rest = name.slice(dots);
    return [...base, ...(rest ? [rest] : [])].join(".");
  }

  private collectFromImport(node: SyntaxNode, scope: Scope): void {
    const moduleNode = node.childForFieldName("module_name");
    const module = moduleNode ? this.absoluteModule(moduleNode.text.replace(/\s+/g, "")) : null;
    if (!moduleNode || module === null) {
      // A relative import outside a known package: it still shadows what it binds.
      for (const item of node.childrenForFieldName("name")) {
        const bound = item.type === "aliased_import" ? item.childForFieldName("alias") : item;
        if (bound) this.bind(scope, bound.text.split(".")[0], { kind: "other", at: node.endIndex }, nodeStart(bound));
      }
      return;
    }
    if (node.namedChildren.some((c) => c.type === "wildcard_import")) {
      scope.starImports.push(module);
      return;
    }
    for (const item of node.childrenForFieldName("name")) {
      const nameNode = item.type === "aliased_import" ? item.childForFieldName("name")! : item;
      const aliasNode = item.type === "aliased_import" ? item.childForFieldName("alias")! : nameNode;
      const qname = `${module}.${nameNode.text}`;
      this.importedModules.add(qname);
      this.bind(scope, aliasNode.text, { kind: "import", at: node.endIndex, qname }, nodeStart(aliasNode));
    }
  }
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
