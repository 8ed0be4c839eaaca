// The project around the files of a run: its root, its modules, the functions that start
// processes across files (through imports and re-exports), and its packaging metadata.
import * as fs from "node:fs";
import * as path from "node:path";
import { hasInitPy, pathInside } from "./paths";
import { decodeSource, parsePython, firstSyntaxError, type SyntaxNode } from "../parse";
import { analyzeModule, type ModuleContext, type ModuleFacts } from "../python/module";
import { callsOf, isWordChar } from "../python/index";
import { roleOf } from "../python/bindings";
import { packagingMetadata, type PackagingMetadata } from "./entrypoints";

const ROOT_MARKERS = ["pyproject.toml", "setup.cfg", "setup.py", ".git"];

/** The nearest directory at or above `start` holding a pyproject.toml, setup.cfg, setup.py or .git. */
export function findRoot(start: string): string | null {
  let dir = path.resolve(start);
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) dir = path.dirname(dir);
  for (;;) {
    if (ROOT_MARKERS.some((m) => fs.existsSync(path.join(dir, m)))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export interface Project {
  root: string;
  /** Where module names start: `src/` in a src layout, then the root. */
  sourceRoots: string[];
  metadata: PackagingMetadata;
  /** Module name by absolute file path. */
  moduleOf: Map<string, string>;
  /** Qualified names of project functions that start processes, each with its chain. */
  startingFunctions: Record<string, string[]>;
  /** Files parsed to build it, and files summarised from their text; the others were only searched for a few words. */
  parsed: number;
  read: number;
}

export function sourceRootsOf(root: string): string[] {
  const src = path.join(root, "src");
  // `src/` is a source root unless it is a package itself (imported as `src.x`).
  return isDirectory(src) && !hasInitPy(src) ? [src, root] : [root];
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

const IDENTIFIER = /^[A-Za-z_]\w*$/;

/** The dotted name of a directory or .py file below one of `roots` ("" for a root itself), or null. */
function dottedName(target: string, roots: string[]): string | null {
  for (const base of roots) {
    const rel = pathInside(base, target);
    if (rel === null) continue;
    if (rel === "") return "";
    const parts = rel.replace(/\.py$/, "").split(path.sep);
    return parts.every((p) => IDENTIFIER.test(p)) ? parts.join(".") : null;
  }
  return null;
}

export function moduleNameOf(file: string, roots: string[]): string | null {
  const name = dottedName(file.replace(/[\\/]__init__\.py$/, ""), roots);
  return name ? name : null;
}

/** The package a module's relative imports resolve against. */
export function packageOf(file: string, moduleName: string | null): string | null {
  if (!moduleName) return null;
  if (path.basename(file) === "__init__.py") return moduleName;
  const dot = moduleName.lastIndexOf(".");
  return dot < 0 ? null : moduleName.slice(0, dot);
}

/**
 * The directory a file's absolute imports are also looked up in when it is not at a source
 * root: a script's own directory (Python puts it first on sys.path), or the directory above
 * the package holding the file. Its dotted name ("tools"), or null when it is a source root.
 */
export function importPrefix(file: string, roots: string[], isPackageDir = hasInitPy): string | null {
  let dir = path.dirname(file);
  while (!roots.includes(dir) && isPackageDir(dir)) {
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  if (roots.includes(dir)) return null;
  return dottedName(dir, roots) || null;
}

/** Where a file sits in the project: what its context is built from (also in worker threads). */
export interface ModuleScope {
  packageName: string | null;
  importPrefix: string | null;
}

export function scopeOf(project: Project | null, file: string, isPackageDir = hasInitPy): ModuleScope {
  if (!project) return { packageName: null, importPrefix: null };
  const name = project.moduleOf.get(file) ?? moduleNameOf(file, project.sourceRoots);
  return { packageName: packageOf(file, name), importPrefix: importPrefix(file, project.sourceRoots, isPackageDir) };
}

const views = new WeakMap<Record<string, string[]>, Map<string, Record<string, string[]>>>();

/**
 * What a module sees: the project's starting functions, and, for a file whose own directory
 * comes first on sys.path, the ones of that directory under their short names too.
 */
export function contextOf(startingFunctions: Record<string, string[]>, scope: ModuleScope): ModuleContext {
  const prefix = scope.importPrefix;
  if (!prefix) return { packageName: scope.packageName, startingFunctions };
  let byPrefix = views.get(startingFunctions);
  if (!byPrefix) views.set(startingFunctions, (byPrefix = new Map()));
  let view = byPrefix.get(prefix);
  if (!view) {
    view = { ...startingFunctions };
    for (const [qname, chain] of Object.entries(startingFunctions)) {
      if (qname.startsWith(prefix + ".")) view[qname.slice(prefix.length + 1)] = chain;
    }
    byPrefix.set(prefix, view);
  }
  return { packageName: scope.packageName, startingFunctions: view };
}

export function contextFor(project: Project | null, file: string): ModuleContext {
  return contextOf(project?.startingFunctions ?? {}, scopeOf(project, file));
}

/**
 * Whether a module may call one of `startingFunctions`: its text names the function (for a
 * method, its class; for `__init__`, the class) and either its import statements name the
 * module (or class) it comes from, or that module's name is written just before it
 * (`pkg.jobs.run_all`), or, in the same top-level package as the function, it has a relative
 * import. Every way of reaching it does one of these, so a module that fails this cannot
 * call one. Names of the module's own functions (`ownModule`) need no import.
 */
export function mayCallStartingFunction(text: string, startingFunctions: Record<string, string[]>, packageName: string | null = null, ownModule: string | null = null): boolean {
  const words = wordsFor(startingFunctions);
  if (!words) return false;
  const own = ownModule ? words.byModule.get(ownModule) : undefined;
  words.names.lastIndex = 0;
  const relative = packageName !== null && /\bfrom\s+\./.test(text);
  let imported: Set<string> | null = null;
  for (let m = words.names.exec(text); m; m = words.names.exec(text)) {
    if (own?.has(m[1])) return true;
    // `from . import run_all` in pkg/cli.py, run_all re-exported by pkg/__init__.py: the
    // module it comes from is the file's own package (or one above it).
    if (relative) for (const module of words.modules.get(m[1])!) if (packageName === module || packageName!.startsWith(module + ".")) return true;
    // Another module's function is reached through an import that names its module (for a
    // method, its class or the class's module), or through its module written just before
    // it (`import pkg` then `pkg.jobs.run_all()`).
    imported ??= importedWords(text);
    const owners = words.owners.get(m[1])!;
    for (const owner of owners) if (imported.has(owner)) return true;
    // A method reached through an instance its class makes here (`jobs.Runner().run()`):
    // classes are CamelCase by convention, modules not; the class name is then in the text.
    // A class of the same name defined here is the file's own, which shadows any other.
    for (const owner of owners) {
      if (/^_*[A-Z]/.test(owner) && new RegExp(`\\b${owner}\\b`).test(text) && !new RegExp(`^[ \\t]*class[ \\t]+${owner}\\b`, "m").test(text)) return true;
    }
    const before = /([A-Za-z_]\w*)[ \t]*\.[ \t]*$/.exec(text.slice(Math.max(0, m.index - 80), m.index));
    if (before && owners.has(before[1])) return true;
  }
  return false;
}

/**
 * Every name written on the lines of the module's import statements (a parenthesised
 * `from m import (...)` to its closing parenthesis): the modules and what is imported from
 * them. Found with a string search; a word "import" elsewhere only adds names, never drops one.
 */
function importedWords(text: string): Set<string> {
  const words = new Set<string>();
  for (let at = text.indexOf("import"); at >= 0; at = text.indexOf("import", at + 6)) {
    if ((at > 0 && isWordChar(text.charCodeAt(at - 1))) || isWordChar(text.charCodeAt(at + 6))) continue;
    const lineStart = text.lastIndexOf("\n", at) + 1;
    let end = text.indexOf("\n", at);
    if (end < 0) end = text.length;
    const open = text.indexOf("(", at);
    if (open >= 0 && open < end) {
      const close = text.indexOf(")", open);
      if (close > end) end = close;
    }
    for (const w of text.slice(lineStart, end).match(/[A-Za-z_]\w*/g) ?? []) words.add(w);
  }
  return words;
}


interface Words {
  names: RegExp;
  /** By name: the module or class names it comes from, and the modules (dotted) that define it. */
  owners: Map<string, Set<string>>;
  modules: Map<string, Set<string>>;
  /** By module: the names of its own functions and classes that start processes. */
  byModule: Map<string, Set<string>>;
}

const wordsCache = new WeakMap<Record<string, string[]>, Words | null>();

function wordsFor(startingFunctions: Record<string, string[]>): Words | null {
  if (wordsCache.has(startingFunctions)) return wordsCache.get(startingFunctions)!;
  const owners = new Map<string, Set<string>>();
  const modules = new Map<string, Set<string>>();
  const byModule = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, key: string, value: string) => {
    if (!map.has(key)) map.set(key, new Set());
    map.get(key)!.add(value);
  };
  for (const qname of Object.keys(startingFunctions)) {
    let parts = qname.split(".");
    if (parts.length > 2 && /^__\w+__$/.test(parts[parts.length - 1])) parts = parts.slice(0, -1);
    if (parts.length < 2) continue;
    const [owner, name] = parts.slice(-2);
    add(owners, name, owner);
    // The defining module: `a.b` for a function a.b.f, `a.b` for a method a.b.C.f (classes
    // are CamelCase by convention, modules not).
    add(modules, name, parts.slice(0, parts.length > 2 && /^_*[A-Z]/.test(owner) ? -2 : -1).join("."));
    add(byModule, parts.slice(0, -1).join("."), name);
    // A method: the class is what its module's own code names.
    if (parts.length > 2) add(byModule, parts.slice(0, -2).join("."), owner);
  }
  const words = owners.size ? { names: new RegExp(`\\b(${[...owners.keys()].join("|")})\\b`, "g"), owners, modules, byModule } : null;
  wordsCache.set(startingFunctions, words);
  return words;
}

/**
 * The code that runs when a module runs, from its text alone: every line but the bodies of
 * top-level functions and classes (and their decorators); the main guard stays. Strings can
 * fool it only into keeping more.
 */
export function moduleLevelCode(text: string): string {
  const kept: string[] = [];
  let deferred = false;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line.length > 0 && !/^[ \t\f#)\]}]/.test(line)) deferred = /^(async[ \t]+def|def|class)\b|^@/.test(line);
    if (!deferred) kept.push(line);
  }
  return kept.join("\n");
}

interface FunctionSummary {
  qname: string;
  /** "pool.py:8 multiprocessing.Pool" when it creates processes itself. */
  direct: string | null;
  /** Qualified names it calls. */
  calls: string[];
}

interface ModuleSummary {
  name: string;
  functions: Map<string, FunctionSummary>;
  /** Module-level names bound by imports: what re-exports resolve through. */
  imports: Map<string, string>;
}

/**
 * Words a module must contain to start processes itself: the module, and one of the things
 * that start processes (a Pool, a Process or a subclass, a manager, an executor). Queues and
 * locks alone start nothing.
 */
const NAMES_MULTIPROCESSING = /multiprocessing|ProcessPoolExecutor/;
const NAMES_A_STARTER = /\b(Pool|Process|Manager|SyncManager|BaseManager|ProcessPoolExecutor)\b/;

function mayCreateProcesses(text: string): boolean {
  return NAMES_MULTIPROCESSING.test(text) && NAMES_A_STARTER.test(text);
}

/**
 * A function (or Process subclass) of a module that starts processes: where it creates them
 * itself ("pool.py:8 multiprocessing.Pool"), or the functions of the same module it calls
 * that do. What the engine tells the project model of a file it analysed.
 */
export interface DirectStart {
  qname: string;
  direct: string | null;
  calls: string[];
}

export interface BuildOptions {
  /** The project's Python files (absolute paths). */
  files: string[];
  /**
   * What the engine already found in files it analysed (FileResult.starts): these are not
   * parsed again, their calls are read from their text.
   */
  directs?: Map<string, DirectStart[]>;
  /** The bytes of files the run has read already (else they are read here). */
  bytesOf?: (file: string) => Buffer | null;
  /** How a file is named in chains (default: relative to the root). */
  show?: (file: string) => string;
}

/**
 * The largest file the model reads when the run does not process it anyway: hand-written
 * modules are far smaller (the standard library's largest is under 1 MB); a bigger one is
 * generated (tables, embedded data) and would cost seconds and gigabytes to search for
 * calls that it does not make. Such a file's functions are not followed into.
 */
export const MODEL_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Builds the project model: every Python file under the root is indexed by module name;
 * the files that may create processes are parsed (the engine parses them anyway) to find
 * the functions that do; then, until nothing changes, the files that may call a function
 * found to start processes (they name it and its module or class) are summarised from
 * their text: their imports, their functions and methods, and the calls in each, resolved
 * through those imports. No other file is parsed or summarised.
 */
export function buildProject(root: string, options: BuildOptions): Project {
  const project = indexProject(root, options.files);
  project.startingFunctions = findStartingFunctions(project, options);
  return project;
}

/** The project's modules by file, its source roots and packaging metadata: no file is read. */
export function indexProject(root: string, files: string[]): Project {
  const roots = sourceRootsOf(root);
  const moduleOf = new Map<string, string>();
  for (const f of files) {
    if (!f.endsWith(".py")) continue;
    const name = moduleNameOf(f, roots);
    if (name) moduleOf.set(f, name);
  }
  return { root, sourceRoots: roots, metadata: packagingMetadata(root), moduleOf, startingFunctions: {}, parsed: 0, read: 0 };
}

/**
 * The project's functions that start processes, each with its chain (see buildProject).
 * Counts the files parsed and read in `project`.
 */
export function findStartingFunctions(project: Project, options: BuildOptions): Record<string, string[]> {
  const { root, moduleOf, sourceRoots: roots } = project;
  const show = options.show ?? ((f: string) => path.relative(root, f).split(path.sep).join("/"));
  const known = new Set<string>();
  for (const name of moduleOf.values()) {
    const parts = name.split(".");
    for (let i = 1; i <= parts.length; i++) known.add(parts.slice(0, i).join("."));
  }
  // Only the few words looked for: bytes as latin1 keep ASCII names as they are.
  const texts = new Map<string, string>();
  for (const f of moduleOf.keys()) {
    try {
      const bytes = options.bytesOf?.(f) ?? (fs.statSync(f).size <= MODEL_MAX_BYTES ? fs.readFileSync(f) : null);
      if (bytes) texts.set(f, bytes.toString("latin1"));
    } catch {
      /* unreadable: reported when it is processed */
    }
  }
  const summaries = new Map<string, ModuleSummary>();
  const done = new Set<string>();
  const absoluteFor = (f: string) => {
    const prefix = importPrefix(f, roots);
    // `import helpers` from tools/run.py finds tools/helpers.py first, as Python does.
    return (q: string) => (prefix && known.has(`${prefix}.${q.split(".")[0]}`) ? `${prefix}.${q}` : q);
  };
  const parseFile = (f: string) => {
    const name = moduleOf.get(f)!;
    const known = options.directs?.get(f);
    if (known) {
      // What it creates is known; what it calls is read only if a round finds it may call
      // a function that starts processes (its own included), as for the files not parsed.
      summaries.set(name, withDirects({ name, functions: new Map(), imports: importBindings(texts.get(f)!, packageOf(f, name), absoluteFor(f)) }, known));
      return;
    }
    done.add(f);
    let text: string;
    try {
      text = decodeSource(options.bytesOf?.(f) ?? fs.readFileSync(f)).text;
    } catch {
      return;
    }
    const tree = parsePython(text);
    project.parsed++;
    if (firstSyntaxError(tree)) return;
    const facts = analyzeModule(text, tree, { packageName: packageOf(f, name), startingFunctions: {} });
    summaries.set(name, withDirects(textSummary(texts.get(f)!, name, packageOf(f, name), absoluteFor(f)), directStarts(facts, name, show(f))));
  };
  const readFile = (f: string) => {
    done.add(f);
    project.read++;
    const name = moduleOf.get(f)!;
    summaries.set(name, withDirects(textSummary(texts.get(f)!, name, packageOf(f, name), absoluteFor(f)), options.directs?.get(f) ?? []));
  };


  for (const [f, text] of texts) if (mayCreateProcesses(text)) parseFile(f);
  let starting = startingFunctions(summaries);
  // Each round looks only for the names found in the last one: a text that did not name
  // the earlier ones still does not.
  for (let fresh = starting; Object.keys(fresh).length > 0; ) {
    let grew = false;
    for (const [f, text] of texts) {
      if (done.has(f)) continue;
      if (!mayCallStartingFunction(text, fresh, packageOf(f, moduleOf.get(f)!))) continue;
      readFile(f);
      grew = true;
    }
    if (!grew) break;
    const next = startingFunctions(summaries);
    fresh = Object.fromEntries(Object.entries(next).filter(([qname]) => !(qname in starting)));
    starting = next;
  }
  return starting;
}

const IMPORT = /^[ \t]*import[ \t]+([^\n#;]+)/gm;
const FROM_IMPORT = /^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]+)/gm;
const DEFINITION = /^([ \t]*)(async[ \t]+)?(def|class)[ \t]+(\w+)/;
const CALL = /([A-Za-z_]\w*(?:[ \t]*\.[ \t]*[A-Za-z_]\w*)*)[ \t]*\(/g;
const INSTANCE_CALL = /([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)[ \t]*\([^()]*\)[ \t]*\.[ \t]*([A-Za-z_]\w*)[ \t]*\(/g;

/** Triple-quoted strings emptied (their line breaks kept) and `#` comments cut, roughly: for reading calls only. */
function withoutDocstringsAndComments(text: string): string {
  return text
    .replace(/("""|\'\'\')[\s\S]*?\1/g, (m) => m.replace(/[^\r\n]/g, " "))
    .replace(/^([^'"#\r\n]*)#[^\r\n]*/gm, "$1");
}

/** `.x` in package pkg.sub gives pkg.sub.x; `..` gives pkg; null when it leaves the package. */
function absoluteModule(module: string, packageName: string | null): string | null {
  const dots = /^\.*/.exec(module)![0].length;
  if (dots === 0) return module;
  if (!packageName) return null;
  const parts = packageName.split(".");
  if (dots - 1 >= parts.length) return null;
  const rest = module.slice(dots);
  return [...parts.slice(0, parts.length - (dots - 1)), ...(rest ? [rest] : [])].join(".");
}

/** The names a module's imports bind (at any depth: a function's own imports too), with what they name. */
function importBindings(text: string, packageName: string | null, absolute: (q: string) => string): Map<string, string> {
  const bindings = new Map<string, string>();
  for (const m of text.matchAll(IMPORT)) {
    for (const item of m[1].split(",")) {
      const [module, alias] = item.trim().split(/\s+as\s+/).map((x) => x.trim());
      if (!module || !/^[\w.]+$/.test(module)) continue;
      // `import a.b` binds a; `import a.b as c` binds c to a.b.
      if (alias) bindings.set(alias, absolute(module));
      else bindings.set(module.split(".")[0], absolute(module.split(".")[0]));
    }
  }
  for (const m of text.matchAll(FROM_IMPORT)) {
    const module = absoluteModule(m[1], packageName);
    if (module === null) continue;
    for (const item of m[2].replace(/[()\\]/g, " ").split(",")) {
      const [name, alias] = item.trim().split(/\s+as\s+/).map((x) => x.trim());
      if (name && /^\w+$/.test(name)) bindings.set(alias || name, absolute(`${module}.${name}`));
    }
  }
  return bindings;
}

/**
 * A module summarised from its text: its top-level functions and the methods of its
 * top-level classes (bodies found by indentation), and the calls in each, resolved through
 * its imports, its own top-level names and `self.`. Used for modules that do not create
 * processes themselves, which only need to show what they call.
 */
function textSummary(source: string, moduleName: string, packageName: string | null, absolute: (q: string) => string): ModuleSummary {
  // Docstrings (with their `>>> f()` examples) and comments call nothing.
  const text = withoutDocstringsAndComments(source);
  const imports = importBindings(text, packageName, absolute);
  const lines = text.split(/\r\n|\r|\n/);
  const topLevel = new Set<string>();
  for (const line of lines) {
    const m = DEFINITION.exec(line);
    if (m && m[1] === "") topLevel.add(m[4]);
  }
  const functions = new Map<string, FunctionSummary>();
  // The top-level class whose body the scan is in, and that body's indent.
  let className: string | null = null;
  let bodyIndent = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*(#|$)/.test(line)) continue;
    const indent = /^[ \t]*/.exec(line)![0].length;
    if (className !== null) {
      if (indent === 0 && !/^[)\]}]/.test(line)) className = null;
      else if (bodyIndent < 0) bodyIndent = indent;
    }
    const m = DEFINITION.exec(line);
    if (!m) continue;
    if (m[3] === "class") {
      if (indent === 0) {
        className = m[4];
        bodyIndent = -1;
      }
      continue;
    }
    // Top-level functions, and methods directly in a top-level class.
    const method = className !== null && indent === bodyIndent;
    if (indent !== 0 && !method) continue;
    let end = i + 1;
    while (end < lines.length && (/^\s*$/.test(lines[end]) || /^[ \t]*/.exec(lines[end])![0].length > indent || /^[ \t]*[)\]}]/.test(lines[end]))) end++;
    const qname = method ? `${moduleName}.${className}.${m[4]}` : `${moduleName}.${m[4]}`;
    const calls: string[] = [];
    const resolve = (callee: string): string | null => {
      const parts = callee.split(".").map((p) => p.trim());
      if (parts[0] === "self" && method && parts.length === 2) return `${moduleName}.${className}.${parts[1]}`;
      if (imports.has(parts[0])) return [imports.get(parts[0]), ...parts.slice(1)].join(".");
      if (topLevel.has(parts[0])) return `${moduleName}.${parts.join(".")}`;
      return null;
    };
    const body = lines.slice(i, end).join("\n");
    for (const call of body.matchAll(CALL)) {
      const target = resolve(call[1]);
      if (target) calls.push(target);
    }
    // `Class(...).method(...)`, with simple arguments.
    for (const call of body.matchAll(INSTANCE_CALL)) {
      const target = resolve(call[1]);
      if (target) calls.push(`${target}.${call[2]}`);
    }
    functions.set(qname, { qname, direct: null, calls });
  }
  return { name: moduleName, functions, imports };
}

/**
 * The functions of a module (top-level ones and methods of top-level classes) and its Process
 * subclasses that start processes: those that create them, with where, and those that call
 * such a function of the same module, with whom. What the project model needs of a parse;
 * calls into other modules are read from the text (textSummary).
 */
export function directStarts(facts: ModuleFacts, moduleName: string, shownPath: string): DirectStart[] {
  const found = new Map<string, DirectStart>();
  const entry = (path: string) => {
    const qname = `${moduleName}.${path}`;
    let e = found.get(qname);
    if (!e) found.set(qname, (e = { qname, direct: null, calls: [] }));
    return e;
  };
  const where = (node: SyntaxNode) => `${shownPath}:${facts.lines.position(node.startIndex).line}`;
  for (const site of facts.sites) {
    if (!site.startsProcesses) continue;
    if (site.kind === "ProcessSubclass") {
      const cls = facts.index.parent(facts.index.parent(site.node)!);
      const name = cls && isTopLevel(facts, cls) ? facts.index.field(cls, "name")?.text : null;
      if (name) entry(name).direct ??= `${where(site.node)} class ${name}(${site.node.text})`;
      continue;
    }
    const path = definitionPath(facts, site.node);
    if (path) entry(path).direct ??= `${where(site.node)} ${calleeText(site.node)}`;
  }
  // Same-file hops: `def run_all(): return crunch()` where crunch creates the pool.
  const defined = new Map<string, string[]>();
  for (const name of facts.startingFunctions) {
    for (const identifier of facts.index.identifiers(name)) {
      const role = roleOf(facts.index, identifier);
      if (role.role !== "definition") continue;
      const path = role.definition.type === "class_definition" ? (isTopLevel(facts, role.definition) ? name : null) : definitionPath(facts, identifier);
      if (path) defined.set(name, [...(defined.get(name) ?? []), path]);
    }
  }
  for (const name of facts.startingFunctions) {
    for (const call of callsOf(facts.index, name, "any")) {
      const caller = definitionPath(facts, call);
      if (!caller) continue;
      for (const target of defined.get(name) ?? []) {
        if (target !== caller) entry(caller).calls.push(`${moduleName}.${target}`);
      }
    }
  }
  return [...found.values()];
}

/** `f` for a top-level function, `C.m` for a method of a top-level class, around the node; else null. */
function definitionPath(facts: ModuleFacts, node: SyntaxNode): string | null {
  const defs: SyntaxNode[] = [];
  for (const n of facts.index.ancestors(node)) if (n.type === "function_definition" || n.type === "class_definition") defs.push(n);
  const outer = defs.reverse();
  const top = outer[0];
  if (!top || !isTopLevel(facts, top)) return null;
  const name = (d: SyntaxNode) => facts.index.field(d, "name")?.text ?? "";
  if (top.type === "function_definition") return name(top);
  const method = outer[1];
  // A method directly in the class body (a decorated one too).
  if (method?.type !== "function_definition") return null;
  const holder = facts.index.parent(method);
  const inBody = holder?.type === "block" ? holder : holder?.type === "decorated_definition" ? facts.index.parent(holder) : null;
  return inBody && facts.index.parent(inBody)?.id === top.id ? `${name(top)}.${name(method)}` : null;
}

function isTopLevel(facts: ModuleFacts, def: SyntaxNode): boolean {
  const parent = facts.index.parent(def);
  return parent?.type === "module" || (parent?.type === "decorated_definition" && facts.index.parent(parent)?.type === "module");
}

/** A text summary with what the engine found of the functions that start processes. */
function withDirects(summary: ModuleSummary, directs: DirectStart[]): ModuleSummary {
  for (const { qname, direct, calls } of directs) {
    const known = summary.functions.get(qname);
    if (known) {
      known.direct ??= direct;
      known.calls.push(...calls);
    } else summary.functions.set(qname, { qname, direct, calls: [...calls] });
  }
  return summary;
}

function calleeText(site: SyntaxNode): string {
  return site.type === "call" ? site.childForFieldName("function")!.text : site.text;
}

/**
 * Every function that starts processes, directly or through calls into the project, and
 * every name the project re-exports it under (`from .jobs import run_all` in __init__.py
 * makes `pkg.run_all` one), each with the chain that shows it: the functions it goes
 * through, ending at the creation site.
 */
function startingFunctions(summaries: Map<string, ModuleSummary>): Record<string, string[]> {
  const byName = new Map<string, FunctionSummary>();
  for (const m of summaries.values()) for (const f of m.functions.values()) byName.set(f.qname, f);
  // Follows re-exports: `pkg.run_all` is `pkg.jobs.run_all` when pkg/__init__.py imports it.
  const resolved = new Map<string, string>();
  const canonical = (qname: string, depth = 0): string => {
    const known = resolved.get(qname);
    if (known !== undefined) return known;
    let result = qname;
    if (!byName.has(qname) && depth <= 16) {
      const parts = qname.split(".");
      for (let i = parts.length - 1; i > 0; i--) {
        const bound = summaries.get(parts.slice(0, i).join("."))?.imports.get(parts[i]);
        if (bound) {
          result = canonical([bound, ...parts.slice(i + 1)].join("."), depth + 1);
          break;
        }
      }
    }
    resolved.set(qname, result);
    return result;
  };
  // Who calls what, resolved once; making an instance of a project class runs its __init__.
  const callers = new Map<string, string[]>();
  const calledBy = (target: string, caller: string) => {
    const list = callers.get(target);
    if (list) list.push(caller);
    else callers.set(target, [caller]);
  };
  for (const f of byName.values()) {
    for (const call of new Set(f.calls)) {
      const target = canonical(call);
      calledBy(target, f.qname);
      calledBy(`${target}.__init__`, f.qname);
    }
  }
  // From each creation site outwards, nearest first: every chain is a shortest one.
  const chains: Record<string, string[]> = {};
  const queue: string[] = [];
  for (const f of byName.values()) {
    if (f.direct) {
      chains[f.qname] = [f.direct];
      queue.push(f.qname);
    }
  }
  for (let next = 0; next < queue.length; next++) {
    const target = queue[next];
    for (const caller of callers.get(target) ?? []) {
      if (chains[caller]) continue;
      chains[caller] = [target, ...chains[target]];
      queue.push(caller);
    }
  }
  // Re-exports: the names other modules import it under.
  for (const m of summaries.values()) {
    for (const [name, bound] of m.imports) {
      const alias = `${m.name}.${name}`;
      if (chains[alias]) continue;
      const target = canonical(bound);
      for (const found of [target, `${target}.__init__`]) {
        if (chains[found]) {
          chains[alias] = [found, ...chains[found]];
          break;
        }
      }
    }
  }
  return chains;
}
