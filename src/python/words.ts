// Where each word of a module's text stands: the candidates the tree then confirms. Every
// Python identifier and keyword is a maximal run of word characters, so the positions of a
// word hold every identifier spelled that way (and, in strings and comments, some that are
// not: the tree tells them apart). The first words asked for are found by a string search
// each (the engine's native search runs at gigabytes a second); past a few dozen, one pass
// over the text indexes every word, so asking for many words costs no more than asking for
// one: never a pass per word over a large file.

/** A character that may continue a Python identifier (any non-ASCII one counts: the tree decides). */
export function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c >= 128;
}

const NONE: readonly number[] = Object.freeze([]);

/** Words searched for one by one before the whole text is indexed. */
const SEARCHES_BEFORE_INDEX = 16;

export class WordIndex {
  private index: Map<string, number[]> | null = null;
  private readonly searched = new Map<string, number[]>();

  constructor(readonly text: string) {}

  /** Where `word` stands as a whole word, in order (in code, strings and comments alike). */
  positions(word: string): readonly number[] {
    if (this.index) return this.index.get(word) ?? NONE;
    let found = this.searched.get(word);
    if (!found) {
      if (this.searched.size >= SEARCHES_BEFORE_INDEX) return this.words().get(word) ?? NONE;
      found = search(this.text, word);
      this.searched.set(word, found);
    }
    return found;
  }

  has(word: string): boolean {
    return this.positions(word).length > 0;
  }

  /** Whether every word's positions are known (asking for more words costs nothing more). */
  get indexed(): boolean {
    return this.index !== null;
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

/**
 * Which of `wanted` stand in the text as whole words: one pass over the text, which costs the
 * same for a thousand words as for twenty, and keeps nothing but the words found.
 */
export function wordsAmong(text: string, wanted: ReadonlySet<string>): Set<string> {
  if (wanted.size === 0) return new Set();
  const pattern = patternOf(wanted);
  return pattern ? wordsMatched(text, pattern) : wordsScanned(text, wanted);
}

/**
 * The engine's regular expressions find the words two to four times faster than a scan of the
 * characters in JavaScript. `\b` knows only ASCII word characters: a match is kept when the
 * characters on either side are no word characters of Python's either (`é` before or after
 * continues the identifier). A match of the longest word first at each place is the one that
 * can be whole there, so none is missed; words with other characters are scanned for.
 */
function wordsMatched(text: string, pattern: RegExp): Set<string> {
  const found = new Set<string>();
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    const start = m.index;
    const end = start + m[0].length;
    if ((start === 0 || !isWordChar(text.charCodeAt(start - 1))) && (end >= text.length || !isWordChar(text.charCodeAt(end)))) found.add(m[0]);
  }
  return found;
}

/** Sets of more words than this are scanned for: one expression of them all would grow too large. */
const MAX_PATTERN_WORDS = 5000;
const ASCII_WORD = /^[A-Za-z0-9_]+$/;
const patternCache = new WeakMap<ReadonlySet<string>, RegExp | null>();

/** One expression for the words, longest first; null when a word is not plain ASCII (or there are too many). */
function patternOf(words: ReadonlySet<string>): RegExp | null {
  let pattern = patternCache.get(words);
  if (pattern === undefined) {
    const list = [...words];
    const plain = list.length > 0 && list.length <= MAX_PATTERN_WORDS && list.every((w) => ASCII_WORD.test(w));
    pattern = plain ? new RegExp(`\\b(?:${list.sort((a, b) => b.length - a.length).join("|")})\\b`, "g") : null;
    patternCache.set(words, pattern);
  }
  return pattern;
}

/** Which of `wanted` stand in the text as whole words, told by a scan of its characters. */
function wordsScanned(text: string, wanted: ReadonlySet<string>): Set<string> {
  const found = new Set<string>();
  // A word is looked up only when a wanted one has its length and first character: most
  // words of a text are never cut out of it.
  const shapes = shapesOf(wanted);
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isWordChar(c)) {
      let j = i + 1;
      while (j < n && isWordChar(text.charCodeAt(j))) j++;
      // A number's letters (`1e5`) are no word; they are never wanted either.
      if (shapes.has((j - i) * 65536 + c)) {
        const word = text.slice(i, j);
        if (wanted.has(word)) found.add(word);
      }
      i = j;
    } else {
      i++;
    }
  }
  return found;
}

const shapeCache = new WeakMap<ReadonlySet<string>, Set<number>>();

/** The lengths and first characters of a set of words, one number each; worked out once per set. */
function shapesOf(words: ReadonlySet<string>): Set<number> {
  let shapes = shapeCache.get(words);
  if (!shapes) {
    shapes = new Set();
    for (const w of words) if (w.length > 0) shapes.add(w.length * 65536 + w.charCodeAt(0));
    shapeCache.set(words, shapes);
  }
  return shapes;
}

/** Where `word` stands as a whole word: a string search. */
function search(text: string, word: string): number[] {
  const found: number[] = [];
  for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + 1)) {
    const end = i + word.length;
    if ((i === 0 || !isWordChar(text.charCodeAt(i - 1))) && (end >= text.length || !isWordChar(text.charCodeAt(end)))) found.push(i);
  }
  return found;
}
