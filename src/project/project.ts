// The project around the files of a run: its root, its modules, its packaging metadata, and
// what it tells each module (its exports: src/project/project-exports.ts finds them, building on this file).
import * as fs from "node:fs";
import * as path from "node:path";
import { hasInitPy, pathInside } from "./paths";
import type { ModuleContext } from "../python/module";
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

/** What the project tells its modules: see ModuleContext. */
export interface ProjectExports {
  /** Qualified names of functions (and re-exports of them) that start processes, each with its chain. */
  starts: Record<string, string[]>;
  /** Project names bound to the API (`pkg.compat.mp` → `multiprocessing`), by qualified name. */
  aliases: Record<string, string>;
  /** The top-level names of the project's modules and packages. */
  packages: string[];
  /** Default-context factories the project's code patches by name (src/project/patches.ts): target → `file:line`. */
  patched: Record<string, string>;
  /**
   * The project's modules whose text names a function whose value differs between processes
   * (src/project/volatile.ts); absent until the project's files are read (then nothing is proved by it).
   */
  volatile?: string[];
}

export const NO_EXPORTS: ProjectExports = { starts: {}, aliases: {}, packages: [], patched: {} };

export interface Project {
  root: string;
  /** Where module names start: `src/` in a src layout, then the root. */
  sourceRoots: string[];
  metadata: PackagingMetadata;
  /** Module name by absolute file path. */
  moduleOf: Map<string, string>;
  /** The functions that start processes and the names bound to the API (src/project/project-exports.ts). */
  exports: ProjectExports;
  /** Files parsed because they name the API, and files parsed to read their calls of names found; the others were only searched for a few words. */
  parsed: number;
  read: number;
  /** Its exports were found for some of its files only (src/project/project-exports.ts reachableFrom): not kept for another run. */
  partial?: boolean;
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
  moduleName: string | null;
  packageName: string | null;
  importPrefix: string | null;
}

export function scopeOf(project: Project | null, file: string, isPackageDir = hasInitPy): ModuleScope {
  if (!project) return { moduleName: null, packageName: null, importPrefix: null };
  const name = project.moduleOf.get(file) ?? moduleNameOf(file, project.sourceRoots);
  return { moduleName: name, packageName: packageOf(file, name), importPrefix: importPrefix(file, project.sourceRoots, isPackageDir) };
}

const views = new WeakMap<ProjectExports, Map<string, ProjectExports>>();

/**
 * What a module sees: the project's exports, and, for a file whose own directory comes
 * first on sys.path, the ones of that directory under their short names too.
 */
export function contextOf(projectExports: ProjectExports, scope: ModuleScope): ModuleContext {
  const base = { moduleName: scope.moduleName, packageName: scope.packageName };
  const prefix = scope.importPrefix;
  if (!prefix) return { ...base, startingFunctions: projectExports.starts, aliases: projectExports.aliases, packages: projectExports.packages, patched: projectExports.patched, ...volatileOf(projectExports) };
  let byPrefix = views.get(projectExports);
  if (!byPrefix) views.set(projectExports, (byPrefix = new Map()));
  let view = byPrefix.get(prefix);
  if (!view) {
    const short = <T>(record: Record<string, T>): Record<string, T> => {
      const out = { ...record };
      for (const [qname, value] of Object.entries(record)) if (qname.startsWith(prefix + ".")) out[qname.slice(prefix.length + 1)] = value;
      return out;
    };
    view = { starts: short(projectExports.starts), aliases: short(projectExports.aliases), packages: projectExports.packages, patched: projectExports.patched, ...volatileOf(projectExports) };
    byPrefix.set(prefix, view);
  }
  return { ...base, startingFunctions: view.starts, aliases: view.aliases, packages: view.packages, patched: view.patched, ...volatileOf(view) };
}

function volatileOf(exports: ProjectExports): { volatile?: string[] } {
  return exports.volatile ? { volatile: exports.volatile } : {};
}

export function contextFor(project: Project | null, file: string): ModuleContext {
  return contextOf(project?.exports ?? NO_EXPORTS, scopeOf(project, file));
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
  return { root, sourceRoots: roots, metadata: packagingMetadata(root), moduleOf, exports: NO_EXPORTS, parsed: 0, read: 0 };
}
