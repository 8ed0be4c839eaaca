// Which files a run covers: explicit files always (unless --force-exclude); directories
// walked once for *.py (and *.ipynb notebooks, which are checked, never fixed), skipping VCS
// folders, virtual environments, installed packages, build output, what .gitignore files
// (nested ones too) and .git/info/exclude ignore, and the --exclude globs. Symbolic links
// found in the walk are never followed, so a link loop or a link out of the tree cannot trap it.
import * as fs from "node:fs";
import * as path from "node:path";
import { hasInitPy, pathInside } from "./paths";
import ignore, { type Ignore } from "ignore";
import picomatch from "picomatch";
import { repositoryOf } from "./git";

const SKIPPED_DIRS = new Set([
  ".git", ".hg", ".svn", "node_modules", "site-packages", "dist-packages", "__pycache__",
  ".tox", ".nox", ".venv", "venv", ".eggs", ".mypy_cache", ".pytest_cache", ".ruff_cache",
  "build", "dist", "_build", "buck-out", ".ipynb_checkpoints",
]);

/** Folders that are never Python packages, skipped without looking inside. */
const NEVER_PACKAGES = new Set([".git", ".hg", ".svn", "__pycache__"]);

const SOURCE_FILE = /\.(py|ipynb)$/;

export interface DiscoverOptions {
  /** Apply the exclusions (globs, skipped folders, .gitignore) to explicit files too, as ruff's --force-exclude. */
  forceExclude?: boolean;
}

export interface Discovered {
  /** Absolute paths of the files to process, in a stable order. */
  files: string[];
  /** Paths given that do not exist. */
  missing: string[];
  /** Paths given, or folders met in the walk, that could not be read, with the reason. */
  unreadable: Array<{ path: string; reason: string }>;
}

interface GitignoreLayer {
  dir: string;
  rules: Ignore;
}

export interface ExcludeLists {
  exclude: string[];
  extendExclude: string[];
}

/**
 * ruff's rule for the two lists: `--exclude` replaces the configured `exclude`, and
 * `extend-exclude` (configured and given) adds to whichever applies. The built-in skips
 * (SKIPPED_DIRS, virtual environments, .gitignore) apply whatever the lists say.
 */
export function excludeGlobs(configured: ExcludeLists, flags: ExcludeLists): string[] {
  return [...(flags.exclude.length > 0 ? flags.exclude : configured.exclude), ...configured.extendExclude, ...flags.extendExclude];
}

/**
 * Globs match the path relative to the working directory, the absolute path, and (for a
 * glob without a slash) any single file or folder name below a given directory, as
 * `.gitignore` patterns do. A directory or file given by name is never excluded by them
 * unless `forceExclude`.
 */
export function excludeMatcher(exclude: string[]): (abs: string) => boolean {
  if (exclude.length === 0) return () => false;
  const match = picomatch(exclude.map((g) => g.replace(/\/+$/, "")), { dot: true });
  return (abs) => {
    const rel = path.relative(process.cwd(), abs).split(path.sep).join("/");
    return match(rel) || match(abs.split(path.sep).join("/")) || match(path.basename(abs));
  };
}

export function discover(paths: string[], exclude: string[] = [], options: DiscoverOptions = {}): Discovered {
  const excluded = excludeMatcher(exclude);
  const files = new Map<string, string>();
  const add = (real: string, file: string) => {
    if (!files.has(real)) files.set(real, file);
  };
  const missing: string[] = [];
  const unreadable: Discovered["unreadable"] = [];
  for (const given of paths) {
    const abs = path.resolve(given);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") missing.push(given);
      else unreadable.push({ path: given, reason: describeErrno(err) });
      continue;
    }
    if (options.forceExclude && isExcludedPath(abs, excluded, stat.isDirectory())) continue;
    if (stat.isFile()) {
      // The same file given twice, or through a link, is processed (and written) once.
      add(fs.realpathSync(abs), abs);
    } else if (stat.isDirectory()) {
      const realRoot = fs.realpathSync(abs);
      // A directory given by name is searched even if a .gitignore above it ignores it
      // (pyenv's checkout ignores every installed Python, for instance).
      const above = gitignoresAbove(abs, true).filter((layer) => !ignoredBy([layer], abs, true));
      walk(abs, above, {
        found: (file) => add(realRoot + file.slice(abs.length), file),
        skip: excluded,
        unreadable: (dir, err) => unreadable.push({ path: dir, reason: describeErrno(err) }),
      });
    }
  }
  return { files: [...files.values()].sort(), missing, unreadable };
}

/**
 * Whether a path that was not reached by a walk (an explicit file with --force-exclude, or
 * the name given with --stdin-filename) falls under the exclusions: a glob, a skipped
 * folder or virtual environment on its way, or a .gitignore.
 */
