// What a run covers and how each file is treated: the project root of every path given,
// its configuration, the project model built once per root, and per file the settings
// (flags over config), the evidence for the app-or-library decision and the module context.
import * as fs from "node:fs";
import * as path from "node:path";
import { discover } from "./discover";
import { emptyConfig, isExcluded, loadConfig, settingsFor, type Config } from "./config";
import { findRoot, indexProject, moduleNameOf, scopeOf, type ModuleScope, type Project } from "./project";
import { findExports, initialExports, type ProjectExports } from "./project-exports";
import type { DirectStart } from "../python/module-summary";
import type { Trees } from "../trees";
import { isProgram } from "./entrypoints";
import { hasInitPy, packageDirLookup } from "./paths";
import type { Mode, Options, StartMethod } from "../options";
import type { ProjectFacts } from "../file-info";

export interface PlanRequest {
  paths: string[];
  /** --exclude and --extend-exclude globs. */
  exclude: string[];
  /** --exclude was given: it replaces the configuration's `exclude` list instead of adding to it. */
  replaceConfiguredExclude?: boolean;
  /** --force-exclude: exclusions apply to files named on the command line too. */
  forceExclude?: boolean;
  /** Flags given on the command line; absent ones come from the configuration, then the defaults. */
  flags: { mode?: Mode; method?: StartMethod; unsafeFixes?: boolean };
  /** --config FILE: used for every root instead of its pyproject.toml. */
  config?: string | null;
  /** --isolated: no configuration file is read. */
  isolated?: boolean;
}

export interface PlannedFile {
  options: Options;
  facts: ProjectFacts;
  root: string;
  scope: ModuleScope;
}

export interface RunPlan {
  /** Absolute paths of the files to process, in a stable order. */
  files: string[];
  missing: string[];
  /** Paths given, or folders met in the walk, that could not be read, with the reason. */
  unreadable: Array<{ path: string; reason: string }>;
  projects: Map<string, Project>;
  /**
   * By root: the project's functions that start processes and names bound to the API (sent
   * once to each worker thread). Until findStarts() has run, only the names of the project's
   * modules (src/project/project-exports.ts initialExports).
   */
  exports: Record<string, ProjectExports>;
  /** By root: the project's files (what its model is built from). */
  projectFiles: Map<string, string[]>;
  setup(file: string): PlannedFile;
  /** Whether a folder holds an __init__.py, each folder looked up once in the run. */
  isPackageDir(dir: string): boolean;
  /**
   * Finds each project's functions that start processes, given what the engine already
   * found in the files it analysed (`directs`, by file: those are not parsed again).
   */
  findStarts(known: Map<string, { starts: DirectStart[]; aliases: Record<string, string> }>, bytesOf?: (file: string) => Buffer | null, trees?: Pick<Trees, "parse">): void;
  /** Takes a project's exports as found by an earlier run (from the cache) instead. */
  useExports(root: string, found: ProjectExports): void;
}

export const DEFAULT_MODE: Mode = "auto";
export const DEFAULT_METHOD: StartMethod = "spawn";

/**
 * Plans a run. Throws ConfigError (before anything is processed or written) when a
 * configuration file cannot be read or holds an unknown key or a bad value.
 */
