// Migration units: what must switch together is applied whole or not at all (ruff's isolation
// groups, one step further). The fixes of a file that move its processes or their objects to
// spawn (the transforms marked `unit: "switch"`: the start method, per-site contexts, the
// objects handed to the same processes) form one unit with one applicability: safe only when
// every member's own proof holds, none of them is held back or silenced, and — for a program —
// what its spawned children re-run on import is harmless (the bootstrap obligation). The guard
// fixes (`unit: "guard"`) are valid under fork too; those that apply keep statements out of
// the children, which is what the bootstrap proof counts on.
import type { SyntaxNode } from "../parse";
import type { Applicability, Edit } from "./edits";
import type { ModuleFacts } from "../python/module";
import { bootstrapProof } from "../python/bootstrap";
import type { Proof } from "../python/pickling";
import { isNeverImported, type FileInfo } from "../file-info";
import type { Options, UnitBlock } from "../options";
import type { Decision } from "../role";

/** The unit a transform's fix belongs to (Transform.unit): "switch" moves to spawn, "guard" keeps code out of children. */
export type MigrationUnit = "switch" | "guard";

/** A finding with its fix, as the engine holds it between analysis and application. */
export interface UnitMember {
  /** The transform that reported it (only its unit matters here). */
  transform: { unit?: MigrationUnit };
  edits: Edit[] | null;
  finding: { code: string; line: number; message: string; applicability: Applicability | null };
}

/** The file a unit is settled in: its facts, how it is treated, and the switch findings a suppression hides. */
export interface UnitFile {
  module: ModuleFacts;
  file: FileInfo;
  options: Options;
  decision: Decision;
  silenced: Array<{ code: string; line: number }>;
}


export const UNSAFE = "; unsafe fix (applied with --unsafe-fixes): ";

/**
 * Settles the switch unit of a file: returns why it is not safe (and marks each of its safe
 * members unsafe with that reason), or null. `carried` is the block found on the file's
 * original text: a later pass, on text the unit's own fixes changed, never lifts it.
 */
export function settleSwitchUnit(members: UnitMember[], file: UnitFile, carried: UnitBlock | null): UnitBlock | null {
  const switching = members.filter((m) => m.transform.unit === "switch");
  // A block handed in from outside (a program whose guard serves no switch) holds for the guard
  // edits too, even on a pass where no switch finding is reported yet.
  if (switching.length === 0 && !carried) return null;
  const block = carried ?? blockOf(switching, members, file);
  if (block) {
    // The guard edits the switch's bootstrap needs belong to the unit: held back with it.
    for (const member of members.filter((m) => m.transform.unit !== undefined)) {
      if (member.edits === null || member.finding.applicability !== "safe") continue;
      member.finding.applicability = "unsafe";
      member.finding.message += UNSAFE + block.reason;
    }
  }
  return block;
}

function blockOf(switching: UnitMember[], members: UnitMember[], { module, file, options, decision, silenced }: UnitFile): UnitBlock | null {
  const held = switching.find((m) => m.edits === null);
  if (held) return { obligation: "member", reason: `it switches together with line ${held.finding.line} (${held.finding.code}), which is not fixed` };
  const unsafe = switching.find((m) => m.finding.applicability !== "safe");
  if (unsafe) return { obligation: "member", reason: `it switches together with line ${unsafe.finding.line} (${unsafe.finding.code}), whose fix is unsafe` };
  const quiet = silenced[0];
  if (quiet) return { obligation: "member", reason: `it switches together with line ${quiet.line} (${quiet.code}), which a suppression keeps as it is` };
  if (decision.role === "app" && !isNeverImported(file)) {
    const proof = programBootstrap(members, module, options);
    if (proof.verdict !== "proved") return { obligation: "bootstrap", reason: proof.reason };
  }
  return null;
}

/** The bootstrap proof of a program's main module once the guard fixes that apply have kept their statements out of the children. */
export function programBootstrap(members: UnitMember[], module: ModuleFacts, options: Options): Proof {
  const applied = (m: UnitMember) => m.transform.unit === "guard" && m.edits !== null && (m.finding.applicability === "safe" || options.unsafeFixes === true);
  const guardEdits = members.filter(applied).flatMap((m) => m.edits!);
  // Asked twice on a program's first pass (its unit, and its result for the project): worked out once.
  const key = guardEdits.map((e) => `${e.start}-${e.end}`).join(",");
  return module.index.memo(`programBootstrap:${key}`, () => bootstrapProof(module, (statement) => touched(module, statement, guardEdits)));
}

/** A top-level statement a guard fix moves or wraps: an edit falls on its lines. */
function touched(module: ModuleFacts, statement: SyntaxNode, edits: Edit[]): boolean {
  const start = module.lines.lineStart(statement.startIndex);
  return edits.some((e) => (e.start === e.end ? e.start >= start && e.start < statement.endIndex : e.start < statement.endIndex && e.end > start));
}
