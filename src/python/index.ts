// Finding nodes without walking the tree. Every step from JavaScript into tree-sitter's
// native tree costs about a microsecond, as much as parsing a dozen bytes, so the analysis
// never visits a whole module: it searches the text for the names it cares about, asks the
// tree for the node at each hit, and climbs from there. Work grows with the hits, not
// with the size of the file.
import type { SyntaxNode } from "../parse";

/** Nodes that open a scope of their own for the names bound inside their body. */
export const SCOPE_TYPES = new Set(["function_definition", "class_definition", "lambda"]);

export class SourceIndex {
  private readonly identifierCache = new Map<string, SyntaxNode[]>();
  private readonly positions = new Map<string, number[]>();
  private readonly parents = new Map<number, SyntaxNode | null>();
  private readonly fields = new Map<string, SyntaxNode | null>();
  private readonly memos = new Map<string, unknown>();

  constructor(readonly text: string, readonly root: SyntaxNode) {}

  /** The identifiers spelled `name`, in source order (never a word in a string or a comment). */
  identifiers(name: string): SyntaxNode[] {
    let found = this.identifierCache.get(name);
    if (!found) {
      found = [];
      for (const at of this.positionsOf([name]).get(name)!) {
        const node = this.root.descendantForIndex(at, at + name.length);
        if (node.type === "identifier" && node.startIndex === at && node.endIndex === at + name.length) found.push(node);
      }
      this.identifierCache.set(name, found);
    }
    return found;
  }

  /** The identifiers spelled as any of `names`, in source order. */
  identifiersOf(names: Iterable<string>): SyntaxNode[] {
    const list = [...new Set(names)];
    this.positionsOf(list);
    const all = list.flatMap((name) => this.identifiers(name));
    return list.length > 1 ? all.sort((a, b) => a.startIndex - b.startIndex) : all;
  }

  /** The keyword tokens `word` (`import`, `global`, ...), in source order. */
  keywords(word: string): SyntaxNode[] {
    return this.memo(`keywords:${word}`, () => {
      const found: SyntaxNode[] = [];
      for (const at of this.positionsOf([word]).get(word)!) {
        const node = this.root.descendantForIndex(at, at + word.length);
        if (node.type === word && node.startIndex === at && node.endIndex === at + word.length) found.push(node);
      }
      return found;
    });
  }

  /** `from M import *` statements, in source order. */
  starImports(): SyntaxNode[] {
    return this.memo("starImports", () =>
      this.keywords("import")
        .filter((keyword) => /^\s*\*/.test(this.text.slice(keyword.endIndex, keyword.endIndex + 80)))
        .map((keyword) => this.parent(keyword))
        .filter((statement): statement is SyntaxNode => statement?.type === "import_from_statement"),
    );
  }

  /** Searches the text for all these names in one pass, for the lookups to come. */
  prefetch(names: Iterable<string>): void {
    this.positionsOf([...new Set(names)]);
  }

  /**
   * Where each of `names` is written as a whole word, from one pass over the text for all
   * the names not searched for before (a pass costs about as much for fifty names as for one).
   */
  private positionsOf(names: string[]): Map<string, number[]> {
    const missing = names.filter((n) => !this.positions.has(n));
    if (missing.length > 0) {
      for (const name of missing) this.positions.set(name, []);
      const pattern = wordPattern(missing);
      for (let m = pattern.exec(this.text); m; m = pattern.exec(this.text)) this.positions.get(m[0])!.push(m.index);
    }
    return this.positions;
  }

