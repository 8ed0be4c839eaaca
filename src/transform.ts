// What a transform is: a finding with a stable code, its documentation, and an optional fix.
import type { SyntaxNode } from "./parse";
import type { ModuleFacts } from "./python/module";
import type { Edit } from "./fix/edits";
import { isNotebook } from "./notebook";

export type Mode = "auto" | "app" | "lib";
export type StartMethod = "spawn" | "forkserver";

/** How a file is treated: an application gets the global start method, a library explicit contexts. */
export interface Decision {
  role: "app" | "library" | "none";
  reason: string;
}

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

/** Why a file's migration unit is not safe (src/fix/units.ts): the obligation and its reason. */
export interface UnitBlock {
  obligation: "member" | "bootstrap" | "whole";
  reason: string;
}

export interface Options {
  mode: Mode;
  method: StartMethod;
  /** Where a mode other than auto came from, for the report (default: the --mode flag). */
  modeFrom?: string;
  /** Codes whose transforms do not run for this file ([tool.spawnsafe] ignore). */
  ignore?: string[];
  /** Apply unsafe fixes too (--unsafe-fixes); by default only safe ones are applied. */
  unsafeFixes?: boolean;
  /** Set by the engine when a file is fixed again with its switch unit held back (src/units.ts). */
  unitBlock?: UnitBlock;
}

export interface Report {
  /** Where the finding points. */
  node: SyntaxNode;
  message: string;
  /** The edits that fix it, or null when it is reported only. */
  fix: Edit[] | null;
  /**
   * How sure spawnsafe is that the fix keeps the program working (as ruff's fix
   * applicability): "safe" fixes are applied by `fix`; "unsafe" ones only with
   * --unsafe-fixes. Default "safe".
   */
  applicability?: Applicability;
}

/** "safe": shown to keep the program working; "unsafe": spawnsafe cannot tell. */
export type Applicability = "safe" | "unsafe";

/** A finding that makes the program fail under spawn, by code and line (see Transform.hazard). */
export interface Hazard {
  code: string;
  line: number;
}

export interface CheckContext {
  module: ModuleFacts;
  file: FileInfo;
  options: Options;
  decision: Decision;
  /**
   * The file's hazards: the findings of transforms marked `hazard` that no suppression or
   * configuration silences, by line. Empty while the hazard transforms themselves run.
   */
  hazards: Hazard[];
  report(finding: Report): void;
}

export type Fixability = "always" | "sometimes" | "never";

export interface Transform {
  /** Stable code, never reused. */
  code: string;
  /** kebab-case name: the transform's file, documentation and fixture folder. */
  name: string;
  summary: string;
  fix: Fixability;
  /**
   * Its findings make a program fail once it runs under spawn (an unpicklable target, a
   * global only the parent sets): the engine runs it first and hands its findings to every
   * other transform as `hazards`, so that fixes that would move the file to spawn hold back.
   */
  hazard?: boolean;
  /**
   * The migration unit its fix belongs to (src/units.ts): "switch" moves processes or their
   * objects to spawn, and all of a file's switch fixes are applied together or not at all;
   * "guard" keeps code out of spawned children, valid under fork too. Absent: on its own.
   */
  unit?: "switch" | "guard";
  /**
   * Its fix changes what the whole program does (removing a `set_start_method` moves the processes
   * every module makes): held back while other modules of the run make processes (src/project/programs.ts).
   */
  programWide?: boolean;
  check(context: CheckContext): void;
}

export function defineTransform(transform: Transform): Transform {
  return transform;
}

/**
 * What a transform reports for the module, found once per module: the engine and the fixes
 * that need the hazards first (src/engine.ts) share the result.
 */
export function reportsOf(transform: Transform, context: Omit<CheckContext, "report">): Report[] {
  return context.module.index.memo(`reports:${transform.code}`, () => {
    const reports: Report[] = [];
    transform.check({ ...context, report: (r) => reports.push(r) });
    return reports;
  });
}

/** The end of the message of a finding whose fix the hazards hold back. */
export function heldBack(hazards: Hazard[]): string {
  const first = hazards[0];
  const more = hazards.length > 1 ? ` and ${hazards.length - 1} more` : "";
  return `; not fixed, since under spawn the program would fail (${first.code} on line ${first.line}${more})`;
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

/**
 * A finding only a run can show (`spawnsafe verify`): a stable code, its documentation
 * beside it in transforms/, and no static check. The static engine runs `transforms`
 * (transforms/index.ts) only; these are listed by `rules` and `explain` and used by verify.
 */
export interface RuntimeRule {
  /** Stable code, never reused (SPS3xx). */
  code: string;
  /** kebab-case name: the rule's file and documentation. */
  name: string;
  summary: string;
  /** verify fixes nothing: always "never". */
  fix: Fixability;
}

export function defineRuntimeRule(rule: RuntimeRule): RuntimeRule {
  return rule;
}
