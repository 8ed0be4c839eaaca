// The trees of a run, by text: the first round, the project model and the last round read
// the same texts, and a text is parsed once for all three. A tree is large (about 40 bytes
// for each character of its text), so the run says which it still needs and drops the rest.
import { parsePython, type Tree } from "./parse";

export class Trees {
  private readonly kept = new Map<string, Tree>();
  private size = 0;

  /**
   * `budget`: the characters of text whose trees are kept at most; past it the oldest are
   * dropped (a run of many files on one thread keeps the last ones, not all), but the tree
   * just made is always kept.
   */
  constructor(private readonly budget = 64 << 20) {}

  /** The tree of `text`: the one kept, else a new parse, kept. */
  parse(text: string): Tree {
    const found = this.kept.get(text);
    if (found) return found;
    const tree = parsePython(text);
    this.kept.set(text, tree);
    this.size += text.length;
    for (const old of this.kept.keys()) {
      if (this.size <= this.budget || old === text) break;
      this.drop(old);
    }
    return tree;
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

/** No tree kept: each text parsed when asked (a file processed on its own, or in a worker thread). */
export const UNKEPT = { parse: parsePython } as Pick<Trees, "parse">;
