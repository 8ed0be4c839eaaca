// Finding nodes without walking the tree. Every step from JavaScript into tree-sitter's
// native tree costs about a microsecond, as much as parsing a dozen bytes, so the analysis
// never visits a whole module: it searches the text for the names it cares about, asks the
// tree for the node at each hit, and climbs from there. Work grows with the hits, not
// with the size of the file.
import { type SyntaxNode, nodeId, nodeStart } from "../parse";
import { WordIndex } from "./words";
import { PREFILTERS } from "./prefilter";

export { isWordChar } from "./words";


export class SourceIndex {
  readonly words: WordIndex;
  private readonly identifierCache = new Map<string, SyntaxNode[]>();
  private readonly parents = new Map<number, SyntaxNode | null>();
  private readonly fields = new Map<string, SyntaxNode | null>();
  private readonly memos = new Map<string, unknown>();

  constructor(readonly text: string, readonly root: SyntaxNode, words?: WordIndex) {
    this.words = words ?? new WordIndex(text);
  }

  /** The identifiers spelled `name`, in source order (never a word in a string or a comment). */
  identifiers(name: string): SyntaxNode[] {
    let found = this.identifierCache.get(name);
    if (!found) {
      found = this.identifiersAt(name, this.words.positions(name));
      this.identifierCache.set(name, found);
    }
    return found;
  }

  /** The identifiers spelled `name` that start within [start, end), in source order. */
  identifiersWithin(name: string, start: number, end: number): SyntaxNode[] {
    const cached = this.identifierCache.get(name);
    if (cached) return cached.filter((n) => nodeStart(n) >= start && nodeStart(n) < end);
    const positions = this.words.positions(name);
    return this.identifiersAt(name, positions.slice(lowerBound(positions, start), lowerBound(positions, end)));
  }

  private readonly atPosition = new Map<number, SyntaxNode | null>();

  private identifiersAt(name: string, positions: readonly number[]): SyntaxNode[] {
    const found: SyntaxNode[] = [];
    for (const at of positions) {
      let node = this.atPosition.get(at);
      if (node === undefined) {
        const hit = this.root.descendantForIndex(at, at + name.length);
        node = hit.type === "identifier" && nodeStart(hit) === at && hit.endIndex === at + name.length ? hit : null;
        this.atPosition.set(at, node);
      }
      if (node) found.push(node);
    }
    return found;
  }

  /**
   * The identifiers spelled as any of `names`, in source order; with `keep`, only those at
   * positions it accepts, the others never looked up in the tree. `keep` is a prefilter: it
   * must accept every position the caller could use (the no-prefilter switch ignores it).
   */
  identifiersOf(names: Iterable<string>, keep?: (position: number) => boolean): SyntaxNode[] {
    const list = [...new Set(names)];
    const filter = PREFILTERS ? keep : undefined;
    const all = list.flatMap((name) => {
      if (!filter) return this.identifiers(name);
      const cached = this.identifierCache.get(name);
      return cached ? cached.filter((n) => filter(nodeStart(n))) : this.identifiersAt(name, this.words.positions(name).filter(filter));
    });
    return list.length > 1 ? all.sort((a, b) => nodeStart(a) - nodeStart(b)) : all;
  }

  /** The keyword tokens `word` (`import`, `global`, ...), in source order; with `keep`, only at the positions it accepts. */
  keywords(word: string, keep?: (position: number) => boolean): SyntaxNode[] {
    return this.memo(`keywords:${word}:${keep ? "some" : "all"}`, () => {
      const found: SyntaxNode[] = [];
      for (const at of this.words.positions(word)) {
        if (keep && !keep(at)) continue;
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
      for (const at of this.words.positions("import")) {
        // Only spaces and line continuations can stand between `import` and its `*`.
        if (PREFILTERS && this.text[skipBlanks(this.text, at + 6)] !== "*") continue;
        const keyword = this.root.descendantForIndex(at, at + 6);
        const statement = keyword.type === "import" ? this.parent(keyword) : null;
        if (statement?.type === "import_from_statement" && statement.namedChildren.some((c) => c.type === "wildcard_import")) statements.push(statement);
      }
      return statements;
    });
  }

  /** The whole words that begin with `prefix` (`load_` finds load_model and load_data), each once. */
  wordsStartingWith(prefix: string): string[] {
    return this.words.wordsStartingWith(prefix);
  }

  /** Where `name` is written as a whole word (in code, strings or comments alike). */
  wordPositions(name: string): readonly number[] {
    return this.words.positions(name);
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

  /** The statement of the module that holds the node (the node itself when it is one). */
  topLevelStatementOf(node: SyntaxNode): SyntaxNode | null {
    let n: SyntaxNode = node;
    for (let p = this.parent(n); p; n = p, p = this.parent(p)) {
      if (p.type === "module") return n;
    }
    return null;
  }
}

/** The index of the first character after `from` that is not a space, tab, form feed or line continuation. */
export function skipBlanks(text: string, from: number): number {
  let i = from;
  for (;;) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "\f") i++;
    else if (c === "\\" && (text[i + 1] === "\n" || text[i + 1] === "\r")) i += text[i + 1] === "\r" && text[i + 2] === "\n" ? 3 : 2;
    else return i;
  }
}

/** The first index of a sorted array whose value is at least `value`. */
export function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Calls whose callee ends in one of `names` (`name(...)`, `a.b.name(...)`, `(a.name)(...)`),
 * each once, in source order.
 */
export function callsNamed(index: SourceIndex, names: Iterable<string>): SyntaxNode[] {
  const calls = new Map<number, SyntaxNode>();
  for (const identifier of index.identifiersOf(names)) {
    const call = calleeCall(index, identifier);
    if (call && !calls.has(nodeId(call))) calls.set(nodeId(call), call);
  }
  return [...calls.values()].sort((a, b) => nodeStart(a) - nodeStart(b) || b.endIndex - a.endIndex);
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
