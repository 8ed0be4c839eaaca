// Which multiprocessing API an expression names: scopes, imports, aliases and contexts.
import type { SyntaxNode } from "../parse";

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

interface Scope {
  node: SyntaxNode;
  parent: Scope | null;
  isClass: boolean;
  bindings: Map<string, Binding[]>;
  starImports: string[];
}

/** Names that `from M import *` brings in for the modules spawnsafe follows. */
const CONTEXT_API = [
  "Pool", "Process", "Manager", "Queue", "JoinableQueue", "SimpleQueue", "Lock", "RLock",
  "Semaphore", "BoundedSemaphore", "Condition", "Event", "Barrier", "Value", "Array",
  "set_start_method", "get_start_method", "get_context", "get_all_start_methods",
];
const STAR_EXPORTS: Record<string, string[]> = {
  multiprocessing: CONTEXT_API,
  "multiprocessing.pool": ["Pool", "ThreadPool"],
  "multiprocessing.managers": ["BaseManager", "SyncManager"],
  "concurrent.futures": ["ProcessPoolExecutor", "ThreadPoolExecutor"],
};

/** torch.multiprocessing mirrors multiprocessing's API: read it as multiprocessing. */
export function canonical(qname: string): string {
  return qname.replace(/^torch\.multiprocessing(?=\.|$)/, "multiprocessing");
}

const SCOPE_TYPES = new Set(["function_definition", "lambda", "class_definition"]);

export class NameResolver {
  private readonly scopes = new Map<number, Scope>();
  private readonly module: Scope;
  private readonly resolving = new Set<number>();

  /**
   * @param packageName the package the module belongs to ("pkg.sub" for pkg/sub/mod.py and
   * for pkg/sub/__init__.py), which relative imports resolve against; null when unknown.
   */
  constructor(root: SyntaxNode, private readonly packageName: string | null = null) {
    this.module = this.newScope(root, null, false);
    this.collect(root, this.module);
  }

  /** The scope that a node's names are looked up in. */
  scopeOf(node: SyntaxNode): Scope {
    for (let n: SyntaxNode | null = node.parent; n; n = n.parent) {
      if (SCOPE_TYPES.has(n.type)) {
        const scope = this.scopes.get(n.id);
        // A function's parameters and decorators are evaluated outside it; its body inside.
        if (scope && this.isInsideBody(n, node)) return scope;
      }
    }
    return this.module;
  }

  /** The module-level names bound to a qualified name by imports. */
  moduleAliases(qname: string): string[] {
    const names: string[] = [];
    for (const [name, bindings] of this.module.bindings) {
      const last = bindings[bindings.length - 1];
      if (last.kind === "import" && canonical(last.qname) === canonical(qname)) names.push(name);
    }
    return names;
  }

  /** Module-level `import M` forms: the dotted path by which module `qname` can be reached. */
  moduleReference(qname: string): string | null {
    for (const [name, bindings] of this.module.bindings) {
      const last = bindings[bindings.length - 1];
      if (last.kind !== "import") continue;
      if (last.qname === qname) return name;
      if (qname.startsWith(last.qname + ".") && last.qname === name) {
        // `import torch` reaches torch.multiprocessing only if that submodule is imported too.
        if (this.hasImportOf(qname)) return qname;
      }
    }
    return null;
  }

  hasStarImport(qname: string): boolean {
    return this.module.starImports.some((m) => canonical(m) === canonical(qname));
  }

  /** True when a name is bound at module level (by anything). */
  isModuleName(name: string): boolean {
    return this.module.bindings.has(name);
  }

  private hasImportOf(qname: string): boolean {
    return this.importedModules.has(qname);
  }

  private readonly importedModules = new Set<string>();