export function isExcludedPath(abs: string, excluded: (abs: string) => boolean, isDir = false): boolean {
  // The folders on the way from the working directory down to the path (none above it:
  // a checkout under /tmp/build is not "build output").
  const cwd = process.cwd();
  const inside = (p: string) => p !== cwd && !path.relative(cwd, p).startsWith("..") && !path.isAbsolute(path.relative(cwd, p));
  for (let p = abs, dir = isDir; p === abs || inside(p); p = path.dirname(p), dir = true) {
    if (excluded(p)) return true;
    const name = path.basename(p);
    if (dir && (SKIPPED_DIRS.has(name) || name.endsWith(".egg-info") || fs.existsSync(path.join(p, "pyvenv.cfg")))) return true;
    if (path.dirname(p) === p) break;
  }
  return ignoredBy(gitignoresAbove(abs, isDir), abs, isDir);
}

interface Visitor {
  found: (file: string) => void;
  skip: (abs: string) => boolean;
  unreadable: (dir: string, err: unknown) => void;
}

/**
 * Walks `dir` (a folder given by name, or reached by the walk and not yet ruled out). Paths
 * are built by joining names, and each ignore layer's relative path of a folder is worked out
 * once for all its entries: the standard library's 1800 files are found in a few milliseconds.
 */
function walk(dir: string, layers: GitignoreLayer[], visit: Visitor, given = true): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    // A folder that cannot be read is reported, not silently left out.
    visit.unreadable(dir, err);
    return;
  }
  // A virtual environment (a pyvenv.cfg marks one) is skipped, unless given by name.
  if (!given && entries.some((e) => e.name === "pyvenv.cfg")) return;
  const own = entries.some((e) => e.name === ".gitignore") ? readGitignore(dir) : null;
  const active = own ? [...layers, own] : layers;
  const prefixes = active.map((layer) => relativePrefix(layer.dir, dir));
  const ignored = (name: string, isDir: boolean) => ignoredWithin(active, prefixes, name, isDir);
  const base = dir.endsWith(path.sep) ? dir : dir + path.sep;
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = base + entry.name;
    // Symbolic links are never followed: a link loop or a link out of the tree cannot trap the walk.
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      if (NEVER_PACKAGES.has(entry.name)) continue;
      // A package (it has __init__.py) is code, whatever its name: CPython's `venv`, pip's `build`.
      if ((SKIPPED_DIRS.has(entry.name) || entry.name.endsWith(".egg-info")) && !hasInitPy(full)) continue;
      if (ignored(entry.name, true) || visit.skip(full)) continue;
      walk(full, active, visit, false);
    } else if (entry.isFile() && SOURCE_FILE.test(entry.name)) {
      if (!ignored(entry.name, false) && !visit.skip(full)) visit.found(full);
    }
  }
}

/** `dir` relative to `layerDir` with "/" separators and a trailing "/" ("" when they are the same), or null when outside it. */
function relativePrefix(layerDir: string, dir: string): string | null {
  const rel = pathInside(layerDir, dir);
  if (rel === null) return null;
  return rel ? rel.split(path.sep).join("/") + "/" : "";
}

/**
 * As git decides: the deepest ignore file with a rule matching the path wins, so a nested
 * `!keep.py` brings back a file that a parent's `*.py` ignores. For an entry named `name` of
 * one folder, given each layer's relativePrefix of that folder.
 */
function ignoredWithin(layers: GitignoreLayer[], prefixes: (string | null)[], name: string, isDir: boolean): boolean {
  for (let i = layers.length - 1; i >= 0; i--) {
    const prefix = prefixes[i];
    if (prefix === null) continue;
    const verdict = layers[i].rules.test(isDir ? prefix + name + "/" : prefix + name);
    if (verdict.ignored) return true;
    if (verdict.unignored) return false;
  }
  return false;
}

function readGitignore(dir: string): GitignoreLayer | null {
  return readIgnoreFile(dir, path.join(dir, ".gitignore"));
}

function readIgnoreFile(dir: string, file: string): GitignoreLayer | null {
  try {
    const text = fs.readFileSync(file, "utf8");
    return { dir, rules: ignore().add(text) };
  } catch {
    return null;
  }
}

/**
 * The ignore files that apply to `target` from above it: .git/info/exclude of its
 * repository, then the .gitignore files from the repository root (the folder holding .git)
 * down to the folder holding `target` (a folder's own .gitignore is read by the walk).
 * None outside a repository.
 */
function gitignoresAbove(target: string, isDir: boolean): GitignoreLayer[] {
  const repo = repositoryOf(isDir ? target : path.dirname(target));
  if (!repo) return [];
  const dirs: string[] = [];
  for (let d = path.dirname(target); target !== repo; d = path.dirname(d)) {
    dirs.unshift(d);
    if (d === repo || path.dirname(d) === d) break;
  }
  const layers = [readIgnoreFile(repo, path.join(repo, ".git", "info", "exclude")), ...dirs.map(readGitignore)];
  return layers.filter((l): l is GitignoreLayer => l !== null);
}

/** ignoredWithin for one path, which may be a layer's own folder (then that layer says nothing of it). */
function ignoredBy(layers: GitignoreLayer[], full: string, isDir: boolean): boolean {
  const dir = path.dirname(full);
  const prefixes = layers.map((layer) => (layer.dir === full ? null : relativePrefix(layer.dir, dir)));
  return ignoredWithin(layers, prefixes, path.basename(full), isDir);
}

function describeErrno(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ELOOP") return "too many levels of symbolic links (a link loop)";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  return code ?? String(err);
}
