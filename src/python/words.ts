// Where each word of a module's text stands: the candidates the tree then confirms. Every
// Python identifier and keyword is a maximal run of word characters, so the positions of a
// word hold every identifier spelled that way (and, in strings and comments, some that are
// not: the tree tells them apart). One pass over the text builds the whole index, the first
// time a word is asked for: asking for many words costs no more than asking for one.

/** A character that may continue a Python identifier (any non-ASCII one counts: the tree decides). */
export function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c >= 128;
}

const NONE: readonly number[] = Object.freeze([]);

export class WordIndex {
  private index: Map<string, number[]> | null = null;

  constructor(readonly text: string) {}

  /** Where `word` stands as a whole word, in order (in code, strings and comments alike). */
  positions(word: string): readonly number[] {
    return this.words().get(word) ?? NONE;
  }

  has(word: string): boolean {
    return this.words().has(word);
  }

  /** The distinct words that begin with `prefix` (`load_` finds load_model and load_data). */
  wordsStartingWith(prefix: string): string[] {
    return [...this.words().keys()].filter((w) => w.startsWith(prefix));
  }

  private words(): Map<string, number[]> {
    if (this.index) return this.index;
    const index = new Map<string, number[]>();
    const { text } = this;
    const n = text.length;
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128) {
        let j = i + 1;
        while (j < n && isWordChar(text.charCodeAt(j))) j++;
        const word = text.slice(i, j);
        const list = index.get(word);
        if (list) list.push(i);
        else index.set(word, [i]);
        i = j;
      } else if (c >= 48 && c <= 57) {
        // A number (`1e5`, `0x_ff`, `2j`): its letters are not a word.
        i++;
        while (i < n && isWordChar(text.charCodeAt(i))) i++;
      } else {
        i++;
      }
    }
    this.index = index;
    return index;
  }
}
