// The project's functions that start processes, across files, and the names it binds to the
// API: found from module summaries (src/python/module-summary.ts) read off each module's tree.
import * as fs from "node:fs";
import * as path from "node:path";
import { decodeSource, firstSyntaxError, parsePython } from "../parse";
import type { Trees } from "../trees";
import { analyzeModule, type ModuleFacts } from "../python/module";
import { STAR, callsTo, directStarts, moduleAliases, type DirectStart } from "../python/module-summary";
import { calledAs } from "../python/process-starts";
import { containsWord, mayUseProjectNames } from "../python/gate";
import { wordsAmong } from "../python/words";
import { PREFILTERS } from "../python/prefilter";
import { API_WORDS, inProcessModules } from "../python/vocabulary";
import { contextOf, importPrefix, indexProject, NO_EXPORTS, packageOf, type Project, type ProjectExports } from "./project";
import { mayPatch, patchesIn } from "./patches";

// The type of Project.exports lives with Project; the run imports it from here too.
export { NO_EXPORTS, type ProjectExports } from "./project";

/** The top-level names of the project's modules and packages: known from its files' paths, before any is read. */
export function packagesOf(project: Project): string[] {
  return [...new Set([...project.moduleOf.values()].map((m) => m.split(".")[0]))].sort();
}

/**
 * What a project tells its modules before its files are read (the first round): the names of
 * its modules, so that a worker's read of a project module's state is told from a library's.
 */
export function initialExports(project: Project): ProjectExports {
  return { ...NO_EXPORTS, packages: packagesOf(project) };
}

export interface FindOptions {
  /** The project's Python files (absolute paths). */
  files: string[];
  /** What the engine found in the files it analysed (FileResult.starts, .aliases): those are not parsed to find them again. */
  known?: Map<string, { starts: DirectStart[]; aliases: Record<string, string> }>;
  /** The bytes of files the run has read already (else they are read here). */
  bytesOf?: (file: string) => Buffer | null;
  /** How a file is named in chains. */
  show: (file: string) => string;
  /** The run's trees: a text the engine parsed is not parsed again, and the engine's last round reuses these. */
  trees?: Pick<Trees, "parse">;
  /**
   * The files of the run, when they are not all the project's: only the modules they can reach
   * by import are read (reachableFrom); the exports found are then the ones those files can
   * see, not the whole project's (not to be kept for another run).
   */
  runFiles?: string[];
}

interface Summary {
  name: string;
  /** Functions that create processes themselves, and same-file calls. */
  starts: DirectStart[];
  /** Module-level names bound to other modules' names. */
  aliases: Record<string, string>;
  /** Calls to other modules' names found so far: caller → targets. */
  calls: Map<string, Set<string>>;
}

/** Files larger than this are not read for the project model: generated code, data, never a module that calls into the project. */
const MAX_MODEL_BYTES = 8 << 20;

/**
 * The project's exports. Modules that name the API are parsed (the engine parses them anyway:
 * `known`); then, until nothing changes, the modules that may use a name found so far (they
 * write the name and a part of its module's name: src/python/gate.ts) are parsed and their
 * imports and the calls of those names in their functions read. No other file is parsed.
 * Counts the files parsed in `project`.
 */