export function planRun(request: PlanRequest, show: (file: string) => string): RunPlan {
  const rootOfPath = new Map<string, string>();
  // Roots found by no marker for a file: its directory, of which only what it can import counts.
  const bare = new Set<string>();
  for (const given of request.paths) {
    const abs = path.resolve(given);
    if (!fs.existsSync(abs)) continue;
    // Without a marker above it, a directory is its own project, and so is a file's directory.
    const found = findRoot(abs);
    const isDir = fs.statSync(abs).isDirectory();
    rootOfPath.set(given, found ?? (isDir ? abs : path.dirname(abs)));
    if (!found && !isDir) bare.add(path.dirname(abs));
  }
  const configs = new Map<string, Config>();
  const shared = request.config && !request.isolated ? loadConfig(request.config, process.cwd(), show) : null;
  for (const root of new Set(rootOfPath.values())) {
    configs.set(root, request.isolated ? emptyConfig(root) : shared ?? loadConfig(null, root, show));
  }

  // Files found by walking a directory honour the configuration's `exclude`; files named
  // on the command line are always processed, as with --exclude.
  const rootOf = new Map<string, string>();
  const missing: string[] = [];
  const unreadable: Array<{ path: string; reason: string }> = [];
  const walked = new Map<string, string[]>();
  const configured = (root: string, file: string) => !request.replaceConfiguredExclude && isExcluded(configs.get(root)!, file);
  // One walk for all paths: a file reached twice (named twice, or through a link) comes once.
  const found = discover(request.paths, request.exclude, { forceExclude: request.forceExclude });
  missing.push(...found.missing);
  unreadable.push(...found.unreadable);
  const givenAbs = request.paths.map((given) => ({ given, abs: path.resolve(given) }));
  for (const file of found.files) {
    const from = givenAbs.find(({ abs }) => file === abs || file.startsWith(abs + path.sep));
    const root = from && rootOfPath.get(from.given);
    if (!from || !root) continue;
    const explicit = file === from.abs;
    if (!explicit) {
      const list = walked.get(from.abs);
      if (list) list.push(file);
      else walked.set(from.abs, [file]);
    }
    if (rootOf.has(file) || ((!explicit || request.forceExclude) && configured(root, file))) continue;
    rootOf.set(file, root);
  }
  const projects = new Map<string, Project>();
  const projectFiles = new Map<string, string[]>();
  const exportsByRoot: Record<string, ProjectExports> = {};
  for (const root of new Set(rootOf.values())) {
    const config = configs.get(root)!;
    const all = walked.get(root) ?? (bare.has(root) ? importableFrom(root, request.exclude) : discover([root], request.exclude).files);
    const files = all.filter((f) => !isExcluded(config, f));
    const project = indexProject(root, files);
    projects.set(root, project);
    projectFiles.set(root, files);
    exportsByRoot[root] = initialExports(project);
  }

  const isPackageDir = packageDirLookup();
  return {
    files: [...rootOf.keys()].sort(),
    isPackageDir,
    missing,
    unreadable,
    projects,
    exports: exportsByRoot,
    projectFiles,
    useExports(root, found) {
      projects.get(root)!.exports = found;
      exportsByRoot[root] = found;
    },
    findStarts(known, bytesOf, trees) {
      const runFiles = new Map<string, string[]>();
      for (const [file, root] of rootOf) runFiles.set(root, [...(runFiles.get(root) ?? []), file]);
      for (const [root, project] of projects) {
        // A run of some of the project's files reads only the modules they can reach.
        const some = runFiles.get(root) ?? [];
        const partial = [...project.moduleOf.keys()].some((f) => !rootOf.has(f));
        project.partial = partial;
        project.exports = findExports(project, { files: projectFiles.get(root)!, show, known, bytesOf, trees, ...(partial ? { runFiles: some } : {}) });
        exportsByRoot[root] = project.exports;
      }
    },
    setup(file) {
      const root = rootOf.get(file)!;
      const project = projects.get(root)!;
      const settings = settingsFor(configs.get(root)!, file);
      const mode = request.flags.mode ?? settings.mode ?? DEFAULT_MODE;
      const options: Options = {
        mode,
        method: request.flags.method ?? settings.method ?? DEFAULT_METHOD,
        ...(request.flags.mode === undefined && settings.modeFrom ? { modeFrom: settings.modeFrom } : {}),
        ...(settings.ignore.length ? { ignore: settings.ignore } : {}),
        ...(request.flags.unsafeFixes ? { unsafeFixes: true } : {}),
      };
      return { options, facts: projectFacts(project, file), root, scope: scopeOf(project, file, isPackageDir) };
    },
  };
}

/**
 * What a script in `dir` can import when no project marker says more: the modules beside it
 * and the packages (folders with __init__.py) there. Not the whole tree below, which may be
 * a home directory.
 */
function importableFrom(dir: string, exclude: string[]): string[] {
  const files: string[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return files;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && entry.name.endsWith(".py")) files.push(full);
    else if (entry.isDirectory() && hasInitPy(full)) files.push(...discover([full], exclude).files);
  }
  return files.sort();
}

function projectFacts(project: Project, file: string): ProjectFacts {
  const module = project.moduleOf.get(file) ?? moduleNameOf(file, project.sourceRoots);
  const { metadata, sourceRoots } = project;
  const src = sourceRoots.length > 1 ? sourceRoots[0] : null;
  const atSourceRoot = sourceRoots.includes(path.dirname(file));
  const pyModule = module && atSourceRoot && metadata.pyModules.includes(module) ? `py-modules lists ${module}` : null;
  return {
    module,
    published: metadata.published,
    underSrc: src !== null && file.startsWith(src + path.sep),
    pyModule,
    entryPoints: metadata.entryPoints
      .filter((e) => isProgram(e) && module !== null && e.module === module)
      .map((e) => ({ name: e.name, attr: e.attr, source: e.source })),
  };
}
