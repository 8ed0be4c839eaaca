// What spawnsafe knows of a file before reading it: where it is, and what its project says of it.
import { isNotebook } from "./notebook";

export interface FileInfo {
  /** Path as shown in reports. */
  path: string;
  /** The package directory holding the file (it has `__init__.py`), or null. */
  packageDir: string | null;
  /** The file is a package's `__main__.py`. */
  isMainModule: boolean;
  /** What the project around the file says about it; absent when it is processed on its own. */
  project?: ProjectFacts;
}

/** Evidence from the project (src/project/plan.ts) that the app-or-library decision uses. */
export interface ProjectFacts {
  /** Its module name ("pkg.cli"), or null when it cannot be imported by name. */
  module: string | null;
  /** The evidence that the project publishes packages ("pyproject.toml [project] name = \"x\""), or null. */
  published: string | null;
  /** It sits under `src/` of a src layout: the project's importable code. */
  underSrc: boolean;
  /** It is a top-level module the project publishes (`py-modules`): where that is declared, or null. */
  pyModule: string | null;
  /** The program entry points (console and GUI scripts) that run a function of this module. */
  entryPoints: Array<{ name: string; attr: string | null; source: string }>;
}

/**
 * Code that spawned and forkserver children never import, so they cannot find what it
 * defines and never re-run its top level: a notebook (an IPython kernel's `__main__`), and a
 * `__main__.py`, run by `python -m pkg` or `python dir/`, whose module spawn's child
 * preparation skips.
 */
export function isNeverImported(file: FileInfo): boolean {
  return isNotebook(file.path) || file.isMainModule;
}

/** The names of the module's functions that its console or GUI scripts call (`main` for `pkg.cli:main`). */
export function entryFunctionNames(file: FileInfo): string[] {
  return (file.project?.entryPoints ?? []).map((e) => e.attr?.split(".")[0]).filter((n): n is string => !!n);
}