export function findExports(project: Project, options: FindOptions): ProjectExports {
  const { moduleOf } = project;
  const moduleNames = new Set<string>();
  for (const name of moduleOf.values()) {
    const parts = name.split(".");
    for (let i = 1; i <= parts.length; i++) moduleNames.add(parts.slice(0, i).join("."));
  }
  // `import helpers` from tools/run.py finds tools/helpers.py first, as Python does.
  const absoluteFor = (f: string) => {
    const prefix = importPrefix(f, project.sourceRoots);
    return (q: string) => (prefix && moduleNames.has(`${prefix}.${q.split(".")[0]}`) ? `${prefix}.${q}` : q);
  };
  const absolutes = (f: string, aliases: Record<string, string>): Record<string, string> => {
    const absolute = absoluteFor(f);
    return Object.fromEntries(Object.entries(aliases).map(([k, v]) => [k, absolute(v)]));
  };
  const texts = new Map<string, string | null>();
  const textOf = (f: string): string | null => {
    if (!texts.has(f)) texts.set(f, readText(f, options.bytesOf));
    return texts.get(f)!;
  };

  const summaries = new Map<string, Summary>();
  const packages = packagesOf(project);
  const inScope = options.runFiles ? reachableFrom(project, options.runFiles, textOf) : null;
  const patched = patchesOf(moduleOf.keys(), textOf, options);
  let found: ProjectExports = { starts: {}, aliases: {}, packages, patched };
  /**
   * Parses a module (with the names bound to the API found so far) and reads its aliases,
   * its starts (unless the engine found them, with no aliases to miss), and the calls of
   * `names` in its functions.
   */
  const analysed = new Map<string, { aliases: Record<string, string>; facts: ModuleFacts | null }>();
  /** A module's facts with the aliases found so far, analysed again only when those changed. */
  const factsOf = (f: string, name: string, text: string): ModuleFacts | null => {
    const kept = analysed.get(f);
    if (kept && kept.aliases === found.aliases) return kept.facts;
    const tree = kept?.facts?.tree ?? (options.trees ? options.trees.parse(text) : parsePython(text));
    const facts = firstSyntaxError(tree) ? null : analyzeModule(text, tree, { moduleName: name, packageName: packageOf(f, name), aliases: found.aliases, packages, startingFunctions: {} });
    analysed.set(f, { aliases: found.aliases, facts });
    return facts;
  };
  const summarize = (f: string, names: Set<string>) => {
    const name = moduleOf.get(f)!;
    const text = textOf(f);
    if (text === null) return;
    const facts = factsOf(f, name, text);
    if (!facts) return;
    const known = Object.keys(found.aliases).length === 0 ? options.known?.get(f) : undefined;
    const starts = known?.starts ?? directStarts(facts.model, facts.sites, facts.starts, name, options.show(f), (i) => facts.lines.position(i).line);
    const summary = summaries.get(name) ?? { name, starts, aliases: {}, calls: new Map() };
    summary.starts = starts;
    summary.aliases = absolutes(f, moduleAliases(facts.model));
    summaries.set(name, summary);
    const absolute = absoluteFor(f);
    for (const { caller, target } of names.size ? callsTo(facts.model, names, name) : []) {
      let set = summary.calls.get(caller);
      if (!set) summary.calls.set(caller, (set = new Set<string>()));
      set.add(absolute(target));
    }
  };

  // Modules the engine analysed: their starts and aliases are known; the others that name the API are parsed.
  for (const f of moduleOf.keys()) {
    const name = moduleOf.get(f)!;
    const analysed = options.known?.get(f);
    if (inScope && !inScope.has(f)) continue;
    if (analysed) summaries.set(name, { name, starts: analysed.starts, aliases: absolutes(f, analysed.aliases), calls: new Map() });
    // A star import may re-export a name that starts processes (`from .engine import *` in a package's
    // __init__.py): its aliases are read once here, as a module naming the API is.
    else if (namesApi(textOf(f)) || STAR_IMPORT.test(textOf(f) ?? "")) {
      project.parsed++;
      summarize(f, new Set());
    }
  }
  found = { ...collect(summaries), packages, patched };
  // Each round parses the modules that may use a name found in the last one, and reads their calls of those names.
  const visited = new Map<string, Set<string>>();
  for (let fresh = found; Object.keys(fresh.starts).length + Object.keys(fresh.aliases).length > 0; ) {
    const names = new Set<string>([...Object.keys(fresh.starts), ...Object.keys(fresh.aliases)].map(calledAs));
    for (const f of moduleOf.keys()) {
      if (inScope && !inScope.has(f)) continue;
      const text = textOf(f);
      if (text === null) continue;
      const name = moduleOf.get(f)!;
      // Seen as the module sees them: a script's own directory gives short names (`helpers.run_all`).
      const view = contextOf(fresh, { moduleName: name, packageName: packageOf(f, name), importPrefix: importPrefix(f, project.sourceRoots) });
      if (!mayUseProjectNames(text, view)) continue;
      const seen = visited.get(f) ?? new Set<string>();
      const wanted = new Set([...names].filter((n) => !seen.has(n)));
      if (wanted.size === 0 && Object.keys(fresh.aliases).length === 0) continue;
      wanted.forEach((n) => seen.add(n));
      if (!visited.has(f)) project.read++;
      visited.set(f, seen);
      summarize(f, wanted);
    }
    const next = { ...collect(summaries), packages, patched };
    // Unchanged aliases keep their identity: the modules analysed with them need no new analysis.
    if (JSON.stringify(next.aliases) === JSON.stringify(found.aliases)) next.aliases = found.aliases;
    fresh = {
      starts: Object.fromEntries(Object.entries(next.starts).filter(([q]) => !(q in found.starts))),
      aliases: Object.fromEntries(Object.entries(next.aliases).filter(([q]) => !(q in found.aliases))),
      packages,
      patched,
    };
    found = next;
  }
  return found;
}

