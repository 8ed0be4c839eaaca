// What a transform is: a finding with a stable code, its documentation, and an optional fix.
import type { SyntaxNode } from "./parse";
import type { ModuleFacts } from "./python/module";
import type { Applicability, Edit } from "./fix/edits";
import type { MigrationUnit } from "./fix/units";
import type { FileInfo } from "./file-info";
import type { Hazard } from "./hazards";
import type { Options } from "./options";
import type { Decision } from "./role";

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
   * The migration unit its fix belongs to (src/fix/units.ts): "switch" moves processes or their
   * objects to spawn, and all of a file's switch fixes are applied together or not at all;
   * "guard" keeps code out of spawned children, valid under fork too. Absent: on its own.
   */
  unit?: MigrationUnit;
  /**
   * Its fix changes what the whole program does (removing a `set_start_method` moves the processes
   * every module makes): held back while other modules of the run make processes (src/project/programs.ts).
   */
  programWide?: boolean;
  /**
   * Its findings speak of the `set_start_method` call on their line: the report then says
   * nothing more of why that call was left as it is (src/skips.ts).
   */
  speaksOfStartMethodCall?: boolean;
  /**
   * Its findings, or their fixes' safety, depend on which factories the project's tests patch
   * (src/project/patches.ts), which a run's first round does not know yet: a file with one of
   * them is processed again once the project model is built (src/run-files.ts).
   */
  readsTestPatches?: boolean;
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
