// What a transform is: a finding with a stable code, its documentation, and an optional fix.
import type { SyntaxNode } from "./parse";
import type { ModuleFacts } from "./python/module";
import type { Edit } from "./fix/edits";

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

export interface Options {
  mode: Mode;
  method: StartMethod;
  /** Where a mode other than auto came from, for the report (default: the --mode flag). */
  modeFrom?: string;
  /** Codes whose transforms do not run for this file ([tool.spawnsafe] ignore). */
  ignore?: string[];
  /** Apply unsafe fixes too (--unsafe-fixes); by default only safe ones are applied. */
  unsafeFixes?: boolean;
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

export interface CheckContext {
  module: ModuleFacts;
  file: FileInfo;
  options: Options;
  decision: Decision;
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
   * Names its check looks up in the module's text: searched for in the same pass as the
   * analysis's own names, which costs less than a pass of their own.
   */
  words?: string[];
  check(context: CheckContext): void;
}

export function defineTransform(transform: Transform): Transform {
  return transform;
}

/**
 * What a transform reports for the module, found once per module: the engine and the fixes
 * that look at other transforms' findings first (src/spawn-hazards.ts) share the result.
 */
export function reportsOf(transform: Transform, context: Omit<CheckContext, "report">): Report[] {
  return context.module.index.memo(`reports:${transform.code}`, () => {
    const reports: Report[] = [];
    transform.check({ ...context, report: (r) => reports.push(r) });
    return reports;
  });
}
