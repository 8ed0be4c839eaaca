// The trees of a run, by text: the first round, the project model and the last round read
// the same texts, and a text is parsed once for all three. A tree is large (about 40 bytes
// for each character of its text), so the run says which it still needs and drops the rest.
import { parsePython, reparsePython, type TextEdit, type Tree } from "./parse";

export class Trees {
  private readonly kept = new Map<string, Tree>();
  /** Texts whose kept tree an edit made into a rewrite's: the rewrite, and the edits that give the text back. */
  private readonly undo = new Map<string, { after: string; edits: TextEdit[] }>();
  private size = 0;

  /**
   * `budget`: the characters of text whose trees are kept at most (16 Mi characters, about
   * 650 MB of trees); past it the oldest are dropped (a run of many files on one thread keeps
   * the last ones, not all), but the tree just made is always kept.
   */
  constructor(private readonly budget = 16 << 20) {}

  /**
   * The tree of `text`: the one kept, else the one of a rewrite of it still kept, with the
   * rewrite's edits undone (an incremental parse of a copy), else a new parse; kept.
   */
  parse(text: string): Tree {
    return this.remade(text) ?? this.keep(text, parsePython(text));
  }

  /** The tree kept for `text`, else made from a rewrite of it (of a rewrite of it...) whose tree is kept; kept. */
  private remade(text: string): Tree | undefined {
    const found = this.kept.get(text);
    if (found) return found;
    const undo = this.undo.get(text);
    const from = undo && this.remade(undo.after);
    // The rewrite's tree stays as it is (the judge reads it): the edits go to a copy.
    return undo && from ? this.keep(text, reparsePython(undo.after, from, text, undo.edits, true)) : undefined;
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
   * reparsePython), kept. `tree` is edited into it: a copy first would cost a quarter of a
   * whole parse and as much memory again on a large module, for a tree the run seldom reads
   * again. A kept tree of `before` so edited is no longer kept; should the run ask for it
   * again (the file processed again in the last round), it is made incrementally from
   * `after`'s (see parse()).
   */
  reparse(before: string, tree: Tree, after: string, edits: readonly TextEdit[]): Tree {
    const found = this.kept.get(after);
    if (found) return found;
    const next = reparsePython(before, tree, after, edits, false);
    // A whole parse of `after` (a lone CR, edits that do not account for it) leaves `tree` unedited.
    if (this.kept.get(before) === tree && tree.rootNode.hasChanges) {
      this.drop(before);
      this.undo.set(before, { after, edits: inverse(before, edits) });
    }
    return this.keep(after, next);
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
    this.undo.clear();
    this.size = 0;
  }

  private drop(text: string): void {
    if (this.kept.delete(text)) this.size -= text.length;
  }
}

/** The edits that make `before` again of the text `edits` made of it (their indices into that text). */
function inverse(before: string, edits: readonly TextEdit[]): TextEdit[] {
  let shift = 0;
  return [...edits]
    .sort((a, b) => a.start - b.start || a.end - b.end)
    .map((e) => {
      const start = e.start + shift;
      shift += e.text.length - (e.end - e.start);
      return { start, end: start + e.text.length, text: before.slice(e.start, e.end) };
    });
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
