// The project's modules whose import may compute a value that differs between processes: a
// forked child has the parent's (`RUN_ID = uuid.uuid4()` made once), a spawned child makes its
// own when it imports the module afresh. Told from the text, by the names of the functions
// whose result is per process (src/python/per-process.ts): a module
// that writes none of them computes no such value itself. Over-approximate on purpose: a
// module that writes `time` anywhere is counted, and its readers are then not proved by
// src/python/project-state.ts. The environment and stdin count too: the parent may change the
// one before a spawned child imports the module, and the other is /dev/null in the child.
import { writesPerProcessWord } from "../python/per-process";

/** The names of the modules among `modules` (file → module name) whose text writes a per-process word, sorted. */
export function volatileModules(modules: Iterable<[string, string]>, textOf: (f: string) => string | null): string[] {
  const found = new Set<string>();
  for (const [file, name] of modules) {
    const text = textOf(file);
    // A module that cannot be read is not known: counted.
    if (text === null || writesPerProcessWord(text)) found.add(name);
  }
  return [...found].sort();
}
