// Python's scopes, read off the tree: the module, each function, lambda and class body, and
// each comprehension. Where a node is evaluated decides which scope its names belong to: a
// function's decorators, default values and annotations and a class's bases are evaluated in
// the scope around it; a comprehension's first iterable too.
import { type SyntaxNode, nodeId, nodeStart } from "../parse";
import type { SourceIndex } from "./source-index";

export type ScopeKind = "module" | "function" | "lambda" | "class" | "comprehension";

export interface Scope {
  /** The module root, or the function_definition, lambda, class_definition or comprehension. */
  node: SyntaxNode;
  kind: ScopeKind;
  parent: Scope | null;
}

const KIND: Record<string, ScopeKind> = {
  function_definition: "function",
  lambda: "lambda",
  class_definition: "class",
  list_comprehension: "comprehension",
  set_comprehension: "comprehension",
  dictionary_comprehension: "comprehension",
  generator_expression: "comprehension",
};

export function isScopeNode(node: SyntaxNode): boolean {
  return node.type in KIND;
}

/** Nodes whose own scope is not their parent's for every part: their parts decide. */
const SPLIT = new Set([
  ...Object.keys(KIND), "parameters", "lambda_parameters", "default_parameter", "typed_default_parameter",
  "typed_parameter", "for_in_clause",
]);

/** The scopes of one module, found on demand and kept. */
export class Scopes {
  readonly module: Scope;
  private readonly byNode = new Map<number, Scope>();
  /** The scope each node is evaluated in, for nodes asked about (and those on the way). */
  private readonly memo = new Map<number, Scope>();

  constructor(private readonly index: SourceIndex) {
    this.module = { node: index.root, kind: "module", parent: null };
    this.byNode.set(nodeId(index.root), this.module);
  }

  /** The scope a scope node (function, lambda, class, comprehension) opens. */
  scopeFor(node: SyntaxNode): Scope {
    let scope = this.byNode.get(nodeId(node));
    if (!scope) {
      scope = { node, kind: KIND[node.type] ?? "module", parent: this.scopeOf(node) };
      this.byNode.set(nodeId(node), scope);
    }
    return scope;
  }

  /**
   * The scope a node is evaluated in (for an identifier: the scope it is looked up in, or
   * binds in). A function's parameter names belong to the function; their defaults and
   * annotations, its decorators and return annotation, to the scope around it.
   */
  scopeOf(node: SyntaxNode): Scope {
    const path: SyntaxNode[] = [];
    let current = node;
    let found: Scope | null = null;
    for (;;) {
      const known = this.memo.get(nodeId(current));
      if (known) {
        found = known;
        break;
      }
      path.push(current);
      const parent = this.index.parent(current);
      if (!parent) {
        found = this.module;
        break;
      }
      const step = this.step(parent, current);
      if (step.scope) {
        found = step.scope;
        break;
      }
      current = step.next!;
    }
    // Every node on the way whose parent is an ordinary node has the same scope as its parent.
    for (const n of path) {
      const parent = this.index.parent(n);
      if (n === node || (parent && !SPLIT.has(parent.type) && !SPLIT.has(n.type))) this.memo.set(nodeId(n), found);
    }
    return found;
  }

  /** From a child to its parent: the scope is decided here, or the climb goes on from `next`. */
  private step(parent: SyntaxNode, child: SyntaxNode): { scope?: Scope; next?: SyntaxNode } {
    const index = this.index;
    switch (parent.type) {
      case "function_definition":
      case "lambda": {
        const body = index.field(parent, "body");
        const params = index.field(parent, "parameters");
        if (same(body, child) || same(params, child)) return { scope: this.scopeFor(parent) };
        return { next: parent };
      }
      case "class_definition":
        return same(index.field(parent, "body"), child) ? { scope: this.scopeFor(parent) } : { next: parent };
      case "default_parameter":
      case "typed_default_parameter":
      case "typed_parameter": {
        // The name binds in the function; the default and the annotation are evaluated around it.
        if (same(index.field(parent, "value"), child) || child.type === "type") return { next: ownerOf(index, parent) ?? parent };
        return { next: parent };
      }
      case "for_in_clause": {
        // The first clause's iterable is evaluated around the comprehension.
        const comprehension = index.parent(parent);
        if (comprehension && same(index.field(parent, "right"), child) && firstClause(comprehension)?.id === parent.id) {
          return { next: comprehension };
        }
        return { next: parent };
      }
      default:
        if (KIND[parent.type] === "comprehension") return { scope: this.scopeFor(parent) };
        return { next: parent };
    }
  }

  /** The innermost function or lambda whose body holds the node: what defers it until called. */
  deferringFunction(node: SyntaxNode): SyntaxNode | null {
    for (let scope: Scope | null = this.scopeOf(node); scope; scope = scope.parent) {
      if (scope.kind === "function" || scope.kind === "lambda") return scope.node;
    }
    return null;
  }
}

function same(a: SyntaxNode | null, b: SyntaxNode): boolean {
  return !!a && nodeId(a) === nodeId(b);
}

/** The function or lambda a parameter belongs to. */
function ownerOf(index: SourceIndex, parameter: SyntaxNode): SyntaxNode | null {
  const list = index.parent(parameter);
  return list ? index.parent(list) : null;
}

function firstClause(comprehension: SyntaxNode): SyntaxNode | null {
  return comprehension.namedChildren.find((c) => c.type === "for_in_clause") ?? null;
}

/** True when `inner` lies within `outer` (or is it). */
export function within(inner: SyntaxNode, outer: SyntaxNode): boolean {
  return nodeStart(inner) >= nodeStart(outer) && inner.endIndex <= outer.endIndex;
}

/** Whether a node stands inside a function with one of these names (at any depth). */
export function inFunctionNamed(node: SyntaxNode, names: ReadonlySet<string>): boolean {
  for (let n = node.parent; n; n = n.parent) {
    if (n.type === "function_definition" && names.has(n.childForFieldName("name")?.text ?? "")) return true;
  }
  return false;
}