  resolve(expr: SyntaxNode | null): Value | null {
    if (!expr) return null;
    switch (expr.type) {
      case "identifier":
        return this.resolveName(expr.text, this.scopeOf(expr), expr.startIndex);
      case "attribute": {
        const object = this.resolve(expr.childForFieldName("object"));
        const attr = expr.childForFieldName("attribute")?.text;
        if (!object || !attr) return null;
        if (object.kind === "qualified") return { kind: "qualified", qname: `${object.qname}.${attr}` };
        if (object.kind === "context") return { kind: "contextMember", method: object.method, member: attr };
        return null;
      }
      case "call": {
        const callee = this.resolve(expr.childForFieldName("function"));
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
    for (let scope: Scope | null = from; scope; scope = scope.parent) {
      if (scope.isClass && skipClasses) continue;
      skipClasses = true;
      const bindings = scope.bindings.get(name);
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
    const id = binding.value.id;
    if (this.resolving.has(id)) return null;
    this.resolving.add(id);
    try {
      return this.resolve(binding.value);
    } finally {
      this.resolving.delete(id);
    }
  }

  private newScope(node: SyntaxNode, parent: Scope | null, isClass: boolean): Scope {
    const scope: Scope = { node, parent, isClass, bindings: new Map(), starImports: [] };
    this.scopes.set(node.id, scope);
    return scope;
  }

  private bind(scope: Scope, name: string, binding: Binding): void {
    const list = scope.bindings.get(name);
    if (list) list.push(binding);
    else scope.bindings.set(name, [binding]);
  }

  private isInsideBody(scopeNode: SyntaxNode, node: SyntaxNode): boolean {
    const body = scopeNode.childForFieldName("body");
    return !!body && node.startIndex >= body.startIndex && node.endIndex <= body.endIndex;
  }

  private collect(node: SyntaxNode, scope: Scope): void {
    switch (node.type) {
      case "function_definition":
      case "class_definition": {
        const name = node.childForFieldName("name");
        if (name) this.bind(scope, name.text, { kind: "other", at: node.startIndex });
        const inner = this.newScope(node, scope, node.type === "class_definition");
        for (const child of node.namedChildren) {
          if (child.type === "block") this.collect(child, inner);
          else if (child.type === "parameters") this.bindParameters(child, inner, node.startIndex);
          else this.collect(child, scope);
        }
        return;
      }
      case "lambda": {
        const inner = this.newScope(node, scope, false);
        const params = node.childForFieldName("parameters");
        if (params) this.bindParameters(params, inner, node.startIndex);
        const body = node.childForFieldName("body");
        if (body) this.collect(body, inner);
        return;
      }
      case "import_statement":
        this.collectImport(node, scope);
        return;
      case "import_from_statement":
        this.collectFromImport(node, scope);
        return;
      case "assignment": {
        const left = node.childForFieldName("left");
        const right = node.childForFieldName("right");
        if (left?.type === "identifier" && right) {
          this.bind(scope, left.text, { kind: "assign", at: node.endIndex, value: right });
        } else if (left) {
          this.bindTargets(left, scope, node.endIndex);
        }
        if (right) this.collect(right, scope);
        return;
      }
      case "named_expression": {
        const name = node.childForFieldName("name");
        const value = node.childForFieldName("value");
        if (name && value) this.bind(scope, name.text, { kind: "assign", at: node.endIndex, value });
        if (value) this.collect(value, scope);
        return;
      }
      case "for_statement":
      case "for_in_clause": {
        const left = node.childForFieldName("left");
        if (left) this.bindTargets(left, scope, node.startIndex);
        break;
      }
      case "as_pattern": {
        const alias = node.childForFieldName("alias");
        if (alias) this.bindTargets(alias, scope, node.endIndex);
        break;
      }
    }
    for (const child of node.namedChildren) this.collect(child, scope);
  }

  private bindTargets(target: SyntaxNode, scope: Scope, at: number): void {
    if (target.type === "identifier") {
      this.bind(scope, target.text, { kind: "other", at });
      return;
    }
    if (target.type === "attribute" || target.type === "subscript") return;
    for (const child of target.namedChildren) this.bindTargets(child, scope, at);
  }

  private bindParameters(params: SyntaxNode, scope: Scope, at: number): void {
    for (const param of params.namedChildren) {
      const name =
        param.type === "identifier"
          ? param
          : param.childForFieldName("name") ?? param.namedChildren.find((c) => c.type === "identifier");
      if (name) this.bind(scope, name.text, { kind: "other", at });
      // Default values are evaluated in the enclosing scope.
      const value = param.childForFieldName("value");
      if (value && scope.parent) this.collect(value, scope.parent);
    }
  }

  private collectImport(node: SyntaxNode, scope: Scope): void {
    for (const item of node.childrenForFieldName("name")) {
      if (item.type === "aliased_import") {
        const module = item.childForFieldName("name")!.text;
        const alias = item.childForFieldName("alias")!.text;
        this.importedModules.add(module);
        this.bind(scope, alias, { kind: "import", at: node.endIndex, qname: module });
      } else {
        // `import a.b.c` binds `a`; `a.b.c` then resolves attribute by attribute.
        const module = item.text.replace(/\s+/g, "");
        this.importedModules.add(module);
        const top = module.split(".")[0];
        this.bind(scope, top, { kind: "import", at: node.endIndex, qname: top });
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

  /** Module-level names bound by imports, with what they name. */
  moduleImports(): Map<string, string> {
    const imports = new Map<string, string>();
    for (const [name, bindings] of this.module.bindings) {
      const last = bindings[bindings.length - 1];
      if (last.kind === "import") imports.set(name, last.qname);
    }
    return imports;
  }

  private collectFromImport(node: SyntaxNode, scope: Scope): void {
    const moduleNode = node.childForFieldName("module_name");
    const module = moduleNode ? this.absoluteModule(moduleNode.text.replace(/\s+/g, "")) : null;
    if (!moduleNode || module === null) {
      // A relative import outside a known package: it still shadows what it binds.
      for (const item of node.childrenForFieldName("name")) {
        const bound = item.type === "aliased_import" ? item.childForFieldName("alias") : item;
        if (bound) this.bind(scope, bound.text.split(".")[0], { kind: "other", at: node.endIndex });
      }
      return;
    }
    if (node.namedChildren.some((c) => c.type === "wildcard_import")) {
      scope.starImports.push(module);
      return;
    }
    for (const item of node.childrenForFieldName("name")) {
      const nameNode = item.type === "aliased_import" ? item.childForFieldName("name")! : item;
      const alias = item.type === "aliased_import" ? item.childForFieldName("alias")!.text : nameNode.text;
      const qname = `${module}.${nameNode.text}`;
      this.importedModules.add(qname);
      this.bind(scope, alias, { kind: "import", at: node.endIndex, qname });
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
