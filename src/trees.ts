// The trees of a run, by text: the first round, the project model and the last round read
// the same texts, and a text is parsed once for all three. A tree is large (about 40 bytes
// for each character of its text), so the run says which it still needs and drops the rest.
import { parsePython, reparsePython, type TextEdit, type Tree } from "./parse";

export class Trees {
  private readonly kept = new Map<string, Tree>();
  private size = 0;

  /**
   * `budget`: the characters of text whose trees are kept at most (16 Mi characters, about
   * 650 MB of trees); past it the oldest are dropped (a run of many files on one thread keeps
   * the last ones, not all), but the tree just made is always kept.
   */
  constructor(private readonly budget = 16 << 20) {}

  /** The tree of `text`: the one kept, else a new parse, kept. */
  parse(text: string): Tree {
    const found = this.kept.get(text);
    if (found) return found;
    return this.keep(text, parsePython(text));
  }

  private keep(text: string, tree: Tree): Tree {
    this.kept.set(text, tree);
    this.size += text.length;
    for (const old of this.kept.keys()) {
      if (this.size <= this.budget || old === text) break;
      this.drop(old);
    }
    return tree;
  }

  /**
   * The tree of `after`, made from `before` by `edits` (a fix's pass), where `tree` is
   * `before`'s: the one kept, else parsed incrementally from `tree` (src/parse.ts
   * reparsePython), kept. A tree kept for `before` stays as it is: the edit goes to a copy.
   */
  reparse(before: string, tree: Tree, after: string, edits: readonly TextEdit[]): Tree {
    const found = this.kept.get(after);
    if (found) return found;
    return this.keep(after, reparsePython(before, tree, after, edits, this.kept.get(before) === tree));
  }

  /** The tree kept for `text`, without parsing it. */
  peek(text: string): Tree | undefined {
    return this.kept.get(text);
  }

  /** Keeps only the trees of `texts`. */
  retain(texts: Iterable<string>): void {
    const wanted = new Set(texts);
    for (const text of [...this.kept.keys()]) if (!wanted.has(text)) this.drop(text);
  }

  clear(): void {
    this.kept.clear();
    this.size = 0;
  }

  private drop(text: string): void {
    if (this.kept.delete(text)) this.size -= text.length;
  }
}

/** What the engine asks of the run's trees. */
export type TreeSource = Pick<Trees, "parse" | "reparse">;

/**
 * No tree kept: each text parsed when asked (a file processed on its own, or in a worker
 * thread), a rewrite's from the tree of the text before it, which no one else holds (edited in place).
 */
export const UNKEPT: TreeSource = {
  parse: parsePython,
  reparse: (before, tree, after, edits) => reparsePython(before, tree, after, edits, false),
};