  /**
   * The nodes of `type` that stand exactly where `pattern` matches (its first group when
   * it has one, else the whole match): keywords and names located from the text.
   */
  nodesMatching(pattern: RegExp, type: string | Set<string>): SyntaxNode[] {
    const types = typeof type === "string" ? new Set([type]) : type;
    const found: SyntaxNode[] = [];
    const re = new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : pattern.flags + "g");
    for (let m = re.exec(this.text); m; m = re.exec(this.text)) {
      const word = m[1] ?? m[0];
      const start = m.index + (m[1] === undefined ? 0 : m[0].indexOf(m[1]));
      if (word.length === 0) {
        re.lastIndex++;
        continue;
      }
      const node = this.root.descendantForIndex(start, start + word.length);
      if (types.has(node.type) && node.startIndex === start && node.endIndex === start + word.length) found.push(node);
    }
    return found;
  }

  /** A node's parent, asked of the tree once. */
  parent(node: SyntaxNode): SyntaxNode | null {
    const id = node.id;
    let parent = this.parents.get(id);
    if (parent === undefined) {
      parent = node.parent;
      this.parents.set(id, parent);
    }
    return parent;
  }

  /** A node's child in field `name`, asked of the tree once. */
  field(node: SyntaxNode, name: string): SyntaxNode | null {
    const key = `${node.id}:${name}`;
    let child = this.fields.get(key);
    if (child === undefined) {
      child = node.childForFieldName(name);
      this.fields.set(key, child);
    }
    return child;
  }

  /** `compute()`, once per key for this module: facts the analysis asks for more than once. */
  memo<T>(key: string, compute: () => T): T {
    if (this.memos.has(key)) return this.memos.get(key) as T;
    const value = compute();
    this.memos.set(key, value);
    return value;
  }

  /** The node's ancestors, nearest first, up to and including the module. */
  *ancestors(node: SyntaxNode): Generator<SyntaxNode> {
    for (let n = this.parent(node); n; n = this.parent(n)) yield n;
  }

  /**
   * The scope whose body holds the node: the innermost function, class or lambda around it
   * (a function's parameters, decorators and defaults belong to the scope around it), or
   * null for the module.
   */
  scopeNodeOf(node: SyntaxNode): SyntaxNode | null {
    const start = node.startIndex;
    const end = node.endIndex;
    for (const n of this.ancestors(node)) {
      if (!SCOPE_TYPES.has(n.type)) continue;
      const body = this.field(n, "body");
      if (body && start >= body.startIndex && end <= body.endIndex) return n;
    }
    return null;
  }

  /** The statement of the module that holds the node (the node itself when it is one). */
  topLevelStatementOf(node: SyntaxNode): SyntaxNode | null {
    let n: SyntaxNode = node;
    for (let p = this.parent(n); p; n = p, p = this.parent(p)) {
      if (p.type === "module") return n;
    }
    return null;
  }
}

/** A pattern for whole words: `\b` on each side unless the word begins or ends with a non-ASCII letter. */
export function wordPattern(words: string[]): RegExp {
  const alternatives = words.map((w) => {
    const escaped = w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const left = /^\w/.test(w) ? "\\b" : "";
    const right = /\w$/.test(w) ? "\\b" : "";
    return `${left}${escaped}${right}`;
  });
  return new RegExp(alternatives.length === 1 ? alternatives[0] : `(?:${alternatives.join("|")})`, "g");
}

/**
 * The call whose callee ends in this identifier: `name(...)`, `a.b.name(...)`, also through
 * parentheses (`(a.name)(...)`). Null when the identifier is anything else.
 */
export function calleeCall(index: SourceIndex, identifier: SyntaxNode): SyntaxNode | null {
  const callee = calleeExpression(index, identifier);
  if (!callee) return null;
  const call = index.parent(callee);
  if (call?.type !== "call" || call.startIndex !== callee.startIndex) return null;
  // The callee opens the call; an argument never does.
  return call;
}

/**
 * The largest expression that ends in this identifier and names the same thing: the
 * identifier, `a.b.identifier`, or either of those in parentheses.
 */
export function calleeExpression(index: SourceIndex, identifier: SyntaxNode): SyntaxNode | null {
  let node = identifier;
  let parent = index.parent(node);
  while (parent) {
    if (parent.type === "attribute" && parent.endIndex === node.endIndex && parent.startIndex !== node.startIndex) {
      // `node` is the attribute part, not the object.
    } else if (parent.type === "parenthesized_expression") {
      // `(expr)` names what expr names.
    } else {
      break;
    }
    node = parent;
    parent = index.parent(node);
  }
  return node;
}
