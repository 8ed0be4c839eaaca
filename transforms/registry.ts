// Every transform, in the order their findings are listed. Codes are never reused.
import type { Transform } from "../src/transform";
import { unusedSuppression } from "./unused-suppression";
import { missingMainGuard } from "./missing-main-guard";
import { defaultStartMethod } from "./default-start-method";
import { defaultContextInLibrary } from "./default-context-in-library";
import { topLevelSetStartMethod } from "./top-level-set-start-method";
import { explicitFork } from "./explicit-fork";
import { moduleLevelSyncObject } from "./module-level-sync-object";
import { librarySetsStartMethod } from "./library-sets-start-method";
import { computedContext } from "./computed-context";
import { osFork } from "./os-fork";
import { unpicklableTarget } from "./unpicklable-target";
import { globalOnlyInMain } from "./global-only-in-main";
import { mixedContexts } from "./mixed-contexts";
import { moduleLevelWork } from "./module-level-work";
import { notReimportable } from "./not-reimportable";
import type { RuntimeRule } from "../src/runtime-rule";
import { unpicklableArgument } from "./unpicklable-argument";
import { childStartFailure } from "./child-start-failure";
import { hang } from "./hang";
import { environDiffers } from "./environ-differs";
import { readsStartMethod } from "./reads-start-method";

export const transforms: Transform[] = [
  missingMainGuard,
  defaultStartMethod,
  defaultContextInLibrary,
  topLevelSetStartMethod,
  explicitFork,
  moduleLevelSyncObject,
  librarySetsStartMethod,
  computedContext,
  osFork,
  unpicklableTarget,
  globalOnlyInMain,
  mixedContexts,
  moduleLevelWork,
  notReimportable,
  unpicklableArgument,
  unusedSuppression,
];

/** Reported by the engine itself, after every other transform (see src/engine.ts). */
export { unusedSuppression };

export function transformByCode(code: string): Transform | undefined {
  const wanted = code.toUpperCase();
  return transforms.find((t) => t.code === wanted || t.name === code);
}

/**
 * Findings only `spawnsafe verify` reports (a run shows them; no static check exists). The
 * engine never sees them: they are not in `transforms`. (verify reports some static codes too:
 * SPS202, SPS203, SPS301...)
 */
export const runtimeRules: RuntimeRule[] = [childStartFailure, hang, environDiffers, readsStartMethod];

/** Every documented code, static and runtime, in the order `spawnsafe rules` lists them. */
export const allRules: Array<Transform | RuntimeRule> = [...transforms, ...runtimeRules];

/** A static transform or a runtime rule, by code or name (for `explain`). */
export function ruleByCode(code: string): Transform | RuntimeRule | undefined {
  const wanted = code.toUpperCase();
  return allRules.find((t) => t.code === wanted || t.name === code);
}
