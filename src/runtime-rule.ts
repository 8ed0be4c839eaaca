// A finding only a run can show (`spawnsafe verify`): no static check, a code and its documentation.
import type { Fixability } from "./transform";

/**
 * A stable code, its documentation beside it in transforms/, and no static check. The static
 * engine runs `transforms` (transforms/registry.ts) only; these are listed by `rules` and
 * `explain` and used by verify.
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
