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
}

export interface Options {
  mode: Mode;
  method: StartMethod;
}

export interface Report {
  /** Where the finding points. */
  node: SyntaxNode;
  message: string;
  /** The edits that fix it, or null when it is reported only. */
  fix: Edit[] | null;
}

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