/**
 * The project's modules that `files` can reach by import: the files, then, until nothing is
 * added, every module whose last name part a reached text writes as a word (each import of a
 * module writes it: `import pkg.jobs`, `from pkg import jobs`, `from .jobs import run_all`,
 * `import helpers` beside a script) and the packages above a reached module (`from . import
 * run_all` writes none of its parts). Only these can lend the files a name that leads to the
 * API or starts processes: a function that calls into another module writes its name too.
 */
export function reachableFrom(project: Project, files: string[], textOf: (f: string) => string | null): Set<string> {
  const byLast = new Map<string, string[]>();
  const fileOf = new Map<string, string>();
  for (const [f, name] of project.moduleOf) {
    const last = name.slice(name.lastIndexOf(".") + 1);
    byLast.set(last, [...(byLast.get(last) ?? []), f]);
    fileOf.set(name, f);
  }
  const words = new Set(byLast.keys());
  const reached = new Set<string>();
  const queue: string[] = [];
  const reach = (f: string) => {
    if (!reached.has(f)) reached.add(f) && queue.push(f);
  };
  files.forEach(reach);
  while (queue.length > 0) {
    const f = queue.pop()!;
    const parts = project.moduleOf.get(f)?.split(".") ?? [];
    for (let i = 1; i < parts.length; i++) {
      const above = fileOf.get(parts.slice(0, i).join("."));
      if (above) reach(above);
    }
    const text = textOf(f);
    if (text !== null) for (const w of wordsAmong(text, words)) byLast.get(w)!.forEach(reach);
  }
  return reached;
}

/** The patches of default-context factories in the project's files, the first of each target (src/project/patches.ts). */
function patchesOf(files: Iterable<string>, textOf: (f: string) => string | null, options: FindOptions): Record<string, string> {
  const patched: Record<string, string> = {};
  for (const f of files) {
    // The run's own files are told from their bytes; any other is read once, for the model too.
    const bytes = options.bytesOf?.(f);
    if (bytes && !mayPatch(bytes)) continue;
    const text = textOf(f);
    if (text === null || !mayPatch(text)) continue;
    for (const { target, line } of patchesIn(text)) patched[target] ??= `${options.show(f)}:${line}`;
  }
  return patched;
}

/** A module's text, or null when it cannot be read, is too large to be a module worth reading, or cannot be decoded. */
function readText(f: string, bytesOf?: (file: string) => Buffer | null): string | null {
  try {
    const bytes = bytesOf?.(f) ?? (fs.statSync(f).size <= MAX_MODEL_BYTES ? fs.readFileSync(f) : null);
    return bytes ? decodeSource(bytes).text : null;
  } catch {
    return null;
  }
}

function namesApi(text: string | null): boolean {
  if (text === null) return false;
  if (!PREFILTERS) return true;
  return API_WORDS.some((w) => containsWord(text, w));
}

/**
 * From the summaries: every function that starts processes, directly or through calls into
 * the project, and every name the project re-found it under (`from .jobs import run_all`
 * in __init__.py makes `pkg.run_all` one), each with the chain that shows it (the functions
 * it goes through, ending at the creation site); and the names bound to the API.
 */
