// Which files a run covers: explicit files always; directories walked once for *.py
// (and *.ipynb notebooks, which are checked, never fixed),
// skipping VCS folders, virtual environments, installed packages, build output and
// what .gitignore files ignore.
import * as fs from "node:fs";
import * as path from "node:path";
import ignore, { type Ignore } from "ignore";
import picomatch from "picomatch";

const SKIPPED_DIRS = new Set([
  ".git", ".hg", ".svn", "node_modules", "site-packages", "dist-packages", "__pycache__",
  ".tox", ".nox", ".venv", "venv", ".eggs", ".mypy_cache", ".pytest_cache", ".ruff_cache",
  "build", "dist", "_build", "buck-out", ".ipynb_checkpoints",
]);

export interface Discovered {
  /** Absolute paths of the files to process, in a stable order. */
  files: string[];
  /** Paths given that do not exist or cannot be read. */
  missing: string[];
}

interface GitignoreLayer {
  dir: string;
  rules: Ignore;
}

export function discover(paths: string[], exclude: string[] = []): Discovered {
  const excluded = exclude.length ? picomatch(exclude, { dot: true }) : null;
  const isExcluded = (abs: string, base: string): boolean => {
    if (!excluded) return false;
    const rel = path.relative(base, abs).split(path.sep).join("/");
    return excluded(rel) || excluded(path.basename(abs)) || rel.split("/").some((_, i, parts) => excluded(parts.slice(0, i + 1).join("/")));
  };
  const files = new Set<string>();
  const missing: string[] = [];
  for (const given of paths) {
    const abs = path.resolve(given);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(abs);
    } catch {
      missing.push(given);
      continue;
    }
    if (stat.isFile()) {
      files.add(abs);
    } else if (stat.isDirectory()) {
      const realRoot = fs.realpathSync(abs);
      // A directory given by name is searched even if a .gitignore above it ignores it
      // (pyenv's checkout ignores every installed Python, for instance).
      const above = gitignoresAbove(abs).filter((layer) => !ignoredBy([layer], abs, true));
      walk(abs, above, (file) => {
        if (!isExcluded(file, abs)) files.add(file);
      }, (dir) => isExcluded(dir, abs), realRoot);
    }
  }
  return { files: [...files].sort(), missing };
}

function walk(dir: string, layers: GitignoreLayer[], found: (file: string) => void, skip: (dir: string) => boolean, root: string): void {
  const own = readGitignore(dir);
  const active = own ? [...layers, own] : layers;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    // Symbolic links are never followed: a link loop or a link out of the tree cannot trap the walk.
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      // A package (it has __init__.py) is code, whatever its name: CPython's `venv`, pip's `build`.
      if ((SKIPPED_DIRS.has(entry.name) || entry.name.endsWith(".egg-info")) && !fs.existsSync(path.join(full, "__init__.py"))) continue;
      if (fs.existsSync(path.join(full, "pyvenv.cfg"))) continue;
      if (ignoredBy(active, full, true) || skip(full)) continue;
      walk(full, active, found, skip, root);
    } else if (entry.isFile() && /\.(py|ipynb)$/.test(entry.name)) {
      if (!ignoredBy(active, full, false)) found(full);
    }
  }
}

function readGitignore(dir: string): GitignoreLayer | null {
  try {
    const text = fs.readFileSync(path.join(dir, ".gitignore"), "utf8");
    return { dir, rules: ignore().add(text) };
  } catch {
    return null;
  }
}

/** .gitignore files between the repository root (the folder holding .git) and `dir`, exclusive. */
function gitignoresAbove(dir: string): GitignoreLayer[] {
  const chain: string[] = [];
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    chain.unshift(d);
    if (fs.existsSync(path.join(d, ".git")) || path.dirname(d) === d) break;
  }
  if (!fs.existsSync(path.join(chain[0], ".git"))) return [];
  return chain.map(readGitignore).filter((l): l is GitignoreLayer => l !== null);
}

function ignoredBy(layers: GitignoreLayer[], full: string, isDir: boolean): boolean {
  for (const layer of layers) {
    const rel = path.relative(layer.dir, full).split(path.sep).join("/");
    if (!rel || rel.startsWith("..")) continue;
    if (layer.rules.ignores(isDir ? rel + "/" : rel)) return true;
  }
  return false;
}

/** The package directory holding a file (one with __init__.py), relative to cwd, or null. */
export function packageDirOf(file: string): string | null {
  const dir = path.dirname(file);
  return fs.existsSync(path.join(dir, "__init__.py")) ? dir : null;
}
