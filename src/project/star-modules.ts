// The project's modules with a star import that do not name the API, summarised only when the
// project model asks for their names. A package's `from .engine import *` may re-export a function
// that starts processes, so such a module is one of the model's summaries from the start; but most
// star imports re-export constants and classes nobody asks the model about, and parsing them all
// cost a large project (the standard library as one root) a third of its run. Until it is asked
// for, such a module stands in the summaries unparsed, in its place; it is parsed and summarised
// as it would have been at the start (with no names found yet) when:
// - a name is looked up in it that its text writes as a word (a module binds only names it
//   writes: `import x as y`, `from m import y`, `y = m`); a name it does not write is not bound
//   there, which needs no parse;
// - its star imports are asked for (a name in it that none of its own names binds).
// A module the model's rounds read anyway (it may use a name found) is summarised there as before.
import { WordIndex } from "../python/words";

interface Deferred {
  file: string;
  words: WordIndex;
}

export class StarModules<T extends { aliases: Record<string, string> }> {
  private readonly deferred = new Map<string, Deferred>();

  /**
   * `summarise(name, file)`: the module's summary as the model's first look would have made it,
   * now in `summaries` in the stand-in's place; null when it cannot be summarised (it is then
   * taken out of `summaries`, as if never summarised).
   */
  constructor(
    private readonly summaries: Map<string, T>,
    private readonly summarise: (name: string, file: string) => T | null,
    private readonly standIn: (name: string) => T,
  ) {}

  /** Puts a module in the summaries unparsed. */
  defer(name: string, file: string, text: string): void {
    this.deferred.set(name, { file, words: new WordIndex(text) });
    this.summaries.set(name, this.standIn(name));
  }

  /** Whether a module stands in the summaries unparsed. */
  isDeferred(name: string): boolean {
    return this.deferred.has(name);
  }

  /** Whether any module stands unparsed. */
  any(): boolean {
    return this.deferred.size > 0;
  }

  /** Takes a module out of the deferred ones: the caller summarises it now (false: it was not deferred). */
  take(name: string): boolean {
    return this.deferred.delete(name);
  }

  /** The summary of `name` with its names read (parsed now if it was deferred); undefined for a module never summarised. */
  summary(name: string): T | undefined {
    const d = this.deferred.get(name);
    if (!d) return this.summaries.get(name);
    this.deferred.delete(name);
    return this.summarise(name, d.file) ?? undefined;
  }

  /** What `part` is bound to at the top of module `name`; a deferred module that does not write it as a word is not parsed. */
  bound(name: string, part: string): string | undefined {
    const d = this.deferred.get(name);
    if (d && !d.words.has(part)) return undefined;
    const aliases = this.summary(name)?.aliases;
    return aliases && Object.hasOwn(aliases, part) ? aliases[part] : undefined;
  }
}
