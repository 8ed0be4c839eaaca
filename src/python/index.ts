// Finding nodes without walking the tree. Every step from JavaScript into tree-sitter's
// native tree costs about a microsecond, as much as parsing a dozen bytes, so the analysis
// never visits a whole module: it searches the text for the names it cares about, asks the
// tree for the node at each hit, and climbs from there. Work grows with the hits, not
// with the size of the file.
import { type SyntaxNode, nodeId, nodeStart } from "../parse";

/** Nodes that open a scope of their own for the names bound inside their body. */
export const SCOPE_TYPES = new Set(["function_definition", "class_definition", "lambda"]);

export class SourceIndex {
  private readonly identifierCache = new Map<string, SyntaxNode[]>();
  private readonly positions = new Map<string, number[]>();
  private readonly parents = new Map<number, SyntaxNode | null>();
  private readonly fields = new Map<string, SyntaxNode | null>();
  private readonly memos = new Map<string, unknown>();
  private readonly scopes = new Map<number, SyntaxNode | null>();

  constructor(readonly text: string, readonly root: SyntaxNode) {}

  /** The identifiers spelled `name`, in source order (never a word in a string or a comment). */
  identifiers(name: string): SyntaxNode[] {
    let found = this.identifierCache.get(name);
    if (!found) {
      found = this.identifiersAt(name, this.positionsOf([name]).get(name)!);
      this.identifierCache.set(name, found);
    }
    return found;
  }

  /**
   * The identifiers spelled `name` whose text is followed by one of `next` (after spaces and
   * line continuations): `N[` and `N.` when only subscripts and attributes of N matter. The
   * text decides first, so most places are never looked up in the tree.
   */
  identifiersFollowedBy(name: string, next: string): SyntaxNode[] {
    const { text } = this;
    const at = this.positionsOf([name]).get(name)!.filter((start) => {
      let i = start + name.length;
      while (i < text.length && " \t\f\\\r\n".includes(text[i])) i++;
      return next.includes(text[i]);
    });
    return this.identifiersAt(name, at);
  }

  private identifiersAt(name: string, positions: number[]): SyntaxNode[] {
    const found: SyntaxNode[] = [];
    for (const at of positions) {
      const node = this.root.descendantForIndex(at, at + name.length);
      if (node.type === "identifier" && nodeStart(node) === at && node.endIndex === at + name.length) found.push(node);
    }
    return found;
  }

  /**
   * The identifiers spelled as any of `names`, in source order; with `keep`, only those at
   * positions it accepts, the others never looked up in the tree.
   */
  identifiersOf(names: Iterable<string>, keep?: (position: number) => boolean): SyntaxNode[] {
    const list = [...new Set(names)];
    const positions = this.positionsOf(list);
    const all = list.flatMap((name) => {
      if (!keep) return this.identifiers(name);
      const cached = this.identifierCache.get(name);
      return cached ? cached.filter((n) => keep(nodeStart(n))) : this.identifiersAt(name, positions.get(name)!.filter(keep));
    });
    return list.length > 1 ? all.sort((a, b) => nodeStart(a) - nodeStart(b)) : all;
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
    return this.memo("starImports", () => {
      const statements: SyntaxNode[] = [];
      for (const at of this.positionsOf(["import"]).get("import")!) {
        const end = at + "import".length;
        if (!/^[ \t\f\\\r\n]*\*/.test(this.text.slice(end, end + 80))) continue;
        const keyword = this.root.descendantForIndex(at, end);
        const statement = keyword.type === "import" ? this.parent(keyword) : null;
        if (statement?.type === "import_from_statement") statements.push(statement);
      }
      return statements;
    });
  }

  /**
   * The whole words that begin with `prefix` (`load_` finds load_model and load_data), each
   * once, from a string search: cheaper than a pattern with a wildcard.
   */
  wordsStartingWith(prefix: string): string[] {
    const words = new Set<string>();
    const { text } = this;
    for (let i = text.indexOf(prefix); i >= 0; i = text.indexOf(prefix, i + 1)) {
      if (i > 0 && isWordChar(text.charCodeAt(i - 1))) continue;
      let end = i + prefix.length;
      while (end < text.length && isWordChar(text.charCodeAt(end))) end++;
      words.add(text.slice(i, end));
    }
    return [...words];
  }

  /** Where `word` opens a line (no indent): the statements of the module that begin with it. */
  lineStartsWith(word: string): number[] {
    return this.positionsOf([word]).get(word)!.filter((at) => at === 0 || this.text[at - 1] === "\n" || this.text[at - 1] === "\r");
  }