function collect(summaries: Map<string, Summary>): ProjectExports {
  const imports = (module: string) => summaries.get(module)?.aliases;
  // The modules each module star-imports, listed once (most have none).
  const starsOf = new Map<string, string[]>();
  for (const m of summaries.values()) {
    const stars = Object.entries(m.aliases).filter(([k]) => k.startsWith(STAR)).map(([, target]) => target);
    if (stars.length > 0) starsOf.set(m.name, stars);
  }
  // `pkg.run_all` is `pkg.jobs.run_all` when pkg/__init__.py imports it; followed through every re-export.
  const resolved = new Map<string, string>();
  const defined = new Set<string>();
  for (const m of summaries.values()) for (const s of m.starts) defined.add(s.qname);
  // The functions the summaries know (those that start processes or call into the project), and their classes.
  const functions = new Set<string>();
  for (const m of summaries.values()) {
    for (const qname of [...m.starts.map((s) => s.qname), ...m.calls.keys()]) {
      for (let at = qname.lastIndexOf("."); at > m.name.length; at = qname.lastIndexOf(".", at - 1)) functions.add(qname.slice(0, at));
      functions.add(qname);
    }
  }
  const canonicalName = (qname: string, depth = 0, starHops = 0): string => {
    const known = resolved.get(qname);
    if (known !== undefined) return known;
    // Each name is worked out once: star imports may refer to each other in a circle.
    resolved.set(qname, qname);
    let result = qname;
    if (!defined.has(qname) && depth <= 16) {
      const parts = qname.split(".");
      for (let i = parts.length - 1; i > 0 && result === qname; i--) {
        const bound = imports(parts.slice(0, i).join("."))?.[parts[i]];
        if (bound && bound !== qname) result = canonicalName([bound, ...parts.slice(i + 1)].join("."), depth + 1, starHops);
      }
      // `from .engine import *` in pkg/__init__.py: `pkg.Engine` is `pkg.engine.Engine` when that starts
      // processes. Only the module the name is in (its longest known prefix) lends its star imports,
      // a few hops deep: star imports may re-export each other, and names must not grow without end.
      let at = parts.length - 1;
      while (starsOf.size > 0 && at > 0 && !imports(parts.slice(0, at).join("."))) at--;
      const stars = starsOf.size > 0 && at > 0 && depth < 16 ? starsOf.get(parts.slice(0, at).join(".")) ?? [] : [];
      for (const star of result === qname && starHops < MAX_STAR_HOPS ? stars : []) {
        const through = canonicalName([star, ...parts.slice(at)].join("."), depth + 1, starHops + 1);
        if (functions.has(through)) {
          result = through;
          break;
        }
      }
    }
    resolved.set(qname, result);
    return result;
  };
  // Who calls what; making an instance of a project class runs its __init__.
  const callers = new Map<string, string[]>();
  const calledBy = (target: string, caller: string) => {
    const list = callers.get(target);
    if (list) list.push(caller);
    else callers.set(target, [caller]);
  };
  const chains: Record<string, string[]> = {};
  const queue: string[] = [];
  for (const m of summaries.values()) {
    for (const s of m.starts) {
      if (s.direct && !chains[s.qname]) {
        chains[s.qname] = [s.direct];
        queue.push(s.qname);
      }
      // A same-file call of a class runs its __init__, as a call into another module does.
      for (const target of s.calls) {
        calledBy(target, s.qname);
        calledBy(`${target}.__init__`, s.qname);
      }
    }
    for (const [caller, targets] of m.calls) {
      for (const call of targets) {
        const target = canonicalName(call);
        calledBy(target, caller);
        calledBy(`${target}.__init__`, caller);
      }
    }
  }
  // From each creation site outwards, nearest first: every chain is a shortest one.
  for (let next = 0; next < queue.length; next++) {
    const target = queue[next];
    for (const caller of callers.get(target) ?? []) {
      if (chains[caller]) continue;
      chains[caller] = [target, ...chains[target]];
      queue.push(caller);
    }
  }
  // Re-found: the names other modules import them under; and the names bound to the API.
  const aliases: Record<string, string> = {};
  for (const m of summaries.values()) {
    for (const [name, bound] of Object.entries(m.aliases)) {
      if (name.startsWith(STAR)) continue;
      const alias = `${m.name}.${name}`;
      const target = canonicalName(bound);
      if (inProcessModules(target)) {
        // A file that writes an API word is analysed anyway: only other names need following.
        if (!API_WORDS.includes(name)) aliases[alias] = target;
        continue;
      }
      if (chains[alias]) continue;
      for (const found of [target, `${target}.__init__`]) {
        if (chains[found]) {
          chains[alias] = [found, ...chains[found]];
          break;
        }
      }
    }
  }
  return { starts: chains, aliases, packages: [], patched: {} };
}

const STAR_IMPORT = /\bimport[ \t]*\*/;
/** How many star imports a name is followed through (`pkg` → `pkg.sub` → `pkg.sub.core`). */
const MAX_STAR_HOPS = 3;

/** Builds the project model of a tree: its modules (src/project/project.ts), then its exports (findExports). */
export function buildProject(root: string, options: Omit<FindOptions, "show"> & { show?: (file: string) => string }): Project {
  const project = indexProject(root, options.files);
  const show = options.show ?? ((f: string) => path.relative(root, f).split(path.sep).join("/"));
  project.exports = findExports(project, { ...options, show });
  return project;
}
