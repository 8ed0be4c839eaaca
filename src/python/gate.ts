// Which files can have anything to report, told from their text before they are parsed.
//
// Every finding starts from a name the semantic model resolves to the API or to a project
// function that starts processes. A name gets there only through an import, which names the
// module it comes from: an API module (multiprocessing, concurrent.futures' only process
// class ProcessPoolExecutor, os.fork), or a project module that binds the name. So a file
// that writes none of the API's words, and for every project name that leads to the API or
// starts processes does not write the name with the first and last parts of its module's
// name (an absolute import writes the whole path: `from pkg.jobs import run_all`, `import
// pkg.jobs as j`, `from pkg import jobs`), or with a relative import another part of it (or
// none, when the module is a package the file sits in, or is that module), has nothing to
// report. src/python/prefilter.ts turns
// the gate off; test/prefilter.slow.test.ts shows it changes nothing.
import { PREFILTERS } from "./prefilter";
import { API_WORDS } from "./vocabulary";
import { WordIndex, isWordChar, wordsAmong } from "./words";

/** What a module is told of its project (see ModuleContext). */
export interface ProjectNames {
  /** The module's own name: its own names need no import (the analysis of the module itself finds them). */
  moduleName?: string | null;
  packageName: string | null;
  /** Qualified names of project functions that start processes. */
  startingFunctions: Record<string, string[]>;
  /** Project names bound to other names (re-exports), by qualified name. */
  aliases: Record<string, string>;
}

/** A suppression comment (`# spawnsafe: ignore`) is reported when it silences nothing: a file holding one has findings to look for. */
const SUPPRESSION_WORD = "spawnsafe";

/** The words the bytes are searched for: a word that holds another (`forkpty`, `fork`) needs no search of its own. */
const BYTE_WORDS = [...API_WORDS, SUPPRESSION_WORD].filter((w, _, all) => !all.some((other) => other !== w && w.includes(other)));

/** The file's bytes hold one of the API's words or a suppression (a superset of the text test, told without decoding). */
export function mentionsApi(bytes: Buffer): boolean {
  return !PREFILTERS || BYTE_WORDS.some((word) => bytes.includes(word));
}

/** True when the project has names that lead to the API or start processes: any file may then use one. */
export function projectMatters(project: ProjectNames): boolean {
  return Object.keys(project.startingFunctions).length > 0 || Object.keys(project.aliases).length > 0;
}

/** Whether a module with this text may have findings (see the file's comment). */
export function mayHaveFindings(text: string, project: ProjectNames, words?: WordIndex): boolean {
  if (!PREFILTERS) return true;
  if ([...API_WORDS, SUPPRESSION_WORD].some((w) => (words ? words.has(w) : containsWord(text, w)))) return true;
  return projectMatters(project) && mayUseProjectNames(text, project, words);
}

/**
 * Whether the text names the API (or holds a suppression) itself: not a prefilter but what
 * decides that a file spawnsafe cannot parse is its business (an error) or not (left alone).
 */
export function namesApi(text: string): boolean {
  return [...API_WORDS, SUPPRESSION_WORD].some((w) => containsWord(text, w));
}

/** Whether `word` stands in the text as a whole word: a string search, without indexing every word. */
export function containsWord(text: string, word: string): boolean {
  for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + 1)) {
    const end = i + word.length;
    if ((i === 0 || !isWordChar(text.charCodeAt(i - 1))) && (end >= text.length || !isWordChar(text.charCodeAt(end)))) return true;
  }
  return false;
}

/** Whether the text may use one of the project's names that lead to the API or start processes. */
export function mayUseProjectNames(text: string, project: ProjectNames, known?: WordIndex): boolean {
  if (!PREFILTERS) return true;
  const relative = /\bfrom[ \t\\\r\n]+\./.test(text);
  // Every word the names may need, found in one pass (unless the text is indexed already): most texts
  // asked about have nothing to report, and indexing all their words would cost more than the pass.
  let present: Set<string> | null = null;
  const words = known?.indexed ? known : { has: (w: string) => (present ??= wordsAmong(text, vocabularyOf(project))).has(w) };
  const pkg = project.packageName ?? null;
  const own = project.moduleName ?? null;
  for (const byWord of [namesOf(project.startingFunctions), namesOf(project.aliases)]) {
    for (const [written, names] of byWord) {
      // A module's own names need no import (the text is indexed only for others').
      if (names.every((n) => n.module === own) || !words.has(written)) continue;
      for (const { owners, module } of names) {
        if (module === own) continue;
        // An absolute import writes the module's whole path: its first part and its last (the
        // module, or the class of a method: `from pkg.jobs import Runner`, `from pkg import
        // jobs`; a name re-exported elsewhere is a name of its own). A relative one writes the
        // parts below the package it starts from (`from .jobs import run_all`).
        if (owners.length === 0 || (words.has(owners[0]) && words.has(owners[owners.length - 1])) || (relative && owners.some((p) => words.has(p)))) return true;
        // `from . import run_all` (or `from .. import`) names no part of the module when the
        // module is a package the file sits in; any other module a relative import reaches is
        // written (`from .jobs import run_all`, `from . import jobs`).
        if (relative && pkg !== null && (pkg === module || pkg.startsWith(`${module}.`))) return true;
      }
    }
  }
  return false;
}

interface WrittenName {
  /** The word a use writes: the last part, or for `C.__init__` the class. */
  written: string;
  /** The parts of the module (and class) it comes from. */
  owners: string[];
  /** The module that defines it, when it is a function of a module (not a method). */
  module: string;
}

const namesCache = new WeakMap<object, Map<string, WrittenName[]>>();
const vocabularyCache = new WeakMap<object, WeakMap<object, Set<string>>>();

/** The words a use of the project's names may write: the names and their modules' parts. */
function vocabularyOf(project: ProjectNames): Set<string> {
  let byStarts = vocabularyCache.get(project.aliases);
  if (!byStarts) vocabularyCache.set(project.aliases, (byStarts = new WeakMap()));
  let words = byStarts.get(project.startingFunctions);
  if (!words) {
    words = new Set();
    for (const byWord of [namesOf(project.startingFunctions), namesOf(project.aliases)]) {
      for (const [written, names] of byWord) {
        words.add(written);
        for (const { owners } of names) for (const part of owners) words.add(part);
      }
    }
    byStarts.set(project.startingFunctions, words);
  }
  return words;
}

/** The names of a record of qualified names, by the word a use writes; worked out once per record. */
function namesOf(record: Record<string, unknown>): Map<string, WrittenName[]> {
  let names = namesCache.get(record);
  if (!names) {
    names = new Map();
    for (const qname of Object.keys(record)) {
      const parts = qname.split(".");
      // `C.__init__` runs when `C(...)` is called: the class's name is written.
      const init = parts[parts.length - 1] === "__init__" && parts.length > 1;
      const end = parts.length - (init ? 2 : 1);
      const name = { written: parts[end], owners: parts.slice(0, end), module: parts.slice(0, end).join(".") };
      const list = names.get(name.written);
      if (list) list.push(name);
      else names.set(name.written, [name]);
    }
    namesCache.set(record, names);
  }
  return names;
}