  /** Where `name` is written as a whole word (in code, strings or comments alike). */
  wordPositions(name: string): number[] {
    return this.positionsOf([name]).get(name)!;
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
    if (missing.length === 1) {
      this.positions.set(missing[0], wordPositions(this.text, missing[0]));
    } else if (missing.length > 1) {
      // `\b` is ASCII's word boundary: words that begin or end with another letter are searched one by one.
      const ascii = missing.filter((w) => /^\w(.*\w)?$/.test(w));
      for (const name of missing) this.positions.set(name, ascii.includes(name) ? [] : wordPositions(this.text, name));
      if (ascii.length > 0) {
        const pattern = wordPattern(ascii);
        for (let m = pattern.exec(this.text); m; m = pattern.exec(this.text)) this.positions.get(m[0])?.push(m.index);
      }
    }
    return this.positions;
  }

  /** A node's parent, asked of the tree once. */
  parent(node: SyntaxNode): SyntaxNode | null {
    const id = nodeId(node);
    let parent = this.parents.get(id);
    if (parent === undefined) {
      parent = node.parent;
      this.parents.set(id, parent);
    }
    return parent;
  }

  /** A node's child in field `name`, asked of the tree once. */
  field(node: SyntaxNode, name: string): SyntaxNode | null {
    const key = `${nodeId(node)}:${name}`;
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
    const id = nodeId(node);
    let scope = this.scopes.get(id);
    if (scope !== undefined) return scope;
    const parent = this.parent(node);
    if (!parent) {
      scope = null;
    } else if (SCOPE_TYPES.has(parent.type) && this.inBody(parent, node)) {
      scope = parent;
    } else {
      // Outside a scope's body (its name, parameters, bases): the scope around it.
      scope = this.scopeNodeOf(parent);
    }
    this.scopes.set(id, scope);
    return scope;
  }

  private inBody(scope: SyntaxNode, node: SyntaxNode): boolean {
    const body = this.field(scope, "body");
    return !!body && nodeStart(node) >= nodeStart(body) && node.endIndex <= body.endIndex;
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

/** Where `word` stands as a whole word: a string search, much faster than a regular expression for one word. */
function wordPositions(text: string, word: string): number[] {
  const found: number[] = [];
  for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + 1)) {
    const end = i + word.length;
    if ((i === 0 || !isWordChar(text.charCodeAt(i - 1))) && (end >= text.length || !isWordChar(text.charCodeAt(end)))) found.push(i);
  }
  return found;
}

/** A character that may continue a Python identifier (any non-ASCII one counts: the node check decides). */
export function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c >= 128;
}

/** Whole ASCII words out of `words`, in one pattern: every match is then checked against the tree. */
function wordPattern(words: string[]): RegExp {
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`\\b(?:${escaped.join("|")})\\b`, "g");
}

/**
 * Calls that invoke `name` directly, in source order: `name(...)` ("name"), `obj.name(...)`
 * ("attribute"), or both ("any").
 */
export function callsOf(index: SourceIndex, name: string, form: "name" | "attribute" | "any"): SyntaxNode[] {
  const calls: SyntaxNode[] = [];
  for (const identifier of index.identifiers(name)) {
    let callee = identifier;
    let parent = index.parent(identifier);
    const isAttribute = parent?.type === "attribute" && parent.endIndex === identifier.endIndex && nodeStart(parent) !== nodeStart(identifier);
    if (form !== "any" && isAttribute !== (form === "attribute")) continue;
    if (isAttribute) {
      callee = parent!;
      parent = index.parent(callee);
    }
    if (parent?.type === "call" && nodeStart(parent) === nodeStart(callee)) {
      const fn = index.field(parent, "function");
      if (fn && fn.endIndex === callee.endIndex) calls.push(parent);
    }
  }
  return calls;
}

/**
 * The call whose callee ends in this identifier: `name(...)`, `a.b.name(...)`, also through
 * parentheses (`(a.name)(...)`). Null when the identifier is anything else.
 */
export function calleeCall(index: SourceIndex, identifier: SyntaxNode): SyntaxNode | null {
  const callee = calleeExpression(index, identifier);
  if (!callee) return null;
  const call = index.parent(callee);
  if (call?.type !== "call" || nodeStart(call) !== nodeStart(callee)) return null;
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
    if (parent.type === "attribute" && parent.endIndex === node.endIndex && nodeStart(parent) !== nodeStart(node)) {
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
